"""Access: whether the caller may use the tool at all (rules and Cedar, see ../access.py).

Inside identity and rate limit; outside PII, so a refused call never has its tokens turned
back into real values. In front of a search-mode upstream (`adaptgen proxy`) it also filters
the upstream's search results per caller, and decides a call through the upstream's call
proxy as the tool it names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mcp.types import TextContent

from adaptgen.runtime.governance.access import AccessControl, Decision, ToolFacts
from adaptgen.runtime.governance.call import Call, CallNext, Refused
from adaptgen.runtime.governance.policy import AccessPolicy
from adaptgen.runtime.identity import Caller

__all__ = ["Access"]


class Access:
    """`meta_tools`: a search-mode server's search tool and call proxy (see ToolFacts.meta);
    `dispatch_tools`: call proxies whose calls are decided as the tool they name."""

    def __init__(
        self,
        policy: AccessPolicy,
        base_dir: Path | None = None,
        *,
        meta_tools: Iterable[str] = (),
        dispatch_tools: Iterable[str] = (),
    ) -> None:
        self.control = AccessControl(policy, base_dir)
        self.meta_tools = frozenset(meta_tools)
        self.dispatch_tools = frozenset(dispatch_tools)
        self._facts: dict[str, ToolFacts] = {}  # a tool's annotations do not change while up
        # What a proxied upstream's search results said about its hidden tools.
        self.searched_facts: dict[str, ToolFacts] = {}

    def decide(self, caller: Caller, facts: ToolFacts) -> Decision:
        return self.control.decide(caller, facts)

    async def on_call(self, call: Call, call_next: CallNext) -> Any:
        caller = call.caller or Caller()
        facts = call.facts or self._facts.get(call.tool)
        if facts is None:
            tool = await _find_tool(call.context, call.tool)
            if tool is None:
                return await call_next(call)  # unknown tool: FastMCP answers that itself
            meta = call.tool in self.meta_tools
            facts = self._facts[call.tool] = ToolFacts.of(tool, meta=meta)
        self._decided(call, caller, facts)
        if not self.dispatch_tools or not facts.meta:
            return await call_next(call)
        if call.tool not in self.dispatch_tools:
            return self._searched(await call_next(call), caller)
        target = call.arguments.get("name")
        if not isinstance(target, str):
            call.decision = "deny: no tool named"
            raise Refused(f"not allowed: {call.tool} needs the name of a tool", "denied")
        return await self._dispatch(call, call_next, caller, target)

    def _decided(self, call: Call, caller: Caller, facts: ToolFacts) -> None:
        decision = self.control.decide(caller, facts)
        call.decision = str(decision)
        if not decision.allowed:
            raise Refused(f"not allowed: {decision.reason}", "denied")

    async def _dispatch(self, call: Call, call_next: CallNext, caller: Caller, name: str) -> Any:
        """A proxied upstream's call proxy: decided, and audited, as the tool it names.

        The upstream lists only some tools in search mode; the others are known from its search
        results (as their annotations said), and a tool known from neither is taken to write and
        destroy, so only a rule granting both lets a call to it through.
        """
        call.tool = name
        call.dispatched = True
        facts = self.searched_facts.get(name)
        if facts is None:
            tool = await _find_tool(call.context, name)
            facts = ToolFacts.of(tool) if tool is not None else ToolFacts(name, False, True)
        self._decided(call, caller, facts)
        return await call_next(call)

    def _searched(self, result: Any, caller: Caller) -> Any:
        """A proxied upstream's search results: learn each tool's annotations, and show the
        caller only the tools it may use (results in FastMCP's JSON form; others pass as is)."""
        found = _search_results(result)
        if found is None:
            return result
        allowed = []
        for tool in found:
            facts = self.searched_facts.get(tool["name"])
            if facts is None or "annotations" in tool:
                # A listing without annotations (a toolset's names and descriptions) does not
                # replace what a search result said; on its own it reads as a destructive write.
                facts = ToolFacts.of_listing(tool)
                if "annotations" in tool or tool["name"] not in self.searched_facts:
                    self.searched_facts[tool["name"]] = facts
            if self.control.decide(caller, facts).allowed:
                allowed.append(tool)
        result.content = [TextContent(type="text", text=json.dumps(allowed))]
        if getattr(result, "structured_content", None) is not None:
            result.structured_content = {"result": allowed}
        return result


def _search_results(result: Any) -> list[dict[str, Any]] | None:
    """The tool definitions a search tool returned, if it answered in FastMCP's JSON form."""
    blocks = [b for b in getattr(result, "content", None) or [] if isinstance(b, TextContent)]
    if len(blocks) != 1:
        return None
    try:
        found = json.loads(blocks[0].text)
    except ValueError:
        return None
    if isinstance(found, list) and all(
        isinstance(t, dict) and isinstance(t.get("name"), str) for t in found
    ):
        return found
    return None


async def _find_tool(context: Any, name: str) -> Any:
    server = getattr(context, "fastmcp", None)
    if server is None:
        return None
    try:
        return await server.get_tool(name)
    except Exception:  # noqa: BLE001 - not found / not visible: let FastMCP answer
        return None
