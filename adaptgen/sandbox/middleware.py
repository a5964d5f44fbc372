"""ASGI middleware: raw-path routing and the request log.

Both live in one pure-ASGI middleware because both need to see the request exactly as it
arrived on the wire, before Starlette's router looks at it.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Bodies larger than this are truncated in the log (the request itself is not affected).
MAX_LOGGED_BODY = 64 * 1024


def routing_path(raw_path: bytes) -> str:
    """Decode a raw request path segment by segment, keeping ``/`` and ``%`` inside a segment
    percent-encoded.

    Servers hand ASGI apps a fully decoded ``path``, so ``/contacts/5%2Fdeals`` would arrive as
    ``/contacts/5/deals`` and be routed to a *different operation*. Routing on this form instead
    makes an encoded slash part of the id (which then simply is not found). Route handlers
    percent-decode their path parameters again.
    """
    segments = []
    for segment in raw_path.split(b"/"):
        text = unquote_to_bytes(segment).decode("utf-8", errors="replace")
        segments.append(text.replace("%", "%25").replace("/", "%2F"))
    return "/".join(segments)


class SandboxMiddleware:
    """Rewrites ``scope["path"]`` (see :func:`routing_path`) and appends every HTTP request to
    ``log`` as ``{"method", "path", "query", "headers", "body", "status", "time"}``.

    ``path`` is the raw path as sent (percent-encoding preserved), ``query`` the raw query
    string, ``headers`` a dict with lower-cased names (repeated headers joined by ``", "``),
    ``body`` the body decoded as UTF-8 and ``status`` the response status (``None`` until the
    response starts).
    """

    def __init__(self, app: ASGIApp, log: deque[dict[str, Any]]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        raw_path = raw_path.split(b"?", 1)[0]  # some servers include the query string
        scope = dict(scope)
        scope["path"] = routing_path(raw_path)

        # Read the whole body up front so it can be logged, then replay it to the app.
        chunks: list[bytes] = []
        disconnected = False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)

        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": raw_path.decode("latin-1"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": headers,
            "body": body[:MAX_LOGGED_BODY].decode("utf-8", errors="replace"),
            "status": None,
            "time": time.time(),
        }
        self.log.append(entry)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if disconnected:
                    return {"type": "http.disconnect"}
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        await self.app(scope, replay, record_status)
