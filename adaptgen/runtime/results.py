"""Running one tool: upstream request(s), pagination, shaping, and the result the agent reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from adaptgen.runtime import long_running, paginate, shape
from adaptgen.runtime.binary import BinaryAnswer
from adaptgen.runtime.catalog import Shape, Tool
from adaptgen.runtime.locations import Readers, located
from adaptgen.runtime.paging import PageState, PagingStyle
from adaptgen.runtime.upstream import NOT_MODIFIED, Upstream, UpstreamError, UpstreamResponse

NOT_FOUND = 404  # a check's "no" (`Operation.absent`)
NOT_MODIFIED_TEXT = (
    "Not modified (upstream answered 304): the thing is as it was in the version the "
    "request's if_none_match names; what was read of that version is current."
)
MAX_PAGES_PER_CALL = 50  # a hard stop, whatever an upstream's paging says
EMPTY_PAGES_IN_A_ROW = 3  # then the call answers, with a cursor to go on
ENVELOPE_TOKENS = 80  # room kept for next_cursor and the note beside the items


class Redactor(Protocol):
    """What the model may see of shaped data (PII as tokens), applied before the token budget
    so the budget measures what the model reads (the governance layer's `ResultRedactor`)."""

    def record(self, data: Any) -> Any:
        """One record of a paginated result."""
        ...

    def whole(self, data: Any) -> Any:
        """A whole (not paginated) result."""
        ...

    def envelope(self, data: Any) -> Any:
        """The envelope around records already redacted."""
        ...

    def text(self, text: str) -> str:
        """An answer that is not JSON (plain text, CSV, HTML)."""
        ...


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
    op: Tool,
    arguments: Mapping[str, Any],
    spec: Shape,
    pagination: PagingStyle | None,
    redactor: Redactor | None = None,
    readers: Readers | None = None,
) -> Outcome:
    """Call the upstream for one tool call and shape what comes back (`readers`: the API's
    GET tools, to say which reads what a write's `Location` names)."""
    if pagination is not None:
        return await _paginated(upstream, op, dict(arguments), spec, pagination, redactor)
    try:
        sent = await upstream.send(op, arguments)
    except UpstreamError as error:
        if error.status != NOT_FOUND or op.upstream.absent is None:
            raise
        # A check's "no" (GitHub's starred, collaborator, following; a HEAD's existence).
        said = {"found": False, "answered": "upstream answered 404", "means": op.upstream.absent}
        return Outcome(redactor.whole(said) if redactor is not None else said, 0, 1, NOT_FOUND)
    followed = await long_running.follow(upstream, op, arguments, sent)
    response, size, calls = followed.response, followed.size, followed.calls
    note = followed.note
    if redactor is not None and note:  # it may quote the upstream's words
        note = redactor.text(note)
    if isinstance(response.data, BinaryAnswer):  # a file: what it is, never its bytes as text
        return Outcome(response.data, size, calls, response.status)
    if not response.is_json:
        text = response.data
        location = response.headers.get("location") if not text and note is None else None
        said = _said_in_headers(op, response) if not text and note is None else {}
        if location and op.method != "GET" and 200 <= response.status < 300:
            request_url = str(upstream.build_request(op, arguments).url)
            where = located(response.status, location, request_url, upstream.base_url, readers)
            if said:
                where["headers"] = said
            if redactor is not None:
                where = redactor.whole(where)
            return Outcome(where, size, calls, response.status)
        if said and 200 <= response.status < 300:
            kind = "answered" if op.annotations.get("readOnlyHint") else "done"
            headed = {kind: f"upstream answered {response.status} with no content"}
            headed["headers"] = said
            return Outcome(
                redactor.whole(headed) if redactor is not None else headed,
                size,
                calls,
                response.status,
            )
        if not text and note is None and response.status == NOT_MODIFIED:
            text = NOT_MODIFIED_TEXT
        elif not text and note is None and op.upstream.absent and response.status < 300:
            found = {"found": True, "answered": f"upstream answered {response.status}"}
            return Outcome(found, size, calls, response.status)  # a check's "yes"
        elif not text and note is None and op.method == "HEAD" and response.status < 300:
            text = f"Found (upstream answered {response.status} with no content)."  # it exists
        elif not text and note is None and op.annotations.get("readOnlyHint"):
            # A read answered 204 (Zoho CRM's, for a record or a search with nothing in it):
            # nothing to show, which "Done" would not say.
            text = f"Nothing to return (upstream answered {response.status} with no content)."
        elif not text and note is None:
            text = f"Done (upstream answered {response.status} with no content)."
        if redactor is not None and text:  # before the cut: a value cut in two escapes them
            text = redactor.text(text)
        text = shape.denoise(text, spec.max_tokens * 4, spec.list_cap) if text else text
        return Outcome(_with_note(text, note), size, calls, response.status)
    answer = _with_etag(response) if op.upstream.etag_header else response.data
    selected = shape.select(answer, spec, whole_response=True)
    if redactor is not None:
        selected = redactor.whole(selected)
    fitted = shape.fit(selected, spec.max_tokens, reserve=60, tags=spec.version_tags)
    data = fitted.data
    if fitted.cuts:
        data = _with_note(data, _cut_note(fitted.cuts, spec.max_tokens))
    return Outcome(_with_note(data, note), size, calls, response.status)


