"""`adaptgen suggest`: the hints that make a spec agent-ready, written for a human to review.

Everything suggested comes from the spec (and, with samples, from recorded traffic): operations,
fields and parameters are only ever ones the spec declares. Each suggestion carries a one-line
`# why`. Chains are suggested commented out: they add tools, so a human opts in. The output is
deterministic (spec order, no clocks, no randomness).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from adaptgen import __version__
from adaptgen.hints import load_hints
from adaptgen.readiness.context import Context, Operation, analyse, api_name, load
from adaptgen.readiness.coverage import parse
from adaptgen.readiness.fields import ITEMS, Field, jsonpath
from adaptgen.readiness.rules import outermost
from adaptgen.readiness.samples import FieldStats, Samples, read_samples
from adaptgen.readiness.vocabulary import (
    KEEP_ORDER,
    is_blob,
    is_history,
    is_html,
    is_hypermedia,
    is_identifier,
    is_internal,
    is_noise,
    is_payload,
    looks_personal,
    marked_personal,
    primary,
    worth_keeping,
)
from adaptgen.words import sentences, snake_words

KEEP_FROM = 8  # records with more direct fields than this get a keep list
MAX_KEPT = 12  # a record an agent reads at a glance
PER_KIND = 3  # e.g. three names of a person are enough (full, first, last)
MIN_KEPT = 2  # fewer worth-keeping fields than this: drop the noise instead of keeping
BIG_VALUE = 2000  # bytes: a sampled field this big on average is not kept (unless an id)
_EXCLUDE_WORDS = {"admin", "internal", "debug", "test", "deprecated", "legacy", "private"}
_PERSON_WORDS = {"contact", "contacts", "user", "users", "people", "person", "persons"}
_PERSON_WORDS |= {"member", "members", "customer", "customers", "lead", "leads", "employee"}
_PERSON_WORDS |= {"employees", "patient", "patients", "candidate", "candidates", "profile"}


@dataclass(frozen=True)
class Item:
    """One suggested value (a JSONPath, an operationId, a text) and why."""

    value: str
    why: str


@dataclass
class ToolSuggestion:
    """What to hint for one operation."""

    op: Operation
    description: Item | None = None
    keep: list[Item] = field(default_factory=list)
    drop: list[Item] = field(default_factory=list)
    pii: list[Item] = field(default_factory=list)
    paginate: list[str] = field(default_factory=list)  # commented-out lines, for a human

    def __bool__(self) -> bool:
        return bool(self.description or self.keep or self.drop or self.pii or self.paginate)


@dataclass
class Suggestions:
    """Everything suggested for one spec."""

    spec: str
    drop: list[Item] = field(default_factory=list)
    exclude: list[Item] = field(default_factory=list)
    tools: list[ToolSuggestion] = field(default_factory=list)
    chains: list[tuple[str, Operation, Operation]] = field(default_factory=list)


def suggest(spec_path: Path, *, samples: Path | None = None, format: str = "hints") -> str:
    """The suggested hints file (or Overlay) for `spec_path`, as text."""
    spec = load(spec_path)
    ctx = analyse(spec, load_hints(None), api_name(spec_path))
    routes = [(op.label, op.method.upper(), op.path) for op in ctx.operations]
    recorded = read_samples(samples, routes) if samples is not None else Samples()
    found = collect(ctx, recorded, str(spec_path))
    return overlay_text(found) if format == "overlay" else hints_text(found)


def collect(ctx: Context, samples: Samples, spec: str) -> Suggestions:
    """Decide every suggestion (no text yet)."""
    found = Suggestions(spec)
    found.exclude = [item for op in ctx.operations if (item := _exclusion(op))]
    excluded = {item.value for item in found.exclude}
    operations = [op for op in ctx.operations if op.op_id and op.op_id not in excluded]
    found.drop = _common_noise(operations)
    common = {item.value for item in found.drop}
    for op in operations:
        stats = samples.stats((op.label, op.tool.name))
        tool = _tool(ctx, op, common, stats)
        if tool:
            found.tools.append(tool)
    found.chains = _chains(operations)
    return found


def _exclusion(op: Operation) -> Item | None:
    """Operations that look internal, admin-only or deprecated (but are not marked so)."""
    if not op.op_id:
        return None
    if op.op.get("x-internal") is True:
        return Item(op.op_id, "marked x-internal")
    segments = [w for s in op.path.split("/") if s and "{" not in s for w in snake_words(s)]
    words = set(segments) | {w for t in op.tool.tags for w in snake_words(t)}
    hit = sorted(words & _EXCLUDE_WORDS)
    if hit:
        return Item(op.op_id, f"{hit[0]}-looking operation ({op.method.upper()} {op.path})")
    text = f"{op.op.get('summary') or ''} {op.op.get('description') or ''}".lower()
    if text.lstrip().startswith("deprecated") or "this endpoint is deprecated" in text:
        return Item(op.op_id, "its summary or description says it is deprecated")
    return None


def _common_noise(operations: list[Operation]) -> list[Item]:
    """Noise fields that several operations carry, dropped everywhere by name (`$..name`)."""
    counts: dict[str, int] = {}
    kept_somewhere: set[str] = set()
    for op in operations:
        noise = [f for f in op.fields if is_noise(f) and not op.takes_back(f)]
        names = {f.name for f in outermost(noise) if f.plain}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        kept_somewhere |= {f.name for f in op.fields if not is_noise(f) or op.takes_back(f)}
    common = sorted(n for n, c in counts.items() if c >= 2 and n not in kept_somewhere)
    return [Item(f"$..{n}", f"noise in {counts[n]} operations' responses") for n in common]


def _tool(ctx: Context, op: Operation, common: set[str], stats: dict) -> ToolSuggestion:
    tool = ToolSuggestion(op)
    if (
        not str(op.op.get("summary") or "").strip()
        and not str(op.op.get("description") or "").strip()
    ):
        why = "the spec has no summary or description; written from its method, path and fields"
        tool.description = Item(op.tool.description, why)
    if op.method == "get":
        _shape(op, common, stats, tool)
    else:  # a write's answer is often the whole record: its personal data too
        fields = [f for f in op.record_fields if f.plain]
        tool.pii = _pii(op, op.record, fields, fields)
    tool.paginate = _paging(ctx, op)
    return tool


def _record(op: Operation) -> tuple[tuple[str, ...], list[Field]]:
    """The record as the planner pages it (keep paths must sit under its items), else ours."""
    pagination = op.tool.pagination
    if pagination is not None and pagination.items:
        steps = parse(pagination.items)
        if steps is None or any(kind != "child" for kind, _ in steps):
            return (), []
        path = (*(name for _, name in steps), ITEMS)
        if pagination.items == "$":
            path = (ITEMS,)
        return path, [f for f in op.fields if len(f.path) == len(path) + 1 and f.path[:-1] == path]
    return op.record, op.record_fields


def _shape(op: Operation, common: set[str], stats: dict, tool: ToolSuggestion) -> None:
    record, fields = _record(op)
    fields = [f for f in fields if f.plain]
    noisy = [
        f for f in fields if is_noise(f) and not op.takes_back(f) and f"$..{f.name}" not in common
    ]
    if len(fields) <= KEEP_FROM and not noisy:
        tool.pii = _pii(op, record, fields, fields)
        return
    ranked: list[tuple[int, Field, str]] = []
    for f in fields:
        why = _keep_reason(f, op, stats)
        if why is None:
            continue
        if f.kind == "object" and not is_payload(f):
            children = [
                c
                for c in op.fields
                if len(c.path) == len(f.path) + 1 and c.path[:-1] == f.path and c.plain
            ]
            picked = [c for c in children if worth_keeping(c) in ("identifier", "name or title")]
            rank = _rank(why)
            ranked += [(rank, c, f"{why}: its {worth_keeping(c)}") for c in picked[:2]]
            continue
        ranked.append((_rank(why), f, why))
    # Stable: by kind, the record's main name first, then spec order.
    ranked.sort(key=lambda r: (r[0], not primary(r[1])))
    per_kind: dict[int, int] = {}
    ranked = [r for r in ranked if _counted(per_kind, r[0]) <= PER_KIND][:MAX_KEPT]
    ranked.sort(key=lambda r: fields.index(r[1]) if r[1] in fields else len(fields))
    kept = [Item(f.jsonpath, why) for _, f, why in ranked]
    kept_fields = [f for _, f, _ in ranked]
    if len(kept) >= MIN_KEPT and (len(fields) > KEEP_FROM or noisy):
        tool.keep = kept
        dropped = len(fields) - len(kept_fields)
        if dropped:
            tool.keep[0] = Item(
                kept[0].value, f"{kept[0].why} (keeps {len(kept)} of {len(fields)} fields)"
            )
        tool.pii = _pii(op, record, fields, kept_fields)
        return
    tool.drop = [Item(f.jsonpath, _noise_reason(f)) for f in noisy]
    tool.pii = _pii(op, record, fields, [f for f in fields if f not in noisy])


def _counted(counts: dict[int, int], rank: int) -> int:
    counts[rank] = counts.get(rank, 0) + 1
    return counts[rank]


def _rank(why: str) -> int:
    kind = why.split(",")[0]
    return KEEP_ORDER.index(kind) if kind in KEEP_ORDER else len(KEEP_ORDER)


def _keep_reason(f: Field, op: Operation, stats: dict[tuple[str, ...], FieldStats]) -> str | None:
    why = worth_keeping(f)
    if why is None:
        return None
    seen = stats.get(f.path)
    if seen is not None and seen.seen:
        if not seen.filled:
            return None  # never filled in the recorded traffic
        if seen.mean_bytes > BIG_VALUE and not is_identifier(f):
            return None
        why += f", filled in {seen.filled} of {seen.seen} samples"
    return why


def _noise_reason(f: Field) -> str:
    for test, what in (
        (is_hypermedia, "hypermedia links"),
        (is_history, "audit/history/version block"),
        (is_html, "HTML for a browser"),
        (is_blob, "base64/binary content"),
        (is_internal, "the upstream's bookkeeping"),
    ):
        if test(f):
            return what
    return "noise"


def _pii(
    op: Operation, record: tuple[str, ...], fields: list[Field], shown: list[Field]
) -> list[Item]:
    """Personal data among the fields the agent will see (and below them)."""
    person = bool(set(snake_words(op.path)) & _PERSON_WORDS)
    found: list[Item] = []
    shown_paths = {f.path for f in shown}
    for f in op.fields:
        outer = f.path[: len(record) + 1]
        if outer not in shown_paths or not f.plain:
            continue
        if any(f.path[: len(parse_item(i))] == parse_item(i) for i in found):
            continue
        if marked := marked_personal(f):
            found.append(Item(f.jsonpath, f"the API marks it personal data ({marked})"))
        elif looks_personal(f):
            found.append(Item(f.jsonpath, "looks like personal data (name, format or example)"))
        elif person and is_payload(f):
            found.append(Item(f.jsonpath, "free-form values of a person's record"))
    return found


def parse_item(item: Item) -> tuple[str, ...]:
    """The field path of a suggested JSONPath (only simple child steps are ever suggested)."""
    steps = parse(item.value) or ()
    return tuple(name for _, name in steps)


def _paging(ctx: Context, op: Operation) -> list[str]:
    """A commented paginate template for lists whose paging the planner could not detect."""
    warning = ctx.unknown_paging(op)
    if warning is None:
        return []
    signals = warning.message.split("(paging parameters/fields: ", 1)[-1].split(")")[0]
    names = [s.strip() for s in signals.split(",")]
    params = [n for n in names if not n.startswith("$")]
    fields = [n for n in names if n.startswith("$")]
    record, _ = _record(op)
    items = jsonpath(record[:-1]) if record[-1:] == (ITEMS,) else "$.ITEMS"
    cursor = params[0] if params else "PARAM"
    next_field = fields[0] if fields else "$.NEXT"
    return [
        f"why: paging detection needs help (it saw {signals}); check the style before use",
        f"paginate: {{style: cursor, cursor: {cursor}, next: {next_field}, items: {items}}}",
    ]


def _chains(operations: list[Operation]) -> list[tuple[str, Operation, Operation]]:
    """List -> get-by-id pairs on one resource (`GET /contacts`, `GET /contacts/{id}`)."""
    by_path = {op.path: op for op in operations if op.method == "get"}
    pairs = []
    for path, get in by_path.items():
        parent, _, last = path.rpartition("/")
        if not (last.startswith("{") and last.endswith("}")) or parent not in by_path:
            continue
        listing = by_path[parent]
        if listing.tool.pagination is None and listing.record[-1:] != (ITEMS,):
            continue
        pairs.append((last[1:-1], listing, get))
    return pairs


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _block(tool: ToolSuggestion, indent: str) -> list[str]:
    """A tool's hints as YAML lines (each value with its why), at `indent`."""
    lines: list[str] = []
    if tool.description is not None:
        lines += [
            f"{indent}# why: {tool.description.why}",
            f"{indent}description: {_q(tool.description.value)}",
        ]
    for key in ("keep", "drop", "pii"):
        items: list[Item] = getattr(tool, key)
        if items:
            lines.append(f"{indent}{key}:")
            lines += [f"{indent}  - {_q(i.value)}  # why: {i.why}" for i in items]
    if tool.paginate:
        lines += [f"{indent}# {line}" for line in tool.paginate]
    return lines


