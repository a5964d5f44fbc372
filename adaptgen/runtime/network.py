"""Serving a governed FastMCP server over HTTP: secure by default, logs apart from the audit.

* On a loopback address (127.0.0.0/8, ::1, localhost) nothing changes from the developer's
  default: with no policy, anonymous callers get the read-only tools (`safe_default`).
* Anywhere else (0.0.0.0, a LAN or public address), anonymous callers are served only when the
  operator says so: `identity.allow_anonymous: true` in a policy file, or `--allow-anonymous`.
  Otherwise `adaptgen serve` and `adaptgen proxy` refuse to start (exit 2, one line naming the
  fix). The Lambda handler, which cannot refuse to start, refuses anonymous callers instead.
* The event loop is uvloop and uvicorn parses HTTP with httptools (both dependencies, used when
  importable): in the soak they took the proxy's CPU per call down by 7-8% against asyncio's
  loop and h11 (interleaved A/B, same machine state; see bench/soak_bench.py).
* Uvicorn's own logs (startup, access log) go to stderr, so stdout carries only the audit lines
  (the default audit sink): a JSON-lines shipper reading stdout gets nothing else.
* Uvicorn's access log is off while governance audits every call (refused ones included, by the
  front door): it would add a second, less informative line per request, and its formatting was
  about a twentieth of the proxy's CPU per relayed call. `--access-log` turns it on; with
  governance off or the audit sink `none` it is on.
* Everything made before serving (modules, classes, pydantic and policy models, the catalog) is
  moved out of the garbage collector's sight (`gc.freeze`) just before the loop starts: it lives
  as long as the process, yet every full collection walked it again. Under the soak (200
  callers) that halved the proxy's time in the collector, about 4% of its CPU per call.
"""

from __future__ import annotations

import copy
import functools
import gc
import importlib.util
import logging
import os
from typing import Any

import anyio
import fastmcp
import uvicorn.config
from fastmcp import FastMCP

from adaptgen.runtime.governance.http_auth import front_door, governance_of
from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.origin import is_loopback_host

__all__ = [
    "LOG_CONFIG",
    "anonymous_exposure",
    "anonymous_override",
    "exposure_problem",
    "freeze_startup_objects",
    "is_loopback_host",
    "plain_tracebacks_without_pygments",
    "ready_to_serve",
    "serve_http",
]

# Uvicorn's logging with its access log moved from stdout to stderr.
LOG_CONFIG: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
LOG_CONFIG["handlers"]["access"]["stream"] = "ext://sys.stderr"
TRUE_VALUES = ("1", "true", "yes")
logger = logging.getLogger(__name__)


def anonymous_exposure(governance: Governance | None) -> str | None:
    """Why anonymous callers would be served although nobody chose that, or None.

    A policy file decides for itself (`identity.allow_anonymous`); the built-in default admits
    anonymous callers only because it is the developer's default, and no governance at all
    (ADAPTGEN_GOVERNANCE=off) admits everyone to every tool.
    """
    if governance is None:
        return "governance is off (ADAPTGEN_GOVERNANCE=off): anyone could call every tool"
    policy = governance.policy
    # load_policy sets base_dir (the file's folder); the built-in default has none.
    if policy.base_dir is None and policy.identity.allow_anonymous:
        return "no policy: anonymous callers could use the read-only tools"
    return None


def anonymous_override(server: FastMCP, allow_anonymous_env: str) -> bool | None:
    """For a server that cannot refuse to start (Lambda, AgentCore Runtime): None when its
    policy decides about anonymous callers, False when the front door must refuse them because
    nobody chose to serve them (no policy file, and the variable `allow_anonymous_env` not 1).

    With governance off and nothing chosen, `RuntimeError`: every tool would be open.
    """
    allowed = os.environ.get(allow_anonymous_env, "").strip().lower() in TRUE_VALUES
    governance = governance_of(server)
    reason = anonymous_exposure(governance)
    if reason is None or allowed:
        return None
    fix = f"set a policy ({allow_anonymous_env}=1 to allow anonymous callers)"
    if governance is None:
        raise RuntimeError(f"refusing to serve: {reason}; {fix}")
    logger.warning("anonymous callers are refused: %s; %s", reason, fix)
    return False


