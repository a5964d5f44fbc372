"""Sandbox CRM: a realistic *legacy* API (``specs/crm.yaml``) served locally.

Used by the demo, the tests and the benchmarks on 127.0.0.1 without any outside network::

    from adaptgen.sandbox import running

    with running() as crm:                      # free port, background thread
        httpx.get(f"{crm.url}/contacts", headers={"X-API-Key": SANDBOX_API_KEY})
        crm.request_log[-1]["headers"]          # what the server received

``serve()`` runs it in the foreground (``adaptgen sandbox --port 8400``).
"""

from .app import (
    DEFAULT_SESSION_TTL,
    SANDBOX_API_KEY,
    SANDBOX_PASSWORD,
    SANDBOX_USERNAME,
    create_app,
)
from .data import API_PREFIX, DEFAULT_SEED
from .server import DEFAULT_PORT, RunningSandbox, running, serve, serve_app

__all__ = [
    "API_PREFIX",
    "DEFAULT_PORT",
    "DEFAULT_SEED",
    "DEFAULT_SESSION_TTL",
    "SANDBOX_API_KEY",
    "SANDBOX_PASSWORD",
    "SANDBOX_USERNAME",
    "RunningSandbox",
    "create_app",
    "running",
    "serve",
    "serve_app",
]
