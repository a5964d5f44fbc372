"""A lean HTTP/1.1 keep-alive client for the proxy's fast path (`relay.py`).

The relay sends one small JSON-RPC POST upstream per `tools/call`. Through `httpx2` that hop
cost about two thirds of the proxy's CPU per call (client, pool, transport layers and response
models for a 1 KB exchange), and the proxy's added latency is that CPU. This client does the
same exchange on asyncio streams with `httptools` (uvicorn's parser, already installed):
pooled keep-alive connections, connect/read/write timeouts, chunked, length- and close-
delimited bodies, an event-stream body read only as far as the caller needs.

It is deliberately narrow. It speaks only to the one origin it was made for: a request for any
other scheme, host or port (an auth flow rewriting the URL, say) is refused before credentials
leave the process. Credentials come from the same `httpx2.Auth` as the proxy's sessions, run
as `httpx2` would run it (the flow sees each answer's status and headers, and its body when it
asks for it). Redirects are not followed (a redirect is not the configured upstream). Failures
raise `httpx2`'s own exception types, so callers handle one family of errors.
`usable_for` says when it cannot serve an upstream (an HTTP proxy configured in the
environment, a scheme other than http/https): the relay then keeps `httpx2`.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
import zlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httptools
import httpx2

from adaptgen.runtime.governance.upstream_auth import StaticHeaderAuth

USER_AGENT = f"python-httpx2/{httpx2.__version__}"  # the same as the session's client
READ_SIZE = 65536
DEFAULT_PORTS = {"http": 80, "https": 443}


def usable_for(url: str) -> bool:
    """Whether this client can serve `url` the way `httpx2` would: http(s), and no proxy
    from the environment applies to it (`httpx2` honours those; this client does not)."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return False
    if parts.username is not None or parts.password is not None:
        return False  # httpx2 turns URL credentials into basic auth
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname))


class Response:
    """One upstream answer: status and headers at once, the body as it arrives."""

    def __init__(self, connection: _Connection, parser: _Parser) -> None:
        self._connection = connection
        self._parser = parser
        self.status_code = parser.status
        self.headers = httpx2.Headers(parser.headers)
        self._decoder = _decoder(self.headers.get("content-encoding", ""))

    async def aread(self) -> bytes:
        """The whole body (decoded if the upstream compressed it)."""
        while not self._parser.complete:
            await self._connection.pump(self._parser)
        return self._decoded(self._parser.take())

    async def aiter_lines(self) -> AsyncIterator[str]:
        """The body's lines as they arrive (an event stream is read only as far as needed)."""
        pending = ""
        while True:
            pending += self._decoded(self._parser.take()).decode("utf-8", "replace")
            *lines, pending = pending.replace("\r\n", "\n").split("\n")
            for line in lines:
                yield line
            if self._parser.complete:
                break
            await self._connection.pump(self._parser)
        if pending:
            yield pending

    def _decoded(self, data: bytes) -> bytes:
        return self._decoder.decompress(data) if self._decoder is not None else data


