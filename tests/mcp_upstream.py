"""A loopback MCP server for the proxy tests that records every HTTP request it receives.

`RecordingUpstream` serves a small FastMCP server over streamable HTTP on 127.0.0.1 with a
Starlette middleware that records each request's method, headers and JSON-RPC method, so tests
can see exactly what `adaptgen proxy` sent upstream (which credentials, how many requests).
It can be stopped and started again on the same port (an upstream restart).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from conftest import free_port
from fastmcp import FastMCP
from starlette.middleware import Middleware
from starlette.responses import JSONResponse

from adaptgen.sandbox.server import serve_app


@dataclass
class Seen:
    """One HTTP request the upstream received."""

    method: str
    headers: dict[str, str]
    rpc: str | None  # the JSON-RPC method of a POST


def upstream_server() -> FastMCP:
    """Two read-only tools."""
    mcp = FastMCP("recorded")

    @mcp.tool(annotations={"readOnlyHint": True})
    def echo(value: int) -> dict:
        """Return the value."""
        return {"value": value}

    @mcp.tool(annotations={"readOnlyHint": True})
    def ping_count() -> dict:
        """A constant (a second tool to list)."""
        return {"ok": True}

    return mcp


@dataclass
class RecordingUpstream:
    """The loopback upstream; `requests` lists what arrived, in order."""

    port: int = field(default_factory=free_port)
    requests: list[Seen] = field(default_factory=list)
    # Answer server/discover with "method not found", as a server that predates the modern
    # protocol era does: clients then use the initialize handshake and an Mcp-Session-Id.
    legacy_only: bool = False
    server: Callable[[], FastMCP] = upstream_server  # what it serves

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve until the block ends (again on the same port for a restart)."""
        app = self.server().http_app(path="/mcp", middleware=[Middleware(self._recorder)])
        with serve_app(app, port=self.port, lifespan=True):
            yield self.url

    def _recorder(self, app: Any) -> Any:
        async def record(scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            body, more = b"", True
            while more:  # MCP requests are small: read the body first, then replay it
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            try:
                parsed = json.loads(body) if body else {}
            except ValueError:
                parsed = {}
            rpc = parsed.get("method") if isinstance(parsed, dict) else None
            self.requests.append(Seen(scope["method"], headers, rpc))
            if self.legacy_only and rpc == "server/discover":
                error = {"code": -32601, "message": "Method not found"}
                answer = JSONResponse({"jsonrpc": "2.0", "id": parsed.get("id"), "error": error})
                await answer(scope, receive, send)
                return
            replayed = False

            async def replay() -> dict:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await app(scope, replay, send)

        return record

    def count(self) -> Counter[str]:
        """Requests by kind: "POST tools/call", "DELETE", "GET" ..."""
        return Counter(f"{r.method} {r.rpc}" if r.rpc else r.method for r in self.requests)
