"""The Host/Origin guard decides once per admitted (scheme, address, Host, Origin), refuses every
time, and answers as FastMCP's guard does (host_guard.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastmcp.server.http import HostOriginGuardMiddleware

from adaptgen.runtime.governance import host_guard
from adaptgen.runtime.governance.host_guard import HostOriginGuard

LOOPBACK = ("127.0.0.1", 8000)


def scope(host: str, origin: str | None = None, server: Any = LOOPBACK) -> dict[str, Any]:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "http", "scheme": "http", "server": server, "headers": headers, "path": "/"}


def status(guard: Any, request: dict[str, Any]) -> int:
    """The HTTP status the guard (or the app behind it, 200) answers."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(guard(request, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


CASES = [
    scope("127.0.0.1:8000"),
    scope("localhost:8000", "http://localhost:8000"),
    scope("evil.example.com"),
    scope("evil.example.com:8000"),
    scope("127.0.0.1:8000", "http://evil.example.com"),
    scope("mcp.example.com"),
    scope("mcp.example.com", "https://app.example.com"),
    scope("mcp.example.com", "https://evil.example.com"),
    scope("evil.example.com", server=("0.0.0.0", 8000)),
]


@pytest.mark.parametrize(
    "options",
    [{}, {"allowed_hosts": ["mcp.example.com"], "allowed_origins": ["https://app.example.com"]}],
)
def test_same_answers_as_fastmcps_guard_in_any_order(options):
    fastmcp = HostOriginGuardMiddleware(app, mode="auto", **options)
    ours = HostOriginGuard(app, mode="auto", **options)
    expected = [status(fastmcp, case) for case in CASES]
    assert {421, 403, 200} <= set(expected)  # the cases cover every answer
    for _ in range(2):  # admitted ones are remembered by then: the refusals must still hold
        assert [status(ours, case) for case in CASES] == expected
        assert [status(ours, case) for case in reversed(CASES)] == expected[::-1]


def test_an_admitted_combination_is_checked_once_a_refused_one_every_time(monkeypatch):
    checks = []
    real = host_guard.HostOriginGuardMiddleware.__call__

    async def counted(self: Any, scope: Any, receive: Any, send: Any) -> None:
        checks.append(scope["headers"])
        await real(self, scope, receive, send)

    monkeypatch.setattr(host_guard.HostOriginGuardMiddleware, "__call__", counted)
    guard = HostOriginGuard(app, mode="auto")
    for _ in range(3):
        assert status(guard, scope("127.0.0.1:8000")) == 200
        assert status(guard, scope("evil.example.com")) == 421
    assert len(checks) == 1 + 3


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(host_guard, "MAX_REMEMBERED", 4)
    guard = HostOriginGuard(app, mode="auto")
    for port in range(10):
        assert status(guard, scope(f"127.0.0.1:{8000 + port}")) == 200
        assert len(guard._admitted) <= 4
