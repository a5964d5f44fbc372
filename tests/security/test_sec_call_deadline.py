"""Issue 12, item 7: one deadline bounds a whole tool call, across every upstream page and step.

Each page of this upstream answers promptly enough for `<NAME>_TIMEOUT`, but it never runs out of
pages: without a deadline per call, one `limit=200` call would walk 50 slow pages.
"""

from __future__ import annotations

import asyncio
import json

from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.sandbox.server import serve_app

REQUESTS: list[str] = []


async def slow_pages(request: Request) -> JSONResponse:
    REQUESTS.append(request.url.query)
    await asyncio.sleep(0.3)
    page = int(request.query_params.get("page", 1))
    return JSONResponse({"data": [{"id": page}], "paging": {"next_page": page + 1}})


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Slow", "version": "1"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "data": {"type": "array", "items": {"type": "object"}},
                                        "paging": {
                                            "type": "object",
                                            "properties": {"next_page": {"type": "integer"}},
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}


def test_a_tool_call_stops_at_its_call_timeout(tmp_path, monkeypatch):
    spec = tmp_path / "slow.json"
    spec.write_text(json.dumps(SPEC))
    report = build(BuildOptions(spec=spec, out=tmp_path / "generated"))
    with serve_app(Starlette(routes=[Route("/things", slow_pages)])) as url:
        monkeypatch.setenv("SLOW_BASE_URL", url)
        monkeypatch.setenv("SLOW_CALL_TIMEOUT", "1")
        module = load_server_module(report.out_dir)

        async def go():
            async with Client(module.mcp) as client:
                return await client.call_tool("list_things", {"limit": 200}, raise_on_error=False)

        REQUESTS.clear()
        result = asyncio.run(go())
    # Usually the pages that came in time are shown, with a note naming the limit and a cursor
    # to go on; on a machine slow enough to pass the deadline's grace too, the call is an error
    # naming the limit. Either way it stops after about a second, not 50 pages later.
    text = result.content[0].text
    if result.is_error:
        assert "SLOW_CALL_TIMEOUT" in text
    else:
        data = json.loads(text)
        assert data["items"] and "SLOW_CALL_TIMEOUT" in data["_note"] and data["next_cursor"]
    assert 2 <= len(REQUESTS) <= 5
