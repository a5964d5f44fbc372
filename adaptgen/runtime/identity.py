"""Who is calling: the identity auth flows act for (pass-through, token exchange, AssumeRole).

A governance layer sets `current_caller` once it has verified the caller (subject, groups,
claims). Until then, `caller()` falls back to the bearer token of the incoming MCP HTTP request,
so pass-through works with no extra wiring; such a caller has a token but no verified claims.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Caller", "caller", "current_caller", "acting_as"]


@dataclass(frozen=True)
class Caller:
    """The end user (or agent principal) a tool call is made for."""

    subject: str | None = None
    groups: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=dict)
    # The caller's own bearer token, for pass-through/exchange; kept out of repr() and logs.
    token: str | None = field(default=None, repr=False)

    def claim(self, name: str) -> Any:
        """A claim by name; `sub` and `groups` fall back to `subject` and `groups`."""
        value = self.claims.get(name)
        if value is None and name == "sub":
            return self.subject
        if value is None and name == "groups" and self.groups:
            return list(self.groups)
        return value


current_caller: ContextVar[Caller | None] = ContextVar("adaptgen_current_caller", default=None)


def caller() -> Caller | None:
    """The verified caller if one is set, else the incoming request's bearer token, else None."""
    verified = current_caller.get()
    if verified is not None:
        return verified
    token = _request_bearer_token()
    return Caller(token=token) if token else None


@contextlib.contextmanager
def acting_as(who: Caller | None) -> Iterator[Caller | None]:
    """Set `current_caller` for the block (and the tasks started in it), then restore it."""
    reset = current_caller.set(who)
    try:
        yield who
    finally:
        current_caller.reset(reset)


def _request_bearer_token() -> str | None:
    try:
        from fastmcp.server.dependencies import get_http_headers

        # Authorization is stripped by default (it must not be forwarded blindly); ask for it.
        header = get_http_headers(include={"authorization"}).get("authorization", "")
    except Exception:  # noqa: BLE001 - no MCP request context (stdio, tests, background work)
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
