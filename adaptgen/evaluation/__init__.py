"""Deterministic tool-calling evaluation of a generated server (`adaptgen eval FILE...`).

Scenario files (`scenarios`) say what a user asks and which calls answer it; search scoring
(`search`) checks that `search_tools` finds each scenario's first call; replay mode
(`replay`) makes those calls through a real MCP client against the generated server and FastMCP's
plain conversion on the same upstream; agent mode (`agent`) lets a model play them and
`scoring` scores its transcripts; `reports` writes markdown, JSON and HTML; `commands`
decides per file which modes run.
"""
