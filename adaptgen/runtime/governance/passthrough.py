"""What `adaptgen proxy` relays besides tools, resources and prompts, as the upstream offers it.

* Argument completions (`completion/complete`) for the upstream's prompts and resource
  templates, answered by the upstream.
* Resource subscriptions (`resources/subscribe`, `resources/unsubscribe`, handshake era): the
  proxy subscribes upstream once per resource, on its shared session, and relays each
  `notifications/resources/updated` to every caller session subscribed to that resource.
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
2025-11-25 era's tasks (a task-augmented tools/call, tasks/get|result|list|cancel) are not
relayed: FastMCP 4.1.2's proxy runs those calls synchronously (fastmcp/server/server.py:
1433-1445 drops `task`; proxy components are `task_config` "forbidden"), so a caller gets the
result itself, governed like any call (the spec lets a server that declares no `tasks`
capability answer so), and tasks/* are "method not found".
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from typing import Any

import mcp_types
from fastmcp import FastMCP
from mcp.shared.exceptions import MCPError
from mcp_types import METHOD_NOT_FOUND

from adaptgen.runtime.governance.relay import TASKS_EXTENSION, relays_for
from adaptgen.runtime.governance.upstream_session import UpstreamSessions

__all__ = ["Passthrough"]


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
        """Subscribe the caller's session; the upstream is subscribed once per resource."""
        client = await self.sessions()
        if not self._subscribable():
            raise MCPError(METHOD_NOT_FOUND, "the upstream offers no resource subscriptions")
        subscribers = self._subscribers.setdefault(params.uri, weakref.WeakSet())
        if not subscribers:
            await self.sessions.run(lambda: _legacy(client.session.subscribe_resource, params.uri))
        subscribers.add(ctx.session)
        return mcp_types.EmptyResult()

    async def unsubscribe(
        self, ctx: Any, params: mcp_types.UnsubscribeRequestParams
    ) -> mcp_types.EmptyResult:
        """Unsubscribe the caller's session; the upstream too when nobody is left."""
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

    async def relay(self, notice: Any) -> None:
        """An upstream notification: a resource update goes to its subscribers."""
        if not isinstance(notice, mcp_types.ResourceUpdatedNotification):
            return
        uri = str(notice.params.uri)
        for session in list(self._subscribers.get(uri, ())):
            # A caller that went away is not the others' problem.
            with contextlib.suppress(Exception):
                await session.send_resource_updated(uri)

    def _subscribable(self) -> bool:
        """Whether the upstream session takes resources/subscribe (handshake era only)."""
        capabilities = self.sessions.capabilities
        resources = capabilities.resources if capabilities is not None else None
        return bool(resources and resources.subscribe) and not self.sessions.modern


async def _legacy(method: Any, uri: str) -> Any:
    """A handshake-era request the SDK marks deprecated (right for a 2026 session, not ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return await method(uri)
