"""When an upstream that limits its callers takes a call again, as its headers say.

`Retry-After` (RFC 9110 10.2.3) is the standard, and many rate-limited APIs do not send it.
They say when their limit resets instead, in one of a few dialects:

- `RateLimit-Reset: 30` and `RateLimit: "default";r=0;t=30` (the IETF httpapi drafts: seconds
  from now; an early draft's `RateLimit: limit=100, remaining=0, reset=30` too);
- `X-RateLimit-Reset-After: 1.5` (Discord: seconds, with a fraction);
- `X-RateLimit-Reset: 1764520800` and `X-Rate-Limit-Reset` (GitHub, Twitter, Okta: the Unix
  time it resets at; some send milliseconds; a small number is seconds from now).

A limit can also be refused as 403, not 429: GitHub answers its primary limit `403` with
`x-ratelimit-remaining: 0`, its secondary limit `403` with `Retry-After`. Such an answer is a
rate limit (tried again, or told when to), not a missing permission.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = ["rate_limited", "retry_after", "wait_asked"]

_EPOCH_SECONDS = 1_000_000_000  # past this a reset is a Unix time (2001), not a delay
_EPOCH_MILLISECONDS = 1_000_000_000_000
# Seconds of the IETF `RateLimit` field: `t=30` (draft 07 on), `reset=30` (drafts 00-06).
_RESET_PARAM = re.compile(r"(?:^|[;,\s])(?:t|reset)\s*=\s*(\d+(?:\.\d+)?)")
_REMAINING_PARAM = re.compile(r"(?:^|[;,\s])(?:r|remaining)\s*=\s*(\d+)")
_RESET_HEADERS = ("ratelimit-reset", "x-ratelimit-reset", "x-rate-limit-reset")
_REMAINING_HEADERS = ("x-ratelimit-remaining", "x-rate-limit-remaining", "ratelimit-remaining")


def retry_after(value: str | None) -> float | None:
    """Seconds a `Retry-After` value (delay-seconds or HTTP-date, RFC 9110 §10.2.3) asks for."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def wait_asked(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the upstream asks a caller to wait (`headers` with lower-case names): its
    `Retry-After`, else when its rate limit resets; None when it says neither."""
    asked = retry_after(headers.get("retry-after"))
    if asked is not None:
        return asked
    now = time.time() if now is None else now
    after = _number(headers.get("x-ratelimit-reset-after"))
    if after is not None:
        return after
    for name in _RESET_HEADERS:
        reset = _number(headers.get(name))
        if reset is not None:
            return _from_reset(reset, now)
    said = _RESET_PARAM.search(headers.get("ratelimit", ""))
    return float(said[1]) if said else None


def rate_limited(status: int, headers: Mapping[str, str]) -> bool:
    """Whether a 403 is a rate limit (none left, or a time to come back), not a refusal."""
    if status != 403:
        return False
    if "retry-after" in headers:
        return True
    if any(headers.get(name, "").strip() == "0" for name in _REMAINING_HEADERS):
        return True
    left = _REMAINING_PARAM.search(headers.get("ratelimit", ""))
    return left is not None and left[1] == "0"


def _number(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def _from_reset(reset: float, now: float) -> float:
    """Seconds until a reset given as a Unix time (seconds or milliseconds) or a delay."""
    if reset >= _EPOCH_MILLISECONDS:
        return max(0.0, reset / 1000 - now)
    if reset >= _EPOCH_SECONDS:
        return max(0.0, reset - now)
    return reset