def _header(found: Suggestions, kind: str) -> list[str]:
    return [
        f"# {kind} suggested by `adaptgen suggest` {__version__} for {Path(found.spec).name}.",
        "# Review each line: every suggestion says why. Nothing here is in force until you",
        "# commit it; `adaptgen lint` shows what each hint fixes.",
    ]


def hints_text(found: Suggestions) -> str:
    """A hints file (`<spec stem>.hints.yaml`)."""
    lines = [*_header(found, "Hints"), ""]
    if found.drop:
        lines += ["defaults:", "  drop:"]
        lines += [f"    - {_q(i.value)}  # why: {i.why}" for i in found.drop]
        lines.append("")
    if found.exclude:
        lines += ["exclude:", "  operations:"]
        lines += [f"    - {_q(i.value)}  # why: {i.why}" for i in found.exclude]
        lines.append("")
    tools = [t for t in found.tools if t]
    if tools:
        lines.append("tools:")
        for tool in tools:
            lines.append(f"  {_q(tool.op.op_id or '')}:")
            lines += _block(tool, "    ")
        lines.append("")
    lines += _chain_lines(found)
    return "\n".join(lines).rstrip() + "\n"


def _chain_lines(found: Suggestions) -> list[str]:
    if not found.chains:
        return []
    lines = [
        "# Candidate chains (commented out: each adds a tool; uncomment the ones agents need)."
    ]
    lines.append("# chains:")
    for param, listing, get in found.chains:
        name = f"{listing.tool.name}_with_details"[:64]
        lines += [
            f"#   # why: {listing.tool.name} returns the ids {get.tool.name} takes ({{{param}}})",
            f"#   {name}:",
            f"#     description: {_q(_first_sentence(listing.tool.description) + ' Details too.')}",
            "#     steps:",
            f"#       - {{id: list, call: {listing.op_id}, outputs: {{ids: {_ids(listing)}}}}}",
            f"#       - {{id: get, call: {get.op_id}, foreach: $steps.list.outputs.ids, "
            f"with: {{{param}: $item}}}}",
        ]
    return lines


