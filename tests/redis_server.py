"""A real, throwaway redis-server for tests: loopback only, a free port, no persistence.

`redis_server()` starts one (from `redis-server` on PATH: Debian's `redis-server` package) and
stops it afterwards; the `redis_url` fixture wraps it. When the binary is missing the test is
skipped with the reason, unless ADAPTGEN_REQUIRE_TOOLS=1 (.ci/run), where it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from adaptgen.evaluation.processes import free_port


def redis_server_binary() -> str:
    """Path of `redis-server`, or skip/fail the test with the reason."""
    path = shutil.which("redis-server")
    if path is None:
        message = "redis-server not on PATH: install it (Debian: apt-get install redis-server)"
        if os.environ.get("ADAPTGEN_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _ping(port: int) -> bool:
    """True once the server answers PING (listening alone is not ready: it may be loading)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(timeout: float = 10) -> Iterator[str]:
    """Run redis-server on 127.0.0.1 and a free port; yields its `redis://` URL."""
    binary = redis_server_binary()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="adaptgen-redis-") as workdir:
        log = os.path.join(workdir, "redis.log")
        options = {
            "bind": "127.0.0.1",
            "port": str(port),
            "save": "",  # no RDB snapshots
            "appendonly": "no",  # no AOF
            "dir": workdir,  # nothing is persisted, but never write into the repo
            "daemonize": "no",
            "logfile": log,
            "loglevel": "warning",
        }
        args = [binary, *(part for name, value in options.items() for part in (f"--{name}", value))]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout
            while not _ping(port):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {process.returncode}: {_tail(log)}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"redis-server not answering on 127.0.0.1:{port}")
                time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop_redis(process)


def stop_redis(process: subprocess.Popen) -> None:
    """Stop a redis-server started here (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _tail(path: str) -> str:
    try:
        with open(path, errors="replace") as file:
            return file.read()[-2000:]
    except OSError:
        return "(no log)"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A fresh redis-server for one test; its URL."""
    with redis_server() as url:
        yield url
