"""Search mode: `search_tools`, `call_tool` and `list_toolsets` instead of a huge tools/list.

The ranking is adaptgen's own (`adaptgen.search`), over the index the build wrote beside the
server. Results are compact: per hit its name, one line of description, its required arguments
with their types and the names of the optional ones; the top hit's full input schema when it is
small, every hit's on request. A search costs an agent about a kilobyte, not a catalog.

Governance is unchanged by any of this: every search and browse sees only the tools the caller
may see (FastMCP runs the tools/list filter for `get_tool_catalog`), and `call_tool` hands each
call to the tool it names, whose own governance decides, tokenizes and audits it as that tool.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastmcp import Context
from fastmcp.exceptions import ToolError
from fastmcp.server.transforms.search.base import BaseSearchTransform
from fastmcp.tools.base import Tool, ToolResult
from mcp.types import TextContent, ToolAnnotations

from adaptgen.search.hits import INLINE_SCHEMA_BYTES, compact, line
from adaptgen.search.rank import SearchEngine
from adaptgen.words import did_you_mean

DEFAULT_HITS = 5
MAX_HITS = 20
TOOLSETS_TOOL = "list_toolsets"
# A search-mode server's own tools (GovernedSearch.meta_tools), known before it is made: the
# governance layer is built first and told about them.
SEARCH_TOOLS = ("search_tools", "call_tool", TOOLSETS_TOOL)
READ_ONLY = ToolAnnotations(readOnlyHint=True)
# Beside the hits when a caller asks for a change but may only read: say why nothing fits.
READ_ONLY_NOTE = (
    "Note: the tools you may use only read (this server's governance policy, or its read-only "
    "default when it has none), so none of these can make a change. Writes are allowed per "
    "caller in the policy."
)

# In place of the hits when the caller may use none of the API's tools: an empty list alone
# reads as "nothing matches".
NO_TOOLS_NOTE = (
    "Note: you may use none of this server's tools (its governance policy, or its read-only "
    "default when it has none, grants you none), so no search finds any. Access is granted per "
    "caller in the policy."
)


class GovernedSearch(BaseSearchTransform):
    """The search surface of a generated server, with the governance layer in the loop.

    The search tools are read-only tools like the others: the caller is identified, rate limited
    and audited. A call to a tool the caller may not use is refused and audited as that tool,
    not answered as an unknown name; a name that is no tool at all gets the nearest names.
    """

    def __init__(
        self,
        governance: Any,
        engine: SearchEngine,
        *,
        max_results: int = DEFAULT_HITS,
        always_visible: Sequence[str] = (),
    ) -> None:
        super().__init__(max_results=max_results, always_visible=list(always_visible))
        self._governance = governance
        self._engine = engine
        self._api_names = frozenset(engine.names)
        self._known = self._api_names | frozenset(always_visible)
        self._made: dict[str, Tool] = {}
        self.meta_tools = frozenset({self._search_tool_name, self._call_tool_name, TOOLSETS_TOOL})

    def warm(self) -> None:
        """Load what the first search would (`SearchEngine.warm`): no caller's search pays it."""
        self._engine.warm()

    async def transform_tools(self, tools: Sequence[Tool]) -> Sequence[Tool]:
        """Pinned tools, then list_toolsets, search_tools and call_tool."""
        listed = list(await super().transform_tools(tools))
        return [*listed[:-2], self._toolsets_tool(), *listed[-2:]]

    async def get_tool(self, name: str, call_next: Any, *, version: Any = None) -> Tool | None:
        if name == TOOLSETS_TOOL:
            return self._toolsets_tool()
        return await super().get_tool(name, call_next, version=version)

    async def _search(self, tools: Sequence[Tool], query: str) -> Sequence[Tool]:
        by_name = {t.name: t for t in tools}
        hits = self._engine.search(query, limit=self._max_results, allowed=by_name)
        return [by_name[h.name] for h in hits]

    def _make_search_tool(self) -> Tool:
        transform = self

        async def search_tools(
            query: Annotated[str, "The task, in your words"],
            limit: Annotated[int, "Most tools to return"] = DEFAULT_HITS,
            schema: Annotated[bool, "Every hit's full input schema"] = False,
            ctx: Context = None,  # type: ignore[assignment]
        ) -> ToolResult:
            """Find tools for a task; call one with call_tool."""
            visible = {t.name: t for t in await transform._get_visible_tools(ctx)}
            count = max(1, min(int(limit), MAX_HITS))
            hits = transform._engine.search(query, limit=count, allowed=visible)
            found = [
                compact(
                    listing(visible[h.name]),
                    None if schema else INLINE_SCHEMA_BYTES if i == 0 else 0,
                )
                for i, h in enumerate(hits)
            ]
            result = _json_result(found)
            if transform._api_names.isdisjoint(visible):
                result.content.append(TextContent(type="text", text=NO_TOOLS_NOTE))
            elif transform._cannot_change(visible.values(), query):
                result.content.append(TextContent(type="text", text=READ_ONLY_NOTE))
            return result

        return self._governed(search_tools, self._search_tool_name)

    def _cannot_change(self, visible: Iterable[Tool], query: str) -> bool:
        """Whether a query asks for a change the caller has no tool for: every tool it may use
        only reads (the policy; with none, the safe default), while the API has writes."""
        seen = False
        for tool in visible:
            if tool.name in self._known:
                if tool.annotations is None or not tool.annotations.read_only_hint:
                    return False  # the caller has a tool that writes: the common case, at once
                seen = True
        return seen and self._engine.changes and self._engine.asks_to_change(query)

    def _make_call_tool(self) -> Tool:
        transform = self

        async def call_tool(
            name: Annotated[str, "A tool name from search_tools"],
            arguments: Annotated[dict[str, Any] | None, "Its arguments"] = None,
            ctx: Context = None,  # type: ignore[assignment]
        ) -> ToolResult:
            """Call a tool found with search_tools."""
            if name in transform.meta_tools:
                raise ToolError(f"{name!r} cannot be called through call_tool")
            if name not in transform._known:
                visible = [t.name for t in await transform._get_visible_tools(ctx)]
                near = transform._engine.nearest(name, allowed=set(visible))
                hint = f"; did you mean {', '.join(near)}?" if near else ""
                raise ToolError(f"Unknown tool {name!r}{hint} (search_tools finds tools)")
            return await ctx.fastmcp.call_tool(name, arguments)

        # Not governed itself: the tool it names is, as that tool.
        return self._governed(call_tool, self._call_tool_name, governed=False)

    def _toolsets_tool(self) -> Tool:
        transform = self

        async def list_toolsets(
            toolset: Annotated[str | None, "List this toolset's tools"] = None,
            ctx: Context = None,  # type: ignore[assignment]
        ) -> ToolResult:
            """Browse tools by group: the toolsets, or one toolset's tools."""
            visible = {t.name: t for t in await transform._get_visible_tools(ctx)}
            sets = transform._engine.toolsets(allowed=visible)
            if toolset is None:
                return _json_result([{"toolset": k, "tools": len(v)} for k, v in sets.items()])
            if toolset not in sets:
                raise ToolError(f"no toolset {toolset!r}{did_you_mean(toolset, list(sets))}")
            return _json_result([line(listing(visible[n])) for n in sets[toolset]])

        return self._governed(list_toolsets, TOOLSETS_TOOL)

    def _governed(self, fn: Any, name: str, *, governed: bool = True) -> Tool:
        """A search-surface tool, made once; read-only and under the governance layer, unless
        it is the call proxy."""
        made = self._made.get(name)
        if made is not None:
            return made
        from adaptgen.runtime.server import GeneratedTool

        tool = GeneratedTool.from_function(
            fn=fn, name=name, annotations=READ_ONLY if governed else None
        )
        tool.governance = self._governance if governed else None
        tool.parameters = _optional_as_absent(tool.parameters)
        self._made[name] = tool
        return tool


def listing(tool: Tool) -> dict[str, Any]:
    """The parts of a tool's tools/list entry a search hit is made of."""
    listed: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description or "",
        "inputSchema": tool.parameters or {},
    }
    if tool.annotations is not None:
        listed["annotations"] = tool.annotations.model_dump(by_alias=True, exclude_none=True)
    return listed


def _optional_as_absent(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None = None` arguments listed as plain optional `X`: leaving one out is the None."""
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        branches = [b for b in prop.get("anyOf", []) if b != {"type": "null"}]
        if prop.get("default", 0) is None and len(branches) == 1:
            prop = {
                **branches[0],
                **{k: v for k, v in prop.items() if k not in ("anyOf", "default")},
            }
        properties[name] = prop
    return {**schema, "properties": properties}


def _json_result(value: Any) -> ToolResult:
    """Compact JSON, sent once (no structured duplicate)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return ToolResult(content=[TextContent(type="text", text=text)])
