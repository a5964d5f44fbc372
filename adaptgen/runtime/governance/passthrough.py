"""What `adaptgen proxy` relays besides tools, resources and prompts, as the upstream offers it.

* Argument completions (`completion/complete`) for the upstream's prompts and resource
  templates, answered by the upstream.
* Resource subscriptions (`resources/subscribe`, `resources/unsubscribe`, handshake era): a
  caller with an upstream session of its own (see upstream_session) subscribes there and gets
  that session's `notifications/resources/updated`; on the shared session the proxy subscribes
  upstream once per resource and relays each update to every caller subscribed to it.
* What the upstream sends toward a caller during a call on the caller's own upstream session
  (`CallerMessages`): log messages, progress, sampling and elicitation requests and roots/list
  reach that caller only (the call's own request when there is one). What they carry passes the
  PII layer as a result does: log data, progress messages, sampling messages and the system
  prompt, and elicitation messages leave as tokens (unless the caller's group sees PII in the
  clear); the caller's answers (a sampling reply's text, an elicitation's content) go upstream
  with the tokens in them turned back into real values, as a call's arguments do, and a token
  the proxy never issued is refused.
* Capabilities: the proxy declares completions and resource subscriptions only when the upstream
  does (its last session said so), so a caller never sees a feature the proxy cannot deliver.

Who may ask is decided where every request is: the HTTP front door refuses callers the policy
does not identify (401), whatever the method. A subscription only says that a resource changed;
its content still comes through `resources/read`, which the governance layers decide, tokenize
and audit as `resource:<uri>` (prompts/get as `prompt:<name>`; see middleware.py).

Background tasks: a modern-era (2026-07-28) upstream that offers the tasks extension
(io.modelcontextprotocol/tasks, SEP-2663) has it declared here too, and `relay.py` serves it:
the task is created upstream once the governance layers allow the call, the caller gets a task
id bound to it (tasks/get, tasks/update and tasks/cancel work for that caller only), and the
finished result is delivered through the layers like a call's (PII tokenized, audited). The
2025-11-25 era's tasks (a task-augmented tools/call, tasks/get|result|list|cancel, status
notifications) are served by `handshake_tasks` for a caller on a session of its own whose
upstream session declares `tasks`; anyone else gets the call's result itself, governed like any
call (the spec lets a server that declares no `tasks` capability answer so).
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import mcp_types
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_context
from fastmcp.server.providers.proxy import ProxyClient
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types import INVALID_PARAMS, METHOD_NOT_FOUND
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from adaptgen.runtime.governance.pii import PiiError
from adaptgen.runtime.governance.relay import TASKS_EXTENSION, relays_for
from adaptgen.runtime.governance.upstream_session import UpstreamSessions
from adaptgen.runtime.identity import Caller

__all__ = ["CallerMessages", "Passthrough"]

T = TypeVar("T")


class Passthrough:
    """Completions, resource subscriptions and capabilities relayed to and from the upstream."""

    def __init__(self, sessions: UpstreamSessions) -> None:
        self.sessions = sessions
        # uri -> the caller sessions subscribed to it (gone when their connection ends).
        self._subscribers: dict[str, weakref.WeakSet[Any]] = {}

    def install(self, proxy: FastMCP) -> None:
        """Register the handlers on `proxy` and make its capabilities follow the upstream's."""
        proxy.add_completion_handler(self.complete)
        server = proxy._mcp_server
        server.add_request_handler(
            "resources/subscribe", mcp_types.SubscribeRequestParams, self.subscribe
        )
        server.add_request_handler(
            "resources/unsubscribe", mcp_types.UnsubscribeRequestParams, self.unsubscribe
        )
        self.sessions.notice_handlers.append(self.relay)
        own = server.get_capabilities

        def capabilities(*args: Any, **kwargs: Any) -> mcp_types.ServerCapabilities:
            return self.mirrored(own(*args, **kwargs))

        server.get_capabilities = capabilities  # type: ignore[method-assign]

    def mirrored(self, mine: mcp_types.ServerCapabilities) -> mcp_types.ServerCapabilities:
        """The proxy's capabilities less what the upstream does not offer."""
        upstream = self.sessions.capabilities
        updates: dict[str, Any] = {}
        if upstream is None or upstream.completions is None:
            updates["completions"] = None
        if mine.resources is not None and not self._subscribable():
            updates["resources"] = mine.resources.model_copy(update={"subscribe": False})
        tasks = (getattr(upstream, "extensions", None) or {}).get(TASKS_EXTENSION)
        if tasks is not None and relays_for(self.sessions):
            # Background tasks (SEP-2663), created, polled and delivered through `relay`.
            updates["extensions"] = {**(mine.extensions or {}), TASKS_EXTENSION: tasks}
        return mine.model_copy(update=updates) if updates else mine

    async def complete(
        self,
        ref: mcp_types.PromptReference | mcp_types.ResourceTemplateReference,
        argument: mcp_types.CompletionArgument,
        context: mcp_types.CompletionContext | None,
    ) -> mcp_types.Completion | None:
        """The upstream's completion (none when the upstream offers no completions)."""
        client = await self.sessions()
        capabilities = self.sessions.capabilities
        if capabilities is None or capabilities.completions is None:
            return None
        arguments = context.arguments if context is not None else None
        return await self.sessions.run(
            lambda: client.complete(
                ref, {"name": argument.name, "value": argument.value}, arguments
            )
        )

    async def subscribe(
        self, ctx: Any, params: mcp_types.SubscribeRequestParams
    ) -> mcp_types.EmptyResult:
        """Subscribe the caller's session: upstream on its own session, else once per resource."""
        client = await self.sessions()
        if not self._subscribable(client):
            raise MCPError(METHOD_NOT_FOUND, "the upstream offers no resource subscriptions")
        if self.sessions.owned():
            await self.sessions.run(lambda: _legacy(client.session.subscribe_resource, params.uri))
            return mcp_types.EmptyResult()
        subscribers = self._subscribers.setdefault(params.uri, weakref.WeakSet())
        if not subscribers:
            await self.sessions.run(lambda: _legacy(client.session.subscribe_resource, params.uri))
        subscribers.add(ctx.session)
        return mcp_types.EmptyResult()

    async def unsubscribe(
        self, ctx: Any, params: mcp_types.UnsubscribeRequestParams
    ) -> mcp_types.EmptyResult:
        """Unsubscribe the caller's session; the upstream too when nobody is left."""
        if self.sessions.owned():
            client = await self.sessions()
            await self.sessions.run(
                lambda: _legacy(client.session.unsubscribe_resource, params.uri)
            )
            return mcp_types.EmptyResult()
        subscribers = self._subscribers.get(params.uri)
        if subscribers is None:
            return mcp_types.EmptyResult()
        subscribers.discard(ctx.session)
        if not subscribers:
            del self._subscribers[params.uri]
            client = await self.sessions()
            await self.sessions.run(
                lambda: _legacy(client.session.unsubscribe_resource, params.uri)
            )
        return mcp_types.EmptyResult()

    async def relay(self, notice: Any, owner: Any) -> None:
        """An upstream notification: a resource update goes to its subscribers (`owner`'s
        upstream session is subscribed for `owner` alone)."""
        if not isinstance(notice, mcp_types.ResourceUpdatedNotification):
            return
        uri = str(notice.params.uri)
        targets = [owner] if owner is not None else list(self._subscribers.get(uri, ()))
        for session in targets:
            # A caller that went away is not the others' problem.
            with contextlib.suppress(Exception):
                await session.send_resource_updated(uri)

    def _subscribable(self, client: Any = None) -> bool:
        """Whether the upstream session (`client`'s, else the shared one) takes
        resources/subscribe (handshake era only)."""
        capabilities = self.sessions.capabilities
        resources = capabilities.resources if capabilities is not None else None
        if client is not None:
            modern = client.protocol_version in MODERN_PROTOCOL_VERSIONS
        else:
            modern = self.sessions.modern and not self.sessions.relays_to_callers()
        return bool(resources and resources.subscribe) and not modern


