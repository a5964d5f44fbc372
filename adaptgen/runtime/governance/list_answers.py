"""The proxy's answers to modern-era `tools/list`, kept while the upstream listing holds.

A client lists tools before it calls (FastMCP's client on each new session, many agents before
every call). Through FastMCP's path one list runs the whole middleware chain, converts, filters
and serializes every tool: about 6 ms of proxy CPU for 23 tools, more than a relayed call, and
under 200 concurrent sessions that was a third of what the proxy spent.

What the answer says depends on who asks (access decides on the caller's subject, groups and
claims: all of it read from the verified token, or the caller itself when there is none), on
what was asked (the request's params, `_meta` included, and protocol version) and on the
upstream listing the proxy holds (a new listing object after `LIST_TTL` or a change notice).
So the first answer for a (caller, request) is FastMCP's own, captured as it leaves; later ones
are that result under the new request's id, with the same headers, for as long as the listing
it was made from is the current one. Only a plain JSON success is kept: an error, an event
stream or an answer made while the listing changed is served once and forgotten.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import Message, Send

from adaptgen.runtime.compact_json import compact_json

__all__ = ["ListAnswers"]

# What is kept per listing, least recently used dropped first: a list of 600 tools is about a
# megabyte, and callers with short-lived tokens each make a key of their own.
MAX_BYTES = 32 * 1024 * 1024
# `_meta` keys that differ on every request and say nothing about the answer: trace context
# (a client with OpenTelemetry sends a new traceparent each time) and a progress token.
PER_REQUEST_META = frozenset({"traceparent", "tracestate", "baggage", "progressToken"})


class ListAnswers:
    """Captured `tools/list` answers for one upstream listing (see the module docstring)."""

    def __init__(self, limit: int = MAX_BYTES) -> None:
        self.limit = limit  # bytes of kept results; an answer over a quarter of it is not kept
        self._size = 0
        self._listing: object | None = None
        self._answers: OrderedDict[bytes, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    @staticmethod
    def key(caller: Any, version: str, params: Any) -> bytes:
        """What the answer depends on besides the listing: the caller and the request."""
        token = getattr(caller, "token", None)
        if token:
            who = ["token", hashlib.sha256(token.encode()).hexdigest()]
        else:
            claims = getattr(caller, "claims", None) or {}
            who = [getattr(caller, "subject", None), list(getattr(caller, "groups", ())), claims]
        if isinstance(params, dict) and isinstance(params.get("_meta"), dict):
            meta = {k: v for k, v in params["_meta"].items() if k not in PER_REQUEST_META}
            params = {**params, "_meta": meta}
        asked = [who, version, params]
        encoded = json.dumps(asked, sort_keys=True, separators=(",", ":"), default=repr)
        return hashlib.sha256(encoded.encode()).digest()

    def kept(
        self, listing: object, key: bytes, request_id: str | int
    ) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """The kept answer for `key` (headers and body) under `request_id`, or None."""
        if listing is not self._listing:
            self._forget(listing)
            return None
        kept = self._answers.get(key)
        if kept is None:
            return None
        self._answers.move_to_end(key)
        headers, result = kept
        body = _envelope(request_id, result)
        return [*headers, (b"content-length", str(len(body)).encode())], body

    async def capture(
        self,
        serve: Callable[[Send], Awaitable[None]],
        send: Send,
        request_id: str | int,
        listing: object,
        held: Callable[[], object],
        key: bytes,
    ) -> None:
        """Run `serve` (FastMCP's path) toward `send`, keeping its answer under `key` when it
        is a plain JSON success and the proxy still `held` the `listing` it was made from
        (kept before its last byte leaves, so the caller's next list finds it)."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def tap(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start is not None:
                    self._keep(start, b"".join(chunks), request_id, listing, held, key)
            await send(message)

        await serve(tap)

    def _keep(
        self,
        start: Message,
        body: bytes,
        request_id: str | int,
        listing: object,
        held: Callable[[], object],
        key: bytes,
    ) -> None:
        if start.get("status") != 200:
            return
        result = _result(start, body, request_id)
        if result is None or held() is not listing:
            return  # FastMCP's path fetched a newer listing meanwhile: its answer is for that
        if len(result) > self.limit // 4:
            return
        if listing is not self._listing:
            self._forget(listing)
        headers = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() != b"content-length"
        ]
        previous = self._answers.pop(key, None)
        self._size -= len(previous[1]) if previous is not None else 0
        self._answers[key] = (headers, result)
        self._size += len(result)
        while self._size > self.limit:
            self._size -= len(self._answers.popitem(last=False)[1][1])

    def _forget(self, listing: object) -> None:
        """Every kept answer goes: they were made from another listing than `listing`."""
        self._listing, self._answers, self._size = listing, OrderedDict(), 0


def _result(start: Message, body: bytes, request_id: str | int) -> bytes | None:
    """The JSON `result` of a plain JSON-RPC success answering `request_id`, else None."""
    headers = dict((k.lower(), v) for k, v in start.get("headers", []))
    if headers.get(b"content-type", b"").split(b";")[0].strip() != b"application/json":
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if (
        not isinstance(message, dict)
        or message.keys() != {"jsonrpc", "id", "result"}
        or message["id"] != request_id
        or type(message["id"]) is not type(request_id)
        or not isinstance(message["result"], dict)
    ):
        return None
    return compact_json(message["result"]).encode()


def _envelope(request_id: str | int, result: bytes) -> bytes:
    head = b'{"jsonrpc":"2.0","id":' + json.dumps(request_id).encode()
    return head + b',"result":' + result + b"}"
