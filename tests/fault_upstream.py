"""A loopback API that misbehaves on purpose, for hardening tests and the memory benchmark.

Every route counts the requests it receives, per route and per `key` (a path segment or query
parameter the test picks), so a test can assert how many attempts a tool call made:

- `/flaky/{key}?fail=N&status=503`: answers `status` N times for that key, then 200 JSON.
- `/throttled/{key}?fail=N&after=S`: 429 with `Retry-After: S` N times, then 200 JSON
  (`after=date:S` sends S seconds from now as an HTTP date).
- `/drip?bytes=N&ms=M`: a JSON body sent one byte every M ms.
- `/garbage`: 200 with `Content-Type: application/json` and a body that is not JSON.
- `/html`: 200 with an HTML maintenance page.
- `/huge?mb=N&length=1&status=200&key=K`: N MiB of JSON records made on the fly as they are
  sent (never held in memory); `length=1` declares the Content-Length, `length=0` sends it
  chunked; `sent(K)` says how many body bytes went out.
- `/reset/{key}`: starts a 200 body, then drops the connection mid-response.
- `/nested?depth=N`: a JSON array nested N levels deep.
- `/echo/{key}`: 200 JSON echoing the request's headers and URL length.
- `/_counts`: the request counts, as JSON (`{"route key": n}`).

`python tests/fault_upstream.py --port P` serves it alone (the memory benchmark does).
`spec(url)` is an OpenAPI document whose operations call these routes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import logging
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

MIB = 1024 * 1024
# One record of /huge: 100 bytes, so N MiB is a whole number of records plus the brackets.
RECORD = b'{"id":0,"name":"' + b"x" * 82 + b'"},'
RECORDS_PER_WRITE = 640  # 64 KB
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
NOTE_EMAIL = "ada.lovelace@example.com"
NOTE_PHONE = "+1 415 555 0134"


class DeliberateReset(Exception):
    """Raised inside /reset's body: the server then drops the connection mid-response."""