def _progress_token(meta: Any) -> Any:
    """The progress token of a request's `_meta` (a mapping; None: no progress asked for)."""
    if not isinstance(meta, dict):
        return None
    return meta.get("progress_token", meta.get("progressToken"))


async def _legacy(method: Any, uri: str) -> Any:
    """A handshake-era request the SDK marks deprecated (right for a 2026 session, not ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return await method(uri)


class CallerMessages:
    """What the upstream sends toward a caller on that caller's own upstream session, delivered
    to it through the PII layer (see the module docstring). `tokenizer`: the proxy's (None:
    PII protection is off); `clear_for_groups`: callers who see PII in the clear."""

    def __init__(self, tokenizer: Any, clear_for_groups: frozenset[str] = frozenset()) -> None:
        self.tokenizer = tokenizer
        self.clear_for_groups = clear_for_groups

    @property
    def client_type(self) -> type[ProxyClient]:
        """The client a caller's own upstream session uses."""
        return RoutedProxyClient

    def install(self, client: ProxyClient, owner: Any, caller: Caller | None) -> _Route:
        """Route `client`'s server-initiated messages to `owner`, offering the upstream only
        what the caller itself declared (sampling, elicitation, roots)."""
        route = _Route(self, owner, caller)
        if isinstance(client, RoutedProxyClient):
            client.route = route
        kwargs: Any = client._session_kwargs
        kwargs["logging_callback"] = route.log
        declared = getattr(owner._connection, "client_capabilities", None)
        if declared is None or declared.sampling is not None:
            kwargs["sampling_callback"] = route.sample
            kwargs["sampling_capabilities"] = mcp_types.SamplingCapability()
        if declared is None or declared.elicitation is not None:
            kwargs["elicitation_callback"] = route.elicit
        if declared is None or declared.roots is not None:
            kwargs["list_roots_callback"] = route.roots
        return route

    def outgoing(self, data: Any, caller: Caller | None) -> Any:
        """`data` as the caller may see it: its PII as tokens."""
        if self.tokenizer is None or (
            caller is not None and not self.clear_for_groups.isdisjoint(caller.groups)
        ):
            return data
        return self.tokenizer.tokenize(data)[0]

    def incoming(self, data: Any) -> Any:
        """The caller's answer as the upstream gets it: tokens turned back into real values
        (`PiiError` for a token this proxy did not issue)."""
        if self.tokenizer is None:
            return data
        return self.tokenizer.detokenize(data)[0]


