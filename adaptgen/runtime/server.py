"""Wiring a generated server: catalog.json + the typed tool functions -> a FastMCP server."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_context
from fastmcp.tools.base import ToolResult
from fastmcp.tools.function_tool import FunctionTool
from mcp.types import ImageContent, TextContent, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import Field

from adaptgen.runtime.auth import build_flows
from adaptgen.runtime.binary import BinaryAnswer
from adaptgen.runtime.catalog import CATALOG_FILE, Catalog, ChainTool, Tool
from adaptgen.runtime.chain import ChainError, run_chain
from adaptgen.runtime.governance.call import Call
from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.lean import READING_NOTE, lean
from adaptgen.runtime.locations import Readers
from adaptgen.runtime.paginate import share_cursor_key
from adaptgen.runtime.results import InvalidCursor, Outcome, Redactor, run_operation
from adaptgen.runtime.served_schema import marked_names, served_output_schema
from adaptgen.runtime.session_state import GeneratedServer
from adaptgen.runtime.shape import fit, select, to_json
from adaptgen.runtime.upstream import Upstream, UpstreamError, explicit_nulls
from adaptgen.search import INDEX_FILE

F = TypeVar("F", bound=Callable[..., Any])
STRUCTURED_CONTENT_SINCE = "2025-06-18"  # the MCP version that added structuredContent
# The redactor of the tool call running now: the one hop that cannot be an argument, from
# GeneratedTool.run through the generated function (whose signature is the tool's) to `call`.
_REDACTOR: ContextVar[Redactor | None] = ContextVar("adaptgen_redactor", default=None)


class GeneratedApi:
    """One generated API: its FastMCP server, its upstream client and its catalog."""

    def __init__(self, catalog: Catalog, search_index: dict[str, Any] | None = None) -> None:
        api = catalog.info
        self.catalog = catalog
        self.name: str = api.name
        self._tools: dict[str, Tool | ChainTool] = {
            tool.name: tool for tool in (*catalog.tools, *catalog.chains)
        }
        self._operations = {tool.name: tool for tool in catalog.tools}
        self._readers = Readers(catalog.tools)  # which tool reads what a `Location` names
        self.upstream = Upstream(
            base_url=api.base_url,
            env_prefix=api.env_prefix,
            schemes={s.name: s for s in api.security_schemes},
            security=api.security,
            server_url=api.server_url,
            server_variables=api.server_variables,
        )
        self.upstream.flows = build_flows(api.auth, self.upstream, self._operations)
        # Called with (tool name, Outcome) after every successful call: audit, benchmarks.
        self.observers: list[Callable[[str, Outcome], None]] = []
        self.server = GeneratedServer(name=api.title, instructions=_instructions(catalog))
        # The governance stack is on unless the operator turns it off (benchmarks do).
        self.governance: Governance | None = None
        search_mode = api.surface.mode == "search"
        meta_tools: tuple[str, ...] = ()
        if search_mode:  # search is imported only by the servers that search (cold starts)
            from adaptgen.runtime.search import SEARCH_TOOLS as meta_tools
        if os.environ.get("ADAPTGEN_GOVERNANCE", "on").lower() != "off":
            self.governance = Governance.from_env(
                self.name,
                api.env_prefix,
                pii_fields=_pii_fields(catalog.tools),
                record_fields=_record_fields(catalog.tools),
                tools_redact=True,  # GeneratedTool shapes with the call's redactor
                meta_tools=meta_tools,
            )
            # Tools run the call chain themselves (GeneratedTool.run): the middleware only
            # filters tools/list, so a call pays no FastMCP dispatch for governance.
            for middleware in self.governance.middleware(calls=False):
                self.server.add_middleware(middleware)
            if self.governance.shared_key is not None:
                # Cursors made by one instance then work on every other (Lambda scales out).
                share_cursor_key(api.env_prefix, self.governance.shared_key)
        if search_mode:
            # Huge APIs: tools/list shows search_tools, call_tool and list_toolsets (plus
            # pinned tools); every tool stays callable by name.
            if search_index is None:  # a catalog written without its index beside it
                from adaptgen.search.index import build_index

                # By words only: such a server's package may not have the word-meaning table.
                search_index = build_index(catalog)
            from adaptgen.runtime.search import GovernedSearch
            from adaptgen.search.rank import SearchEngine

            pinned = [t.name for t in catalog.tools if t.pinned]
            search = GovernedSearch(
                self.governance,
                SearchEngine(search_index),
                max_results=api.surface.max_results,
                always_visible=pinned,
            )
            self.server.add_transform(search)

    @classmethod
    def from_catalog(cls, module_file: str | Path) -> GeneratedApi:
        """Load the catalog (and search index, if any) that sit beside a generated `server.py`."""
        path = Path(module_file).with_name(CATALOG_FILE)
        index = path.with_name(INDEX_FILE)
        return cls(
            Catalog.read(path),
            json.loads(index.read_text(encoding="utf-8")) if index.is_file() else None,
        )

    def tool(self, name: str) -> Callable[[F], F]:
        """Register a generated function as the catalog's tool `name`.

        The agent-facing schema is the catalog's (the exact, client-safe schema the planner
        made); the function's type hints still validate arguments before any request is sent.
        """
        entry = self._tools[name]

        def register(fn: F) -> F:
            annotations = ToolAnnotations(**entry.annotations) if entry.annotations else None
            output_schema = entry.output_schema if isinstance(entry, Tool) else None
            if output_schema is not None and isinstance(entry, Tool):
                output_schema = served_output_schema(output_schema, self._pii_marked(entry))
            tool = GeneratedTool(
                governance=self.governance,
                fn=fn,
                name=name,
                description=entry.description,
                parameters=entry.input_schema,
                output_schema=output_schema,
                annotations=annotations,
                defaults={p.name: p.default_from for p in entry.params if p.default_from},
            )
            self.server.add_tool(tool)
            return fn

        return register

    def _pii_marked(self, entry: Tool) -> frozenset[str]:
        """The field names whose values come back as PII tokens, whatever their type."""
        governance = self.governance
        if governance is None or governance.tokenizer is None:
            return frozenset()
        return marked_names([*entry.pii, *governance.policy.pii.fields])

    async def call(self, name: str, /, **arguments: Any) -> ToolResult:
        """Run tool `name`: upstream request(s), paging and shaping; the result the agent reads."""
        redactor = _REDACTOR.get()
        entry = self._tools[name]
        if isinstance(entry, ChainTool):
            outcome = await self.run_chain(name, arguments, redactor)
        else:
            outcome = await self.run(name, arguments, redactor)
        data = outcome.data
        if isinstance(data, BinaryAnswer):
            return binary_result(data, withheld=redactor is not None)
        if isinstance(entry, Tool) and entry.output_schema is not None:
            return to_structured_result(data, text_too=self._client_needs_text())
        return to_result(lean(data) if entry.shape.compact else data)

    def _client_needs_text(self) -> bool:
        """Whether a structured result must also go out as text.

        `<PREFIX>_STRUCTURED_TEXT` = always | never | auto (default). In auto, text goes only to
        clients whose negotiated MCP version predates structured content (2025-06-18).
        """
        mode = os.environ.get(f"{self.upstream.env_prefix}_STRUCTURED_TEXT", "auto").lower()
        if mode in ("always", "never"):
            return mode == "always"
        try:
            version = get_context().request_context.protocol_version
        except Exception:  # noqa: BLE001 - no request context: be generous
            return True
        return not version or str(version) < STRUCTURED_CONTENT_SINCE

    async def run_chain(
        self, name: str, arguments: dict[str, Any], redactor: Redactor | None = None
    ) -> Outcome:
        """A composite tool: its steps, then the shaped output (`redactor`: see run_operation)."""
        entry = self._tools[name]
        assert isinstance(entry, ChainTool)
        # Declared but not given: None, so the steps leave that argument out.
        declared = entry.input_schema.get("properties", {})
        inputs = {k: arguments.get(k, declared[k].get("default")) for k in declared}
        try:
            async with self.upstream.deadline():  # one limit for every step of the chain
                done = await run_chain(name, entry.chain, inputs, self.upstream, self._operations)
        except (ChainError, UpstreamError) as exc:
            raise ToolError(str(exc)) from None
        spec = entry.shape
        selected = select(done.data, spec, whole_response=True)
        if redactor is not None:  # the steps used real values; only what the model reads changes
            selected = redactor.whole(selected)
        fitted = fit(selected, spec.max_tokens, reserve=60)
        data = fitted.data
        if fitted.cuts:
            note = f"Cut to fit the {spec.max_tokens}-token budget."
            data = (
                {**data, "_note": note}
                if isinstance(data, dict)
                else {"items": data, "_note": note}
            )
        outcome = Outcome(data, done.upstream_bytes, done.upstream_calls)
        for observe in self.observers:
            observe(name, outcome)
        return outcome

    async def run(
        self, name: str, arguments: dict[str, Any], redactor: Redactor | None = None
    ) -> Outcome:
        """Like `call`, returning the shaped data and upstream figures (for benchmarks, audit)."""
        try:
            tool = self._operations[name]
            async with self.upstream.deadline():  # one limit for every page of the call
                outcome = await run_operation(
                    self.upstream,
                    tool,
                    arguments,
                    tool.shape,
                    tool.pagination,
                    redactor,
                    self._readers,
                )
        except InvalidCursor as exc:
            raise RefusedCursor(str(exc)) from None
        except UpstreamError as exc:
            raise ToolError(str(exc)) from None
        for observe in self.observers:
            observe(name, outcome)
        return outcome


class RefusedCursor(ToolError):
    """A forged, altered or foreign cursor: refused, and audited as a denied call."""

    audit_status = "denied"
    audit_decision = "deny: invalid cursor"


class GeneratedTool(FunctionTool):
    """A function tool whose listing carries only what the catalog says.

    FastMCP would add a title made from the name and an empty tag block to every tool; on a
    large API that is kilobytes of tools/list that tell the agent nothing.
    """

    governance: Any = Field(default=None, exclude=True)
    # A body field left out that takes a path argument's value (`Param.default_from`), by
    # name: filled here, before the governance layer, so argument rules, the PII layer and
    # the audit see the value the upstream gets.
    defaults: dict[str, str] = Field(default_factory=dict, exclude=True)

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        arguments = _lenient(arguments, self.parameters)
        if filled := {
            name: arguments[source]
            for name, source in self.defaults.items()
            if name not in arguments and arguments.get(source) is not None
        }:
            arguments = arguments | filled
        if self.governance is None:
            with explicit_nulls(arguments):
                return await super().run(arguments)
        return await self.governance.run_call(self.name, arguments, self._governed)

    async def _governed(self, call: Call) -> ToolResult:
        """The tool on the governed call's arguments, shaping with its redactor (if any)."""
        token = _REDACTOR.set(call.redactor)
        try:
            with explicit_nulls(call.arguments):
                return await super().run(call.arguments)
        finally:
            _REDACTOR.reset(token)

    def to_mcp_tool(self, **overrides: Any) -> MCPTool:
        tool = super().to_mcp_tool(**overrides)
        if self.title is None and "title" not in overrides:
            tool.title = None
        if tool.meta == {"fastmcp": {"tags": []}}:
            tool.meta = None
        return tool


