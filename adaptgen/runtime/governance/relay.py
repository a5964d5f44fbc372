"""The proxy's fast path for `tools/call` (governed, then relayed to the upstream as JSON) and
repeated `tools/list`.

Through FastMCP's proxy a call is parsed and validated into models, dispatched through the
server's handler chain, run by a proxy tool on an MCP client session (models again, memory
streams, tasks) and serialized back: two full MCP stacks for what is, on the wire, one JSON-RPC
request in and one out. The soak benchmark measured that at ~4.5 ms of proxy CPU per call,
when the governance layers themselves take ~0.5 ms.

`ProxyRelay` sits innermost in the proxy's HTTP front door (after the Host/Origin guard and
`HttpAuth`, which identified the caller). For the common call it does the protocol work
itself: it checks the request as the MCP SDK would (the modern era's validation ladder), runs
it through the same governance layers as every other call (`Governance.run_call`: identity,
rate limit, access decided on the tool's listed annotations, PII detokenized in and tokenized
out, audit, telemetry), and posts it to the upstream as one JSON-RPC request with the proxy's
own envelope and credentials (`UpstreamSessions`: never the caller's token). The upstream's
answer, JSON or an event stream, goes back to the caller as JSON. Upstream notifications on
that stream (progress, logs) are not relayed, as FastMCP's proxy path relays none either: on a
shared upstream session there is no telling which caller they were meant for.

Background tasks (the modern era's tasks extension, SEP-2663) go the same way: a call the
upstream runs as a task returns a task id bound to the caller (`TaskIds`); tasks/get,
tasks/update and tasks/cancel are relayed for that caller only, and a finished task's result
is delivered through the governance layers like a call's.

A modern-era tools/list is answered from `ListAnswers` when this caller asked the same before
and the upstream listing has not changed since (FastMCP's answer, kept; see list_answers.py).

Anything else goes to FastMCP untouched (the request body is replayed), so behaviour there is
unchanged: other methods; the legacy (session) era; a protocol version other than the one the
upstream speaks; calls that carry a task, multi-round-trip input or `Mcp-Param-*` headers;
tools not in the upstream's listing, search-mode meta tools, tools that require tasks or
mirror arguments into headers; stdio or in-process upstreams; per-caller
upstream sessions (token exchange). `ADAPTGEN_PROXY_RELAY=off` turns the fast path off.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import logging
import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import httpx2
from fastmcp.exceptions import FastMCPError
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import (
    ERROR_CODE_HTTP_STATUS,
    InboundModernRoute,
    classify_inbound_request,
    decode_header_value,
    encode_header_value,
)
from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    CLIENT_INFO_META_KEY,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    PROTOCOL_VERSION_META_KEY,
    SERVER_INFO_META_KEY,
    TextContent,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adaptgen import __version__
from adaptgen.runtime.compact_json import compact_json
from adaptgen.runtime.governance import upstream_http
from adaptgen.runtime.governance.access import ToolFacts
from adaptgen.runtime.governance.call import Call
from adaptgen.runtime.governance.layers.identity import CALLER_STATE
from adaptgen.runtime.governance.list_answers import ListAnswers
from adaptgen.runtime.governance.upstream_http import UpstreamHTTP

if TYPE_CHECKING:
    from adaptgen.runtime.governance.middleware import Governance

__all__ = ["ProxyRelay", "RelayedResult", "TaskIds", "deliver", "relay_enabled"]

logger = logging.getLogger(__name__)

# The request's `_meta` keys that describe the caller's connection, not the call: the proxy
# stamps its own toward the upstream (as FastMCP's proxy does).
CONNECTION_META = frozenset(
    {PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY}
)
CALL_PARAMS = frozenset({"name", "arguments", "_meta"})  # anything else: FastMCP's path
TASKS_EXTENSION = "io.modelcontextprotocol/tasks"  # SEP-2663 background tasks
RELAYED_METHODS = frozenset(
    {"tools/call", "tools/list", "tasks/get", "tasks/update", "tasks/cancel"}
)
OK_STATUS = 200


def relay_enabled() -> bool:
    """Whether the fast path is on (`ADAPTGEN_PROXY_RELAY=off` turns it off)."""
    return os.environ.get("ADAPTGEN_PROXY_RELAY", "on").strip().lower() not in ("off", "0", "no")


@dataclass
class RelayedResult:
    """An upstream's `tools/call` result as the governance layers see a tool's result:
    `content` (text blocks as `TextContent`, others as sent), `structured_content`,
    `is_error`; every other field of the upstream's result is kept as sent."""

    content: list[Any]
    structured_content: Any = None
    is_error: bool = False
    rest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> RelayedResult:
        rest = dict(result)
        blocks = rest.pop("content", None) or []
        content = [
            TextContent(type="text", text=block["text"])
            if isinstance(block, dict)
            and block.get("type") == "text"
            and isinstance(block.get("text"), str)
            and block.keys() <= {"type", "text"}
            else block
            for block in blocks
        ]
        return cls(
            content=content,
            structured_content=rest.pop("structuredContent", None),
            is_error=bool(rest.pop("isError", False)),
            rest=rest,
        )

    def wire(self) -> dict[str, Any]:
        """The result as the caller receives it (a task's creation result as sent)."""
        result = dict(self.rest)
        if result.get("resultType") == "task":
            return result
        result["content"] = [
            {"type": "text", "text": block.text} if isinstance(block, TextContent) else block
            for block in self.content
        ]
        if self.structured_content is not None:
            result["structuredContent"] = self.structured_content
        if self.is_error:
            result["isError"] = True
        return result