def _ids(listing: Operation) -> str:
    """JSONPath of the ids a list returns (the record's `id`)."""
    record, fields = _record(listing)
    ids = [f for f in fields if worth_keeping(f) == "identifier"]
    return ids[0].jsonpath if ids else jsonpath((*record, "id"))


def _first_sentence(text: str) -> str:
    return sentences(text.split("\n\n", 1)[0])[0].rstrip(".") + "."


def overlay_text(found: Suggestions) -> str:
    """An OpenAPI Overlay adding `x-agent` blocks (top level and per operation)."""
    lines = [
        *_header(found, "An Overlay"),
        "overlay: 1.0.0",
        "info:",
        f"  title: {_q('Agent-readiness hints for ' + Path(found.spec).name)}",
        "  version: 1.0.0",
        "actions:",
    ]
    top: list[str] = []
    if found.drop:
        top += ["        defaults:", "          drop:"]
        top += [f"            - {_q(i.value)}  # why: {i.why}" for i in found.drop]
    if found.exclude:
        top += ["        exclude:", "          operations:"]
        top += [f"            - {_q(i.value)}  # why: {i.why}" for i in found.exclude]
    if top:
        lines += ["  - target: $", "    update:", "      x-agent:", *top]
    tools = [t for t in found.tools if t]
    if not top and not tools:
        # An Overlay needs one action: an empty x-agent block changes nothing.
        lines += ["  - target: $  # why: nothing to suggest", "    update: {x-agent: {}}"]
    for tool in tools:
        path = tool.op.path.replace("\\", "\\\\").replace("'", "\\'")
        lines += [
            f"  - target: {_q(f'$.paths[{chr(39)}{path}{chr(39)}].{tool.op.method}')}",
            "    update:",
            "      x-agent:",
            *_block(tool, "        "),
        ]
    lines += _chain_lines(found)
    return "\n".join(lines).rstrip() + "\n"