def _pii_fields(tools: tuple[Tool, ...]) -> dict[str, list[str]]:
    """PII JSONPaths per tool, in terms of the result the agent gets."""
    fields: dict[str, list[str]] = {}
    for tool in tools:
        paths = list(tool.pii)
        if tool.pagination is not None:
            # Item-relative (`$.email`) inside the paginated envelope's items.
            paths = ["$.items[*]" + p[1:] for p in paths]
        if paths:
            fields[tool.name] = paths
    return fields


def _record_fields(tools: tuple[Tool, ...]) -> dict[str, list[str]]:
    """PII JSONPaths per paginated tool, relative to one record."""
    return {t.name: list(t.pii) for t in tools if t.pagination is not None and t.pii}


def _lenient(arguments: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """What agents often send, taken as they meant it, before the arguments are checked
    (`_meant`); anything else goes to validation as it came, and is refused there."""
    properties = schema.get("properties", {})
    fixed = dict(arguments)
    for name, value in arguments.items():
        wanted = properties.get(name)
        if isinstance(wanted, dict):
            fixed[name] = _meant(value, wanted)
    return fixed


def _meant(value: Any, schema: dict[str, Any]) -> Any:
    """`value` as an argument of `schema` meant it:

    - a number where only a string is wanted (ids as 7 for "7");
    - an array or object sent as its JSON text (`'["a","b"]'`, `'{"team":"ops"}'`), as some
      clients and models send every structured argument;
    - one value where only an array of such values is wanted (`"urgent"` for `["urgent"]`; not
      a text with a comma, which may be one value or several);
    - an enum's value in another case (`"high"` for `"HIGH"`), where exactly one value matches.
    """
    if value is None or isinstance(value, bool):
        return value
    types = _types(schema)
    if isinstance(value, int | float) and "string" in types and not types & _NUMBERS:
        return str(value)
    if isinstance(value, str) and types & _STRUCTURED and "string" not in types:
        text = value.strip()
        if text[:1] in ("[", "{"):
            with contextlib.suppress(ValueError, RecursionError):
                parsed = json.loads(text)
                if ("array" in types and isinstance(parsed, list)) or (
                    "object" in types and isinstance(parsed, dict)
                ):
                    value = parsed
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        return [_meant(item, items) for item in value]
    if types - {"null"} == {"array"} and isinstance(value, str | int | float):
        if isinstance(value, str) and "," in value:
            return value  # "a,b": one value or two? refused, for the agent to say
        return [_meant(value, items if isinstance(items, dict) else {})]
    if isinstance(value, str):
        values = _enum(schema)
        if values and value not in values:
            same = [v for v in values if isinstance(v, str) and v.casefold() == value.casefold()]
            if len(same) == 1:
                return same[0]
    return value


_NUMBERS = frozenset({"integer", "number"})
_STRUCTURED = frozenset({"array", "object"})


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows, its `anyOf`/`oneOf` members' included."""
    kind = schema.get("type")
    types = {kind} if isinstance(kind, str) else {k for k in kind or () if isinstance(k, str)}
    for key in ("anyOf", "oneOf"):
        for member in schema.get(key) or ():
            if isinstance(member, dict):
                types |= _types(member)
    return types


def _enum(schema: dict[str, Any]) -> list[Any]:
    """The values a schema (or its `anyOf`/`oneOf` members) lists."""
    values = list(schema.get("enum") or ())
    for key in ("anyOf", "oneOf"):
        for member in schema.get(key) or ():
            if isinstance(member, dict):
                values += _enum(member)
    return values


def to_structured_result(data: Any, *, text_too: bool) -> ToolResult:
    """Shaped data as structured content, with the same JSON as text when asked to, and when
    it holds an integer a JavaScript client cannot hold exactly: past 2^53 (Twitter's and
    Discord's ids as numbers, a 19-digit Zoho record id), `JSON.parse` keeps only the first
    digits, and an agent that reads them back calls with another id. The text keeps them."""
    text_too = text_too or _past_safe_integers(data)
    content = [TextContent(type="text", text=to_json(data))] if text_too else []
    return ToolResult(content=content, structured_content=data)


SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER


def _past_safe_integers(data: Any) -> bool:
    """Whether `data` holds an integer JavaScript cannot represent exactly."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > SAFE_INTEGER:
            return True
    return False


def binary_result(answer: BinaryAnswer, *, withheld: bool = False) -> ToolResult:
    """An answer that is not text: what it is, and the image itself when a client shows it
    and the caller's personal data is not tokenized (`withheld`)."""
    content: list[Any] = [TextContent(type="text", text=answer.summary(withheld))]
    if answer.showable and not withheld:
        content.append(
            ImageContent(type="image", data=answer.image(), mime_type=answer.content_type)
        )
    return ToolResult(content=content)


def to_result(data: Any) -> ToolResult:
    """Shaped data as compact JSON text (text as is), sent once: no duplicate structured copy."""
    text = data if isinstance(data, str) else to_json(data)
    return ToolResult(content=[TextContent(type="text", text=text)])


def _instructions(catalog: Catalog) -> str | None:
    """The API's first paragraph (the spec's full prose stays in the catalog), then how to read
    lean results when a tool sends them: said once here, not in every tool's description."""
    description = catalog.info.description.strip()
    parts = [description.split("\n\n", 1)[0]] if description else []
    if any(t.shape.compact and t.output_schema is None for t in catalog.tools):
        parts.append(READING_NOTE)
    return "\n\n".join(parts) or None
