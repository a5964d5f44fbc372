"""Issue 13, item 11: in search mode the build report says first what an agent sees.

That is the tools/list of the search surface (search_tools, call_tool and pinned tools) and
the size of a typical search_tools result; the full catalog, never sent whole, comes after.
The median is measured with the runtime's own search (`report.search_result_bytes`) and
checked here against real search_tools calls on the generated server.
"""

from __future__ import annotations

import asyncio
import io
import re
import statistics

from conftest import shared_spec
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.report import REPORT_SEARCHES, print_report, search_result_bytes


def _bytes(line: str) -> int:
    return int(re.search(r"([\d,]+) bytes", line).group(1).replace(",", ""))


def test_search_mode_report_leads_with_what_the_agent_sees(tmp_path, monkeypatch):
    report = build(BuildOptions(spec=shared_spec("github_api_2020.json"), out=tmp_path))
    assert report.api.info.surface.mode == "search"
    out = io.StringIO()
    print_report(report, out=out)
    lines = out.getvalue().splitlines()
    sizes = [i for i, line in enumerate(lines) if " bytes" in line]
    listed, searched, whole = (lines[i] for i in sizes)
    assert "tools/list size" in listed and "search_tools result" in searched
    assert "full catalog" in whole and sizes == sorted(sizes)
    assert _bytes(listed) == report.tools_list_bytes < 5_000
    assert _bytes(whole) == report.catalog_bytes > 100_000
    median, searches = search_result_bytes(report)
    assert _bytes(searched) == median and f"median of {searches} searches" in searched
    # An even spread of at most REPORT_SEARCHES of GitHub's 572 tools: every 6th.
    assert searches == len(report.api.tools[::6]) <= REPORT_SEARCHES

    # The same searches on the generated server: real results of about that size.
    names = [t.name for t in report.api.tools][::40]
    monkeypatch.setenv("GITHUB_API_2020_POLICY", "")
    module = load_server_module(report.out_dir)

    async def search():
        async with Client(module.mcp) as client:
            found = [await client.call_tool("search_tools", {"query": n}) for n in names]
            return [len(r.content[0].text.encode()) for r in found]  # sent once, as text

    real = statistics.median(asyncio.run(search()))
    assert 0.5 * real <= median <= 1.5 * real