class RoutedProxyClient(ProxyClient):
    """A caller's own upstream client: its progress handler is read as each call starts (in
    the caller's request), so each call's progress goes to that call and no other."""

    route: _Route | None = None

    @property  # type: ignore[override]
    def _progress_handler(self) -> Any:
        if self.route is not None:
            return self.route.progress_handler()
        return self.__dict__.get("_own_progress_handler")

    @_progress_handler.setter
    def _progress_handler(self, handler: Any) -> None:
        self.__dict__["_own_progress_handler"] = handler


class _Route:
    """One caller's upstream session's handlers. A message goes to the caller's tools/call it
    belongs to: progress to the exact call (its handler is bound when the call starts), the
    others to the most recent call still running (the upstream does not say which call a log
    or a request is for); between calls, to the caller's session."""

    def __init__(self, messages: CallerMessages, owner: Any, caller: Caller | None) -> None:
        self.messages = messages
        self.owner = owner
        self.caller = caller
        self.calls: list[Any] = []  # request contexts of the caller's calls now running

    @contextlib.contextmanager
    def calling(self, request: Any) -> Iterator[None]:
        if request is None:
            yield
            return
        self.calls.append(request)
        try:
            yield
        finally:
            self.calls.remove(request)

    def busy(self) -> bool:
        return bool(self.calls)

    def _request(self, request: Any = None) -> tuple[Any, Any, Any]:
        """(session, request id, request meta) to send on: `request`'s, else the latest call's,
        else the caller's session (not within a request)."""
        if request is None and self.calls:
            request = self.calls[-1]
        if request is None:
            return self.owner, None, None
        return request.session, request.request_id, request.meta

    def progress_handler(self) -> Callable[[float, float | None, str | None], Awaitable[None]]:
        """The progress handler of the call starting now (in the caller's request)."""
        try:
            request = get_context().request_context
        except RuntimeError:
            request = None

        async def progress(progress: float, total: float | None, message: str | None) -> None:
            await self.progress(request, progress, total, message)

        return progress

    async def log(self, params: mcp_types.LoggingMessageNotificationParams) -> None:
        session, request_id, _ = self._request()
        data = self.messages.outgoing(params.data, self.caller)
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated in 2026-07-28, not in the caller's era
            await session.send_log_message(
                params.level, data, params.logger, related_request_id=request_id
            )

    async def progress(
        self, request: Any, progress: float, total: float | None, message: str | None
    ) -> None:
        session, request_id, meta = self._request(request)
        token = _progress_token(meta)
        if token is None:
            return  # the caller asked for no progress
        text = self.messages.outgoing(message, self.caller) if message else message
        with contextlib.suppress(Exception):
            await session.send_progress_notification(
                token, progress, total, text, related_request_id=request_id
            )

    async def sample(
        self, context: Any, params: mcp_types.CreateMessageRequestParams
    ) -> mcp_types.CreateMessageResult | mcp_types.ErrorData:
        data = params.model_dump(by_alias=True, mode="json", exclude_none=True)
        data["messages"] = [
            {**m, "content": self._texts(m["content"])} for m in data.get("messages", [])
        ]
        if isinstance(data.get("systemPrompt"), str):
            data["systemPrompt"] = self.messages.outgoing(data["systemPrompt"], self.caller)
        request = mcp_types.CreateMessageRequest(
            params=mcp_types.CreateMessageRequestParams.model_validate(data)
        )
        answer = await self._ask(request, mcp_types.CreateMessageResult)
        if isinstance(answer, mcp_types.ErrorData):
            return answer
        return self._restored(answer)

    async def elicit(
        self, context: Any, params: mcp_types.ElicitRequestParams
    ) -> mcp_types.ElicitResult | mcp_types.ErrorData:
        message = self.messages.outgoing(params.message, self.caller)
        request = mcp_types.ElicitRequest(params=params.model_copy(update={"message": message}))
        answer = await self._ask(request, mcp_types.ElicitResult)
        if isinstance(answer, mcp_types.ErrorData):
            return answer
        return self._restored(answer)

    async def roots(self, context: Any) -> mcp_types.ListRootsResult | mcp_types.ErrorData:
        return await self._ask(mcp_types.ListRootsRequest(), mcp_types.ListRootsResult)

    def _texts(self, content: Any) -> Any:
        """A sampling message's content with the text of its text blocks tokenized."""
        if isinstance(content, list):
            return [self._texts(block) for block in content]
        if isinstance(content, dict) and content.get("type") == "text":
            return {**content, "text": self.messages.outgoing(content["text"], self.caller)}
        return content

    def _restored(self, answer: T) -> T | mcp_types.ErrorData:
        """The caller's answer with its tokens turned back into real values."""
        data = answer.model_dump(by_alias=True, mode="json", exclude_none=True)  # type: ignore[attr-defined]
        try:
            real = self.messages.incoming(data)
        except PiiError:
            return mcp_types.ErrorData(
                code=INVALID_PARAMS,
                message="the answer holds a PII token this server did not issue (or one revoked)",
            )
        return type(answer).model_validate(real)  # type: ignore[attr-defined]

    async def _ask(self, request: Any, result: type[T]) -> T | mcp_types.ErrorData:
        """`request` sent to the caller (within the call that caused it); its error relayed."""
        session, request_id, _ = self._request()
        try:
            return await session.send_request(
                request, result, metadata=ServerMessageMetadata(related_request_id=request_id)
            )
        except MCPError as exc:
            return exc.error
