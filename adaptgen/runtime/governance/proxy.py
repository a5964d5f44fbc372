"""`adaptgen proxy`: the governance stack in front of any MCP server.

The proxy mirrors the upstream server's tools (FastMCP's proxy provider) and runs the same
middlewares a generated server runs in-process: identity, access (tools/list filtered per
caller), rate limits, PII tokenization (recognizers and the policy's field paths, since an
arbitrary server has no adaptgen catalog), audit and tracing.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from fastmcp import FastMCP
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport
from fastmcp.server import create_proxy

from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.policy import load_policy, safe_default


def upstream_transport(upstream: str, env: dict[str, str] | None = None):  # noqa: ANN201
    """An HTTP URL, or a command line that starts an MCP server over stdio."""
    if upstream.startswith(("http://", "https://")):
        return StreamableHttpTransport(upstream)
    words = shlex.split(upstream)
    if not words:
        raise ValueError("--upstream is empty")
    return StdioTransport(words[0], words[1:], env={**os.environ, **(env or {})})


def build_proxy(
    upstream: str | FastMCP, policy: Path | None, *, name: str = "adaptgen-proxy"
) -> FastMCP:
    """A FastMCP proxy of `upstream` (a URL, a command, or a server in this process) with the
    governance stack mounted."""
    target = upstream_transport(upstream) if isinstance(upstream, str) else upstream
    proxy = create_proxy(target, name=name)
    governance = Governance(load_policy(policy) if policy else safe_default(), name=name)
    # A search-mode upstream (FastMCP's search transforms) lists `search_tools` and `call_tool`
    # and hides the rest: its search results are filtered per caller here, and a call through
    # its call proxy is decided and audited as the tool it names.
    governance.meta_tools = frozenset({"search_tools", "call_tool"})
    governance.dispatch_tools = frozenset({"call_tool"})
    for middleware in governance.middleware():
        proxy.add_middleware(middleware)
    proxy.governance = governance  # type: ignore[attr-defined] - for tests and introspection
    return proxy
