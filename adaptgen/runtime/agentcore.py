"""Amazon Bedrock AgentCore Runtime: a generated server or `adaptgen proxy`, served as its MCP
protocol contract asks.

With direct code deployment AgentCore unpacks the zip and runs its entry point (`main.py`, which
`adaptgen package --target agentcore` writes) with its own Python. With the MCP protocol it sends
every request to streamable HTTP at `0.0.0.0:8000/mcp`, and the server must be stateless: any
microVM of the runtime may answer, and AgentCore itself adds the `Mcp-Session-Id` that keeps a
client on one. The server runs behind the same front door as `adaptgen serve --transport http`
(adaptgen.runtime.governance.http_auth).

Callers' JWTs. With a JWT authorizer (`adaptgen deploy --authorizer policy`) AgentCore checks the
token against the policy's issuer and audience before the request arrives, and passes the
`Authorization` header through (the runtime's header allowlist), so the governance layer verifies
it again and knows the caller's groups. With AgentCore's default IAM (SigV4) inbound auth no JWT
arrives: as on Lambda, anonymous callers are then refused unless a policy file says otherwise or
`<NAME>_ALLOW_ANONYMOUS=1` (`adaptgen.runtime.network.anonymous_override`).

`ADAPTGEN_AGENTCORE_PORT` moves the port (8000 is AgentCore's; tests run several servers on one
machine). Uvicorn's logs go to stderr, the audit lines (stdout sink) to stdout, as for `serve`.
"""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn
from fastmcp import FastMCP

from adaptgen.runtime.governance.http_auth import governed_http_app
from adaptgen.runtime.governance.policy import policy_path
from adaptgen.runtime.loader import load_server_module
from adaptgen.runtime.network import (
    LOG_CONFIG,
    anonymous_override,
    plain_tracebacks_without_pygments,
    ready_to_serve,
)

__all__ = [
    "AGENTCORE_HOST",
    "AGENTCORE_PORT",
    "MCP_PATH",
    "PACKAGED_POLICY",
    "PORT_ENV",
    "serve",
    "serve_generated",
    "serve_proxy",
]

AGENTCORE_HOST = "0.0.0.0"  # AgentCore reaches the server from outside its microVM
AGENTCORE_PORT = 8000
MCP_PATH = "/mcp"
PORT_ENV = "ADAPTGEN_AGENTCORE_PORT"
PACKAGED_POLICY = "policy.yaml"  # beside the entry point when the zip ships a policy


def serve_generated(folder: Path, *, env_prefix: str) -> None:
    """Serve the generated server in `folder` (blocks); `env_prefix` is its variables' prefix
    (e.g. "CRM": the policy in `CRM_POLICY`, `CRM_ALLOW_ANONYMOUS`, `CRM_BASE_URL` ...)."""
    packaged = folder / PACKAGED_POLICY
    # An empty variable counts as unset, as everywhere a policy is looked up.
    if packaged.is_file() and policy_path(env_prefix) is None:
        os.environ[f"{env_prefix}_POLICY"] = str(packaged)
    server = load_server_module(folder).mcp
    serve(server, allow_anonymous_env=f"{env_prefix}_ALLOW_ANONYMOUS")


def serve_proxy(folder: Path, *, upstream: str) -> None:
    """Serve `adaptgen proxy` in front of the MCP server at `upstream` (blocks); the policy is
    `ADAPTGEN_POLICY`, else the one packaged beside the entry point, else the safe default."""
    from adaptgen.runtime.governance.proxy import build_proxy

    packaged = folder / PACKAGED_POLICY
    policy = policy_path() or (packaged if packaged.is_file() else None)
    serve(build_proxy(upstream, policy), allow_anonymous_env="ADAPTGEN_ALLOW_ANONYMOUS")


def serve(server: FastMCP, *, allow_anonymous_env: str) -> None:
    """Serve `server` at 0.0.0.0:8000/mcp, stateless, behind the front door (blocks)."""
    plain_tracebacks_without_pygments()
    app = governed_http_app(
        server,
        path=MCP_PATH,
        env_prefix=allow_anonymous_env.removesuffix("_ALLOW_ANONYMOUS"),
        allow_anonymous=anonymous_override(server, allow_anonymous_env),
        transport="http",
        stateless_http=True,
    )
    port = int(os.environ.get(PORT_ENV) or AGENTCORE_PORT)
    ready_to_serve(server)
    uvicorn.run(app, host=AGENTCORE_HOST, port=port, log_config=LOG_CONFIG, lifespan="on")
