"""Pagination: one cursor the agent passes back, whatever the upstream's paging style.

Styles: `page` (page number + page size), `offset` (offset + limit), `cursor` (a token from the
body sent back as a parameter), `last_id` (the last item's id sent back as a parameter, e.g.
Stripe's `starting_after`), `link` (RFC 8288 `Link: <...>; rel="next"` header, or a header that
holds the next URL) and `next_url` (a URL in the body). Any style may also name a `has_more` flag:
paging stops when the upstream says false. The agent sees `cursor` and `limit`; the upstream's own
paging parameters are hidden. A cursor holds where to resume, down to an item inside an upstream
page, so a result cut by the token budget resumes exactly where it stopped.

A cursor travels through the model, so it is signed: HMAC-SHA256 with the deployment's cursor key
over the state, the tool, a digest of the call's other arguments and an expiry. A cursor that was
altered, made by another tool, for other arguments, or under another key is refused. The state
itself is checked again too: a next-page URL must stay on the upstream's origin and base path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin

from adaptgen.runtime import jsonpath
from adaptgen.runtime.origin import within_upstream

STYLES = ("page", "offset", "cursor", "last_id", "link", "next_url")
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


CURSOR_TTL = 24 * 3600.0  # seconds a cursor stays valid: long enough for a paused agent
_MAC_BYTES = 16  # 128-bit tags: forging one is out of reach, and cursors stay short


class CursorError(ValueError):
    """A cursor that this tool did not make for this call (altered, foreign or expired)."""


@dataclass(frozen=True)
class PaginationSpec:
    """How one operation pages (from the catalog)."""

    style: str
    items: str | None = None  # JSONPath of the item list in the body; None: the body is the list
    page_param: str | None = None
    size_param: str | None = None
    offset_param: str | None = None
    limit_param: str | None = None
    cursor_param: str | None = None  # cursor and last_id styles
    # JSONPath of the next cursor (cursor), next URL (next_url) or next page number (page); for
    # `link`, the response header holding the next URL (default: the RFC 8288 `Link` header).
    next: str | None = None
    total: str | None = None  # JSONPath of the total count, when the upstream says it
    has_more: str | None = None  # JSONPath of a "more pages" flag: false ends paging
    id_field: str | None = None  # last_id: the item field whose value resumes after that item
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
        if spec.style in ("cursor", "last_id") and state.cursor is not None:
            params[spec.cursor_param or "cursor"] = state.cursor
    return params


def page_items(spec: PaginationSpec, body: Any) -> list[Any] | None:
    """The items of one upstream page; None when the body has no item list where planned."""
    found = jsonpath.first(spec.items, body) if spec.items else body
    if isinstance(found, list):
        return found
    return [] if found is None and body in (None, "", {}) else None


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
    if received == 0 or (spec.has_more and jsonpath.first(spec.has_more, body) is False):
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
    if spec.style == "last_id":
        return _after_last_item(spec, body)
    if spec.style == "link":
        return _next_link(spec, headers)
    if spec.style == "next_url":
        url = jsonpath.first(spec.next, body) if spec.next else None
        return PageState(url=url) if _is_link(url) else None
    return None


def _is_link(value: Any) -> bool:
    """A next-page link: an http(s) URL or an absolute path/query, not a placeholder word (mocks
    fill a `format: uri` field with "string") that would resolve to a page that is not there."""
    if not isinstance(value, str) or not value.strip():
        return False
    return value.startswith(("/", "?")) or value.lower().startswith(("http://", "https://"))


def _after_last_item(spec: PaginationSpec, body: Any) -> PageState | None:
    """last_id: resume after the page's last item, by its id (None when it has none)."""
    items = page_items(spec, body) or []
    last = items[-1] if items else None
    value = last.get(spec.id_field or "id") if isinstance(last, dict) else None
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return PageState(cursor=str(value))


def _next_link(spec: PaginationSpec, headers: Mapping[str, str]) -> PageState | None:
    """link: the next URL from the `Link` header (rel="next") or the header the spec names."""
    value = headers.get((spec.next or "link").lower(), "").strip()
    if spec.next is None or value.startswith("<"):
        match = _LINK_NEXT.search(value)
        value = match.group(1) if match else ""
    return PageState(url=value) if _is_link(value) else None