def _said_in_headers(op: Tool, response: UpstreamResponse) -> dict[str, str]:
    """The values of the headers that say what an answer with no content says
    (`Operation.answer_headers`), by their names in the spec, where the answer has them."""
    said = {}
    for name in op.upstream.answer_headers:
        value = response.headers.get(name.lower())
        if value is not None:
            said[name] = value
    return said


def _with_etag(response: UpstreamResponse) -> Any:
    """An object answer with its `ETag` header as `etag`, where it has no version tag of its
    own (`plan.version_tags`): the tag a write of the thing takes back as `if_match`."""
    data, tag = response.data, response.headers.get("etag")
    if not tag or not isinstance(data, dict) or any(k.lower() in shape.LOCKING_KEYS for k in data):
        return data
    return {**data, "etag": tag}


class InvalidCursor(UpstreamError):
    """A cursor this server did not sign for this call: refused before any upstream request."""


class InvalidLimit(UpstreamError):
    """A `limit` outside 1..max_items: refused before any upstream request, never clamped."""


def _wanted(limit: Any, pagination: PagingStyle) -> int:
    """How many items the call asks for: `limit`, else the tool's default."""
    if limit is None:
        return pagination.default_limit
    number = limit
    if isinstance(limit, str) and limit.strip().isdigit():
        number = int(limit)  # some clients send numbers as text
    elif isinstance(limit, float) and limit.is_integer():
        number = int(limit)
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidLimit(f"limit must be a whole number, not {limit!r}")
    if not 1 <= number <= pagination.max_items:
        raise InvalidLimit(
            f"limit must be between 1 and {pagination.max_items}, not {number}; omit it for "
            f"{pagination.default_limit} items, and pass next_cursor to continue"
        )
    return number


