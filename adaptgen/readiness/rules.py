"""The lint rules: each looks at one concern of one operation (or of the whole API).

Every rule reads the planned tool and the fields that survive its hints, so a hint that fixes a
problem makes its finding disappear without any rule knowing about hints.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from adaptgen.plan.names import MAX_TOOL_NAME, name_flags
from adaptgen.plan.pagination import UNKNOWN_PAGING
from adaptgen.readiness.context import Context, Operation
from adaptgen.readiness.fields import ITEMS, Field, FieldWalker, success_response
from adaptgen.readiness.findings import Finding
from adaptgen.readiness.vocabulary import (
    DEEP_RECORD,
    WIDE_RECORD,
    is_blob,
    is_history,
    is_html,
    is_huge_enum,
    is_hypermedia,
    is_internal,
    looks_personal,
    marked_personal,
)
from adaptgen.words import snake_words

OperationCheck = Callable[[Context, Operation], Iterator[Finding]]
ApiCheck = Callable[[Context], Iterator[Finding]]
SEARCH_THRESHOLD = 40  # tools; the search surface's default threshold
_SHOWN = 4  # field names quoted in one message
_IDEMPOTENCY = re.compile(r"idempoten|client_?token|client_?request|request_?id|dedup", re.I)
_READ_BY_POST = {"search", "query", "find", "lookup", "list", "get", "read", "count", "batch"}
_FILLER = {"a", "an", "the", "of", "by", "for", "and", "or", "to", "s"}
_LOGIN_WORDS = {"login", "signin", "session", "sessions", "token", "tokens", "authenticate"}


def _names(fields: list[Field]) -> str:
    names = list(dict.fromkeys(f.name for f in fields))
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def _finding(rule: str, message: str, op: Operation, field: Field | None, ctx: Context) -> Finding:
    where = field.source.location(field.pointer) if field else ctx.location(op.pointer)
    return Finding(rule, f"{op.label}: {message}", where, op.label)


def outermost(fields: list[Field]) -> list[Field]:
    """Leave out fields inside another one of the list (`_links.self.href` is `_links`)."""
    seen = {f.path for f in fields}
    return [f for f in fields if not any(f.path[:n] in seen for n in range(1, len(f.path)))]


def descriptions(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR001/AR002: agents pick tools by their words."""
    if op.hint is not None and op.hint.description:
        return
    summary = str(op.op.get("summary") or "").strip()
    description = str(op.op.get("description") or "").strip()
    if not summary and not description:
        yield _finding("AR001", "no summary or description", op, None, ctx)
        return
    own = set(snake_words(op.op_id or "")) | set(snake_words(op.path)) | {op.method}
    said = [w for w in snake_words(f"{summary} {description}") if w not in _FILLER]
    if len(said) < 2 or not set(said) - own:
        key = "summary" if summary else "description"
        text = summary or description
        where = ctx.location(f"{op.pointer}/{key}")
        yield Finding("AR002", f"{op.label}: {key} {text!r} says nothing new", where, op.label)