class FaultUpstream:
    """The app and its request counts (thread-safe: uvicorn serves it in another thread)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._sent: Counter[str] = Counter()  # body bytes /huge handed to the server, by key
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/flaky/{key}", self.flaky, methods=METHODS),
                Route("/throttled/{key}", self.throttled, methods=METHODS),
                Route("/drip", self.drip, methods=METHODS),
                Route("/garbage", self.garbage, methods=METHODS),
                Route("/html", self.html, methods=METHODS),
                Route("/note", self.note, methods=METHODS),
                Route("/huge", self.huge, methods=METHODS),
                Route("/reset/{key}", self.reset, methods=METHODS),
                Route("/nested", self.nested, methods=METHODS),
                Route("/echo/{key}", self.echo, methods=METHODS),
                Route("/_counts", self.counts),
            ]
        )

    def count(self, route: str, key: str = "") -> int:
        """Requests `route` (its first path segment) received for `key` so far."""
        with self._lock:
            return self._counts[f"{route} {key}".strip()]

    def sent(self, key: str) -> int:
        """Body bytes /huge?key=KEY has handed to the server so far (the rest was never made)."""
        with self._lock:
            return self._sent[key]

    def _seen(self, request: Request) -> int:
        route = request.url.path.strip("/").split("/")[0]
        key = request.path_params.get("key", "")
        with self._lock:
            self._counts[f"{route} {key}".strip()] += 1
            return self._counts[f"{route} {key}".strip()]

    async def flaky(self, request: Request) -> Response:
        seen = self._seen(request)
        if seen <= _int(request, "fail", 2):
            status = _int(request, "status", 503)
            return JSONResponse({"error": "try again"}, status_code=status)
        return JSONResponse({"ok": True, "attempt": seen})

    async def throttled(self, request: Request) -> Response:
        seen = self._seen(request)
        if seen <= _int(request, "fail", 1):
            after = request.query_params.get("after", "1")
            if after.startswith("date:"):
                when = time.time() + float(after.removeprefix("date:"))
                after = email.utils.formatdate(when, usegmt=True)
            headers = {"Retry-After": after}
            return JSONResponse({"error": "slow down"}, status_code=429, headers=headers)
        return JSONResponse({"ok": True, "attempt": seen})

    async def drip(self, request: Request) -> Response:
        self._seen(request)
        size, pause = _int(request, "bytes", 40), _int(request, "ms", 100) / 1000
        body = b'{"data":"' + b"x" * max(0, size - 11) + b'"}'

        async def one_byte_at_a_time() -> AsyncIterator[bytes]:
            for index in range(len(body)):
                yield body[index : index + 1]
                await asyncio.sleep(pause)

        return StreamingResponse(one_byte_at_a_time(), media_type="application/json")

    async def garbage(self, request: Request) -> Response:
        self._seen(request)
        return Response(b'{"contacts": [{"id": 1, "name": tru', media_type="application/json")

    async def html(self, request: Request) -> Response:
        self._seen(request)
        return HTMLResponse("<html><body><h1>Down for maintenance</h1><p>Back soon.</p></body>")

    async def note(self, request: Request) -> Response:
        """Plain text holding personal data (the governance layer must tokenize it too)."""
        self._seen(request)
        return PlainTextResponse(f"Call {NOTE_EMAIL} or {NOTE_PHONE} about the renewal.")

    async def huge(self, request: Request) -> Response:
        self._seen(request)
        key = request.query_params.get("key", "")
        records = _int(request, "mb", 100) * MIB // len(RECORD)
        head, tail = b'{"items":[', b'{"id":-1}]}'
        length = len(head) + records * len(RECORD) + len(tail)

        async def generated() -> AsyncIterator[bytes]:
            for part in _records(head, records, tail):
                with self._lock:
                    self._sent[key] += len(part)
                yield part
                await asyncio.sleep(0)  # lets a client's disconnect stop the body

        headers = {"Content-Length": str(length)} if _int(request, "length", 1) else {}
        status = _int(request, "status", 200)
        return StreamingResponse(
            generated(), status_code=status, media_type="application/json", headers=headers
        )

    async def reset(self, request: Request) -> Response:
        self._seen(request)

        async def broken() -> AsyncIterator[bytes]:
            yield b'{"items":[{"id":1},'
            await asyncio.sleep(0.05)  # let the first bytes reach the client
            raise DeliberateReset

        return StreamingResponse(broken(), media_type="application/json")

    async def nested(self, request: Request) -> Response:
        self._seen(request)
        depth = _int(request, "depth", 5000)
        return Response(b"[" * depth + b"]" * depth, media_type="application/json")

    async def echo(self, request: Request) -> Response:
        self._seen(request)
        return JSONResponse({"headers": dict(request.headers), "url_length": len(str(request.url))})

    async def counts(self, request: Request) -> Response:
        with self._lock:
            return JSONResponse(dict(self._counts))


def spec(base_url: str) -> dict[str, Any]:
    """An OpenAPI 3.0 document whose operations call the fault routes at `base_url`."""

    def query(name: str, kind: str = "integer") -> dict[str, Any]:
        return {"name": name, "in": "query", "schema": {"type": kind}}

    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}

    def operation(op_id: str, *params: dict[str, Any], body: bool = False) -> dict[str, Any]:
        entry: dict[str, Any] = {"operationId": op_id, "parameters": list(params), "responses": ok}
        if body:
            schema = {"type": "object", "properties": {"note": {"type": "string"}}}
            entry["requestBody"] = {"content": {"application/json": {"schema": schema}}}
        return entry

    idempotency = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
    flaky_params = (key, query("fail"), query("status"))
    return {
        "openapi": "3.0.3",
        "info": {"title": "Fault upstream", "version": "1"},
        "servers": [{"url": base_url}],
        "paths": {
            "/flaky/{key}": {
                "get": operation("getFlaky", *flaky_params),
                "post": operation("postFlaky", *flaky_params, idempotency, body=True),
            },
            # A GET that writes, as AWS query APIs declare every action (`/#Action=...`).
            "/flaky/{key}#CancelFlaky": {"get": operation("GET_CancelFlaky", *flaky_params)},
            # A read POSTed, as AWS's JSON APIs send every action.
            "/flaky/{key}#X-Amz-Target=Fault.DescribeFlaky": {
                "post": operation("DescribeFlaky", *flaky_params)
            },
            "/throttled/{key}": {
                "get": operation("getThrottled", key, query("fail"), query("after", "string"))
            },
            "/drip": {"get": operation("getDrip", query("bytes"), query("ms"))},
            "/garbage": {"get": operation("getGarbage")},
            "/html": {"get": operation("getHtml")},
            "/note": {"get": operation("getNote")},
            "/huge": {
                "get": operation(
                    "getHuge", query("mb"), query("length"), query("status"), query("key", "string")
                )
            },
            "/reset/{key}": {
                "get": operation("getReset", key),
                "post": operation("postReset", key, body=True),
            },
            "/nested": {"get": operation("getNested", query("depth"))},
            "/echo/{key}": {
                "get": operation(
                    "getEcho",
                    key,
                    query("q", "string"),
                    {"name": "X-Note", "in": "header", "schema": {"type": "string"}},
                )
            },
        },
    }


class _QuietReset(logging.Filter):
    """Keeps uvicorn's traceback for the deliberate reset out of test output."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DeliberateReset))


@contextlib.contextmanager
def running() -> Iterator[tuple[str, FaultUpstream]]:
    """Serve a fresh fault upstream on 127.0.0.1 for the block: (base URL, its counts)."""
    from adaptgen.sandbox.server import serve_app

    fault = FaultUpstream()
    with serve_app(fault.app) as url:
        yield url, fault


def _records(head: bytes, records: int, tail: bytes) -> Iterator[bytes]:
    """The body of /huge, 64 KB a write."""
    yield head
    for start in range(0, records, RECORDS_PER_WRITE):
        yield RECORD * min(RECORDS_PER_WRITE, records - start)
    yield tail


def _int(request: Request, name: str, default: int) -> int:
    return int(request.query_params.get(name, default))


logging.getLogger("uvicorn.error").addFilter(_QuietReset())


def main() -> None:
    """Serve the fault upstream alone, until interrupted."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(FaultUpstream().app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
