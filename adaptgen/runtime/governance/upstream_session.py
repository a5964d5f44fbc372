"""The proxy's MCP sessions with its upstream: connected once, shared by calls, reconnected.

FastMCP's `create_proxy` opens a new upstream session for every request (an initialize, the
call, a DELETE): several round trips per call. Here one connected client carries every call
(MCP multiplexes concurrent requests on one session by id), in the newest protocol era the
upstream speaks; with token exchange there is one per caller token, since an upstream binds a
session to its user.

Each session keeps the upstream's lists (tools, resources, templates, prompts): a modern-era
client lists tools before every call, and forwarding each of those upstream doubled the
upstream's load. A list is fetched again when the upstream says it changed
(`notifications/tools/list_changed` and its kin) or after `LIST_TTL` seconds, in case the
upstream cannot say (a modern-era session without `subscriptions/listen`). A new session starts
with no lists.

A session is replaced when it breaks: when its connection is gone (the upstream went away), or
when the upstream answers 404 to a request carrying the session id (it restarted and forgot
the session; the MCP spec says to start a new one). A call that failed on a forgotten session
was never run by the upstream, so `UpstreamSessions.run` runs it once more on a new session.

A caller on a handshake-era (2025-11-25 and older) MCP session of its own gets an upstream
session of its own, in that era, for as long as its session lasts (bounded, least recently used
first, like the per-token ones): what the upstream sends toward a caller during a call (logs,
progress, sampling and elicitation requests, roots/list) then has exactly one caller it can be
for, and `relay` (see passthrough.CallerMessages) delivers it there, governed. A session per
caller session, never per call: a modern-era or stateless caller, and the `tools/call` fast path
(relay.py), share one session, and nothing server-initiated is relayed on a shared session
(there is no telling which caller it was meant for).

The proxy's clients never forward the caller's HTTP headers (FastMCP's `ProxyClient` copies the
caller's Authorization and other headers by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import os
import shlex
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import httpx2
import mcp_types
from fastmcp import FastMCP
from fastmcp.client import Client
from fastmcp.client.transports import ClientTransport, StdioTransport, StreamableHttpTransport
from fastmcp.exceptions import ToolError
from fastmcp.server.context import _current_context as current_context
from fastmcp.server.dependencies import get_context
from fastmcp.server.providers.proxy import ProxyClient
from mcp.client.extension import NotificationBinding
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, INTERNAL_ERROR, INVALID_REQUEST
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from adaptgen.runtime import identity
from adaptgen.runtime.governance.policy import UpstreamPolicy
from adaptgen.runtime.governance.upstream_auth import upstream_auth
from adaptgen.runtime.origin import origin_of

__all__ = ["UpstreamSessions", "UpstreamUnavailable"]

MAX_SESSIONS = 64  # per-caller sessions (token exchange, caller sessions) kept open at most
SSE_READ_TIMEOUT = 300.0  # an idle event stream may stay open this long (MCP's default)
LOST_SESSION = ("Session not found", "Session terminated")  # a 404 for a known session id
LIST_TTL = 30.0  # seconds an upstream list is trusted when no change notice came
# Which cached lists each change notice makes stale.
STALE_LISTS: dict[type, tuple[str, ...]] = {
    mcp_types.ToolListChangedNotification: ("tools",),
    mcp_types.ResourceListChangedNotification: ("resources", "templates"),
    mcp_types.PromptListChangedNotification: ("prompts",),
}
T = TypeVar("T")


class UpstreamUnavailable(MCPError):
    """The upstream cannot be used; the message says where and why (an MCP error for callers)."""

    def __init__(self, message: str) -> None:
        super().__init__(INTERNAL_ERROR, message)

    @classmethod
    def not_mcp(cls, where: str, reason: str) -> UpstreamUnavailable:
        """The upstream did not answer as an MCP server (down, or something else there)."""
        return cls(f"the upstream at {where} did not answer as an MCP server: {reason}")


class CallerRoute(Protocol):
    """One caller's upstream session's way back to that caller."""

    def calling(self, request: Any) -> contextlib.AbstractContextManager[None]:
        """While the caller's `request` (a tools/call) runs upstream: what arrives is for it."""

    def busy(self) -> bool:
        """Whether a call of the caller's is running on the session."""


