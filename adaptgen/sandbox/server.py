"""Running the sandbox: blocking (:func:`serve`) or in a background thread (:func:`running`)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from .app import create_app
from .data import API_PREFIX

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8400
STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0


@dataclass(frozen=True)
class RunningSandbox:
    """Handle on a sandbox served by :func:`running`."""

    host: str
    port: int
    app: Starlette

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no API prefix)."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The API base URL including the prefix, e.g. ``http://127.0.0.1:54321/api/v1``."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def request_log(self) -> deque[dict[str, Any]]:
        """Every request the server received (see ``create_app``)."""
        return self.app.state.request_log

    @property
    def api_key(self) -> str:
        """The static API key this instance accepts (unless ``require_session``)."""
        return self.app.state.config.api_key

    @property
    def headers(self) -> dict[str, str]:
        """Ready-to-use auth headers with the static API key."""
        return {"X-API-Key": self.api_key}


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **create_app_kwargs: Any) -> None:
    """Serve the sandbox CRM until interrupted (blocking); used by ``adaptgen sandbox``.

    Keyword arguments are passed to :func:`adaptgen.sandbox.create_app`.
    """
    app = create_app(**create_app_kwargs)
    config = app.state.config
    print(
        f"Acme Legacy CRM sandbox on http://{host}:{port}{API_PREFIX} "
        f"(X-API-Key: {config.api_key}; POST /auth/login as {config.username!r})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="info", ws="none", lifespan="off")


@contextlib.contextmanager
def serve_app(
    app: ASGIApp, port: int = 0, *, lifespan: bool = False, tls: Mapping[str, Any] | None = None
) -> Iterator[str]:
    """Serve any ASGI ``app`` on 127.0.0.1 in a background thread for the ``with`` block.

    ``port=0`` picks a free port. Blocks until the server accepts connections, yields its base
    URL (``http://127.0.0.1:PORT``, no trailing slash) and shuts the server down on exit. Safe
    to use repeatedly (and concurrently) in one process. ``lifespan=True`` runs the app's
    startup/shutdown (FastMCP's HTTP app needs it). ``tls``: uvicorn's ``ssl_*`` options
    (``ssl_certfile``, ``ssl_keyfile``, ``ssl_ca_certs``, ``ssl_cert_reqs``): served over
    HTTPS, the URL ``https://...``.
    """
    # Bind the socket ourselves: we learn the real port for port=0 without racing uvicorn.
    # proto must be IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets
    # whose proto says TCP, and without it keep-alive requests stall ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((DEFAULT_HOST, port))
    except OSError:
        sock.close()
        raise
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on" if lifespan else "off",
        ws="none",
        timeout_graceful_shutdown=1,
        **dict(tls or {}),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"adaptgen-sandbox-{actual_port}",
        daemon=True,  # never keep the interpreter alive because of a forgotten server
    )
    thread.start()
    try:
        _wait_until_ready(server, thread, actual_port)
        yield f"{'https' if tls else 'http'}://{DEFAULT_HOST}:{actual_port}"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT)
        sock.close()


@contextlib.contextmanager
def running(port: int = 0, **create_app_kwargs: Any) -> Iterator[RunningSandbox]:
    """Serve a fresh sandbox CRM on 127.0.0.1 in a background thread for the ``with`` block.

    ``port=0`` picks a free port; other keyword arguments go to
    :func:`adaptgen.sandbox.create_app`. Blocks until the server accepts connections, yields a
    :class:`RunningSandbox` (``.url``, ``.app``, ``.request_log``...) and shuts the server down
    on exit. Safe to use repeatedly (and concurrently) in one process.
    """
    app = create_app(**create_app_kwargs)
    with serve_app(app, port) as base_url:
        yield RunningSandbox(DEFAULT_HOST, int(base_url.rsplit(":", 1)[1]), app)


def _wait_until_ready(server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"sandbox server on port {port} exited during startup")
        if server.started:
            # `started` is set once uvicorn listens; a TCP connect confirms it really answers.
            with contextlib.suppress(OSError), socket.create_connection((DEFAULT_HOST, port), 1):
                return
        time.sleep(0.01)
    raise TimeoutError(f"sandbox server on port {port} did not start in {STARTUP_TIMEOUT}s")
