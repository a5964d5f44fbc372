"""The search surface's own tools as a build's report reads them (`search.SURFACE_TOOLS`, so
that the report need not import FastMCP) are the tools a search-mode server lists: the file,
FastMCP's serialization of `runtime.search` and the wire agree.

When the search tools change on purpose (a docstring, an argument), rewrite the file:

    ADAPTGEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/search/test_surface_tools.py
"""

from __future__ import annotations

import asyncio
import json
import os

from conftest import ROOT, shared_spec, wire_tools_list_bytes

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.search import SEARCH_TOOLS, GovernedSearch
from adaptgen.search import SURFACE_TOOLS
from adaptgen.search.rank import SearchEngine

UPDATE = os.environ.get("ADAPTGEN_UPDATE_GOLDEN") == "1"


def served() -> list[dict]:
    """The search surface's tools as the runtime makes and serializes them."""
    made = asyncio.run(GovernedSearch(None, SearchEngine({})).transform_tools([]))
    return [t.to_mcp_tool().model_dump(mode="json", by_alias=True, exclude_none=True) for t in made]


def test_the_file_is_what_the_runtime_serves():
    tools = served()
    if UPDATE:
        SURFACE_TOOLS.write_text(json.dumps(tools, indent=2) + "\n", encoding="utf-8")
    assert json.loads(SURFACE_TOOLS.read_text(encoding="utf-8")) == tools, (
        f"{SURFACE_TOOLS.name} is not what runtime.search serves: rewrite it with "
        "ADAPTGEN_UPDATE_GOLDEN=1 (module docstring)"
    )
    assert sorted(t["name"] for t in tools) == sorted(SEARCH_TOOLS)


def test_a_search_mode_build_reports_the_size_its_server_lists(tmp_path, monkeypatch):
    hints = ROOT / "tests" / "golden" / "hubspot_search" / "hubspot.hints.yaml"
    spec = shared_spec("hubspot_contacts_v3.json")
    report = build(BuildOptions(spec=spec, out=tmp_path, name="hubspot", hints=hints))
    assert report.api.info.surface.mode == "search"
    monkeypatch.setenv("ADAPTGEN_GOVERNANCE", "off")  # every tool, as the report counts them
    module = load_server_module(report.out_dir)
    assert report.tools_list_bytes == wire_tools_list_bytes(module.mcp)
