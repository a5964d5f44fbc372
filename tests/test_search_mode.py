"""Huge specs: search mode lists two tools, finds the right one and calls it (GitHub via Prism)."""

from __future__ import annotations

import asyncio
import json

from conftest import result_data, shared_spec
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module


def test_github_search_mode_finds_and_calls_a_tool_against_prism(tmp_path, prism_for, monkeypatch):
    spec = shared_spec("github_api_2020.json")
    report = build(BuildOptions(spec=spec, out=tmp_path, name="github"))
    assert report.api.info.surface.mode == "search"
    assert report.tools_list_bytes <= 20_000
    monkeypatch.setenv("GITHUB_BASE_URL", prism_for(spec))
    monkeypatch.setenv("GITHUB_OAUTH2_TOKEN", "test-token")
    module = load_server_module(report.out_dir)

    async def session():
        async with Client(module.mcp) as client:
            listed = await client.session.list_tools()
            found = await client.call_tool(
                "search_tools", {"query": "list repositories of an organization"}
            )
            called = await client.call_tool(
                "call_tool",
                {"name": "list_repos_for_org", "arguments": {"org": "acme", "limit": 3}},
            )
            direct = await client.call_tool("get_repo", {"owner": "octocat", "repo": "hello"})
            return listed, found, called, direct

    listed, found, called, direct = asyncio.run(session())
    wire = len(listed.model_dump_json(by_alias=True, exclude_none=True).encode())
    assert [t.name for t in listed.tools] == ["list_toolsets", "search_tools", "call_tool"]
    assert wire <= 20_000
    names = [t["name"] for t in result_data(found.content[0].text)]
    assert "list_repos_for_org" in names
    page = result_data(called.content[0].text)
    assert 1 <= len(page["items"]) <= 3 and "name" in page["items"][0]
    assert result_data(direct.content[0].text)["name"]


def test_toolsets_mode_builds_only_the_chosen_tags(tmp_path):
    spec = shared_spec("github_api_2020.json")
    hints = tmp_path / "gh.hints.yaml"
    hints.write_text("search: {mode: toolsets, toolsets: [gists]}\n")
    report = build(BuildOptions(spec=spec, out=tmp_path, name="gh", hints=hints))
    assert report.api.info.surface.mode == "all"
    assert report.api.tools and all("gists" in t.tags for t in report.api.tools)
    assert any("not in the selected toolsets" in s.reason for s in report.api.skipped)
    assert report.api.info.surface.reason == "toolsets mode: only tools tagged gists were built"


def test_semantic_search_mode_ranks_by_meaning_through_a_client_and_calls_the_tool(
    tmp_path, prism_for, monkeypatch
):
    """By default (no hints) the built index holds the shipped sentence encoder's vectors, the
    served `search_tools` answers with the fused ranking (not the words-only one) through a
    real client under the governance layer, and the tool it finds is called against Prism."""
    from adaptgen.search.rank import SearchEngine

    spec = shared_spec("slack_web_v2_swagger.json")
    report = build(BuildOptions(spec=spec, out=tmp_path, name="slack"))
    assert report.api.info.surface.mode == "search"
    index = json.loads((report.out_dir / "search_index.json").read_text())
    assert all(entry.get("semantic") for entry in index["tools"])
    monkeypatch.setenv("SLACK_BASE_URL", prism_for(spec))
    monkeypatch.setenv("SLACK_SLACK_AUTH_TOKEN", "xoxb-test")
    module = load_server_module(report.out_dir)
    queries = [
        "get rid of the message I sent by mistake",
        "who is in this channel",
        "make a brand new channel for the launch",
    ]
    fused = SearchEngine(index)
    words_only = SearchEngine({**index, "tools": [
        {k: v for k, v in entry.items() if k != "semantic"} for entry in index["tools"]
    ]})  # fmt: skip

    async def session():
        async with Client(module.mcp) as client:
            found = [await client.call_tool("search_tools", {"query": q}) for q in queries]
            called = await client.call_tool(
                "call_tool",
                {"name": result_data(found[1].content[0].text)[0]["name"], "arguments": {
                    "channel": "C0123"}},
            )  # fmt: skip
            return found, called

    found, called = asyncio.run(session())
    served = [[hit["name"] for hit in result_data(f.content[0].text)] for f in found]
    expected = [[hit.name for hit in fused.search(q, limit=len(s))] for q, s in zip(
        queries, served, strict=True)]  # fmt: skip
    assert served == expected
    lexical = [[hit.name for hit in words_only.search(q, limit=len(s))] for q, s in zip(
        queries, served, strict=True)]  # fmt: skip
    assert served != lexical  # the model moved at least one ranking
    assert served[1][0] == "list_conversations_members"
    assert not called.is_error
