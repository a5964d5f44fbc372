"""Pagination cursors: one cursor the agent passes back, whatever the upstream's paging style.

The styles themselves (page, offset, cursor, last_id, keyset, link, next_url) are classes in
`adaptgen.runtime.paging`; any of them may also name a `has_more` flag: paging stops when the
upstream says false. The agent sees `cursor` and `limit`; the upstream's own paging parameters
are hidden. A cursor holds where to resume, down to an item inside an upstream
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
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from adaptgen.runtime.origin import within_upstream
from adaptgen.runtime.paging import PageState

CURSOR_TTL = 24 * 3600.0  # seconds a cursor stays valid: long enough for a paused agent
_MAC_BYTES = 16  # 128-bit tags: forging one is out of reach, and cursors stay short


class CursorError(ValueError):
    """A cursor that this tool did not make for this call (altered, foreign or expired)."""


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


def resolve_next(url: str, current: str, first: str | None = None) -> str:
    """A next-page link as an absolute URL, resolved against the request it came from; with
    `first`, the call's first request, at that request's API version (`with_api_version`)."""
    resolved = urljoin(current, url)
    return resolved if first is None else with_api_version(resolved, first)


# A query parameter that names the version of the API a request is read at (Azure's
# `api-version`, and the spellings others took from it).
_API_VERSION = re.compile(r"api[-_.]?version", re.IGNORECASE)


def with_api_version(link: str, first: str) -> str:
    """`link` asked at the API version `first` was asked at. Azure's clients follow a next link
    with their own `api-version`, whether the link leaves it out or names another (its
    guidelines, and AutoRest's test server, ask for both), so some services' links never carry
    it. The rest of the link is left as the upstream wrote it, byte for byte."""
    asked = [part for part in urlsplit(first).query.split("&") if _names_version(part)]
    if not asked:
        return link
    parts = urlsplit(link)
    query = [part for part in parts.query.split("&") if part]
    if [part for part in query if _names_version(part)] == asked:
        return link
    kept = [part for part in query if not _names_version(part)]
    return urlunsplit(parts._replace(query="&".join([*kept, *asked])))


def _names_version(part: str) -> bool:
    return bool(_API_VERSION.fullmatch(unquote_plus(part.partition("=")[0])))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
