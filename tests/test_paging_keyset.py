"""Keyset paging: the next request asks for the items after the last item's sort key.

A real HTTP API on 127.0.0.1 lists 95 events sorted by `updated_at` (many share a timestamp)
and caps every page at 20: `/events` takes `updated_after` (strictly after), `/changes` a
date-time `since` (at or after, so a page starts with the items of the last key again), and
`/log` pages by `from_ts`, which only a hint explains. The planner finds the first two from the
spec alone; every tool walks the whole list, each event exactly once, in order.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.plan.pagination import detect
from adaptgen.runtime.catalog import Param
from adaptgen.runtime.paging import STYLES, PageState
from adaptgen.runtime.paging.keyset import KeysetPaging
from adaptgen.sandbox.server import serve_app

# Three events per second, so a page of 20 usually ends inside a group of equal keys.
EVENTS = [
    {"id": i, "updated_at": f"2024-05-01T10:00:{i // 3:02d}Z", "kind": "edit"} for i in range(95)
]
PAGE_CAP = 20
REQUESTS: Counter[str] = Counter()


def _page(request: Request, param: str, inclusive: bool) -> list[dict]:
    REQUESTS[request.url.path] += 1
    key = request.query_params.get(param)
    limit = min(int(request.query_params.get("limit", 10)), PAGE_CAP)
    if key is None:
        chosen = EVENTS
    elif inclusive:
        chosen = [e for e in EVENTS if e["updated_at"] >= key]
    else:
        chosen = [e for e in EVENTS if e["updated_at"] > key]
    return chosen[:limit]


async def events(request: Request) -> JSONResponse:
    return JSONResponse({"data": _page(request, "updated_after", inclusive=False)})


async def changes(request: Request) -> JSONResponse:
    chunk = _page(request, "since", inclusive=True)
    return JSONResponse({"results": chunk, "has_more": bool(chunk) and chunk[-1] != EVENTS[-1]})


async def log(request: Request) -> JSONResponse:
    return JSONResponse({"entries": _page(request, "from_ts", inclusive=False)})


APP = Starlette(routes=[Route("/events", events), Route("/changes", changes), Route("/log", log)])

EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
        "kind": {"type": "string"},
    },
}


def _list(items: str, param: dict, extra: dict | None = None) -> dict:
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 20}}
    body = {
        "type": "object",
        "properties": {items: {"type": "array", "items": EVENT}, **(extra or {})},
    }
    return {
        "get": {
            "operationId": f"list_{items}",
            "parameters": [{"in": "query", **param}, limit],
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": body}}}
            },
        }
    }


def spec(url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Events", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/events": _list("data", {"name": "updated_after", "schema": {"type": "string"}}),
            "/changes": _list(
                "results",
                {"name": "since", "schema": {"type": "string", "format": "date-time"}},
                {"has_more": {"type": "boolean"}},
            ),
            "/log": _list("entries", {"name": "from_ts", "schema": {"type": "string"}}),
        },
    }


HINTS = """\
tools:
  list_entries:
    paginate: {style: keyset, cursor: from_ts, size: limit, key_field: updated_at, page_size: 20}
"""


@pytest.fixture(scope="module")
def events_api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keyset")
    with serve_app(APP) as url:
        spec_file = tmp / "events.json"
        spec_file.write_text(json.dumps(spec(url)))
        hints = tmp / "events.hints.yaml"
        hints.write_text(HINTS)
        report = build(BuildOptions(spec=spec_file, out=tmp / "generated"))
        yield report, load_server_module(report.out_dir)


def call(module, tool: str, arguments: dict) -> dict:
    async def go():
        async with Client(module.mcp) as client:
            result = await client.call_tool(tool, arguments)
            return result_data(result.content[0].text)

    return asyncio.run(go())


def walk(module, tool: str, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(40):
        arguments = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = call(module, tool, arguments)
        seen += [item["id"] for item in page["items"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            return seen
    raise AssertionError(f"{tool} did not end")


def test_keyset_is_a_registered_style():
    assert STYLES["keyset"] is KeysetPaging


def test_the_planner_finds_the_sort_key_and_whether_it_is_inclusive(events_api):
    report, _ = events_api
    tools = {t.name: t for t in report.api.tools}
    events, changes, hinted = (
        tools[n].pagination for n in ("list_data", "list_results", "list_entries")
    )
    assert (events.style, events.key_param, events.key_field, events.inclusive) == (
        "keyset",
        "updated_after",
        "updated_at",
        False,
    )
    assert (changes.key_param, changes.inclusive, changes.has_more) == ("since", True, "$.has_more")
    assert (hinted.key_param, hinted.key_field, hinted.page_size) == ("from_ts", "updated_at", 20)
    for tool in tools.values():  # the key parameter is the paginator's, not the agent's
        assert [p.name for p in tool.params] == ["cursor", "limit"]


def test_a_date_filter_on_an_unpaged_list_is_not_paging():
    since = Param(
        name="since",
        api_name="since",
        location="query",
        schema={"type": "string", "format": "date"},
    )
    body = {"type": "object", "properties": {"data": {"type": "array", "items": EVENT}}}
    assert detect([since], body, [], None) is None  # no page size, no has_more: only a filter


@pytest.mark.parametrize("tool", ["list_data", "list_results", "list_entries"])
@pytest.mark.parametrize("limit", [7, 50])
def test_every_event_once_in_order(events_api, tool, limit):
    _, module = events_api
    assert walk(module, tool, limit) == [e["id"] for e in EVENTS]


def test_an_inclusive_key_skips_the_items_it_already_returned():
    paging = KeysetPaging(key_param="since", key_field="updated_at", inclusive=True, items="$.r")
    page = {"r": EVENTS[:20]}  # ends with ids 18, 19 at 10:00:06 (18, 19, 20 share it)
    after = paging.advance(PageState(), page, {}, 20)
    assert after == PageState(cursor="2024-05-01T10:00:06Z", skip=2)
    assert paging.request_params(after, 10)["since"] == "2024-05-01T10:00:06Z"


def test_the_report_says_how_the_key_is_sent(events_api):
    report, _ = events_api
    tools = {t.name: t for t in report.api.tools}
    line = tools["list_results"].pagination.describe()
    assert line.startswith("keyset, items $.results") and "since >= last updated_at" in line
