"""Issue 12, items 2 and 11 (and issue 13, items 1 and 4): what a hostile upstream's pages can do.

A real API on 127.0.0.1 whose next-page links point at a second server (another port) or climb
out of the API's base path; pages that are HTML or garbage with a 200; a body with no item list;
an upstream that repeats its cursor. The second server records every request it receives: it
must receive none, and above all never the upstream's API key.
"""

from __future__ import annotations

import asyncio
import json

import httpx2
import pytest
from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.origin import within_upstream
from adaptgen.runtime.upstream import Upstream, UpstreamError
from adaptgen.sandbox.server import serve_app

API_KEY = "zoo-secret-api-key-4242"
ITEMS = [{"id": i, "name": f"item {i}"} for i in range(1, 8)]
THINGS_ASKED: list[str] = []  # the names /api/things/{name} was asked for


class Recorder:
    """The other server: records whatever reaches it."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.requests.append({"path": request.url.path, "headers": dict(request.headers)})
        await JSONResponse({"items": [{"id": 666, "name": "injected"}], "next": None})(
            scope, receive, send
        )


def api(other: str) -> Starlette:
    def page(request: Request, key: str) -> tuple[int, list[dict]]:
        assert request.headers.get("x-api-key") == API_KEY
        start = int(request.query_params.get(key, 0))
        return start, ITEMS[start : start + 3]

    async def link_offhost(request: Request) -> Response:
        start, items = page(request, "at")
        return JSONResponse(items, headers={"Link": f'<{other}/steal?at=3>; rel="next"'})

    async def next_offhost(request: Request) -> Response:
        _, items = page(request, "at")
        return JSONResponse({"items": items, "next": f"{other}/steal?at=3"})

    async def next_climbs(request: Request) -> Response:
        _, items = page(request, "at")
        return JSONResponse({"items": items, "next": "/api/things/../../admin/keys"})

    async def next_relative(request: Request) -> Response:
        start, items = page(request, "at")
        nxt = f"?at={start + 3}" if start + 3 < len(ITEMS) else None
        return JSONResponse({"items": items, "next": nxt})

    async def fails_later(request: Request) -> Response:
        start, items = page(request, "at")
        if start:
            return PlainTextResponse("upstream exploded", status_code=500)
        return JSONResponse({"items": items, "next": "?at=3"})

    async def html(request: Request) -> Response:
        return Response("<html><body>Login required</body></html>", media_type="text/html")

    async def garbage(request: Request) -> Response:
        return Response('{"items": [1, 2', media_type="application/json")

    async def repeating(request: Request) -> Response:
        # New items once, then the same cursor again: a walk that would never end.
        chunk = ITEMS[3:6] if request.query_params.get("cursor") else ITEMS[:3]
        return JSONResponse({"data": chunk, "next_cursor": "same-cursor-every-time"})

    async def single(request: Request) -> Response:
        return JSONResponse({"ok": True, "file": {"id": "F1", "name": "report.pdf", "size": 9}})

    async def admin(request: Request) -> Response:
        return PlainTextResponse("admin area", status_code=403)

    async def thing(request: Request) -> Response:
        THINGS_ASKED.append(request.path_params["name"])
        return JSONResponse({"name": request.path_params["name"]})

    return Starlette(
        routes=[
            Route("/api/link-offhost", link_offhost),
            Route("/api/next-offhost", next_offhost),
            Route("/api/next-climbs", next_climbs),
            Route("/api/next-relative", next_relative),
            Route("/api/fails-later", fails_later),
            Route("/api/html", html),
            Route("/api/garbage", garbage),
            Route("/api/repeating", repeating),
            Route("/api/files.info", single),
            Route("/admin/keys", admin),
            Route("/api/things/{name}", thing),
        ]
    )


def _op(operation_id: str, parameters: list, schema: dict, headers: dict | None = None) -> dict:
    response: dict = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return {
        "get": {
            "operationId": operation_id,
            "parameters": parameters,
            "responses": {"200": response},
        }
    }


def spec(base: str) -> dict:
    item = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    array = {"type": "array", "items": item}
    with_next = {
        "type": "object",
        "properties": {"items": array, "next": {"type": "string", "nullable": True}},
    }
    cursor_param = {"name": "cursor", "in": "query", "schema": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Hostile pages", "version": "1"},
        "servers": [{"url": base}],
        "security": [{"key": []}],
        "components": {
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
        },
        "paths": {
            "/link-offhost": _op(
                "listLinkOffhost", [], array, {"Link": {"schema": {"type": "string"}}}
            ),
            "/next-offhost": _op("listNextOffhost", [], with_next),
            "/next-climbs": _op("listNextClimbs", [], with_next),
            "/next-relative": _op("listNextRelative", [], with_next),
            "/fails-later": _op("listFailsLater", [], with_next),
            "/html": _op("listHtml", [], with_next),
            "/garbage": _op("listGarbage", [], with_next),
            "/repeating": _op(
                "listRepeating",
                [cursor_param],
                {
                    "type": "object",
                    "properties": {"data": array, "next_cursor": {"type": "string"}},
                },
            ),
            "/things/{name}": _op(
                "getThing",
                [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                item,
            ),
            "/files.info": _op(
                "filesInfo",
                [cursor_param],
                {
                    "type": "object",
                    "properties": {
                        "ok": {"type": "boolean"},
                        "file": item,
                        "next_cursor": {"type": "string"},
                        "comments": array,
                    },
                },
            ),
        },
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    recorder = Recorder()
    with serve_app(recorder) as other, serve_app(api(other)) as origin:
        path = tmp / "hostile.json"
        path.write_text(json.dumps(spec(f"{origin}/api")))
        report = build(BuildOptions(spec=path, out=tmp / "generated"))
        mp = pytest.MonkeyPatch()
        mp.setenv("HOSTILE_KEY", API_KEY)
        mp.setenv("HOSTILE_BASE_URL", f"{origin}/api")
        try:
            yield load_server_module(report.out_dir), recorder, report, origin
        finally:
            mp.undo()


def call(module, tool: str, arguments: dict) -> tuple[bool, str]:
    async def go():
        async with Client(module.mcp) as client:
            result = await client.call_tool(tool, arguments, raise_on_error=False)
            return result.is_error, result.content[0].text

    return asyncio.run(go())


@pytest.mark.parametrize("tool", ["list_link_offhost", "list_next_offhost"])
def test_a_next_link_to_another_host_is_not_followed(hostile, tool):
    module, recorder, report, _ = hostile
    assert {t.name: t.pagination.style for t in report.api.tools if t.pagination}[tool] in (
        "link",
        "next_url",
    )
    recorder.requests.clear()
    is_error, text = call(module, tool, {"limit": 10})
    assert not is_error, text
    data = result_data(text)
    assert [item["id"] for item in data["items"]] == [1, 2, 3]  # nothing merged from elsewhere
    assert "not followed" in data["_note"] and "next_cursor" not in data
    assert recorder.requests == []  # and above all, no API key went there


def test_a_next_link_that_climbs_out_of_the_base_path_is_not_followed(hostile):
    module, _, _, _ = hostile
    is_error, text = call(module, "list_next_climbs", {"limit": 10})
    assert not is_error, text
    assert "not followed" in result_data(text)["_note"]


def test_a_relative_next_link_resolves_against_the_request(hostile):
    module, _, _, _ = hostile
    is_error, text = call(module, "list_next_relative", {"limit": 10})
    assert not is_error, text
    assert [item["id"] for item in result_data(text)["items"]] == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("tool", "says"), [("list_html", "text/html, not JSON"), ("list_garbage", "not JSON")]
)
def test_a_page_that_is_not_json_is_an_error_not_an_empty_list(hostile, tool, says):
    module, _, _, _ = hostile
    is_error, text = call(module, tool, {})
    assert is_error and says in text, text
    assert API_KEY not in text


def test_a_repeated_cursor_stops_paging(hostile):
    module, _, _, origin = hostile
    is_error, text = call(module, "list_repeating", {"limit": 50})
    assert not is_error, text
    data = result_data(text)
    assert [item["id"] for item in data["items"]] == [1, 2, 3, 4, 5, 6]
    assert "sent before" in data["_note"] and "next_cursor" not in data


def test_an_object_with_no_item_list_comes_back_whole(hostile):
    module, _, report, _ = hostile
    is_error, text = call(module, "get_files_info", {})
    assert not is_error, text
    data = result_data(text)
    assert data["file"] == {"id": "F1", "name": "report.pdf", "size": 9}
    if {t.name: t for t in report.api.tools}["get_files_info"].pagination:
        assert "no item list" in data["_note"]


def test_a_path_value_of_only_dots_never_reaches_another_path(hostile):
    """`/things/..` is `/`, and so is `/things/%2E%2E` to a server that normalises it: another
    operation than the one the caller may call. Refused, naming the argument, nothing sent; the
    same characters as text (`%2E%2E` typed) are a name like any other."""
    module, recorder, _, _ = hostile
    THINGS_ASKED.clear()
    recorder.requests.clear()
    for value in (".", ".."):
        is_error, text = call(module, "get_thing", {"name": value})
        assert is_error and f"argument name may not be '{value}'" in text, text
    assert THINGS_ASKED == [] and recorder.requests == []
    is_error, text = call(module, "get_thing", {"name": "%2E%2E"})
    assert not is_error, text
    assert THINGS_ASKED == ["%2E%2E"]


def test_credentials_are_attached_only_to_requests_under_the_upstream(hostile):
    module, recorder, _, origin = hostile
    upstream: Upstream = module.api.upstream
    op = module.api.catalog.tool("list_html")
    recorder.requests.clear()
    for candidate in (f"{origin}/admin/keys", f"{origin}/api/../admin/keys"):
        with pytest.raises(UpstreamError, match="refused to send the upstream's credentials"):
            asyncio.run(upstream.send(op, {}, url=candidate))
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("http://127.0.0.1:9/api/things?page=2", True),
        ("http://127.0.0.1:9/api", True),
        ("http://127.0.0.1:9/apiary/x", False),
        ("http://127.0.0.1:9/admin", False),
        ("http://127.0.0.1:9/api/../admin", False),
        ("http://127.0.0.1:9/api/%2e%2e/admin", False),
        ("http://127.0.0.1:9/api/%2E%2E%2Fadmin", False),
        ("http://127.0.0.1:10/api/x", False),
        ("https://127.0.0.1:9/api/x", False),
        ("http://127.0.0.2:9/api/x", False),
        ("http://user:pw@127.0.0.1:9/api/x", False),
        ("/api/x", False),
    ],
)
def test_within_upstream(url, inside):
    assert within_upstream(url, "http://127.0.0.1:9/api") is inside


def test_httpx_client_never_follows_redirects_with_credentials():
    # The upstream client sends with follow_redirects=False: httpx2 never follows a Location on
    # its own; `Upstream._followed` does, and sends credentials only within the upstream
    # (tests/test_redirects.py), so the credential guard is never bypassed by a Location header.
    assert httpx2.AsyncClient().follow_redirects is False


def test_a_later_page_that_fails_keeps_what_came_before(hostile):
    module, _, _, _ = hostile
    is_error, text = call(module, "list_fails_later", {"limit": 10})
    assert not is_error, text
    data = result_data(text)
    assert [item["id"] for item in data["items"]] == [1, 2, 3]
    assert "next upstream page failed" in data["_note"] and "500" in data["_note"]
    is_error, text = call(module, "list_fails_later", {"limit": 10, "cursor": data["next_cursor"]})
    assert is_error and "500" in text  # the retry starts at the failed page, which fails again
