"""`adaptgen proxy`: the governance stack in front of any MCP server.

The proxy mirrors the upstream server's tools (FastMCP's proxy provider) and runs the same
middlewares a generated server runs in-process: identity, access (tools/list filtered per
caller), rate limits, PII tokenization (recognizers and the policy's field paths, since an
arbitrary server has no adaptgen catalog), audit and tracing.

Toward the upstream the proxy is a client in its own right (`upstream_session`): one shared
MCP session, its own credentials from the policy's `upstream:` section (`upstream_auth`), never
the caller's token or cookies. An upstream that is down or not an MCP server is an MCP error
for the caller, never an empty tool list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import mcp_types
from fastmcp import FastMCP
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.server.providers.proxy import FastMCPProxy, ProxyMetadataMiddleware

from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.policy import load_policy, safe_default
from adaptgen.runtime.governance.upstream_session import UpstreamSessions, UpstreamUnavailable

__all__ = ["build_proxy"]


def build_proxy(
    upstream: str | FastMCP, policy: Path | None, *, name: str = "adaptgen-proxy"
) -> FastMCP:
    """A FastMCP proxy of `upstream` (a URL, a command, or a server in this process) with the
    governance stack mounted. `proxy.upstream` is its `UpstreamSessions` (e.g. to `probe()`)."""
    settings = load_policy(policy) if policy else safe_default()
    sessions = UpstreamSessions(upstream, settings.upstream)

    @asynccontextmanager
    async def close_sessions(_: FastMCP) -> AsyncIterator[dict[str, Any]]:
        try:
            yield {}
        finally:
            await sessions.aclose()

    proxy = FastMCPProxy(
        client_factory=sessions,
        name=name,
        # An unreachable upstream is an error for tools/list, not "no tools".
        provider_error_strategy="raise",
        lifespan=close_sessions,
    )
    proxy.middleware = [
        UpstreamMetadata(m.provider) if type(m) is ProxyMetadataMiddleware else m
        for m in proxy.middleware
    ]
    governance = Governance(settings, name=name)
    # A search-mode upstream (FastMCP's search transforms) lists `search_tools` and `call_tool`
    # and hides the rest: its search results are filtered per caller here, and a call through
    # its call proxy is decided and audited as the tool it names.
    governance.meta_tools = frozenset({"search_tools", "call_tool"})
    governance.dispatch_tools = frozenset({"call_tool"})
    for middleware in governance.middleware():
        proxy.add_middleware(middleware)
    proxy.add_middleware(UpstreamFailures(sessions))  # innermost: governance runs once
    proxy.governance = governance  # type: ignore[attr-defined] - for tests and introspection
    proxy.upstream = sessions  # type: ignore[attr-defined]
    return proxy


class UpstreamFailures(Middleware):
    """Requests that reach the upstream run through `UpstreamSessions.run`: a request the
    upstream refused for a forgotten session runs once more; a dropped connection is plain."""

    def __init__(self, sessions: UpstreamSessions) -> None:
        self.sessions = sessions

    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self.sessions.run(lambda: call_next(context))

    async def on_list_tools(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self.sessions.run(lambda: call_next(context))


class UpstreamMetadata(ProxyMetadataMiddleware):
    """FastMCP's forwarding of the upstream's instructions, optional: a front connection comes
    up while the upstream is down, and its tools/list then says what is wrong."""

    async def on_initialize(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._with_upstream(await call_next(context), context)

    async def on_discover(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._with_upstream(await call_next(context), context)

    async def _with_upstream(self, result: Any, context: MiddlewareContext) -> Any:
        if not isinstance(result, mcp_types.InitializeResult | mcp_types.DiscoverResult):
            return result
        try:
            client = await self.provider._get_client()
        except UpstreamUnavailable:
            return result
        upstream = await self._read_upstream(client, context.fastmcp_context)
        if upstream is None:
            return result
        return result.model_copy(update=self._updates(result, upstream))