async def _paginated(
    upstream: Upstream,
    op: Tool,
    arguments: dict[str, Any],
    spec: Shape,
    pagination: PagingStyle,
    redactor: Redactor | None,
) -> Outcome:
    cursor = arguments.pop("cursor", None)
    wanted = _wanted(arguments.pop("limit", None), pagination)
    key = paginate.cursor_key(upstream.env_prefix)
    request = paginate.request_digest(arguments)
    try:
        state = (
            paginate.decode_cursor(op.name, cursor, upstream.base_for(op), key=key, request=request)
            if cursor
            else pagination.initial_state()
        )
    except paginate.CursorError as exc:
        raise InvalidCursor(
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
    notes: list[str] = []
    visited = {_position(state)}
    previous: list[Any] | None = None  # the last page's items, as the upstream sent them
    empty = 0  # empty pages in a row, each with a next one
    while calls < MAX_PAGES_PER_CALL:
        paging = pagination.request_params(state, wanted - len(collected))
        calls += 1
        try:
            asked = op
            if state.url is not None and getattr(pagination, "read_next", None):
                asked = long_running.reader(op)  # a POST's next page: GET at its link
            response = await upstream.send(asked, arguments, paging=paging, url=state.url)
            if response.status == long_running.ACCEPTED:  # not ready yet: asked again
                ready = await _ready(upstream, op, arguments, response, paging, state)
                calls += ready.calls - 1
                received_bytes += ready.size - ready.response.size  # the page's, below
                response = ready.response
            _require_json(op, response)
        except UpstreamError as exc:
            if not collected:
                raise
            # A later page failed: what came before is real, and the cursor retries from here.
            notes.append(f"The next upstream page failed ({exc}); pass next_cursor to try again.")
            next_state = state
            break
        received_bytes += response.size
        status = response.status
        items = pagination.page_items(response.data)
        if items is None:
            if calls == 1 and not collected:
                # Not a list after all (a single object, an error envelope): show what came.
                return _whole_body(response, spec, redactor, pagination.items, received_bytes)
            notes.append(
                f"A later upstream page had no item list at {pagination.items}; stopped there."
            )
            next_state = None
            break
        if items and items == previous:
            # An upstream that ignores the paging parameter sends the first page again and
            # again: the same records, each time at a new position.
            notes.append(
                "The upstream sent the same items again for the next page (it may not page "
                "this way); stopped there."
            )
            next_state = None
            break
        previous = items
        received_items += len(items)
        total = pagination.total_count(response.data) if total is None else total
        end = min(len(items), state.skip + wanted - len(collected))
        page = [shape.select(items[index], spec) for index in range(state.skip, end)]
        if redactor is not None:  # the page at once: cheaper than interleaved with shaping
            page = [redactor.record(item) for item in page]
        next_state = None
        for index, shaped_item in enumerate(page, state.skip):
            if used > full:
                next_state = pagination.at(state, index)
                break
            used += shape.estimate_tokens(shaped_item) + 1
            collected.append((shaped_item, pagination.at(state, index)))
        else:
            if end < len(items):  # `wanted` reached inside this page
                next_state = pagination.at(state, end)
            else:
                next_state = pagination.advance(state, response.data, response.headers, len(items))
                next_state = _checked_next(
                    upstream, op, arguments, paging, state, next_state, notes
                )
                if next_state is not None and _position(next_state) in visited:
                    notes.append("The upstream sent a page it had sent before; stopped there.")
                    next_state = None
        empty = empty + 1 if not items and next_state is not None else 0
        if empty == EMPTY_PAGES_IN_A_ROW:
            # A page may be empty before the end (`PagingStyle.told_next`), but not forever.
            notes.append(
                f"The upstream sent {empty} empty pages in a row and says there are more; "
                "pass next_cursor to continue."
            )
            break
        # Stop fetching once the budget is spent: the rest would only be cut again.
        if next_state is None or len(collected) >= wanted or used > full:
            break
        visited.add(_position(next_state))
        state = next_state
    shaped = [item for item, _ in collected]
    envelope: dict[str, Any] = {}
    if total is not None:
        envelope["total"] = total
    kept, count = shape.fit_items(
        shaped, spec.max_tokens, shape.estimate_tokens(envelope) + 80, tags=spec.version_tags
    )
    if count < len(collected):
        next_state = collected[count][1]
        notes.append(
            f"Showing {count} of the {len(collected)} items fetched, to stay within the "
            f"{spec.max_tokens}-token budget; pass next_cursor to continue."
        )
    data: dict[str, Any] = {"items": kept, **envelope}
    if next_state is not None:
        data["next_cursor"] = paginate.encode_cursor(op.name, next_state, key=key, request=request)
    if notes:
        data["_note"] = " ".join(notes)
    if redactor is not None:
        data = redactor.envelope(data)
    return Outcome(data, received_bytes, calls, status, received_items, len(kept))


def _position(state: PageState) -> tuple[Any, ...]:
    """Where an upstream request starts (without the skip inside its page)."""
    return (state.page, state.offset, state.cursor, state.url)


def _checked_next(
    upstream: Upstream,
    op: Tool,
    arguments: Mapping[str, Any],
    paging: Mapping[str, Any],
    state: PageState,
    next_state: PageState | None,
    notes: list[str],
) -> PageState | None:
    """The next state, with a next-page link resolved and kept on the upstream (else None).

    A link the upstream sends is followed only to its own origin and base path: the request
    would carry the upstream's credentials, and the items would be merged into this result.
    """
    if next_state is None or next_state.url is None:
        return next_state
    first = str(upstream.build_request(op, arguments, paging=paging).url)
    url = paginate.resolve_next(next_state.url, state.url or first, first)
    if not paginate.within_upstream(url, upstream.base_for(op)):
        notes.append(
            "The upstream's next-page link leads off its API (another host or path); "
            "it was not followed."
        )
        return None
    return PageState(url=url)


async def _ready(
    upstream: Upstream,
    op: Tool,
    arguments: Mapping[str, Any],
    response: UpstreamResponse,
    paging: Mapping[str, Any],
    state: PageState,
) -> long_running.Followed:
    """A page the upstream answered 202 (still preparing it), once it is ready, and what
    asking again cost; an error saying so when it is not within `<NAME>_OPERATION_WAIT`."""
    asked = upstream.build_request(op, arguments, paging=paging, url=state.url)
    followed = await long_running.follow(upstream, op, arguments, response, str(asked.url))
    if followed.response.status == long_running.ACCEPTED:
        raise UpstreamError(f"{op.where}: {followed.note}", status=long_running.ACCEPTED)
    return followed


def _require_json(op: Tool, response: Any) -> None:
    """A page that is not JSON (an HTML error page, garbage) is an error, never an empty page."""
    if response.is_json or not str(response.data or "").strip():
        return
    excerpt = " ".join(str(response.data).split())[:200]
    kind = response.content_type or "no content type"
    raise UpstreamError(
        f"{op.method} {op.path}: upstream answered {response.status} with {kind}, not JSON: "
        f"{excerpt}",
        status=response.status,
    )


def _whole_body(
    response: Any,
    spec: Shape,
    redactor: Redactor | None,
    items_path: str | None,
    received_bytes: int,
) -> Outcome:
    """A paginated operation whose answer had no item list: the body, shaped, with a note."""
    selected = shape.select(response.data, spec, whole_response=True)
    if redactor is not None:
        selected = redactor.whole(selected)
    fitted = shape.fit(selected, spec.max_tokens, reserve=60, tags=spec.version_tags)
    # Expected: an operation planned as a list may answer with one object (an error envelope,
    # or a record whose list was only one part of it); the agent still gets what was sent.
    note = (
        f"This answer has no item list at {items_path}: showing the whole response "
        "(limit and cursor do not apply to it)."
    )
    data = fitted.data
    data = {**data, "_note": note} if isinstance(data, dict) else {"result": data, "_note": note}
    return Outcome(data, received_bytes, 1, response.status)


def _with_note(data: Any, note: str | None) -> Any:
    """The result with `note` said beside it: a `_note` field of an object (after one it has),
    the items of a list with it, or a sentence after a text (or in its place)."""
    if note is None:
        return data
    if isinstance(data, dict):
        return {**data, "_note": " ".join(filter(None, (data.get("_note"), note)))}
    if isinstance(data, list):
        return {"items": data, "_note": note}
    if data in (None, ""):
        return note
    return f"{data}\n\n{note}"


def _cut_note(cuts: list[shape.Cut], budget: int) -> str:
    parts = [f"{c.path} shows {c.shown} of {c.total} items" for c in cuts]
    return (
        f"Cut to fit the {budget}-token budget: {'; '.join(parts)}. "
        "This operation has no paging: narrow the request to see the rest."
    )