def exposure_problem(
    host: str, governance: Governance | None, *, allow_anonymous: bool
) -> str | None:
    """The one-line reason not to listen on `host`, or None when it is fine."""
    if allow_anonymous or is_loopback_host(host):
        return None
    reason = anonymous_exposure(governance)
    if reason is None:
        return None
    return (
        f"refusing to listen on {host}: {reason}; pass --policy FILE (callers then need a "
        "JWT), or --allow-anonymous if anonymous callers are really meant to be served"
    )


# Seconds an idle HTTP connection stays open. uvicorn's default (5 s) equals the pool expiry of
# httpx and the MCP SDKs' clients, so a client could send on a connection the server was closing
# at that moment and lose the call; longer than any client keeps one (load balancers use 60 s).
KEEP_ALIVE_SECONDS = 65


def serve_http(
    server: FastMCP, *, host: str, port: int, path: str = "/mcp", access_log: bool | None = None
) -> None:
    """Serve `server` over streamable HTTP behind the front door, logs on stderr (blocks).
    `access_log`: uvicorn's access log (None: only when nothing audits the calls)."""
    from adaptgen.runtime.governance.http_auth import governance_of

    if access_log is None:
        governance = governance_of(server)
        access_log = governance is None or governance.policy.audit.sink == "none"
    run = functools.partial(
        server.run_async,
        transport="http",
        host=host,
        port=port,
        path=path,
        show_banner=False,
        middleware=front_door(server, path),
        uvicorn_config={
            "log_config": LOG_CONFIG,
            "access_log": access_log,
            "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        },
    )
    ready_to_serve(server)
    # FastMCP's `run` starts a plain asyncio loop; uvicorn's own loop choice comes too late.
    anyio.run(run, backend_options={"use_uvloop": _has_uvloop()})


def ready_to_serve(server: FastMCP) -> None:
    """Just before a long-running server serves: what its first requests would make is made now
    (a search-mode server's tool search: the sentence encoder and the index's arrays, 0.1-0.25
    s that the first caller to search would otherwise wait; `SearchEngine.warm`), then
    everything made so far is frozen (`freeze_startup_objects`). A transform with a `warm()`
    (`GovernedSearch`) is warmed; a server without one is only frozen. A warm-up that fails is
    logged and the server serves anyway: its tools do not need it, and the first search tries
    again (and answers what went wrong to its caller)."""
    for transform in server.transforms:
        warm = getattr(transform, "warm", None)
        if callable(warm):
            try:
                warm()
            except Exception as error:  # noqa: BLE001 - never a reason not to serve
                logger.warning("search warm-up failed (%s); the first search will try again", error)
    freeze_startup_objects()


def freeze_startup_objects() -> None:
    """Move everything made so far (modules, classes, models, the catalog) out of the garbage
    collector's sight, just before a long-running server starts serving: it lives until exit,
    and every full collection walked it again. Garbage made by the set-up is collected first,
    so none of it stays frozen."""
    gc.collect()
    gc.freeze()


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def plain_tracebacks_without_pygments() -> None:
    """FastMCP logs exceptions as rich tracebacks, which need pygments; the Lambda and AgentCore
    zips leave pygments out (adaptgen.ship.contents), so there they are logged as plain
    tracebacks (rich would fail to log them at all). Plain text also reads better in CloudWatch."""
    settings = fastmcp.settings
    if settings.enable_rich_tracebacks and importlib.util.find_spec("pygments") is None:
        from fastmcp.utilities.logging import configure_logging

        settings.enable_rich_tracebacks = False
        configure_logging(level=settings.log_level)