class CallerRelay(Protocol):
    """Delivers what the upstream sends toward a caller on that caller's own upstream session."""

    @property
    def client_type(self) -> type[ProxyClient]:
        """The client a caller's own upstream session uses."""

    def install(
        self, client: ProxyClient, owner: Any, caller: identity.Caller | None
    ) -> CallerRoute:
        """Route `client`'s server-initiated messages to `owner` (the caller's MCP session)."""


@dataclass(eq=False)
class _Session:
    """One connected client, whether the upstream has forgotten its session, and the upstream's
    lists as this session last fetched them (kind -> (monotonic time, items)). `owner`: the
    caller's MCP session when this upstream session is that caller's alone."""

    client: Client | None = None
    lost: bool = False
    lists: dict[str, tuple[float, Any]] = field(default_factory=dict)
    fetching: dict[str, asyncio.Future[Any]] = field(default_factory=dict)  # kind -> fetch
    owner: Any = None
    route: CallerRoute | None = None

    def usable(self) -> bool:
        return self.client is not None and self.client.is_connected() and not self.lost


class UpstreamSessions:
    """Hands the proxy a connected upstream client for each call (FastMCP's client factory)."""

    def __init__(self, upstream: str | FastMCP, settings: UpstreamPolicy) -> None:
        if isinstance(upstream, str) and not upstream.strip():
            raise ValueError("--upstream is empty")
        self.upstream = upstream
        self.settings = settings
        self.where = _describe(upstream)
        self.auth = upstream_auth(settings.auth, timeout=settings.connect_timeout)
        self.per_caller = settings.auth.token_exchange is not None
        self.list_ttl = LIST_TTL
        # What the upstream's last session said: its capabilities, and whether it speaks the
        # modern era (no resources/subscribe there). None until a session has connected.
        self.capabilities: mcp_types.ServerCapabilities | None = None
        self.modern = False
        # Called with each upstream notification (e.g. resource updates to relay) and the
        # caller session it is for (None: the session is shared).
        self.notice_handlers: list[Callable[[Any, Any], Awaitable[None]]] = []
        # Routes server-initiated messages on a caller's own session (None: none relayed).
        self.relay: CallerRelay | None = None
        # Notifications the negotiated era's core protocol does not define (the SDK drops
        # them), by method, that go to the notice handlers too: 2025-11-25's task statuses.
        self.extra_notices: dict[str, type[mcp_types.Notification[Any, Any]]] = {}
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"UpstreamSessions({self.where!r}, open={len(self._sessions)})"

    async def __call__(self) -> Client:
        """A connected client for this call (opened, or re-opened, as needed)."""
        session = await self._session()
        assert session.client is not None
        return session.client

    async def listing(self, kind: str, fetch: Callable[[], Awaitable[T]]) -> T:
        """The upstream's `kind` list ("tools", "resources", "templates", "prompts"): the
        caller's session's copy while fresh, else `fetch()`ed and kept."""
        session = await self._session()
        cached = session.lists.get(kind)
        if cached is not None and time.monotonic() - cached[0] < self.list_ttl:
            return cached[1]  # type: ignore[no-any-return]
        # One fetch per session and kind at a time: when a list goes stale under load, the
        # requests that need it share one upstream request instead of each making its own.
        pending = session.fetching.get(kind)
        if pending is None:
            pending = asyncio.ensure_future(_fetched(session, kind, fetch))
            pending.add_done_callback(_retrieved)
            session.fetching[kind] = pending
        return await asyncio.shield(pending)  # type: ignore[no-any-return]

    def held(self, kind: str) -> Any:
        """The `kind` list the request's session holds now, fresh or stale (None: none yet;
        never fetches)."""
        owner = _caller_session() if self.relay is not None else None
        session = self._sessions.get(self._caller_key(owner))
        cached = session.lists.get(kind) if session is not None else None
        return cached[1] if cached is not None else None

    async def _session(self) -> _Session:
        self._same_loop()
        owner = _caller_session() if self.relay is not None else None
        key = self._caller_key(owner)
        session = self._sessions.get(key)
        if session is None or not session.usable():
            lock = self._locks.setdefault(key, asyncio.Lock())
            async with lock:
                session = self._sessions.get(key)
                if session is None or not session.usable():
                    session = await self._replace(key, session, owner)
        self._sessions.move_to_end(key)
        return session

    def relays_to_callers(self) -> bool:
        """Whether handshake-era callers get upstream sessions of their own (a `relay`)."""
        return self.relay is not None

    def owned(self) -> bool:
        """Whether the request being served has an upstream session of its own."""
        return self.relay is not None and _caller_session() is not None

    def own_client(self) -> Client | None:
        """The connected client of the request's own upstream session, if one is open (never
        connects: for what must answer at once, such as the capabilities declared)."""
        owner = _caller_session() if self.relay is not None else None
        session = self._sessions.get(self._caller_key(owner)) if owner is not None else None
        return session.client if session is not None and session.usable() else None

    def in_call(self) -> contextlib.AbstractContextManager[None]:
        """Around a caller's tools/call: what the caller's own upstream session sends toward
        the caller meanwhile is for this call (the most recent one still running, if several)."""
        owner = _caller_session() if self.relay is not None else None
        session = self._sessions.get(self._caller_key(owner)) if owner is not None else None
        if session is None or session.route is None:
            return contextlib.nullcontext()
        return session.route.calling(get_context().request_context)

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run one proxied request (`call`) and make upstream failures plain.

        A request refused because the upstream forgot the session (404) was never run there:
        it runs once more, on the new session the factory opens. A connection that dropped
        during the request is an `UpstreamUnavailable` naming the upstream (the next request
        reconnects).
        """
        try:
            return await call()
        except (ToolError, MCPError) as exc:
            failure = _mcp_error(exc)
            if failure is None:
                raise
            if failure.error.code == CONNECTION_CLOSED:
                raise UpstreamUnavailable(
                    f"the connection to the upstream at {self.where} closed: "
                    f"{failure.error.message}"
                ) from None
            if not _lost_session(failure):
                raise
        return await call()

    async def probe(self) -> list[str]:
        """Connect once and list the tools, within `connect_timeout`; `UpstreamUnavailable` if
        the upstream does not answer as an MCP server. The probe's session is closed after."""
        session = _Session()
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                client = await self._connected(session)
                try:
                    return [tool.name for tool in await client.list_tools()]
                finally:
                    await client._disconnect(force=True)
        except UpstreamUnavailable:
            raise
        except TimeoutError:
            seconds = f"{self.settings.connect_timeout:g}"
            raise UpstreamUnavailable.not_mcp(self.where, f"no answer within {seconds} s") from None
        except Exception as exc:  # noqa: BLE001 - any failure means: not a usable MCP server
            raise UpstreamUnavailable.not_mcp(self.where, _reason(exc)) from None

    async def aclose(self) -> None:
        """Close every session (at shutdown)."""
        sessions, self._sessions = list(self._sessions.values()), OrderedDict()
        for session in sessions:
            self._discard(session)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # -- opening and closing ---------------------------------------------------------------

    async def _replace(self, key: str, old: _Session | None, owner: Any = None) -> _Session:
        if old is not None:
            self._sessions.pop(key, None)
            self._discard(old)
        elif owner is not None:
            # The caller's session ended: so does its upstream session.
            owner._connection.exit_stack.push_async_callback(self._forget, key)
        session = _Session(owner=owner)
        # The session's background tasks start in a context of their own: they must not keep
        # the request context of whichever caller happened to open the session. With token
        # exchange the session is that caller's, and its initialize is made as that caller.
        context = contextvars.Context()
        if self.per_caller or owner is not None:
            context.run(identity.current_caller.set, identity.caller())
        try:
            await asyncio.create_task(self._connected(session), context=context)
        except UpstreamUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - reported to the caller as an MCP error
            raise UpstreamUnavailable.not_mcp(self.where, _reason(exc)) from None
        self._sessions[key] = session
        self._evict(keep=key)
        return session

    def _evict(self, keep: str) -> None:
        """Close the least recently used sessions beyond `MAX_SESSIONS` (not `keep`, just
        opened); a caller's own session with a call running stays (closing it would fail the
        call)."""
        while len(self._sessions) > MAX_SESSIONS:
            idle = [
                k
                for k, s in self._sessions.items()
                if k != keep and (s.route is None or not s.route.busy())
            ]
            if not idle:
                return
            self._locks.pop(idle[0], None)
            self._discard(self._sessions.pop(idle[0]))

    async def _forget(self, key: str) -> None:
        session = self._sessions.pop(key, None)
        self._locks.pop(key, None)
        if session is not None:
            self._discard(session)

    async def _connected(self, session: _Session) -> Client:
        routed = session.owner is not None and self.relay is not None
        client_type = self.relay.client_type if routed and self.relay else ProxyClient
        client = client_type(
            self._transport(session),
            # "auto": the newest era both sides speak. Negotiating takes a round trip, which
            # also shows an MCP server is there (not a web page, not nothing); once per session.
            # A caller's own session speaks the caller's (handshake) era: the era in which an
            # upstream may send requests toward the caller during a call.
            mode="auto" if session.owner is None else "legacy",
            forward_incoming_headers=False,
            timeout=self.settings.timeout,
            init_timeout=self.settings.connect_timeout,
            # None: not relayed on a shared session (see the module docstring); on a caller's
            # own, `relay` installs its handlers. FastMCP's defaults relay them ungoverned.
            roots=None,
            sampling_handler=None,
            elicitation_handler=None,
            log_handler=None,
            progress_handler=None,
            message_handler=functools.partial(self._on_notice, session),
        )
        if routed and self.relay is not None:
            session.route = self.relay.install(client, session.owner, identity.caller())
        self._bind_notices(client, session)
        await client.__aenter__()  # held until the session is discarded
        session.client = client
        self.capabilities = client.server_capabilities
        if session.owner is None:
            self.modern = client.protocol_version in MODERN_PROTOCOL_VERSIONS
        return client

    async def _on_notice(self, session: _Session, message: Any) -> None:
        """An upstream notification: a change notice makes the session's copy of that list
        stale; every notification goes to the `notice_handlers`."""
        notice = getattr(message, "root", message)
        for kind in STALE_LISTS.get(type(notice), ()):
            session.lists.pop(kind, None)
        for handler in self.notice_handlers:
            await handler(notice, session.owner)

    def _bind_notices(self, client: Client, session: _Session) -> None:
        """Have `client`'s session deliver the `extra_notices` to `_on_notice` (a method some
        client extension already observes is left to it)."""
        kwargs: Any = client._session_kwargs
        bindings = list(kwargs.get("notification_bindings") or ())
        bound = {binding.method for binding in bindings}
        for method, kind in self.extra_notices.items():
            if method in bound:
                continue

            async def deliver(params: Any, kind: Any = kind) -> None:
                await self._on_notice(session, kind(params=params))

            params_type = cast("type[Any]", kind.model_fields["params"].annotation)
            bindings.append(
                NotificationBinding(method=method, params_type=params_type, handler=deliver)
            )
        kwargs["notification_bindings"] = bindings

    def _discard(self, session: _Session) -> None:
        client, session.client = session.client, None
        if client is None:
            return
        task = asyncio.get_running_loop().create_task(client._disconnect(force=True))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _same_loop(self) -> None:
        """Clients belong to the event loop they were opened on; a new loop starts afresh."""
        loop = asyncio.get_running_loop()
        if self._loop is None or self._loop() is not loop:
            self._loop, self._sessions, self._locks = weakref.ref(loop), OrderedDict(), {}

    def _caller_key(self, owner: Any) -> str:
        key = ""
        if self.per_caller:
            who = identity.caller()
            token = who.token if who is not None else None
            key = hashlib.sha256(token.encode()).hexdigest() if token else ""
        if owner is not None:
            # The connection object lives as long as the caller's session (and its key is
            # forgotten when that ends, before the id can be reused).
            key += f"/session-{id(owner._connection)}"
        return key

    # -- transports ------------------------------------------------------------------------

    def _transport(self, session: _Session) -> ClientTransport | FastMCP:
        upstream = self.upstream
        if not isinstance(upstream, str):
            return upstream  # a server in this process (tests)
        if upstream.startswith(("http://", "https://")):
            return StreamableHttpTransport(
                upstream, auth=self.auth, httpx_client_factory=self._http_factory(session)
            )
        words = shlex.split(upstream)
        # keep_alive=False: the process ends with its session (the session itself is long-lived).
        return StdioTransport(words[0], words[1:], env=dict(os.environ), keep_alive=False)

    def _http_factory(self, session: _Session) -> Callable[..., httpx2.AsyncClient]:
        timeout = httpx2.Timeout(self.settings.connect_timeout, read=SSE_READ_TIMEOUT)

        async def notice_lost_session(response: httpx2.Response) -> None:
            if response.status_code == 404 and "mcp-session-id" in response.request.headers:
                session.lost = True

        def factory(
            headers: dict[str, str] | None = None, auth: httpx2.Auth | None = None, **_: Any
        ) -> httpx2.AsyncClient:
            client = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)
            client.event_hooks["response"].append(notice_lost_session)
            return client

        return factory


