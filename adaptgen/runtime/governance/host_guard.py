"""DNS-rebinding protection that decides once per distinct (Host, Origin) a server sees.

FastMCP's `HostOriginGuardMiddleware` normalizes the Host and Origin headers and parses the host
as an IP address on every request: about a fortieth of the proxy's CPU per relayed call. Its
verdict depends only on the request's scheme, the address the server is bound to, and those two
headers, and a client sends the same ones on every request. `HostOriginGuard` runs FastMCP's
check unchanged the first time a combination is seen and lets the same combination through
afterwards; what FastMCP refuses is checked (and refused) every time, never remembered.
"""

from __future__ import annotations

from typing import Any

from fastmcp.server.http import HostOriginGuardMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HostOriginGuard"]

# Admitted combinations remembered at most; past it the memory starts again (a client varying
# its Host port on purpose costs itself FastMCP's check, nothing more).
MAX_REMEMBERED = 1024

_Key = tuple[Any, ...]


class HostOriginGuard(HostOriginGuardMiddleware):
    """FastMCP's Host/Origin guard, its admissions remembered (see the module docstring)."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self._admitted: set[_Key] = set()
        self._inner = app
        super().__init__(_Admitting(app, self._admitted), **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _key(scope) in self._admitted:
            await self._inner(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class _Admitting:
    """The app behind FastMCP's guard: a request reaches it only when the guard admitted it."""

    def __init__(self, app: ASGIApp, admitted: set[_Key]) -> None:
        self.app = app
        self.admitted = admitted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if len(self.admitted) >= MAX_REMEMBERED:
                self.admitted.clear()
            self.admitted.add(_key(scope))
        await self.app(scope, receive, send)


def _key(scope: Scope) -> _Key:
    """What FastMCP's verdict depends on: scheme, bound address, first Host and Origin."""
    host = origin = None
    for name, value in scope["headers"]:
        if name == b"host" and host is None:
            host = value
        elif name == b"origin" and origin is None:
            origin = value
    server = scope.get("server")
    return scope.get("scheme"), tuple(server) if server else None, host, origin
