"""An operation with its own server (Box's uploads at upload.box.com, GitHub's release assets
at uploads.github.com): its requests go there, with the API's credentials, unless
`<NAME>_BASE_URL` sends every operation to one place (a gateway, a mock).

Against two real HTTP servers on 127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

from conftest import built_server, result_data, tool_caller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.plan.operations import own_server
from adaptgen.sandbox.server import serve_app

TOKEN = "box-access-token-0042"


def _app(name: str, seen: list) -> Starlette:
    async def any_path(request: Request) -> JSONResponse:
        seen.append((name, request.method, request.url.path, request.headers.get("authorization")))
        return JSONResponse({"server": name, "path": request.url.path})

    return Starlette(routes=[Route("/{rest:path}", any_path, methods=["GET", "POST"])])


def _spec(api: str, upload: str) -> dict:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    upload_op = {"operationId": "uploadFile", "responses": ok, "servers": [{"url": upload}]}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Box", "version": "1"},
        "servers": [{"url": f"{api}/2.0"}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": {
            "/files/content": {"post": upload_op},
            "/folders": {"get": {"operationId": "getFolders", "responses": ok}},
        },
    }


def test_an_operation_goes_to_its_own_server_with_the_apis_credentials(tmp_path, monkeypatch):
    seen: list = []
    with serve_app(_app("api", seen)) as api, serve_app(_app("upload", seen)) as upload:
        spec = _spec(api, "{scheme}://" + upload.removeprefix("http://") + "/api/2.0")
        spec["paths"]["/files/content"]["post"]["servers"][0]["variables"] = {
            "scheme": {"default": "http"}
        }
        module, _ = built_server(tmp_path, spec, "box")
        monkeypatch.setenv("BOX_TOKEN", TOKEN)
        call = tool_caller(module)
        uploaded = result_data(call("upload_file", {}).content[0].text)
        listed = result_data(call("get_folders", {}).content[0].text)
        monkeypatch.setenv("BOX_BASE_URL", f"{api}/2.0")  # one place for all: a gateway, a mock
        mocked = result_data(call("upload_file", {}).content[0].text)
    assert uploaded == {"server": "upload", "path": "/api/2.0/files/content"}
    assert listed == {"server": "api", "path": "/2.0/folders"}
    assert mocked == {"server": "api", "path": "/2.0/files/content"}
    assert [s[3] for s in seen] == [f"Bearer {TOKEN}"] * 3


def test_an_operations_server_as_the_spec_writes_it():
    api = "https://api.box.com/2.0"
    op = {"servers": [{"url": "https://upload.box.com/api/2.0/"}]}
    assert own_server(op, {}, api) == "https://upload.box.com/api/2.0"
    assert own_server({}, {"servers": [{"url": "/uploads"}]}, api) == "https://api.box.com/uploads"
    assert own_server({"servers": [{"url": "v3"}]}, {}, api) == "https://api.box.com/2.0/v3"
    assert own_server({"servers": [{"url": api}]}, {}, api) is None
    assert own_server({"servers": [{"url": "https://{region}.box.com"}]}, {}, api) is None
    assert own_server({}, {}, api) is None


def test_its_next_pages_and_status_links_on_its_own_server_are_followed(tmp_path, monkeypatch):
    """A list on the operation's own server pages by links there, and a write there that
    answers 202 is followed at its monitor there: both on its server, not off the API."""
    seen: list = []

    async def reports(request: Request) -> JSONResponse:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        if request.query_params.get("page") == "2":
            return JSONResponse({"entries": [{"id": 3}], "next": None})
        return JSONResponse({"entries": [{"id": 1}, {"id": 2}], "next": f"{origin}/r?page=2"})

    async def export(request: Request) -> JSONResponse:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        monitor = {"Location": f"{origin}/jobs/7", "Retry-After": "0"}
        return JSONResponse({"status": "queued"}, status_code=202, headers=monitor)

    async def job(request: Request) -> JSONResponse:
        seen.append(request.url.path)
        return JSONResponse({"id": 7, "status": "succeeded"})

    reporting = Starlette(
        routes=[
            Route("/r", reports),
            Route("/exports", export, methods=["POST"]),
            Route("/jobs/7", job),
        ]
    )
    with serve_app(_app("api", [])) as api, serve_app(reporting) as elsewhere:
        ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
        accepted = {"202": {"description": "accepted"}, **ok}
        page = {"name": "page", "in": "query", "schema": {"type": "integer"}}
        spec = _spec(api, elsewhere)
        spec["paths"]["/r"] = {
            "get": {
                "operationId": "listReports",
                "parameters": [page],
                "servers": [{"url": elsewhere}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "entries": {"type": "array", "items": {}},
                                        "next": {"type": "string", "format": "uri"},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
        spec["paths"]["/exports"] = {
            "post": {"operationId": "exportReport", "servers": [{"url": elsewhere}],
                     "responses": accepted}
        }  # fmt: skip
        module, _ = built_server(tmp_path, spec, "box")
        monkeypatch.setenv("BOX_TOKEN", TOKEN)
        call = tool_caller(module)
        listed = call("list_reports", {"limit": 10})
        exported = call("export_report", {})
    assert not listed.is_error, listed.content[0].text
    assert [i["id"] for i in result_data(listed.content[0].text)["items"]] == [1, 2, 3]
    assert not exported.is_error, exported.content[0].text
    assert "succeeded" in exported.content[0].text and seen == ["/jobs/7"]
