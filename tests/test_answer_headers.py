"""An answer with no content says what it says in its headers.

A write that answers 204 with the new version's `ETag`, a HEAD of a file (Azure Storage's blob
properties are all headers), a count in a header: the tool's result carries the headers the
spec declares for such an answer (and a HEAD's own), never tracing ids, rate limits or
anything that may be a credential. Served on 127.0.0.1, called through a real MCP client.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.plan.answer_headers import answer_headers
from adaptgen.runtime.catalog import Catalog
from adaptgen.sandbox.server import serve_app

TRACED = {"x-ms-request-id": "7f3a", "Set-Cookie": "sid=s3cr3t", "X-Auth-Token": "tok-1"}


def _app() -> Starlette:
    async def thing(request: Request) -> Response:
        if request.method == "PATCH":
            return Response(status_code=204, headers={"ETag": '"v2"', **TRACED})
        if request.method == "HEAD":
            headers = {"Content-Type": "image/png", "Content-Length": "5120", "ETag": '"v1"'}
            return Response(status_code=200, headers={**headers, "x-ms-blob-type": "BlockBlob"})
        body = json.dumps({"id": "a1", "name": "Ann"})
        return Response(body, media_type="application/json", headers={"ETag": '"v1"'})

    async def things(request: Request) -> Response:
        headers = {"Location": "/things/b2", "ETag": '"v1"', **TRACED}
        return Response(status_code=201, headers=headers)

    async def count(request: Request) -> Response:
        return Response(status_code=204, headers={"X-Total-Count": "42", **TRACED})

    async def starred(request: Request) -> Response:
        return Response(status_code=204 if request.path_params["repo"] == "hello" else 404)

    return Starlette(
        routes=[
            Route("/user/starred/{repo}", starred, methods=["GET"]),
            Route("/things/{id}", thing, methods=["GET", "PATCH", "HEAD"]),
            Route("/things", things, methods=["POST"]),
            Route("/things-count", count, methods=["GET"]),
            Route("/things-ping", lambda request: Response(status_code=204), methods=["HEAD"]),
        ]
    )


def _headers(*names: str) -> dict:
    return {name: {"schema": {"type": "string"}} for name in names}


def _spec(url: str) -> dict:
    traced = ("x-ms-request-id", "Set-Cookie", "X-Auth-Token")
    one = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    json_thing = {"application/json": {"schema": {"type": "object"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Things", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/things/{id}": {
                "parameters": [one],
                "get": {
                    "operationId": "getThing",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": _headers("ETag"),
                            "content": json_thing,
                        }
                    },
                },
                "patch": {
                    "operationId": "updateThing",
                    "requestBody": {"content": json_thing},
                    "responses": {
                        "204": {"description": "ok", "headers": _headers("ETag", *traced)}
                    },
                },
                "head": {
                    "operationId": "checkThing",
                    "responses": {
                        "200": {"description": "ok", "headers": _headers("x-ms-blob-type")}
                    },
                },
            },
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {"content": json_thing},
                    "responses": {
                        "201": {"description": "made", "headers": _headers("Location", "ETag")}
                    },
                }
            },
            "/user/starred/{repo}": {
                "get": {
                    "operationId": "checkStarred",
                    "parameters": [{**one, "name": "repo"}],
                    "responses": {
                        "204": {"description": "Response if this repository is starred by you"},
                        "404": {
                            "description": "Not Found if this repository is not starred by you"
                        },
                    },
                }
            },
            "/things-ping": {
                "head": {"operationId": "pingThings", "responses": {"204": {"description": "up"}}}
            },
            "/things-count": {
                "get": {
                    "operationId": "countThings",
                    "responses": {
                        "204": {"description": "n", "headers": _headers("X-Total-Count", *traced)}
                    },
                }
            },
        },
    }


@pytest.fixture(scope="module")
def things(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("things")
    with serve_app(_app()) as url:
        path = tmp / "things.json"
        path.write_text(json.dumps(_spec(url)))
        report = build(BuildOptions(spec=path, out=tmp / "out", name="things"))
        module = load_server_module(report.out_dir)

        def call(name, arguments):
            async def go():
                async with Client(module.mcp) as client:
                    return await client.call_tool(name, arguments, raise_on_error=False)

            answer = asyncio.run(go())
            text = answer.content[0].text
            assert not answer.is_error, text
            return result_data(text) if text.startswith("{") else text

        yield call, report.out_dir


def test_a_write_with_no_content_answers_with_its_declared_headers(things):
    call, _ = things
    found = call("update_thing", {"id": "a1", "body": {"name": "Bo"}})
    assert found == {"done": "upstream answered 204 with no content", "headers": {"ETag": '"v2"'}}


def test_a_created_things_place_comes_with_its_headers(things):
    call, _ = things
    found = call("create_thing", {"body": {"name": "Bo"}})
    assert found["location"] == "/things/b2" and found["headers"] == {"ETag": '"v1"'}
    assert found["read_with"] == {"tool": "get_thing", "arguments": {"id": "b2"}}


def test_a_head_says_what_the_thing_is(things):
    call, out = things
    found = call("check_thing", {"id": "a1"})
    assert found["headers"] == {
        "Content-Type": "image/png",
        "Content-Length": "5120",
        "ETag": '"v1"',
        "x-ms-blob-type": "BlockBlob",
    }
    assert "answered" in found


def test_a_head_with_nothing_to_say_says_it_found_the_thing(things):
    call, _ = things
    assert call("ping_things", {}) == "Found (upstream answered 204 with no content)."


def test_a_read_with_no_content_answers_with_its_count(things):
    call, out = things
    found = call("count_things", {})
    assert found["headers"] == {"X-Total-Count": "42"}
    tools = {t.name: t for t in Catalog.read(out / "catalog.json").tools}
    assert tools["count_things"].upstream.answer_headers == ("X-Total-Count",)
    assert tools["get_thing"].upstream.answer_headers == ()  # it has content: as before


@pytest.mark.parametrize(
    ("declared", "head", "kept"),
    [
        (["ETag", "x-ms-request-id", "client-request-id", "Retry-After"], False, ("ETag",)),
        (["Location", "Link", "Operation-Location", "Azure-AsyncOperation"], False, ()),
        (["Set-Cookie", "X-Session-Id", "x-api-key", "X-Auth-Token", "value"], False, ("value",)),
        (["X-RateLimit-Remaining", "RateLimit-Reset", "Cache-Control", "Date"], False, ()),
        (
            ["Content-Type", "Content-Length", "Content-Disposition"],
            False,
            ("Content-Disposition",),
        ),
        (
            ["etag", "x-ms-meta"],
            True,
            ("Content-Type", "Content-Length", "ETag", "Last-Modified", "x-ms-meta"),
        ),
    ],
)
def test_which_headers_a_result_carries(declared, head, kept):
    assert answer_headers(declared, head=head) == kept


def test_a_checks_404_is_its_no_and_its_204_its_yes(things):
    """GitHub's `GET /user/starred/{owner}/{repo}` (and 12 more of its checks, Azure's HEAD
    existence checks): success has no content, 404 is declared. "Is hello starred?" was
    "Nothing to return" or an error; now the answer, in the spec's words for the 404."""
    call, out = things
    assert call("check_starred", {"repo": "hello"}) == {
        "found": True,
        "answered": "upstream answered 204",
    }
    assert call("check_starred", {"repo": "other"}) == {
        "found": False,
        "answered": "upstream answered 404",
        "means": "Not Found if this repository is not starred by you",
    }
    tools = {t.name: t for t in Catalog.read(out / "catalog.json").tools}
    assert tools["get_thing"].upstream.absent is None  # a read with content: 404 stays an error
