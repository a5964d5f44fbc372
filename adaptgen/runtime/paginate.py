"""Pagination: one cursor the agent passes back, whatever the upstream's paging style.

Styles: `page` (page number + page size), `offset` (offset + limit), `cursor` (a token from the
body sent back as a parameter), `link` (RFC 8288 `Link: <...>; rel="next"` header) and `next_url`
(a URL in the body). The agent sees `cursor` and `limit`; the upstream's own paging parameters are
hidden. A cursor is base64url JSON holding where to resume, down to an item inside an upstream
page, so a result cut by the token budget resumes exactly where it stopped.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from adaptgen.runtime import jsonpath

STYLES = ("page", "offset", "cursor", "link", "next_url")
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


class CursorError(ValueError):
    """A cursor that this tool did not make (or that was altered)."""


@dataclass(frozen=True)
class PaginationSpec:
    """How one operation pages (from the catalog)."""

    style: str
    items: str | None = None  # JSONPath of the item list in the body; None: the body is the list
    page_param: str | None = None
    size_param: str | None = None
    offset_param: str | None = None
    limit_param: str | None = None
    cursor_param: str | None = None
    next: str | None = None  # JSONPath of the next cursor (cursor) or next URL (next_url)
    total: str | None = None  # JSONPath of the total count, when the upstream says it
    page_size: int = 25
    first_page: int = 1
    default_limit: int = 25
    max_items: int = 200

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PaginationSpec:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class PageState:
    """Where one upstream request starts, and how many of its items were already returned."""

    page: int | None = None
    offset: int | None = None
    cursor: str | None = None
    url: str | None = None
    skip: int = 0

    def at(self, spec: PaginationSpec, index: int) -> PageState:
        """The state that resumes at item `index` of this request's page."""
        if spec.style == "offset":
            return replace(self, offset=(self.offset or 0) + index, skip=0)
        return replace(self, skip=index)


def initial_state(spec: PaginationSpec) -> PageState:
    """The first page."""
    if spec.style == "page":
        return PageState(page=spec.first_page)
    if spec.style == "offset":
        return PageState(offset=0)
    return PageState()


def request_params(spec: PaginationSpec, state: PageState, wanted: int) -> dict[str, Any]:
    """Upstream query parameters (by their upstream names) for the request at `state`."""
    params: dict[str, Any] = {}
    if spec.style == "page":
        params[spec.page_param or "page"] = state.page
        if spec.size_param:
            params[spec.size_param] = spec.page_size
    elif spec.style == "offset":
        params[spec.offset_param or "offset"] = state.offset or 0
        if spec.limit_param:
            params[spec.limit_param] = min(max(wanted, 1), spec.page_size)
    else:
        if spec.size_param:
            params[spec.size_param] = spec.page_size
        if spec.style == "cursor" and state.cursor is not None:
            params[spec.cursor_param or "cursor"] = state.cursor
    return params


def page_items(spec: PaginationSpec, body: Any) -> list[Any]:
    """The items of one upstream page."""
    found = jsonpath.first(spec.items, body) if spec.items else body
    return found if isinstance(found, list) else []


def total_count(spec: PaginationSpec, body: Any) -> int | None:
    """The total the upstream reports, if any."""
    if not spec.total:
        return None
    value = jsonpath.first(spec.total, body)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def advance(
    spec: PaginationSpec,
    state: PageState,
    body: Any,
    headers: Mapping[str, str],
    received: int,
) -> PageState | None:
    """The state after a page with `received` items, or None at the end."""
    if received == 0:
        return None
    # Upstreams often cap page sizes silently, so a short page does not prove the end: only
    # an explicit "no next page", the reported total, or an empty page does.
    if spec.style == "page":
        if spec.next is not None:
            return (
                PageState(page=(state.page or spec.first_page) + 1)
                if jsonpath.first(spec.next, body)
                else None
            )
        total = total_count(spec, body)
        page = state.page or spec.first_page
        if total is not None and (page - spec.first_page + 1) * received >= total:
            return None
        return PageState(page=page + 1)
    if spec.style == "offset":
        offset = (state.offset or 0) + received
        total = total_count(spec, body)
        if total is not None and offset >= total:
            return None
        return PageState(offset=offset)
    if spec.style == "cursor":
        token = jsonpath.first(spec.next, body) if spec.next else None
        return PageState(cursor=str(token)) if token not in (None, "", False) else None
    if spec.style == "link":
        match = _LINK_NEXT.search(headers.get("link", ""))
        return PageState(url=match.group(1)) if match else None
    if spec.style == "next_url":
        url = jsonpath.first(spec.next, body) if spec.next else None
        return PageState(url=str(url)) if isinstance(url, str) and url else None
    return None


def encode_cursor(tool: str, state: PageState) -> str:
    """An opaque cursor for `state` (bound to the tool that made it)."""
    data: dict[str, Any] = {"t": tool}
    fields = (("p", state.page), ("o", state.offset), ("c", state.cursor), ("u", state.url))
    for key, value in fields:
        if value is not None:
            data[key] = value
    if state.skip:
        data["k"] = state.skip
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(tool: str, cursor: str, base_url: str) -> PageState:
    """The state a cursor holds; `CursorError` unless this tool made it and it is sound."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise CursorError("not a cursor made by this server") from None
    if not isinstance(data, dict) or data.get("t") != tool:
        raise CursorError(f"this cursor belongs to another tool, not {tool}")
    page, offset, token, url, skip = (data.get(k) for k in ("p", "o", "c", "u", "k"))
    for number in (page, offset, skip):
        if number is not None and (not isinstance(number, int) or number < 0):
            raise CursorError("cursor position is not a whole number")
    if token is not None and not isinstance(token, str):
        raise CursorError("cursor token is not text")
    if url is not None and not _same_site(str(url), base_url):
        # A cursor travels through the model: it must never point the server elsewhere.
        raise CursorError("cursor URL is not on the upstream's host")
    return PageState(page=page, offset=offset, cursor=token, url=url, skip=skip or 0)


def _same_site(url: str, base_url: str) -> bool:
    target, base = urlsplit(url), urlsplit(base_url)
    if not target.scheme and not target.netloc:
        return url.startswith("/")
    return (target.scheme, target.netloc) == (base.scheme, base.netloc)