class UpstreamCallError(Exception):
    """The upstream answered the call with a JSON-RPC error (relayed to the caller as is)."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        self.error = dict(error)
        super().__init__(str(self.error.get("message", "")))


@dataclass(frozen=True)
class _Call:
    id: str | int
    name: str
    arguments: dict[str, Any]
    meta: dict[str, Any]  # the caller's `_meta`, minus its connection keys
    version: str
    tasks: bool = False  # the caller declared the tasks extension


@dataclass(frozen=True)
class _ListRequest:
    """A modern-era `tools/list`: answered from `ListAnswers` when it was answered before."""

    id: str | int
    version: str
    params: Any


@dataclass(frozen=True)
class _TaskRequest:
    """A `tasks/get`, `tasks/update` or `tasks/cancel` for a task the relay created."""

    id: str | int
    method: str
    task_id: str  # as the caller holds it (`TaskIds`)
    params: dict[str, Any]  # the caller's, minus taskId and `_meta`
    meta: dict[str, Any]
    version: str


class TaskIds:
    """Task ids as the proxy hands them out: the upstream's id, the tool and a digest of the
    caller bound under an HMAC. A caller can poll, update or cancel only its own tasks (any
    other id is "not found", as for a task that does not exist), on every instance that shares
    the policy's key, and the upstream's own ids never reach callers."""

    PREFIX = "agt1."

    def __init__(self, key: bytes) -> None:
        self.key = hmac.new(key, b"adaptgen task ids", hashlib.sha256).digest()

    def wrap(self, upstream_id: str, tool: str, subject: str | None) -> str:
        payload = _b64(json.dumps([upstream_id, tool, self._who(subject)]).encode())
        return f"{self.PREFIX}{payload}.{self._mac(payload)}"

    def unwrap(self, task_id: str, subject: str | None) -> tuple[str, str] | None:
        """(upstream id, tool) of a task this caller holds, else None."""
        if not task_id.startswith(self.PREFIX):
            return None
        payload, _, mac = task_id[len(self.PREFIX) :].partition(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            upstream_id, tool, who = json.loads(base64.urlsafe_b64decode(payload + "=="))
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(str(who), self._who(subject)):
            return None
        return str(upstream_id), str(tool)

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest()[:18])

    def _who(self, subject: str | None) -> str:
        digest = hmac.new(self.key, (subject or "").encode(), hashlib.sha256).digest()
        return _b64(digest[:12])


def relays_for(sessions: Any) -> bool:
    """Whether the relay can serve calls to this upstream (an HTTP URL, one shared session)."""
    upstream = sessions.upstream
    if sessions.per_caller or not isinstance(upstream, str):
        return False
    return relay_enabled() and upstream.startswith(("http://", "https://"))


class ProxyRelay:
    """ASGI middleware: the proxy's `tools/call` fast path (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, proxy: Any, path: str = "/mcp") -> None:
        self.app = app
        self.proxy = proxy
        self.gov = proxy.governance
        self.sessions = proxy.upstream
        self.path = "/" + path.strip("/")
        # Where the access layer looks a tool up (`Governance.run_call`): the proxy itself.
        self.lookup = SimpleNamespace(fastmcp=proxy)
        self.envelope = {
            CLIENT_INFO_META_KEY: {"name": proxy.name, "version": __version__},
            # No sampling, elicitation or roots: a shared upstream session relays none of them.
            CLIENT_CAPABILITIES_META_KEY: {},
        }
        self._ids = itertools.count(1)
        self._http: UpstreamHTTP | httpx2.AsyncClient | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._listed: tuple[int, dict[str, Any]] = (0, {})
        self._relayable_in: tuple[dict[str, Any] | None, dict[str, bool]] = (None, {})
        self.answers = ListAnswers()
        # Keyed by the policy's shared key when it names one (ids then survive a restart and
        # work on every instance), else by a key of this process.
        self.task_ids = TaskIds(self.gov.shared_key or os.urandom(32))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._on_shutdown(receive), send)
            return
        if not self._candidate(scope):
            await self.app(scope, receive, send)
            return
        body = await _body(receive)
        replay = _replaying(body, receive)
        try:
            call = await self._planned(body, Headers(scope=scope))
        except Exception:  # noqa: BLE001 - anything unusual is FastMCP's to answer
            logger.debug("relay: falling back to FastMCP", exc_info=True)
            call = None
        if call is None:
            await self.app(scope, replay, send)
            return
        if isinstance(call, _TaskRequest):
            await _send_json(send, *await self._task(call, scope))
            return
        if isinstance(call, _ListRequest):
            await self._list(call, scope, replay, send)
            return
        await _send_json(send, *await self._relayed(call))

    # -- deciding ----------------------------------------------------------------------------

    def _candidate(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        if (scope["path"].rstrip("/") or "/") != self.path:
            return False
        headers = Headers(scope=scope)
        if headers.get("mcp-protocol-version") not in MODERN_PROTOCOL_VERSIONS:
            return False
        accept = headers.get("accept", "")
        if "application/json" not in accept and "*/*" not in accept:
            return False  # FastMCP answers 406
        return not any(key.startswith("mcp-param-") for key in headers)

    async def _planned(self, body: bytes, headers: Headers) -> _Call | _TaskRequest | None:
        """The call to relay, or None when FastMCP's path must serve the request."""
        message = json.loads(body)
        if not (
            isinstance(message, dict)
            and message.get("jsonrpc") == "2.0"
            and message.get("method") in RELAYED_METHODS
            and isinstance(message.get("id"), str | int)
            and not isinstance(message.get("id"), bool)
        ):
            return None
        if message["method"] == "tools/list":
            return self._list_request(message, headers)
        if message["method"] != "tools/call":
            return await self._task_request(message, headers)
        params = message.get("params")
        if not isinstance(params, dict) or not params.keys() <= CALL_PARAMS:
            return None  # a task, multi-round-trip input, ...
        name, arguments, meta = params.get("name"), params.get("arguments"), params.get("_meta")
        if not isinstance(name, str) or not isinstance(meta, dict):
            return None
        if arguments is not None and not isinstance(arguments, dict):
            return None
        route = classify_inbound_request(message, headers=dict(headers.items()))
        if not isinstance(route, InboundModernRoute):
            return None  # FastMCP answers the rejection
        if not await self._relayable(name, route.protocol_version):
            return None
        forwarded = {k: v for k, v in meta.items() if k not in CONNECTION_META}
        tasks = _declares_tasks(meta)
        return _Call(
            message["id"], name, dict(arguments or {}), forwarded, route.protocol_version, tasks
        )

    def _list_request(self, message: dict[str, Any], headers: Headers) -> _ListRequest | None:
        """A tools/list the kept answers can serve (None: FastMCP's path, as it was)."""
        if not relays_for(self.sessions):
            return None  # per-caller upstream sessions: each has a listing of its own
        route = classify_inbound_request(message, headers=dict(headers.items()))
        if not isinstance(route, InboundModernRoute):
            return None  # FastMCP answers the rejection
        return _ListRequest(message["id"], route.protocol_version, message.get("params"))

    async def _task_request(self, message: dict[str, Any], headers: Headers) -> _TaskRequest | None:
        """A tasks/* request for a task id this relay issued (None: not one of ours)."""
        params = message.get("params")
        if not isinstance(params, dict) or not isinstance(params.get("taskId"), str):
            return None
        task_id = params["taskId"]
        if not task_id.startswith(TaskIds.PREFIX) or not self._upstream_tasks():
            return None
        route = classify_inbound_request(message, headers=dict(headers.items()))
        if not isinstance(route, InboundModernRoute):
            return None
        name = headers.get("mcp-name")
        if name is not None and decode_header_value(name) != task_id:
            return None  # FastMCP's path answers the mismatch
        client = await self.sessions()
        if client.protocol_version != route.protocol_version:
            return None
        given = params.get("_meta")
        meta: dict[str, Any] = given if isinstance(given, dict) else {}
        rest = {k: v for k, v in params.items() if k not in ("taskId", "_meta")}
        forwarded = {k: v for k, v in meta.items() if k not in CONNECTION_META}
        return _TaskRequest(
            message["id"], message["method"], task_id, rest, forwarded, route.protocol_version
        )

    def _upstream_tasks(self) -> bool:
        """Whether the upstream declared the tasks extension."""
        capabilities = self.sessions.capabilities
        extensions = getattr(capabilities, "extensions", None) or {}
        return TASKS_EXTENSION in extensions

    async def _relayable(self, name: str, version: str) -> bool:
        sessions = self.sessions
        if not relays_for(sessions):
            return False
        if name in self.gov.meta_tools or name in self.gov.dispatch_tools:
            return False
        client = await sessions()
        if client.protocol_version != version:
            return False  # the caller and the upstream speak different versions
        # Unknown to the listing: FastMCP's path says so.
        return (await self._relayable_tools()).get(name, False)

    async def _relayable_tools(self) -> dict[str, bool]:
        """Whether each upstream tool can take the fast path: not one that requires a task,
        nor one mirroring arguments into `Mcp-Param-*` headers. Decided once per listing,
        not per call."""
        tools = await self._tools()
        if self._relayable_in[0] is not tools:
            self._relayable_in = (tools, {n: _relayable_tool(t) for n, t in tools.items()})
        return self._relayable_in[1]

    async def _tools(self) -> dict[str, Any]:
        """The upstream's tools by name, as the proxy lists them (its cached listing)."""
        listing = await self._listing()
        if self._listed[0] != id(listing):
            self._listed = (id(listing), {tool.name: tool for tool in listing})
        return self._listed[1]

    async def _listing(self) -> Any:
        """The upstream's tool listing the proxy holds (fetched when stale or changed)."""
        provider = next(p for p in self.proxy.providers if hasattr(p, "input_schema"))
        return await provider._list_tools()

    # -- relaying ----------------------------------------------------------------------------

    async def _list(self, request: _ListRequest, scope: Scope, replay: Receive, send: Send) -> None:
        """A tools/list: the answer FastMCP gave this caller for this request before, while
        the listing it was made from is current; else FastMCP's answer, kept."""
        try:
            caller = await self._caller(scope, Headers(scope=scope))
            listing = await self._listing()
        except Exception:  # noqa: BLE001 - refused, upstream down: FastMCP's path says so
            await self.app(scope, replay, send)
            return
        key = ListAnswers.key(caller, request.version, request.params)
        kept = self.answers.kept(listing, key, request.id)
        if kept is not None:
            headers, body = kept
            await send({"type": "http.response.start", "status": OK_STATUS, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await self.answers.capture(
            lambda tap: self.app(scope, replay, tap),
            send,
            request.id,
            listing,
            lambda: self.sessions.held("tools"),
            key,
        )

    async def _relayed(self, call: _Call) -> tuple[int, dict[str, Any]]:
        """The governed call's JSON-RPC response (HTTP status, body)."""

        async def upstream(governed: Call) -> RelayedResult:
            return await self._post(call, governed.arguments, governed.caller)

        try:
            result = await self.gov.run_call(
                call.name, call.arguments, upstream, fastmcp_context=self.lookup
            )
        except UpstreamCallError as exc:
            return _error(call.id, exc.error)
        except FastMCPError as exc:
            # As FastMCP's server answers a tool-visible error: an error result.
            text = TextContent(type="text", text=str(exc))
            refused = RelayedResult([text], is_error=True, rest={"resultType": "complete"})
            return OK_STATUS, _response(call.id, self._stamped(refused.wire()))
        except MCPError as exc:
            return _error(call.id, exc.error.model_dump(mode="json", exclude_none=True))
        except Exception:  # noqa: BLE001 - never a traceback on the wire
            logger.exception("relay: tools/call %r failed", call.name)
            return _error(call.id, {"code": INTERNAL_ERROR, "message": "Internal error"})
        return OK_STATUS, _response(call.id, self._stamped(result.wire()))

    def _stamped(self, result: dict[str, Any]) -> dict[str, Any]:
        """`result` with the proxy's server info in its `_meta` unless one is there, as the
        MCP SDK stamps every modern-era result."""
        meta = result.get("_meta")
        if meta is None:
            result["_meta"] = {SERVER_INFO_META_KEY: self.proxy._mcp_server.server_info_stamp}
        elif isinstance(meta, dict) and meta.get(SERVER_INFO_META_KEY) is None:
            stamp = self.proxy._mcp_server.server_info_stamp
            result["_meta"] = {**meta, SERVER_INFO_META_KEY: stamp}
        return result

    async def _post(self, call: _Call, arguments: dict[str, Any], caller: Any) -> RelayedResult:
        params = {"name": call.name, "arguments": arguments, "_meta": call.meta}
        answer = await self._send("tools/call", params, call.version, call.name, call.tasks)
        result = answer.get("result")
        if not isinstance(result, dict):
            raise _unavailable(f"the upstream at {self.sessions.where} sent a malformed answer")
        if result.get("resultType") == "task" and isinstance(result.get("taskId"), str):
            # Run as a task upstream: the caller gets an id bound to it (`TaskIds`).
            subject = caller.subject if caller is not None else None
            result["taskId"] = self.task_ids.wrap(result["taskId"], call.name, subject)
        return RelayedResult.of(result)

    async def _send(
        self, method: str, params: dict[str, Any], version: str, name: str, tasks: bool
    ) -> dict[str, Any]:
        """The upstream's JSON-RPC answer to one request (`UpstreamCallError` for an error),
        sent with the proxy's own envelope (and the tasks extension if the caller declared it
        and the upstream offers it)."""
        request_id = next(self._ids)
        capabilities: dict[str, Any] = {}
        if tasks and self._upstream_tasks():
            capabilities = {"extensions": {TASKS_EXTENSION: {}}}
        meta = {
            **params.get("_meta", {}),
            PROTOCOL_VERSION_META_KEY: version,
            **self.envelope,
            CLIENT_CAPABILITIES_META_KEY: capabilities,
        }
        message = {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": method,
            "params": {**params, "_meta": meta},
        }
        headers = {
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": version,
            "mcp-method": method,
            "mcp-name": encode_header_value(name),
        }
        where = self.sessions.where
        try:
            async with self._post_upstream(headers, _dumps(message)) as response:
                answer = await _answer(response, request_id)
        except httpx2.HTTPError as exc:
            raise _unavailable(
                f"the connection to the upstream at {where} failed: {type(exc).__name__}"
            ) from None
        if answer is None:
            raise _unavailable(f"the upstream at {where} sent no answer to the request")
        if "error" in answer:
            raise UpstreamCallError(answer["error"])
        return answer

    # -- tasks -------------------------------------------------------------------------------

    async def _task(self, request: _TaskRequest, scope: Scope) -> tuple[int, dict[str, Any]]:
        """A tasks/* request: the caller's own task only, access decided again on the task's
        tool, and a finished task's result delivered through the governance layers like a
        call's (PII tokenized, audited as a call of that tool)."""
        headers = Headers(scope=scope)
        try:
            caller = await self._caller(scope, headers)
        except FastMCPError as exc:
            return _error(request.id, {"code": INVALID_REQUEST, "message": str(exc)})
        bound = self.task_ids.unwrap(request.task_id, caller.subject)
        tool = (await self._tools()).get(bound[1]) if bound is not None else None
        if bound is None or tool is None:
            message = f"Task {request.task_id} not found"
            return _error(request.id, {"code": INVALID_PARAMS, "message": message})
        facts = ToolFacts.of(tool)
        decision = self.gov.access.decide(caller, facts)
        if not decision.allowed:
            message = f"not allowed: {decision.reason}"
            return _error(request.id, {"code": INVALID_REQUEST, "message": message})
        upstream_id, name = bound
        params = {**request.params, "taskId": upstream_id, "_meta": request.meta}
        try:
            answer = await self._send(request.method, params, request.version, upstream_id, True)
        except UpstreamCallError as exc:
            return _error(request.id, _protected_error(exc.error, upstream_id, request.task_id))
        except MCPError as exc:
            return _error(request.id, exc.error.model_dump(mode="json", exclude_none=True))
        result = answer.get("result")
        if not isinstance(result, dict):
            return _error(request.id, {"code": INTERNAL_ERROR, "message": "malformed answer"})
        if "taskId" in result:
            result["taskId"] = request.task_id
        if isinstance(result.get("result"), dict):
            inline = result["result"]
            result["result"] = await deliver(self.gov, name, inline, caller, facts, self.lookup)
        return OK_STATUS, _response(request.id, self._stamped(result))

    async def _caller(self, scope: Scope, headers: Headers) -> Any:
        """The caller the front door identified, else the one its token names."""
        known = scope.get("state", {}).get(CALLER_STATE)
        if known is not None:
            return known
        return await self.gov.identify(headers.get("authorization"))

    def _post_upstream(self, headers: dict[str, str], content: bytes) -> Any:
        """The upstream's answer to one POST (an async context manager over a response with
        `headers`, `aread` and `aiter_lines`)."""
        client = self._client()
        if isinstance(client, UpstreamHTTP):
            return client.post(headers, content)
        return client.stream("POST", self.sessions.upstream, content=content, headers=headers)

    def _client(self) -> UpstreamHTTP | httpx2.AsyncClient:
        """The relay's HTTP client (one per event loop): the upstream session's credentials,
        no redirects followed (a redirect is not the configured upstream). The lean client
        (`upstream_http`) unless the environment routes the upstream through an HTTP proxy."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is None or self._loop() is not loop:
            settings = self.sessions.settings
            url = self.sessions.upstream
            if upstream_http.usable_for(url):
                self._http = UpstreamHTTP(
                    url,
                    auth=self.sessions.auth,
                    connect_timeout=settings.connect_timeout,
                    read_timeout=settings.timeout,
                )
            else:
                self._http = httpx2.AsyncClient(
                    auth=self.sessions.auth,
                    timeout=httpx2.Timeout(settings.connect_timeout, read=settings.timeout),
                    follow_redirects=False,
                    limits=httpx2.Limits(max_connections=256, max_keepalive_connections=64),
                )
            self._loop = weakref.ref(loop)
        return self._http

    def _on_shutdown(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message.get("type") == "lifespan.shutdown" and self._http is not None:
                client, self._http = self._http, None
                await client.aclose()
            return message

        return wrapped


async def deliver(
    gov: Governance,
    name: str,
    inline: Mapping[str, Any],
    caller: Any,
    facts: ToolFacts,
    lookup: Any,
) -> dict[str, Any]:
    """A finished task's tool result (`inline`, as the upstream sent it), through the
    governance layers `gov` as a call of `name` by `caller`, as the caller receives it. Shared
    by both eras' tasks (SEP-2663 here, 2025-11-25's tasks/result in handshake_tasks)."""

    async def finished(_: Call) -> RelayedResult:
        return RelayedResult.of(inline)

    try:
        result = await gov.run_call(
            name, {}, finished, caller=caller, facts=facts, fastmcp_context=lookup
        )
    except FastMCPError as exc:
        text = TextContent(type="text", text=str(exc))
        return RelayedResult([text], is_error=True, rest={"resultType": "complete"}).wire()
    except Exception:  # noqa: BLE001 - never a traceback on the wire
        logger.exception("relay: delivering a task result of %r failed", name)
        text = TextContent(type="text", text="Internal error")
        return RelayedResult([text], is_error=True, rest={"resultType": "complete"}).wire()
    return result.wire()  # type: ignore[no-any-return]


def relay_middleware(server: Any, path: str) -> list[Any]:
    """The Starlette middleware that puts the relay in front of `server` (a governed
    `adaptgen proxy`), or none (any other server, or the relay turned off)."""
    from starlette.middleware import Middleware

    if not relay_enabled() or getattr(server, "upstream", None) is None:
        return []
    if getattr(server, "governance", None) is None:
        return []
    return [Middleware(ProxyRelay, proxy=server, path=path)]  # type: ignore[arg-type]


def _declares_tasks(meta: Mapping[str, Any]) -> bool:
    capabilities = meta.get(CLIENT_CAPABILITIES_META_KEY)
    extensions = capabilities.get("extensions") if isinstance(capabilities, dict) else None
    return isinstance(extensions, dict) and TASKS_EXTENSION in extensions


def _protected_error(error: Mapping[str, Any], upstream_id: str, task_id: str) -> dict[str, Any]:
    """An upstream error about a task, naming the task as the caller knows it."""
    protected = dict(error)
    if isinstance(protected.get("message"), str):
        protected["message"] = protected["message"].replace(upstream_id, task_id)
    return protected


def _unavailable(message: str) -> Exception:
    from adaptgen.runtime.governance.upstream_session import UpstreamUnavailable

    return UpstreamUnavailable(message)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _relayable_tool(tool: Any) -> bool:
    execution = getattr(tool, "execution", None)
    if getattr(execution, "task_support", None) == "required":
        return False
    return not _mirrors_headers(getattr(tool, "parameters", None))


def _mirrors_headers(schema: Any) -> bool:
    """Whether a tool's input schema asks for arguments mirrored into `Mcp-Param-*` headers."""
    if isinstance(schema, dict):
        return "x-mcp-header" in schema or any(_mirrors_headers(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_mirrors_headers(v) for v in schema)
    return False


async def _answer(response: Any, request_id: int) -> dict[str, Any] | None:
    """The JSON-RPC answer to `request_id` in an upstream response (JSON or event stream)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "text/event-stream":
        async for data in _sse_data(response.aiter_lines()):
            try:
                message = json.loads(data)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("id") == request_id:
                return message
        return None
    body = await response.aread()
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or ("error" not in message and "result" not in message):
        return None
    return message


async def _sse_data(lines: Any) -> Any:
    """The `data` of each event in a server-sent event stream."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _response(request_id: str | int, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id: str | int, error: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    status = ERROR_CODE_HTTP_STATUS.get(error.get("code"), OK_STATUS)  # type: ignore[arg-type]
    return status, {"jsonrpc": "2.0", "id": request_id, "error": dict(error)}


def _dumps(message: Any) -> bytes:
    return compact_json(message).encode()


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = _dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data, "more_body": False})
