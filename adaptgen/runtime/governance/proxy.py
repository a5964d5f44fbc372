"""`adaptgen proxy`: the governance stack in front of any MCP server.

The proxy mirrors the upstream server's tools (FastMCP's proxy provider) and runs the same
middlewares a generated server runs in-process: identity, access (tools/list filtered per
caller), rate limits, PII tokenization (recognizers and the policy's field paths, since an
arbitrary server has no adaptgen catalog), audit and tracing.

Toward the upstream the proxy is a client in its own right (`upstream_session`): one shared
MCP session, and one per handshake-era caller session (so what the upstream sends toward a
caller during a call reaches that caller, governed: `passthrough.CallerMessages`), its own
credentials from the policy's `upstream:` section (`upstream_auth`), never
the caller's token or cookies. An upstream that is down or not an MCP server is an MCP error
for the caller, never an empty tool list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import fastmcp
import mcp_types
from fastmcp import FastMCP
from fastmcp.server.http import HostOriginProtection, StarletteWithLifespan
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.server.providers.proxy import FastMCPProxy, ProxyMetadataMiddleware, ProxyProvider
from mcp.server.streamable_http import EventStore
from starlette.middleware import Middleware as ASGIMiddleware

from adaptgen.runtime.governance.handshake_tasks import HandshakeTasks
from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.passthrough import CallerMessages, Passthrough
from adaptgen.runtime.governance.policy import load_policy, safe_default
from adaptgen.runtime.governance.relay import relay_middleware
from adaptgen.runtime.governance.upstream_session import UpstreamSessions, UpstreamUnavailable

__all__ = ["build_proxy"]


def build_proxy(
    upstream: str | FastMCP, policy: Path | None, *, name: str = "adaptgen-proxy"
) -> GovernedProxy:
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

    # dereference_schemas=False: tool schemas reach callers as the upstream wrote them ($defs
    # and $ref kept), not inlined.
    proxy = GovernedProxy(sessions, name=name, lifespan=close_sessions, dereference_schemas=False)
    # A search-mode upstream (FastMCP's search transforms, or adaptgen's with `list_toolsets`)
    # lists `search_tools` and `call_tool`
    # and hides the rest: its search results are filtered per caller here, and a call through
    # its call proxy is decided and audited as the tool it names.
    governance = Governance(
        settings,
        name=name,
        meta_tools=("search_tools", "call_tool", "list_toolsets"),
        dispatch_tools=("call_tool",),
    )
    for middleware in governance.middleware():
        proxy.add_middleware(middleware)
    proxy.add_middleware(UpstreamFailures(sessions))  # innermost: governance runs once
    # Logs, progress, sampling, elicitation and roots/list reach the caller they are for, on
    # its own upstream session, through the PII layer (passthrough.CallerMessages).
    messages = CallerMessages(governance.tokenizer, frozenset(settings.pii.clear_for_groups))
    sessions.relay = messages
    # 2025-11-25-era tasks, for callers on a session of their own (handshake_tasks).
    HandshakeTasks(proxy, sessions, governance, messages).install()
    proxy.governance = governance
    return proxy


class GovernedProxy(FastMCPProxy):
    """FastMCP's proxy server on `UpstreamSessions`, with the upstream's lists cached per
    session (`CachedProxyProvider`) and its metadata optional (`UpstreamMetadata`)."""

    def __init__(self, sessions: UpstreamSessions, **settings: Any) -> None:
        # FastMCPProxy.__init__ would add a plain ProxyProvider: this is its body, with ours.
        FastMCP.__init__(self, **settings)
        self.upstream = sessions
        # The governance stack, once `build_proxy` has built it (the relay serves it).
        self.governance: Governance | None = None
        # An unreachable upstream is an error for tools/list, not "no tools".
        self.provider_error_strategy = "raise"
        self.client_factory = sessions
        provider = CachedProxyProvider(sessions)
        self.add_provider(provider)
        self.middleware.append(UpstreamMetadata(provider))
        self._setup_proxy_ping_handler()
        # A modern-era tools/call has its Mcp-Param headers checked against the tool's input
        # schema; without this lookup the MCP SDK runs a whole tools/list (middleware and
        # all) per call to find it.
        self._mcp_server.get_tool_input_schema = provider.input_schema
        Passthrough(sessions).install(self)

    def http_app(
        self,
        path: str | None = None,
        middleware: list[ASGIMiddleware] | None = None,
        json_response: bool | None = None,
        stateless_http: bool | None = None,
        transport: Literal["http", "streamable-http", "sse"] = "http",
        event_store: EventStore | None = None,
        retry_interval: int | None = None,
        host_origin_protection: HostOriginProtection | None = None,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] | None = None,
        session_idle_timeout: float | Literal["auto"] | None = None,
    ) -> StarletteWithLifespan:
        """FastMCP's HTTP app (same parameters), with the `tools/call` fast path (`relay`)
        innermost."""
        endpoint = path if path is not None else fastmcp.settings.streamable_http_path
        return super().http_app(
            path=path,
            middleware=[*(middleware or []), *relay_middleware(self, endpoint)],
            json_response=json_response,
            stateless_http=stateless_http,
            transport=transport,
            event_store=event_store,
            retry_interval=retry_interval,
            host_origin_protection=host_origin_protection,
            allowed_hosts=allowed_hosts,
            allowed_origins=allowed_origins,
            session_idle_timeout=session_idle_timeout,
        )


class CachedProxyProvider(ProxyProvider):
    """FastMCP's proxy provider whose lists come from the caller's upstream session's copy
    (`UpstreamSessions.listing`): a tools/list before every call costs no upstream request."""

    def __init__(self, sessions: UpstreamSessions) -> None:
        super().__init__(sessions)
        self.sessions = sessions

    async def _list_tools(self) -> Any:
        return await self.sessions.listing("tools", super()._list_tools)

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """The input schema of the upstream tool `name` as last listed (None: not known yet,
        and the SDK then skips its header check; the call itself still resolves the tool)."""
        cache = self._tools_cache
        found = [t for t in cache.items if t.name == name] if cache is not None else []
        return found[0].parameters if found else None

    async def _list_resources(self) -> Any:
        return await self.sessions.listing("resources", super()._list_resources)

    async def _list_resource_templates(self) -> Any:
        return await self.sessions.listing("templates", super()._list_resource_templates)

    async def _list_prompts(self) -> Any:
        return await self.sessions.listing("prompts", super()._list_prompts)


class UpstreamFailures(Middleware):
    """Requests that reach the upstream run through `UpstreamSessions.run`: a request the
    upstream refused for a forgotten session runs once more; a dropped connection is plain.
    A call runs `in_call`: what the upstream sends toward the caller meanwhile is for it."""

    def __init__(self, sessions: UpstreamSessions) -> None:
        self.sessions = sessions

    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        with self.sessions.in_call():
            return await self.sessions.run(lambda: call_next(context))

    async def on_list_tools(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self.sessions.run(lambda: call_next(context))


class UpstreamMetadata(ProxyMetadataMiddleware):
    """FastMCP's forwarding of the upstream's instructions, optional: a front connection comes
    up while the upstream is down, and its tools/list then says what is wrong. The upstream is
    connected before the caller's handshake is answered, so the capabilities declared to the
    caller follow the upstream's (see `Passthrough.mirrored`)."""

    async def on_initialize(self, context: MiddlewareContext, call_next: Any) -> Any:
        client = await self._upstream()
        return await self._with_upstream(await call_next(context), client, context)

    async def on_discover(self, context: MiddlewareContext, call_next: Any) -> Any:
        client = await self._upstream()
        return await self._with_upstream(await call_next(context), client, context)

    async def _upstream(self) -> Any:
        try:
            return await self.provider._get_client()
        except UpstreamUnavailable:
            return None

    async def _with_upstream(self, result: Any, client: Any, context: MiddlewareContext) -> Any:
        if client is None or not isinstance(
            result, mcp_types.InitializeResult | mcp_types.DiscoverResult
        ):
            return result
        upstream = await self._read_upstream(client, context.fastmcp_context)
        if upstream is None:
            return result
        return result.model_copy(update=self._updates(result, upstream))
