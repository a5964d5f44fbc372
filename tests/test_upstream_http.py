"""The proxy fast path's lean upstream client (governance/upstream_http.py), against real
HTTP servers on 127.0.0.1 that answer in every framing HTTP/1.1 allows and misbehave on purpose."""

from __future__ import annotations

import asyncio
import functools
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx2
import pytest

from adaptgen.runtime.governance.upstream_auth import StaticHeaderAuth
from adaptgen.runtime.governance.upstream_http import UpstreamHTTP, usable_for


def in_loop(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test in its own event loop (the project's tests use asyncio.run)."""

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # True: keep the connection


@dataclass
class Upstream:
    """A raw HTTP/1.1 server: each request's head and body recorded, answered by `answer`."""

    answer: Answer
    url: str = ""
    connections: int = 0
    requests: list[tuple[bytes, bytes]] = field(default_factory=list)


async def _serve(upstream: Upstream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    upstream.connections += 1
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            upstream.requests.append((head, body))
            if not await upstream.answer(head, writer):
                return
    finally:
        writer.close()


@asynccontextmanager
async def upstream_at(answer: Answer) -> AsyncIterator[Upstream]:
    upstream = Upstream(answer)
    server = await asyncio.start_server(lambda r, w: _serve(upstream, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    upstream.url = f"http://127.0.0.1:{port}/mcp"
    async with server:
        yield upstream


def json_answer(body: bytes = b'{"ok":true}', status: str = "200 OK") -> Answer:
    async def answer(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        return True

    return answer


def client(url: str, auth: httpx2.Auth | None = None, read: float = 5.0) -> UpstreamHTTP:
    return UpstreamHTTP(url, auth=auth, connect_timeout=2.0, read_timeout=read)


async def post(http: UpstreamHTTP, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with http.post(headers or {"content-type": "application/json"}, b'{"a":1}') as answer:
        return answer.status_code, await answer.aread()


@in_loop
async def test_keeps_one_connection_alive_across_requests():
    async with upstream_at(json_answer()) as upstream:
        http = client(upstream.url)
        answers = [await post(http) for _ in range(5)]
        await http.aclose()
    assert answers == [(200, b'{"ok":true}')] * 5
    assert upstream.connections == 1
    head, body = upstream.requests[0]
    assert head.startswith(b"POST /mcp HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in head and b"\r\nContent-Length: 7\r\n" in head
    assert body == b'{"a":1}'


@in_loop
async def test_an_idle_connection_the_upstream_closed_is_replaced_without_an_error():
    async def answer_once(head: bytes, writer: asyncio.StreamWriter) -> bool:
        await json_answer()(head, writer)
        return False  # then close, as an upstream's idle timeout would

    async with upstream_at(answer_once) as upstream:
        http = client(upstream.url)
        assert await post(http) == (200, b'{"ok":true}')
        await asyncio.sleep(0.05)
        assert await post(http) == (200, b'{"ok":true}')
    assert upstream.connections == 2
    assert len(upstream.requests) == 2  # each request sent once


@in_loop
async def test_chunked_and_close_delimited_bodies_and_gzip():
    async def chunked(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for part in (b'{"a":', b'"b"}'):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
        writer.write(b"0\r\n\r\n")
        return True

    async def until_close(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it")
        await writer.drain()
        return False

    async def gzipped(head: bytes, writer: asyncio.StreamWriter) -> bool:
        body = gzip.compress(b'{"z":1}')
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n" % len(body)
            + body
        )
        return True

    for answer, expected in (
        (chunked, b'{"a":"b"}'),
        (until_close, b"all of it"),
        (gzipped, b'{"z":1}'),
    ):
        async with upstream_at(answer) as upstream:
            http = client(upstream.url)
            assert await post(http) == (200, expected)
            assert await post(http) == (200, expected)
            await http.aclose()


@in_loop
async def test_an_event_stream_is_read_only_as_far_as_needed():
    finished = asyncio.Event()

    async def stream(head: bytes, writer: asyncio.StreamWriter) -> bool:
        if finished.is_set():
            return await json_answer()(head, writer)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n")
        writer.write(b"transfer-encoding: chunked\r\n\r\n")
        event = b'event: message\r\ndata: {"id":1}\r\n\r\n'
        writer.write(b"%x\r\n%s\r\n" % (len(event), event))
        await writer.drain()
        await finished.wait()  # the stream stays open: the client must not wait for its end
        return False

    async with upstream_at(stream) as upstream:
        http = client(upstream.url, read=30.0)
        async with http.post({}, b"{}") as answer:
            lines = []
            async for line in answer.aiter_lines():
                lines.append(line)
                if line == "":
                    break
        finished.set()
        assert lines == ["event: message", 'data: {"id":1}', ""]
        assert await post(http) == (200, b'{"ok":true}')  # on a new connection
    assert upstream.connections == 2


@in_loop
async def test_credentials_go_only_to_the_configured_origin(monkeypatch):
    class Elsewhere(httpx2.Auth):
        def __init__(self, url: str) -> None:
            self.url = url

        def auth_flow(self, request):  # noqa: ANN001, ANN202
            request.url = httpx2.URL(self.url)
            request.headers["authorization"] = "Bearer secret-value"
            yield request

    async with upstream_at(json_answer()) as ours, upstream_at(json_answer()) as other:
        http = client(ours.url, auth=Elsewhere(other.url))
        with pytest.raises(httpx2.UnsupportedProtocol, match="another origin"):
            await post(http)
    assert other.connections == 0 and ours.connections == 0


@in_loop
async def test_static_header_auth_and_a_flow_that_retries_on_401(monkeypatch):
    monkeypatch.setenv("UPSTREAM_TEST_KEY", "k-123")

    async with upstream_at(json_answer()) as upstream:
        http = client(upstream.url, auth=StaticHeaderAuth("x-api-key", "${env:UPSTREAM_TEST_KEY}"))
        assert await post(http) == (200, b'{"ok":true}')
    assert b"\r\nx-api-key: k-123\r\n" in upstream.requests[0][0]

    class Refreshing(httpx2.Auth):
        def auth_flow(self, request):  # noqa: ANN001, ANN202
            request.headers["authorization"] = "Bearer old"
            response = yield request
            if response.status_code == 401:
                request.headers["authorization"] = "Bearer new"
                yield request

    async def only_new(head: bytes, writer: asyncio.StreamWriter) -> bool:
        if b"Bearer new" in head:
            return await json_answer()(head, writer)
        return await json_answer(b'{"error":"expired"}', "401 Unauthorized")(head, writer)

    async with upstream_at(only_new) as upstream:
        http = client(upstream.url, auth=Refreshing())
        assert await post(http) == (200, b'{"ok":true}')
    assert [b"Bearer new" in head for head, _ in upstream.requests] == [False, True]
    assert upstream.connections == 1  # the refused answer was read to its end, then reused


@in_loop
async def test_a_line_break_in_a_header_is_refused_before_anything_is_sent():
    async with upstream_at(json_answer()) as upstream:
        http = client(upstream.url)
        with pytest.raises(httpx2.LocalProtocolError, match="line break"):
            await post(http, {"x-name": "a\r\nx-injected: 1"})
    assert upstream.requests == []


@in_loop
async def test_failures_raise_httpx2_errors_without_secrets(monkeypatch):
    async def silent(head: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(5)
        return False

    async def cut(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial")
        await writer.drain()
        return False

    async with upstream_at(silent) as upstream:
        with pytest.raises(httpx2.ReadTimeout):
            await post(client(upstream.url, read=0.2))
    async with upstream_at(cut) as upstream:
        with pytest.raises(httpx2.RemoteProtocolError):
            await post(client(upstream.url))
    async with upstream_at(json_answer()) as upstream:
        gone = upstream.url
    with pytest.raises(httpx2.ConnectError):
        await post(client(gone))


def test_usable_unless_the_environment_routes_the_upstream_through_a_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert usable_for("http://127.0.0.1:9/mcp")
    assert usable_for("https://mcp.example.test/mcp")
    assert not usable_for("http://user:pw@127.0.0.1:9/mcp")
    assert not usable_for("unix:///tmp/socket")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    assert not usable_for("http://upstream.test/mcp")
    monkeypatch.setenv("NO_PROXY", "upstream.test")
    assert usable_for("http://upstream.test/mcp")
