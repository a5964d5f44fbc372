"""Child processes on loopback: a free port, waiting until one listens, stopping them.

The one home of these for the eval's upstreams and servers, the benches (bench/_prism.py,
bench/soak_bench.py), scripts/demo.py and the tests (tests/conftest.py re-exports them). It lives
outside adaptgen.runtime, so a shipped server's zip never carries it.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int,
    process: subprocess.Popen | None = None,
    timeout: float = 60.0,
    what: str = "process",
    log: Path | None = None,
) -> None:
    """Return once 127.0.0.1:`port` accepts connections; fail if `process` exits first.

    `log` is the file the process writes to: its last words go in the error, since a process
    that died before listening says why there and nowhere else.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = f": {_tail(log)}" if log is not None else ""
            raise RuntimeError(
                f"{what} exited with status {process.returncode} before listening{tail}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{what} not listening on 127.0.0.1:{port} after {timeout:g}s")


def _tail(log: Path, words: int = 40) -> str:
    return " ".join(log.read_text(errors="replace").split()[-words:])


def stop(process: subprocess.Popen) -> None:
    """Terminate `process` (kill it after 10 s) and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