class CursorKey:
    """The key that signs this deployment's cursors.

    From `<PREFIX>_CURSOR_KEY` or `ADAPTGEN_CURSOR_KEY` (a value or a `${aws-sm:...}` reference),
    so every instance of a deployment accepts the others' cursors; without one, a random key per
    process (cursors then work only on the instance that made them, and say so when refused).
    """

    def __init__(self, secret: bytes, *, shared: bool) -> None:
        self._secret = secret
        self.shared = shared

    @classmethod
    def from_env(cls, env_prefix: str) -> CursorKey:
        for name in (f"{env_prefix}_CURSOR_KEY", "ADAPTGEN_CURSOR_KEY"):
            value = os.environ.get(name)
            if value:
                from adaptgen.runtime.secrets import SecretResolver

                text = SecretResolver().render(value)
                return cls(
                    hashlib.sha256(b"adaptgen-cursor\0" + text.encode()).digest(), shared=True
                )
        return cls(secrets.token_bytes(32), shared=False)

    def sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]


_KEYS: dict[str, CursorKey] = {}
_KEYS_LOCK = threading.Lock()


def share_cursor_key(env_prefix: str, secret: bytes) -> None:
    """Sign this server's cursors with a key derived from `secret`, a key every instance of the
    deployment shares (the policy's PII key), unless a cursor key of its own is configured."""
    if any(os.environ.get(n) for n in (f"{env_prefix}_CURSOR_KEY", "ADAPTGEN_CURSOR_KEY")):
        return
    derived = hmac.new(secret, b"adaptgen-cursor", hashlib.sha256).digest()
    with _KEYS_LOCK:
        _KEYS[env_prefix] = CursorKey(derived, shared=True)


def cursor_key(env_prefix: str) -> CursorKey:
    """The cursor key of the server whose env vars start with `env_prefix` (read once)."""
    key = _KEYS.get(env_prefix)
    if key is None:
        with _KEYS_LOCK:
            key = _KEYS.setdefault(env_prefix, CursorKey.from_env(env_prefix))
    return key


def request_digest(arguments: Mapping[str, Any]) -> str:
    """A short digest of a call's arguments (less cursor and limit): what a cursor is bound to."""
    canonical = json.dumps(
        {k: v for k, v in arguments.items() if k not in ("cursor", "limit") and v is not None},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return _b64(hashlib.sha256(canonical.encode()).digest()[:12])


def encode_cursor(
    tool: str,
    state: PageState,
    *,
    key: CursorKey,
    request: str = "",
    now: float | None = None,
) -> str:
    """A signed, opaque cursor for `state`, bound to `tool` and the call's `request` digest."""
    expires = int((time.time() if now is None else now) + CURSOR_TTL)
    data: dict[str, Any] = {"t": tool, "r": request, "x": expires}
    fields = (("p", state.page), ("o", state.offset), ("c", state.cursor), ("u", state.url))
    for name, value in fields:
        if value is not None:
            data[name] = value
    if state.skip:
        data["k"] = state.skip
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return f"{_b64(payload)}.{_b64(key.sign(payload))}"


def decode_cursor(
    tool: str,
    cursor: str,
    base_url: str,
    *,
    key: CursorKey,
    request: str = "",
    now: float | None = None,
) -> PageState:
    """The state a cursor holds; `CursorError` unless this server signed it for this call."""
    payload_text, _, mac_text = cursor.partition(".")
    try:
        payload = _unb64(payload_text)
        mac = _unb64(mac_text)
    except (ValueError, binascii.Error, UnicodeError):
        raise CursorError("not a cursor made by this server") from None
    if not hmac.compare_digest(mac, key.sign(payload)):
        where = "" if key.shared else " (or one made by another instance of this server)"
        raise CursorError(f"not a cursor made by this server{where}")
    data = json.loads(payload)
    if data.get("t") != tool:
        raise CursorError(f"this cursor belongs to another tool, not {tool}")
    if data.get("r") != request:
        raise CursorError("this cursor was made for a call with other arguments")
    if not isinstance(data.get("x"), int) or data["x"] < (time.time() if now is None else now):
        raise CursorError("this cursor has expired")
    page, offset, token, url, skip = (data.get(k) for k in ("p", "o", "c", "u", "k"))
    for number in (page, offset, skip):
        if number is not None and (not isinstance(number, int) or number < 0):
            raise CursorError("cursor position is not a whole number")
    if token is not None and not isinstance(token, str):
        raise CursorError("cursor token is not text")
    if url is not None and not within_upstream(str(url), base_url):
        # Signed, so only our own code could have put it there: checked again all the same.
        raise CursorError("cursor URL is not on the upstream's host and base path")
    return PageState(page=page, offset=offset, cursor=token, url=url, skip=skip or 0)


def resolve_next(url: str, current: str) -> str:
    """A next-page link as an absolute URL, resolved against the request it came from."""
    return urljoin(current, url)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