class UpstreamHTTP:
    """Keep-alive connections to one upstream origin (one per event loop: see the relay)."""

    def __init__(
        self,
        url: str,
        *,
        auth: httpx2.Auth | None,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int = 256,
        max_idle: int = 64,
    ) -> None:
        parts = urlsplit(url)
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.auth = auth
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: deque[_Connection] = deque()
        self._max_idle = max_idle
        self._tls: ssl.SSLContext | None = None
        host = f"[{self.host}]" if ":" in self.host else self.host
        if parts.port is not None and parts.port != DEFAULT_PORTS[parts.scheme]:
            host += f":{parts.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._start = f"POST {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"

    @asynccontextmanager
    async def post(self, headers: Mapping[str, str], content: bytes) -> AsyncIterator[Response]:
        """POST `content` to the upstream URL with `headers` and the upstream's credentials;
        the answer is readable inside the block (a body left unread closes the connection)."""
        if self.auth is None or isinstance(self.auth, StaticHeaderAuth):
            # No flow to run: the request written out directly (most of the hop's CPU saved).
            extra = [await self.auth.header()] if self.auth is not None else []
            head = self._plain_head([*headers.items(), *extra], len(content))
            async with self._slots:
                connection, response = await self._exchange(head, content)
                try:
                    yield response
                finally:
                    self._release(connection)
            return
        request = httpx2.Request("POST", self.url, headers=headers, content=content)
        request.headers["User-Agent"] = USER_AGENT
        flow = self.auth.async_auth_flow(request) if self.auth is not None else None
        outgoing = await flow.__anext__() if flow is not None else request
        while True:
            async with self._slots:
                self._check_origin(outgoing.url)
                connection, response = await self._exchange(_head(outgoing), outgoing.content)
                try:
                    if flow is None:
                        yield response
                        return
                    if self.auth.requires_response_body:  # type: ignore[union-attr]
                        await response.aread()
                    answer = httpx2.Response(
                        response.status_code, headers=response.headers, request=outgoing
                    )
                    try:
                        outgoing = await flow.asend(answer)
                    except StopAsyncIteration:
                        yield response
                        return
                    await response.aread()  # the flow sends again: finish this exchange first
                finally:
                    self._release(connection)

    async def aclose(self) -> None:
        while self._idle:
            self._idle.popleft().close()

    def _plain_head(self, headers: list[tuple[str, str]], length: int) -> bytes:
        lines = [self._start]
        for name, value in headers:
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise httpx2.LocalProtocolError(f"refused: a line break in header {name!r}")
            lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {length}\r\n\r\n")
        return "".join(lines).encode("latin-1")

    async def _exchange(self, head: bytes, content: bytes) -> tuple[_Connection, Response]:
        """Send a request and read the answer's head, on an idle connection when one is
        alive (once more on a new one if it turns out the upstream had closed it)."""
        while True:
            connection = self._idle.popleft() if self._idle else None
            reused = connection is not None and connection.alive()
            if connection is not None and not reused:
                connection.close()
                continue
            if connection is None:
                connection = await self._connect()
            try:
                response = await connection.send(head, content, self)
            except _ClosedBeforeAnswer:
                connection.close()
                if reused:
                    continue
                raise httpx2.RemoteProtocolError(
                    "the upstream closed the connection without an answer"
                ) from None
            except BaseException:
                connection.close()
                raise
            return connection, response

    def _check_origin(self, url: httpx2.URL) -> None:
        port = url.port or DEFAULT_PORTS.get(url.scheme)
        if (url.scheme, url.host, port) != (self.scheme, self.host, self.port):
            raise httpx2.UnsupportedProtocol(
                "refused: a request for another origin than the configured upstream"
            )

    async def _connect(self) -> _Connection:
        tls = self._context() if self.scheme == "https" else None
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=tls, server_hostname=self.host if tls else None
                )
        except TimeoutError:
            raise httpx2.ConnectTimeout("timed out connecting to the upstream") from None
        except OSError as exc:
            raise httpx2.ConnectError(type(exc).__name__) from None
        return _Connection(reader, writer)

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = httpx2.create_ssl_context()
        return self._tls

    def _release(self, connection: _Connection) -> None:
        if connection.reusable and len(self._idle) < self._max_idle:
            self._idle.append(connection)
        else:
            connection.close()


class _ClosedBeforeAnswer(Exception):
    """The connection ended before a byte of the answer arrived."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reusable = False
        self._timeout = 0.0

    def alive(self) -> bool:
        return not (self.writer.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        self.reusable = False
        self.writer.close()

    async def send(self, head: bytes, body: bytes, client: UpstreamHTTP) -> Response:
        self.reusable = False
        self._timeout = client.read_timeout
        self.writer.write(head + body)
        try:
            async with asyncio.timeout(client.connect_timeout):
                await self.writer.drain()
        except TimeoutError:
            raise httpx2.WriteTimeout("timed out writing to the upstream") from None
        except OSError:
            raise _ClosedBeforeAnswer from None
        parser = _Parser()
        while not parser.headed:
            if not await self.pump(parser) and not parser.seen:
                raise _ClosedBeforeAnswer
        return Response(self, parser)

    async def pump(self, parser: _Parser) -> bool:
        """Read once and feed the parser; False at the end of the stream."""
        try:
            async with asyncio.timeout(self._timeout):
                data = await self.reader.read(READ_SIZE)
        except TimeoutError:
            raise httpx2.ReadTimeout("timed out waiting for the upstream") from None
        except OSError as exc:
            raise httpx2.ReadError(type(exc).__name__) from None
        if not data:
            parser.finish()
            return False
        parser.feed(data)
        if parser.complete:
            self.reusable = parser.keep_alive
        return True


class _Parser:
    """httptools callbacks: status, headers, body chunks, and the end of the message."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.status = 0
        self.headed = False
        self.complete = False
        self.keep_alive = False
        self.seen = False
        self._body: list[bytes] = []
        self._delimited = True

    def feed(self, data: bytes) -> None:
        self.seen = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise httpx2.RemoteProtocolError(f"malformed answer from the upstream: {exc}") from None

    def finish(self) -> None:
        """The upstream closed the connection: the end of a close-delimited body."""
        if self.headed and not self._delimited:
            self.complete = True
        elif self.seen:
            raise httpx2.RemoteProtocolError("the upstream closed the connection mid-answer")

    def take(self) -> bytes:
        data = b"".join(self._body)
        self._body.clear()
        return data

    # httptools' callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self.headed = True
        names = {name.lower() for name, _ in self.headers}
        chunked = any(
            name.lower() == b"transfer-encoding" and b"chunked" in value.lower()
            for name, value in self.headers
        )
        self._delimited = chunked or b"content-length" in names or self.status in (204, 304)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self._delimited and self._parser.should_keep_alive()


def _head(request: httpx2.Request) -> bytes:
    target = request.url.raw_path or b"/"
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), target)]
    lines += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _decoder(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise httpx2.DecodingError(f"the upstream sent a body encoded as {encoding!r}")