def noise(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR012-AR015, AR017: parts of the response no agent reads."""
    alive = [f for f in op.fields if op.survives(f) and not op.takes_back(f)]
    checks = (
        ("AR012", is_hypermedia, "hypermedia links"),
        ("AR013", is_history, "audit/history/version blocks"),
        ("AR014", is_html, "HTML"),
        ("AR015", is_blob, "base64/binary content"),
        ("AR017", is_internal, "internal bookkeeping"),
    )
    for rule, test, what in checks:
        found = [f for f in alive if test(f)]
        found = outermost(found)
        if found:
            yield _finding(rule, f"{what} in the response: {_names(found)}", op, found[0], ctx)


def size(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR010/AR011: records wider or deeper than an agent needs."""
    record = [f for f in op.record_fields if op.survives(f)]
    if len(record) > WIDE_RECORD:
        yield _finding(
            "AR010",
            f"each record has {len(record)} fields (more than {WIDE_RECORD})",
            op,
            record[0],
            ctx,
        )
    base = len([p for p in op.record if p != ITEMS])
    deep = [f for f in op.fields if op.survives(f) and f.depth - base > DEEP_RECORD]
    if deep:
        deepest = max(deep, key=lambda f: f.depth)
        yield _finding(
            "AR011",
            f"fields nest {deepest.depth - base} levels deep ({deepest.jsonpath})",
            op,
            deepest,
            ctx,
        )


def enums(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR016: enums too long to weigh, in arguments or in results."""
    params = [p for p in op.tool.upstream.params if is_huge_enum(p.schema_)]
    fields = [f for f in op.fields if op.survives(f) and is_huge_enum(f.schema)]
    if params:
        names = ", ".join(p.name for p in params)
        yield _finding("AR016", f"argument(s) with over 50 enum values: {names}", op, None, ctx)
    elif fields:
        yield _finding(
            "AR016", f"fields with over 50 enum values: {_names(fields)}", op, fields[0], ctx
        )


def personal_data(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR040: personal data the PII layer is not told about."""
    found = [
        f
        for f in op.fields
        if (looks_personal(f) or marked_personal(f))
        and op.survives(f)
        and not op.coverage.marks_pii(f.path)
    ]
    found = outermost(found)
    if found:
        yield _finding(
            "AR040", f"personal data without a pii hint: {_names(found)}", op, found[0], ctx
        )


def paging(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR030: the planner could not tell how the list pages."""
    warning = ctx.unknown_paging(op)
    if warning is not None:
        yield Finding("AR030", warning.message, warning.location, op.label)


def names(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR050-AR052: tool names an agent (or a client) stumbles on."""
    if op.hint is not None and op.hint.name:
        return
    where = ctx.location(f"{op.pointer}/operationId") if op.op_id else ctx.location(op.pointer)
    if op.op_id and len(op.op_id) > MAX_TOOL_NAME:
        message = f"operationId is {len(op.op_id)} characters; the tool is {op.tool.name!r}"
        yield Finding("AR050", f"{op.label}: {message}", where, op.label)
    base = re.sub(r"_\d+$", "", op.tool.name)
    if base != op.tool.name and any(t.name == base for t in ctx.api.tools):
        message = f"tool name {base!r} is taken by another operation; this one is {op.tool.name!r}"
        yield Finding("AR051", f"{op.label}: {message}", where, op.label)
    flags = name_flags(op.tool.name, op.method, op.path)
    if flags:
        message = f"tool name {op.tool.name!r} is {' and '.join(flags)}"
        yield Finding("AR052", f"{op.label}: {message}", where, op.label)


def idempotency(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR060: a create that a retry could repeat."""
    if op.method != "post":
        return
    words = set(snake_words(op.op_id or "")) | set(snake_words(op.path.rsplit("/", 1)[-1]))
    if words & (_READ_BY_POST | _LOGIN_WORDS):
        return
    if any(_IDEMPOTENCY.search(p.api_name or p.name) for p in op.tool.upstream.params):
        return
    if any(_IDEMPOTENCY.search(f.api_name) for f in op.tool.upstream.fixed):
        return
    yield _finding("AR060", "POST without an idempotency key", op, None, ctx)


def relaxed(ctx: Context, op: Operation) -> Iterator[Finding]:
    """AR080: what the build had to work around in this operation."""
    for warning in ctx.warnings:
        pointer = warning.location.pointer or ""
        if UNKNOWN_PAGING in warning.message or not pointer.startswith(op.pointer + "/"):
            continue
        yield Finding("AR080", f"{op.label}: {warning.message}", warning.location, op.label)


OPERATION_CHECKS: tuple[OperationCheck, ...] = (
    descriptions,
    size,
    noise,
    enums,
    personal_data,
    paging,
    names,
    idempotency,
    relaxed,
)


def auth_hop(ctx: Context) -> Iterator[Finding]:
    """AR020: a login operation agents would have to call before anything else."""
    if any(flow.kind == "login" for flow in ctx.api.info.auth):
        return
    password_urls = _password_token_paths(ctx.spec.document)
    for path, item in (ctx.spec.document.get("paths") or {}).items():
        post = item.get("post") if isinstance(item, dict) else None
        if not isinstance(post, dict):
            continue
        pointer = f"/paths/{str(path).replace('~', '~0').replace('/', '~1')}/post"
        label = post.get("operationId") or f"POST {path}"
        scheme = password_urls.get(str(path).strip("/"))
        if scheme is not None:
            # FastAPI's `OAuth2PasswordBearer(tokenUrl="token")`: its answer is often
            # undeclared, and the tool asks the agent for a user's password.
            message = (
                f"{label} is the token URL of {scheme}'s OAuth2 password flow: agents must "
                "call it first, with a user's password"
            )
            yield Finding("AR020", message, ctx.location(pointer))
            return
        words = set(snake_words(str(path).rsplit("/", 1)[-1]))
        words |= set(snake_words(str(post.get("operationId") or "")))
        if not words & _LOGIN_WORDS or "refresh" in words or "revoke" in words:
            continue
        if not _answers_token(ctx, post):
            continue
        message = f"{label} hands out a token other calls need: agents must call it first"
        yield Finding("AR020", message, ctx.location(pointer))
        return


def _password_token_paths(document: dict) -> dict[str, str]:
    """The API's own paths an OAuth2 scheme's password flow gets its token at (`tokenUrl`
    relative, or absolute on no other host's path: the path is what is compared), without
    their slashes at the ends: the scheme's name by path."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    found: dict[str, str] = {}
    for name, scheme in schemes.items() if isinstance(schemes, dict) else ():
        flows = scheme.get("flows") if isinstance(scheme, dict) else None
        password = flows.get("password") if isinstance(flows, dict) else None
        url = password.get("tokenUrl") if isinstance(password, dict) else None
        if isinstance(url, str) and url.strip():
            found.setdefault(urlsplit(url.strip()).path.strip("/"), str(name))
    return found


def _answers_token(ctx: Context, op: dict) -> bool:
    schema, source, at = success_response(ctx.spec.resolver, op, "")
    if schema is None:
        return False
    fields = FieldWalker(ctx.spec.resolver).fields(schema, source, at)
    return any("token" in f.words and f.kind in ("string", "") for f in fields)


def tool_count(ctx: Context) -> Iterator[Finding]:
    """AR070: a plain list too long to choose from."""
    count = len([t for t in ctx.api.tools if not t.hidden]) + len(ctx.api.chains)
    if count <= SEARCH_THRESHOLD or ctx.hints.hints.search.mode == "toolsets":
        return
    message = f"{count} tools: more than {SEARCH_THRESHOLD} in one list (served through search)"
    yield Finding("AR070", message, ctx.location("/paths"))


def api_relaxed(ctx: Context) -> Iterator[Finding]:
    """AR080 for what no one operation owns (remote refs, components, skipped operations)."""
    owned = tuple(op.pointer + "/" for op in ctx.operations)
    for warning in ctx.warnings:
        pointer = warning.location.pointer or ""
        if UNKNOWN_PAGING in warning.message or pointer.startswith(owned):
            continue
        yield Finding("AR080", warning.message, warning.location)


API_CHECKS: tuple[ApiCheck, ...] = (auth_hop, tool_count, api_relaxed)


def run(ctx: Context) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """Findings per operation (by label, every operation present) and API-wide findings."""
    per_operation = {
        op.label: [f for check in OPERATION_CHECKS for f in check(ctx, op)] for op in ctx.operations
    }
    api = [f for check in API_CHECKS for f in check(ctx)]
    return per_operation, api
