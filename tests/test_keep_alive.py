"""A served MCP server keeps an idle HTTP connection open longer than clients keep it in their
pools (httpx and the MCP SDKs: 5 s), so a client never reuses a connection the server is
closing at that moment (a ReadError with no answer: a lost call under load)."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time

from conftest import ROOT, free_port, wait_for_port

from adaptgen.runtime.network import KEEP_ALIVE_SECONDS

CLIENT_POOL_EXPIRY = 5.0  # httpx's keepalive_expiry, which the MCP clients use


def test_an_idle_connection_outlives_the_clients_pool_expiry():
    assert KEEP_ALIVE_SECONDS > CLIENT_POOL_EXPIRY
    port = free_port()
    command = [sys.executable, "-m", "adaptgen", "serve", str(ROOT / "generated" / "crm")]
    process = subprocess.Popen(
        [*command, "--transport", "http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        statuses = []
        for pause in (0.0, CLIENT_POOL_EXPIRY + 1.0):
            time.sleep(pause)
            connection.request("GET", "/not-here")  # the same connection, idle for `pause`
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert statuses == [404, 404]
