"""`adaptgen diff OLD NEW`: what changed for agents between two specs or generated servers.

Each side becomes a catalog: a generated folder's catalog.json, or a spec built in memory exactly
as `adaptgen build` would (hints and Arazzo beside it included). Only what an agent sees is
compared: the listed tools' names, descriptions, annotations and input schemas, parameter by
parameter and into nested objects. A change is breaking when an agent that learned the old
surface can fail on the new one (a tool or parameter gone, a new required parameter, a narrower
type) or act less safely (a tool no longer read-only, newly destructive).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adaptgen.build import BuildOptions, generate
from adaptgen.errors import InputError, Location
from adaptgen.load.source import escape_pointer_token, read_source
from adaptgen.render import CATALOG_FILE

MAX_NESTING = 2  # object levels below a parameter that are compared property by property
EXCERPT_CHARS = 60  # of each side of a changed description

# Annotation values an agent may rely on to act without asking: losing one is breaking.
_PROMISES = {"readOnlyHint": True, "idempotentHint": True, "openWorldHint": False}
# Annotation values that ask an agent for care: gaining one is breaking.
_WARNINGS = {"destructiveHint": True}
# Format changes that only accept more values.
_WIDER_FORMATS = {("int32", "int64"), ("float", "double")}
# Constraints whose larger value accepts more, and whose smaller value does.
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_ABSENT = object()


@dataclass(frozen=True)
class Surface:
    """What agents see of one side: its listed tools by name, and how tools/list is served."""

    label: str
    tools: dict[str, dict[str, Any]]
    search_mode: bool


@dataclass(frozen=True)
class Change:
    """One agent-facing difference between the old and the new surface."""

    kind: str  # e.g. "tool.removed", "param.added", "param.type_changed"
    tool: str | None  # the tool's new name (old name if removed); None for the whole server
    breaking: bool
    detail: str  # one line for people
    param: str | None = None  # "email", nested "address.city", array items "tags[]"
    pointer: str | None = None  # JSON pointer of the parameter in the tool's input schema
    old: Any = None
    new: Any = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tool": self.tool,
            "param": self.param,
            "pointer": self.pointer,
            "breaking": self.breaking,
            "detail": self.detail,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class DiffResult:
    """The changes between two surfaces, sorted: breaking first, then by tool and parameter."""

    old: str
    new: str
    changes: list[Change]

    @property
    def breaking(self) -> int:
        return sum(c.breaking for c in self.changes)

    @property
    def non_breaking(self) -> int:
        return len(self.changes) - self.breaking

    def exit_code(self, fail_on: str) -> int:
        """1 when `--fail-on` says these changes should fail the run, else 0."""
        if fail_on == "breaking":
            return int(self.breaking > 0)
        if fail_on == "any":
            return int(bool(self.changes))
        return 0

    def summary(self) -> str:
        noun = "change" if len(self.changes) == 1 else "changes"
        return f"{self.breaking} breaking, {self.non_breaking} non-breaking {noun}"


# Loading


def load_surface(path: Path, *, no_hints: bool = False) -> Surface:
    """The agent-visible tools of a spec file or a generated server folder."""
    if path.is_dir():
        catalog = _read_catalog(path / CATALOG_FILE)
    elif path.name == CATALOG_FILE:
        catalog = _read_catalog(path)
    else:
        catalog = _build_catalog(path, no_hints=no_hints)
    return catalog_surface(str(path), catalog)


def catalog_surface(label: str, catalog: dict[str, Any]) -> Surface:
    """What a catalog (catalog.json's shape) lists to agents: every tool not hidden."""
    entries = [*catalog["tools"], *catalog.get("chains", [])]
    tools = {e["name"]: e for e in entries if not e.get("hidden")}
    surface = (catalog.get("api") or {}).get("surface") or {}
    return Surface(label, tools, surface.get("mode") == "search")


def _read_catalog(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(
            f"no {CATALOG_FILE} here: expected a spec file or a generated server folder",
            Location(str(path.parent)),
        )
    source = read_source(path)
    tools = source.data.get("tools") if isinstance(source.data, dict) else None
    if not isinstance(tools, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) for e in tools
    ):
        raise InputError("not an adaptgen catalog (no list of named tools)", source.location())
    return source.data


def _build_catalog(spec: Path, *, no_hints: bool) -> dict[str, Any]:
    report = generate(BuildOptions(spec=spec, no_hints=no_hints))
    return json.loads(report.files[CATALOG_FILE])


# Comparing


def diff_surfaces(old: Surface, new: Surface) -> DiffResult:
    """Every agent-facing change from `old` to `new`, sorted deterministically."""
    changes: list[Change] = []
    if old.search_mode != new.search_mode:
        changes.append(_surface_change(new.search_mode))
    removed = sorted(old.tools.keys() - new.tools.keys())
    added = sorted(new.tools.keys() - old.tools.keys())
    renames = _match_renames([old.tools[n] for n in removed], [new.tools[n] for n in added])
    for name in removed:
        if name not in renames:
            changes.append(Change("tool.removed", name, True, "tool removed"))
    for name in added:
        if name not in renames.values():
            entry = new.tools[name]
            changes.append(
                Change("tool.added", name, False, f"new tool: {_excerpt(entry)}", new=name)
            )
    search_mode = old.search_mode or new.search_mode
    for old_name, new_name in sorted(renames.items()):
        entry = new.tools[new_name]
        changes.append(
            Change(
                "tool.renamed",
                new_name,
                True,
                f"renamed from `{old_name}` (same operation {_route(entry)})",
                old=old_name,
                new=new_name,
            )
        )
        changes.extend(_diff_tool(old.tools[old_name], entry, search_mode=search_mode))
    for name in sorted(old.tools.keys() & new.tools.keys()):
        changes.extend(_diff_tool(old.tools[name], new.tools[name], search_mode=search_mode))
    changes.sort(key=lambda c: (not c.breaking, c.tool or "", c.param or "", c.kind, c.detail))
    return DiffResult(old.label, new.label, changes)


def _surface_change(search_mode: bool) -> Change:
    if search_mode:
        detail = "tools/list now shows search_tools and call_tool (and pinned tools) only"
    else:
        detail = "tools/list now shows every tool (was search mode)"
    mode = {True: "search", False: "all"}
    return Change(
        "surface.changed", None, False, detail, old=mode[not search_mode], new=mode[search_mode]
    )


def _upstream_keys(entry: dict[str, Any]) -> list[tuple[str, ...]]:
    """What identifies a tool's upstream operation: its operationId, then method and path."""
    upstream = entry.get("upstream")
    if not isinstance(upstream, dict):
        return []  # composite tools (chains) have no single operation
    keys: list[tuple[str, ...]] = []
    if upstream.get("operation_id"):
        keys.append(("operation_id", str(upstream["operation_id"])))
    if upstream.get("method") and upstream.get("path"):
        keys.append(("route", str(upstream["method"]).upper(), str(upstream["path"])))
    return keys


def _match_renames(removed: list[dict[str, Any]], added: list[dict[str, Any]]) -> dict[str, str]:
    """Old name -> new name for tools that still call the same upstream operation."""
    by_key: dict[tuple[str, ...], str] = {}
    for entry in added:
        for key in _upstream_keys(entry):
            by_key.setdefault(key, entry["name"])
    renames: dict[str, str] = {}
    for entry in removed:
        for key in _upstream_keys(entry):
            match = by_key.get(key)
            if match is not None and match not in renames.values():
                renames[entry["name"]] = match
                break
    return renames


def _route(entry: dict[str, Any]) -> str:
    upstream = entry.get("upstream") or {}
    return f"{str(upstream.get('method', '')).upper()} {upstream.get('path', '')}".strip()


def _diff_tool(old: dict[str, Any], new: dict[str, Any], *, search_mode: bool) -> Iterator[Change]:
    name = new["name"]
    old_text, new_text = old.get("description") or "", new.get("description") or ""
    if old_text.strip() != new_text.strip():
        yield Change(
            "tool.description_changed",
            name,
            False,
            f"description: {_text_change(old_text, new_text)}",
            old=old_text,
            new=new_text,
        )
    yield from _diff_annotations(name, old.get("annotations") or {}, new.get("annotations") or {})
    if search_mode and bool(old.get("pinned")) != bool(new.get("pinned")):
        pinned = bool(new.get("pinned"))
        detail = "now listed in tools/list" if pinned else "now reached through search only"
        yield Change("tool.pinned_changed", name, False, detail, old=not pinned, new=pinned)
    yield from _diff_object(
        name, old.get("input_schema") or {}, new.get("input_schema") or {}, _At(), depth=0
    )


def _diff_annotations(tool: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    for hint in sorted(old.keys() | new.keys()):
        before, after = old.get(hint), new.get(hint)
        if before == after:
            continue
        if hint in _PROMISES:
            breaking = before == _PROMISES[hint]
            why = f" (no longer promises {hint} {_value(_PROMISES[hint])})" if breaking else ""
        elif hint in _WARNINGS:
            breaking = after == _WARNINGS[hint]
            why = " (agents should now ask before calling it)" if breaking else ""
        else:
            breaking, why = False, ""
        yield Change(
            "tool.annotation_changed",
            tool,
            breaking,
            f"{hint} {_value(before)} -> {_value(after)}{why}",
            old=before,
            new=after,
        )


@dataclass(frozen=True)
class _At:
    """Where a schema sits: a readable parameter path and its JSON pointer."""

    param: str = ""
    pointer: str = ""

    def prop(self, name: str) -> _At:
        param = f"{self.param}.{name}" if self.param else name
        return _At(param, f"{self.pointer}/properties/{escape_pointer_token(name)}")

    def items(self) -> _At:
        return _At(f"{self.param}[]", f"{self.pointer}/items")

    def change(
        self, kind: str, tool: str, breaking: bool, detail: str, old: Any, new: Any
    ) -> Change:
        return Change(kind, tool, breaking, detail, self.param, self.pointer, old, new)


def _diff_object(
    tool: str, old: dict[str, Any], new: dict[str, Any], at: _At, *, depth: int
) -> Iterator[Change]:
    """Properties added, removed, made required or optional, and each common one compared."""
    old_props, new_props = _properties(old), _properties(new)
    old_required, new_required = set(old.get("required") or ()), set(new.get("required") or ())
    noun = "parameter" if depth == 0 else "property"
    for name in sorted(old_props.keys() | new_props.keys()):
        here = at.prop(name)
        if name not in new_props:
            was = "required" if name in old_required else "optional"
            detail = f"{noun} removed (was {_type_label(old_props[name])}, {was})"
            yield here.change("param.removed", tool, True, detail, old_props[name], None)
        elif name not in old_props:
            required = name in new_required
            kind = "required" if required else "optional"
            detail = f"new {kind} {noun} ({_type_label(new_props[name])})"
            yield here.change("param.added", tool, required, detail, None, new_props[name])
        else:
            was, now = name in old_required, name in new_required
            if now and not was:
                yield here.change(
                    "param.now_required", tool, True, "optional -> required", False, True
                )
            elif was and not now:
                yield here.change(
                    "param.now_optional", tool, False, "required -> optional", True, False
                )
            yield from _diff_schema(tool, old_props[name], new_props[name], here, depth=depth)


def _diff_schema(
    tool: str, old: dict[str, Any], new: dict[str, Any], at: _At, *, depth: int
) -> Iterator[Change]:
    """One parameter's (or nested property's) schema: type, enum, format, default, limits."""
    old_types, new_types = _types(old), _types(new)
    if old_types != new_types:
        widened = _widens(old_types, new_types)
        detail = f"type {_types_label(old_types)} -> {_types_label(new_types)}"
        yield at.change(
            "param.type_changed",
            tool,
            not widened,
            detail + (" (widened)" if widened else ""),
            _types_label(old_types),
            _types_label(new_types),
        )
    old, new = _unwrap(old), _unwrap(new)
    for check in (_diff_enum, _diff_format, _diff_default, _diff_limits, _diff_description):
        yield from check(tool, old, new, at)
    if depth < MAX_NESTING and "properties" in old and "properties" in new:
        yield from _diff_object(tool, old, new, at, depth=depth + 1)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        yield from _diff_schema(tool, old["items"], new["items"], at.items(), depth=depth)


def _diff_enum(tool: str, old: dict[str, Any], new: dict[str, Any], at: _At) -> Iterator[Change]:
    before, after = old.get("enum"), new.get("enum")
    if before == after:
        return
    if before is None:
        detail = f"now restricted to {_values(after)}"
        yield at.change("param.enum_narrowed", tool, True, detail, None, after)
    elif after is None:
        detail = f"no longer restricted to {_values(before)}"
        yield at.change("param.enum_widened", tool, False, detail, before, None)
    else:
        gone = [v for v in before if v not in after]
        new_values = [v for v in after if v not in before]
        if gone:
            detail = f"enum values removed: {_values(gone)}"
            yield at.change("param.enum_narrowed", tool, True, detail, before, after)
        if new_values:
            detail = f"enum values added: {_values(new_values)}"
            yield at.change("param.enum_widened", tool, False, detail, before, after)


def _diff_format(tool: str, old: dict[str, Any], new: dict[str, Any], at: _At) -> Iterator[Change]:
    before, after = old.get("format"), new.get("format")
    if before == after:
        return
    # Dropping a format, or moving to a wider one, accepts everything that was valid before.
    breaking = after is not None and (before, after) not in _WIDER_FORMATS
    detail = f"format {_value(before)} -> {_value(after)}"
    yield at.change("param.format_changed", tool, breaking, detail, before, after)


def _diff_default(tool: str, old: dict[str, Any], new: dict[str, Any], at: _At) -> Iterator[Change]:
    before, after = old.get("default", _ABSENT), new.get("default", _ABSENT)
    if before == after:
        return
    if before is _ABSENT:
        detail = f"now defaults to {_value(after)}"
    elif after is _ABSENT:
        detail = f"default {_value(before)} removed"
    else:
        detail = f"default {_value(before)} -> {_value(after)}"
    yield at.change(
        "param.default_changed",
        tool,
        False,
        detail,
        None if before is _ABSENT else before,
        None if after is _ABSENT else after,
    )


def _diff_limits(tool: str, old: dict[str, Any], new: dict[str, Any], at: _At) -> Iterator[Change]:
    for key in (*_UPPER_BOUNDS, *_LOWER_BOUNDS, "pattern"):
        before, after = _limit(old, key), _limit(new, key)
        if before == after:
            continue
        if after is None:
            tighter = False
        elif before is None or key == "pattern":
            tighter = True
        else:
            tighter = after < before if key in _UPPER_BOUNDS else after > before
        detail = f"{key} {_value(before)} -> {_value(after)} ({'tighter' if tighter else 'looser'})"
        yield at.change("param.constraint_changed", tool, tighter, detail, before, after)


def _diff_description(
    tool: str, old: dict[str, Any], new: dict[str, Any], at: _At
) -> Iterator[Change]:
    before, after = old.get("description") or "", new.get("description") or ""
    if before.strip() != after.strip():
        detail = f"description: {_text_change(before, after)}"
        yield at.change("param.description_changed", tool, False, detail, before, after)


# Schema reading


def _properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {}
    return {k: v for k, v in props.items() if isinstance(v, dict)}


def _unwrap(schema: dict[str, Any]) -> dict[str, Any]:
    """A nullable `anyOf: [X, null]` read as X (its own keys, like description, kept)."""
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if not isinstance(branches, list):
            continue
        real = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
        if len(real) == 1 and isinstance(real[0], dict):
            outer = {k: v for k, v in schema.items() if k != key}
            return {**real[0], **outer}
    return schema


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema accepts; None when it accepts anything."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(t for t in declared if isinstance(t, str))
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            accepted: set[str] = set()
            for branch in branches:
                types = _types(branch) if isinstance(branch, dict) else None
                if types is None:
                    return None
                accepted |= types
            return frozenset(accepted)
    if isinstance(schema.get("properties"), dict):
        return frozenset({"object"})
    return None


def _widens(old: frozenset[str] | None, new: frozenset[str] | None) -> bool:
    """Whether every value the old types accepted is still accepted (integer is a number)."""
    if new is None:
        return True
    if old is None:
        return False
    return all(t in new or (t == "integer" and "number" in new) for t in old)


def _limit(schema: dict[str, Any], key: str) -> Any:
    value = schema.get(key)
    if key == "pattern":
        return value if isinstance(value, str) else None
    # OpenAPI 3.0's boolean exclusiveMaximum is a modifier, not a bound.
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _types_label(types: frozenset[str] | None) -> str:
    return "any" if types is None else " | ".join(sorted(types)) or "any"


def _type_label(schema: dict[str, Any]) -> str:
    types = _types(schema)
    inner = _unwrap(schema).get("items")
    if types == frozenset({"array"}) and isinstance(inner, dict):
        return f"array of {_type_label(inner)}"
    return _types_label(types)


# Wording


def _value(value: Any) -> str:
    if value is None or value is _ABSENT:
        return "none"
    return json.dumps(value, ensure_ascii=False)


def _values(values: list[Any]) -> str:
    return ", ".join(_value(v) for v in values)


def _excerpt(entry: dict[str, Any]) -> str:
    text = " ".join((entry.get("description") or "").split())
    return _clip(text, EXCERPT_CHARS * 2) or "(no description)"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text_change(old: str, new: str) -> str:
    """The differing words of two texts with a word of context, `…` where shared text was cut."""
    before, after = old.split(), new.split()
    shortest = min(len(before), len(after))
    start = 0
    while start < shortest and before[start] == after[start]:
        start += 1
    end = 0
    while end < shortest - start and before[-1 - end] == after[-1 - end]:
        end += 1
    start, end = max(start - 1, 0), max(end - 1, 0)
    return f"{_words(before, start, end)} -> {_words(after, start, end)}"


def _words(words: list[str], start: int, end: int) -> str:
    middle = _clip(" ".join(words[start : len(words) - end]), EXCERPT_CHARS)
    lead = "…" if start else ""
    trail = "…" if end and not middle.endswith("…") else ""
    return f'"{lead}{middle}{trail}"'


# Output


def render_text(result: DiffResult) -> str:
    """For a terminal: the summary, then the changes grouped by tool, breaking ones marked."""
    if not result.changes:
        return f"no agent-facing changes ({result.old} -> {result.new})\n"
    lines = [f"{result.summary()} ({result.old} -> {result.new})"]
    for tool in sorted({c.tool or "" for c in result.changes}):
        lines.append("")
        lines.append(tool or "(server)")
        for change in (c for c in result.changes if (c.tool or "") == tool):
            mark = "BREAKING" if change.breaking else ""
            where = f"{change.param}: " if change.param else ""
            lines.append(f"  {mark:<9} {where}{change.detail}")
    return "\n".join(lines) + "\n"


def render_markdown(result: DiffResult) -> str:
    """For a PR comment: a heading, the summary, then breaking and other changes as tables."""
    lines = [f"## Agent-facing changes: `{result.old}` → `{result.new}`", ""]
    if not result.changes:
        return "\n".join([*lines, "No agent-facing changes."]) + "\n"
    summary = f"**{result.breaking} breaking**, {result.non_breaking} non-breaking"
    lines.append(f"{summary} {'change' if len(result.changes) == 1 else 'changes'}.")
    for title, breaking in (("⚠️ Breaking changes", True), ("Other changes", False)):
        rows = [c for c in result.changes if c.breaking == breaking]
        if not rows:
            continue
        lines += ["", f"### {title}", "", "| Tool | Parameter | Change |", "| --- | --- | --- |"]
        for change in rows:
            tool = f"`{change.tool}`" if change.tool else "(server)"
            param = f"`{change.param}`" if change.param else ""
            lines.append(f"| {tool} | {param} | {_cell(change.detail)} |")
    return "\n".join(lines) + "\n"


def render_json(result: DiffResult) -> str:
    """For machines: the summary and every change with its kind, flag and old/new values."""
    document = {
        "old": result.old,
        "new": result.new,
        "summary": {"breaking": result.breaking, "non_breaking": result.non_breaking},
        "changes": [c.as_json() for c in result.changes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


RENDERERS: dict[str, Callable[[DiffResult], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}


def run_diff(args: argparse.Namespace) -> int:
    """`adaptgen diff`: print the change report; exit 1 when `--fail-on` is met."""
    old = load_surface(args.old, no_hints=args.no_hints)
    new = load_surface(args.new, no_hints=args.no_hints)
    if args.old_label:
        old = dataclasses.replace(old, label=args.old_label)
    if args.new_label:
        new = dataclasses.replace(new, label=args.new_label)
    result = diff_surfaces(old, new)
    print(RENDERERS[args.format](result), end="")
    return result.exit_code(args.fail_on)
