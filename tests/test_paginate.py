"""Pagination: each upstream style detected from the spec alone and walked to the end."""

from __future__ import annotations

import asyncio
import json

import paging_zoo
import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.paginate import (
    CursorError,
    CursorKey,
    PageState,
    decode_cursor,
    encode_cursor,
)
from adaptgen.sandbox.server import serve_app

EXPECTED = {
    "list_by_page": ("page", "$.results"),
    "list_by_offset": ("offset", "$.items"),
    "list_by_cursor": ("cursor", "$.data"),
    "list_by_link": ("link", "$"),
    "list_by_next_url": ("next_url", "$.entries"),
}


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zoo")
    with serve_app(paging_zoo.APP) as url:
        spec = tmp / "zoo.json"
        spec.write_text(json.dumps(paging_zoo.spec(url)))
        report = build(BuildOptions(spec=spec, out=tmp / "generated"))
        yield report, load_server_module(report.out_dir)


def call(module, tool, arguments):
    async def go():
        async with Client(module.mcp) as client:
            result = await client.call_tool(tool, arguments)
            return json.loads(result.content[0].text)

    return asyncio.run(go())


def test_each_style_is_detected_and_its_paging_params_hidden(zoo):
    report, _ = zoo
    tools = {t.name: t for t in report.api.tools}
    for name, (style, items) in EXPECTED.items():
        pagination = tools[name].pagination
        assert (pagination.style, pagination.items) == (style, items), name
        assert [p.name for p in tools[name].params] == ["cursor", "limit"], name


@pytest.mark.parametrize("tool", sorted(EXPECTED))
@pytest.mark.parametrize("limit", [7, 25, 200])
def test_cursor_round_trips_visit_every_item_once(zoo, tool, limit):
    _, module = zoo
    seen: list[int] = []
    arguments: dict = {"limit": limit}
    for _ in range(100):
        page = call(module, tool, arguments)
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        if "next_cursor" not in page:
            break
        arguments = {"limit": limit, "cursor": page["next_cursor"]}
    assert seen == list(range(1, 138))


def test_default_denoise_applies_to_items(zoo):
    _, module = zoo
    page = call(module, "list_by_page", {"limit": 3})
    assert page["items"] == [{"id": i, "name": f"item {i}"} for i in (1, 2, 3)]
    assert page["total"] == 137


def test_budget_cut_resumes_at_the_next_item(zoo, tmp_path):
    report, _ = zoo
    hints = tmp_path / "zoo.hints.yaml"
    hints.write_text("defaults: {max_response_tokens: 120}\n")
    # The same spec, rebuilt with a tiny budget.
    original = report.out_dir.parent.parent / "zoo.json"
    small = build(BuildOptions(spec=original, out=tmp_path / "g", hints=hints, name="zoo_small"))
    module = load_server_module(small.out_dir)
    first = call(module, "list_by_offset", {"limit": 50})
    shown = [i["id"] for i in first["items"]]
    assert 0 < len(shown) < 50 and shown == list(range(1, len(shown) + 1))
    assert "token budget" in first["_note"]
    second = call(module, "list_by_offset", {"limit": 5, "cursor": first["next_cursor"]})
    assert second["items"][0]["id"] == shown[-1] + 1


def test_cursors_are_checked(zoo):
    _, module = zoo
    base = "http://127.0.0.1:1"
    key = CursorKey(b"k" * 32, shared=True)
    foreign = encode_cursor("list_by_next_url", PageState(url="http://evil.example/steal"), key=key)
    with pytest.raises(CursorError, match="not on the upstream's host"):
        decode_cursor("list_by_next_url", foreign, base, key=key)
    offset = encode_cursor("list_by_offset", PageState(offset=3), key=key)
    with pytest.raises(CursorError, match="another tool"):
        decode_cursor("list_by_page", offset, base, key=key)
    with pytest.raises(CursorError, match="made by this server"):
        decode_cursor("list_by_offset", offset, base, key=CursorKey(b"x" * 32, shared=True))
    with pytest.raises(CursorError):
        decode_cursor("list_by_page", "!!not-base64!!", base, key=key)
    with pytest.raises(ToolError, match="invalid cursor"):
        call(module, "list_by_next_url", {"cursor": foreign})
