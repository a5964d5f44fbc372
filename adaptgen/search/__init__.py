"""Tool search for search-mode servers: an index made at build time, ranked at run time.

`index.build_index` (build time) turns the IR into `search_index.json`, written beside the
server; `rank.SearchEngine` (run time) answers queries over it and `hits` makes the compact
results. `text`, `synonyms` and `intent` are what both sides share, so an operation and a query
meet on the same words. Nothing imported at run time reaches the planner.
"""

INDEX_FILE = "search_index.json"  # written beside the generated server