async def _fetched(session: _Session, kind: str, fetch: Callable[[], Awaitable[T]]) -> T:
    """`fetch()`ed and kept as the session's `kind` list (the one fetch others wait on)."""
    try:
        items = await fetch()
        session.lists[kind] = (time.monotonic(), items)
        return items
    finally:
        session.fetching.pop(kind, None)


def _retrieved(fetch: asyncio.Future[Any]) -> None:
    """A shared fetch's failure reaches whoever waits on it; with nobody left waiting it is
    not logged as "never retrieved" either."""
    if not fetch.cancelled():
        fetch.exception()


def _caller_session() -> Any:
    """The MCP session of the request being served when it is a handshake-era session of its
    own (an `Mcp-Session-Id`, so it outlives the request), else None."""
    context = current_context.get()  # get_context() without its exception: the fast path
    if context is None:
        return None  # no MCP request (the fast path, a probe)
    try:
        session = context.session
    except RuntimeError:
        return None
    connection = getattr(session, "_connection", None)
    if connection is None or connection.session_id is None:
        return None
    if connection.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return None
    return session


def _mcp_error(exc: BaseException) -> MCPError | None:
    """The MCP error a failure carries (FastMCP wraps a failed tool's in a ToolError)."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, MCPError):
        cause = cause.__cause__
    return cause


def _lost_session(error: MCPError) -> bool:
    return error.error.code == INVALID_REQUEST and error.error.message in LOST_SESSION


def _describe(upstream: str | FastMCP) -> str:
    """The upstream as named in messages: no userinfo or query (they may hold credentials)."""
    if not isinstance(upstream, str):
        return f"in-process server {upstream.name!r}"
    if upstream.startswith(("http://", "https://")):
        path = httpx2.URL(upstream).path
        return origin_of(upstream) + path
    return f"command {shlex.split(upstream)[0]!r}" if upstream.strip() else "''"


def _reason(exc: BaseException) -> str:
    """The innermost readable cause of a failed connection."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, MCPError):
        return f"{exc.error.message} (MCP error {exc.error.code})"
    text = str(exc).removeprefix("Client failed to connect: ")
    return text or type(exc).__name__
