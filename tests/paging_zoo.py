"""A small real HTTP API that pages its 137 items in each of the five styles adaptgen knows.

Used with a matching OpenAPI spec (no hints) to check that the planner detects each style and
that the runtime walks every style to the end, item by item, across upstream pages.
"""

from __future__ import annotations

import base64

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ITEMS = [{"id": i, "name": f"item {i}", "note": None, "tags": []} for i in range(1, 138)]


def _int(request: Request, name: str, default: int) -> int:
    return int(request.query_params.get(name, default))


async def by_page(request: Request) -> JSONResponse:
    page, size = _int(request, "page", 1), min(_int(request, "per_page", 10), 20)
    chunk = ITEMS[(page - 1) * size : page * size]
    return JSONResponse({"results": chunk, "total_count": len(ITEMS)})


async def by_offset(request: Request) -> JSONResponse:
    offset, limit = _int(request, "offset", 0), min(_int(request, "limit", 10), 20)
    return JSONResponse({"items": ITEMS[offset : offset + limit]})


async def by_cursor(request: Request) -> JSONResponse:
    raw = request.query_params.get("cursor")
    start = int(base64.b64decode(raw).decode()) if raw else 0
    size = min(_int(request, "page_size", 10), 20)
    end = start + size
    next_cursor = base64.b64encode(str(end).encode()).decode() if end < len(ITEMS) else None
    return JSONResponse({"data": ITEMS[start:end], "meta": {"next_cursor": next_cursor}})


async def by_link(request: Request) -> JSONResponse:
    start = _int(request, "start_at", 0)
    end = start + 15
    headers = {}
    if end < len(ITEMS):
        headers["Link"] = f'<{request.url.path}?start_at={end}>; rel="next", </x>; rel="last"'
    return JSONResponse(ITEMS[start:end], headers=headers)


async def by_next_url(request: Request) -> JSONResponse:
    start = _int(request, "from_item", 0)
    end = start + 12
    nxt = f"{request.base_url}next-url?from_item={end}" if end < len(ITEMS) else None
    return JSONResponse({"entries": ITEMS[start:end], "next": nxt})


APP = Starlette(
    routes=[
        Route("/page", by_page),
        Route("/offset", by_offset),
        Route("/cursor", by_cursor),
        Route("/link", by_link),
        Route("/next-url", by_next_url),
    ]
)

_ITEM = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}


def _list(props: dict, headers: dict | None = None) -> dict:
    response = {"description": "ok", "content": {"application/json": {"schema": props}}}
    if headers:
        response["headers"] = headers
    return {"200": response}


def _q(name: str) -> dict:
    return {"name": name, "in": "query", "schema": {"type": "integer"}}


def spec(base_url: str) -> dict:
    """The OpenAPI document of APP served at `base_url` (no pagination hints in it)."""
    array = {"type": "array", "items": _ITEM}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Paging zoo", "version": "1"},
        "servers": [{"url": base_url}],
        "paths": {
            "/page": {
                "get": {
                    "operationId": "listByPage",
                    "parameters": [_q("page"), _q("per_page")],
                    "responses": _list(
                        {
                            "type": "object",
                            "properties": {"results": array, "total_count": {"type": "integer"}},
                        }
                    ),
                }
            },
            "/offset": {
                "get": {
                    "operationId": "listByOffset",
                    "parameters": [_q("offset"), _q("limit")],
                    "responses": _list({"type": "object", "properties": {"items": array}}),
                }
            },
            "/cursor": {
                "get": {
                    "operationId": "listByCursor",
                    "parameters": [
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        _q("page_size"),
                    ],
                    "responses": _list(
                        {
                            "type": "object",
                            "properties": {
                                "data": array,
                                "meta": {
                                    "type": "object",
                                    "properties": {
                                        "next_cursor": {"type": "string", "nullable": True}
                                    },
                                },
                            },
                        }
                    ),
                }
            },
            "/link": {
                "get": {
                    "operationId": "listByLink",
                    "responses": _list(array, headers={"Link": {"schema": {"type": "string"}}}),
                }
            },
            "/next-url": {
                "get": {
                    "operationId": "listByNextUrl",
                    "responses": _list(
                        {
                            "type": "object",
                            "properties": {
                                "entries": array,
                                "next": {"type": "string", "format": "uri", "nullable": True},
                            },
                        }
                    ),
                }
            },
        },
    }
