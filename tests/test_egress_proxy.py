"""An upstream reached through a company's egress proxy (`runtime/proxies.py`): `<NAME>_PROXY`,
else `HTTPS_PROXY`/`HTTP_PROXY` unless `NO_PROXY` names the host or it is this machine.

The proxy is a real one on 127.0.0.1: it reads each request's absolute-form target (what a
client sends an HTTP proxy) and answers for the upstream, so a request that did not go through
it reaches no upstream at all (the upstream's host name resolves nowhere)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from conftest import built_server, result_data, tool_caller

from adaptgen.runtime.proxies import proxy_for


class Proxy:
    """A forward proxy that answers every request itself, noting its request line."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.url = ""

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode().strip()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        self.seen.append(line)
        body = json.dumps({"via": "proxy", "target": line.split(" ")[1]}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        writer.write(head.encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    def run(self) -> Iterator[Proxy]:
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        async def serve() -> None:
            server = await asyncio.start_server(self._one, "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            ready.set()
            async with server:
                await server.serve_forever()

        thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
        thread.start()
        ready.wait(5)
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(loop.stop)


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    yield from Proxy().run()


def _spec(url: str) -> dict:
    answer = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    paths = {"/status": {"get": {"operationId": "getStatus", "responses": answer}}}
    info = {"title": "Partner", "version": "1"}
    return {"openapi": "3.0.3", "info": info, "servers": [{"url": url}], "paths": paths}


def test_the_upstream_is_reached_through_the_proxy(tmp_path, monkeypatch, proxy):
    module, _ = built_server(tmp_path, _spec("http://partner.invalid/api"), "partner")
    call = tool_caller(module)
    for name in ("NO_PROXY", "no_proxy", "PARTNER_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    answer = call("get_status", {})
    assert not answer.is_error, answer.content[0].text
    assert result_data(answer.content[0].text) == {
        "via": "proxy",
        "target": "http://partner.invalid/api/status",
    }
    assert proxy.seen == ["GET http://partner.invalid/api/status HTTP/1.1"]


def test_no_proxy_and_this_machine_go_direct(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "https_proxy", "no_proxy", "X_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "localhost, .internal.corp, partner.example:443")
    assert proxy_for("https://api.vendor.example/v1", "X") == "http://proxy.corp:3128"
    assert proxy_for("https://billing.internal.corp/api", "X") is None
    assert proxy_for("https://internal.corp/api", "X") is None
    assert proxy_for("https://partner.example/api", "X") is None
    assert proxy_for("https://127.0.0.1:8443/api", "X") is None
    assert proxy_for("http://api.vendor.example/v1", "X") is None  # HTTP_PROXY is unset
    monkeypatch.setenv("X_PROXY", "http://egress:8080")  # the server's own setting wins
    assert proxy_for("https://billing.internal.corp/api", "X") == "http://egress:8080"
    assert proxy_for("https://login.idp.example/keys", None) == "http://proxy.corp:3128"
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.delenv("X_PROXY")
    assert proxy_for("https://api.vendor.example/v1", "X") is None
