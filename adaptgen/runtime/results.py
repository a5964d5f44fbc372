"""Running one tool: upstream request(s), pagination, shaping, and the result the agent reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adaptgen.runtime import paginate, shape
from adaptgen.runtime.paginate import PageState, PaginationSpec
from adaptgen.runtime.upstream import Operation, Upstream, UpstreamError

MAX_PAGES_PER_CALL = 50  # a hard stop, whatever an upstream's paging says
ENVELOPE_TOKENS = 80  # room kept for next_cursor and the note beside the items

# `protect(data, item)`: what the model may see of shaped data (PII as tokens), applied before the
# token budget so the budget measures what the model reads; `item` is True for one record of a
# paginated result, False for a whole result, None for the envelope around protected records.
Protect = Callable[[Any, bool | None], Any]


@dataclass
class Outcome:
    """What a tool call produced, before it becomes MCP content."""

    data: Any
    upstream_bytes: int  # raw bytes received from the upstream (for benchmarks and audit)
    upstream_calls: int
    upstream_status: int | None = None
    upstream_items: int | None = None  # records the upstream sent (paginated tools)
    shown_items: int | None = None  # records the result shows (paginated tools)


async def run_operation(
    upstream: Upstream,
    op: Operation,
    arguments: Mapping[str, Any],
    spec: shape.ShapeSpec,
    pagination: PaginationSpec | None,
    protect: Protect | None = None,
) -> Outcome:
    """Call the upstream for one tool call and shape what comes back."""
    if pagination is not None:
        return await _paginated(upstream, op, dict(arguments), spec, pagination, protect)
    response = await upstream.send(op, arguments)
    if not response.is_json:
        text = response.data or f"Done (upstream answered {response.status} with no content)."
        return Outcome(
            shape.denoise(text, spec.max_tokens * 4, spec.list_cap),
            response.size,
            1,
            response.status,
        )
    selected = shape.select(response.data, spec, whole_response=True)
    if protect is not None:
        selected = protect(selected, False)
    fitted = shape.fit(selected, spec.max_tokens, reserve=60)
    data = fitted.data
    if fitted.cuts:
        note = _cut_note(fitted.cuts, spec.max_tokens)
        data = {**data, "_note": note} if isinstance(data, dict) else {"items": data, "_note": note}
    return Outcome(data, response.size, 1, response.status)


async def _paginated(
    upstream: Upstream,
    op: Operation,
    arguments: dict[str, Any],
    spec: shape.ShapeSpec,
    pagination: PaginationSpec,
    protect: Protect | None,
) -> Outcome:
    cursor = arguments.pop("cursor", None)
    limit = arguments.pop("limit", None)
    wanted = max(1, min(int(limit or pagination.default_limit), pagination.max_items))
    try:
        state = (
            paginate.decode_cursor(op.name, cursor, upstream.base_url)
            if cursor
            else paginate.initial_state(pagination)
        )
    except paginate.CursorError as exc:
        raise UpstreamError(
            f"invalid cursor ({exc}): pass next_cursor from this tool's last result, "
            "or no cursor to start from the beginning"
        ) from None
    collected: list[tuple[Any, PageState]] = []
    next_state: PageState | None = None
    total: int | None = None
    received_bytes = 0
    received_items = 0
    used = 0  # estimated tokens of the shaped items collected so far
    full = spec.max_tokens - ENVELOPE_TOKENS  # past this, more items would only be cut again
    calls = 0
    status = None
    while calls < MAX_PAGES_PER_CALL:
        paging = paginate.request_params(pagination, state, wanted - len(collected))
        response = await upstream.send(op, arguments, paging=paging, url=state.url)
        calls += 1
        received_bytes += response.size
        status = response.status
        items = paginate.page_items(pagination, response.data)
        received_items += len(items)
        total = paginate.total_count(pagination, response.data) if total is None else total
        end = min(len(items), state.skip + wanted - len(collected))
        page = [shape.select(items[index], spec) for index in range(state.skip, end)]
        if protect is not None:  # the page at once: cheaper than interleaved with shaping
            page = [protect(item, True) for item in page]
        next_state = None
        for index, shaped_item in enumerate(page, state.skip):
            if used > full:
                next_state = state.at(pagination, index)
                break
            used += shape.estimate_tokens(shaped_item) + 1
            collected.append((shaped_item, state.at(pagination, index)))
        else:
            if end < len(items):  # `wanted` reached inside this page
                next_state = state.at(pagination, end)
            else:
                next_state = paginate.advance(
                    pagination, state, response.data, response.headers, len(items)
                )
        # Stop fetching once the budget is spent: the rest would only be cut again.
        if next_state is None or len(collected) >= wanted or used > full:
            break
        state = next_state
    shaped = [item for item, _ in collected]
    envelope: dict[str, Any] = {}
    if total is not None:
        envelope["total"] = total
    kept, count = shape.fit_items(shaped, spec.max_tokens, shape.estimate_tokens(envelope) + 80)
    note = None
    if count < len(collected):
        next_state = collected[count][1]
        note = (
            f"Showing {count} of the {len(collected)} items fetched, to stay within the "
            f"{spec.max_tokens}-token budget; pass next_cursor to continue."
        )
    data: dict[str, Any] = {"items": kept, **envelope}
    if next_state is not None:
        data["next_cursor"] = paginate.encode_cursor(op.name, next_state)
    if note:
        data["_note"] = note
    if protect is not None:
        data = protect(data, None)
    return Outcome(data, received_bytes, calls, status, received_items, len(kept))


def _cut_note(cuts: list[shape.Cut], budget: int) -> str:
    parts = [f"{c.path} shows {c.shown} of {c.total} items" for c in cuts]
    return (
        f"Cut to fit the {budget}-token budget: {'; '.join(parts)}. "
        "This operation has no paging: narrow the request to see the rest."
    )
