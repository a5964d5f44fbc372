"""Tool search for search-mode servers: an index made at build time, ranked at run time.

`index.build_index` (build time) turns the IR into `search_index.json`, written beside the
server; `rank.SearchEngine` (run time) answers queries over it and `hits` makes the compact
results. `text`, `synonyms` and `intent` are what both sides share, so an operation and a query
meet on the same words. Nothing imported at run time reaches the planner.
"""

from pathlib import Path

INDEX_FILE = "search_index.json"  # written beside the generated server
# The search surface's own tools (`list_toolsets`, `search_tools`, `call_tool`) as a server's
# tools/list lists them, for the build's report of its size without importing FastMCP;
# `tests/search/test_surface_tools.py` keeps it equal to what `runtime.search` serves
# (`ADAPTGEN_UPDATE_GOLDEN=1` rewrites it).
SURFACE_TOOLS = Path(__file__).with_name("surface-tools.json")
