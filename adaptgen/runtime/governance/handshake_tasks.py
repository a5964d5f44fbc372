"""2025-11-25-era MCP tasks through `adaptgen proxy`, governed.

In the 2025-11-25 protocol a client may send `tools/call` with a `task` field: a server that
declares the `tasks` capability (`tasks.requests.tools.call`) answers at once with a
`CreateTaskResult` and runs the tool in the background; the client polls `tasks/get`, waits
for the outcome with `tasks/result`, lists its tasks with `tasks/list`, cancels with
`tasks/cancel`, and may get `notifications/tasks/status`. The 2026-07-28 era moved tasks to an
extension (SEP-2663, served by relay.py).

Neither FastMCP 4.1.2 nor the `mcp` SDK 2.3 serves these: the SDK defines their types only
(`mcp_types`: "their methods are not in the request/notification unions"), FastMCP's proxy
drops `task` from the call it forwards, and both ends validate a `tools/call` result as a
`CallToolResult`, which a `CreateTaskResult` is not. So `HandshakeTasks` does the protocol
work itself, on the low-level server (a server middleware for the task-augmented call, whose
result it then owns; request handlers for tasks/*) and on the caller's upstream session (raw
requests, and a binding for the status notification).

A caller is served when it speaks 2025-11-25 on an MCP session of its own and its upstream
session (upstream_session: one per such caller session) speaks 2025-11-25 with the upstream
declaring `tasks.requests.tools.call`; the proxy then declares the upstream's `tasks`
capability to it. Anyone else (modern era, stateless, an upstream without tasks) gets what
FastMCP's proxy does: the call answered with its result, governed like any call.

* A task-augmented `tools/call` runs the governance layers first (identity, access, argument
  rules, rate limit, PII detokenized in; audited): a refused call creates no task upstream.
  The caller gets the upstream's `CreateTaskResult` with a task id bound to it (relay.TaskIds).
* tasks/get, tasks/result and tasks/cancel work for the caller that holds the id: any other id
  (another caller's, a forged one) is "not found", and access is decided again on the task's
  tool. tasks/result's payload is delivered like a call's result (`relay.deliver`: PII
  tokenized, audited once per delivery); a status message leaves with its PII as tokens.
* tasks/list lists the tasks this caller created on this session, nobody else's.
* `notifications/tasks/status` from the upstream goes to the caller session that owns the task.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import mcp_types
from fastmcp import FastMCP
from fastmcp.client import Client
from fastmcp.exceptions import FastMCPError
from fastmcp.server.context import Context
from fastmcp.server.dependencies import bind_request_context
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND
from pydantic import ValidationError

from adaptgen.runtime.governance.access import ToolFacts
from adaptgen.runtime.governance.call import Call
from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.passthrough import CallerMessages
from adaptgen.runtime.governance.relay import TaskIds, deliver
from adaptgen.runtime.governance.upstream_session import UpstreamSessions
from adaptgen.runtime.identity import Caller

__all__ = ["HandshakeTasks"]

ERA = "2025-11-25"  # the one protocol version whose core has tasks
RELATED_TASK = "io.modelcontextprotocol/related-task"  # `_meta` key naming a message's task
STATUS = "notifications/tasks/status"


@dataclass
class CreatedTask:
    """An upstream's `CreateTaskResult` on its way through the governance layers: nothing in
    it for the PII layer to read (`content` stays empty), and `is_error` false for the audit."""

    answer: dict[str, Any]
    content: list[Any] = field(default_factory=list)
    is_error: bool = False


@dataclass(frozen=True)
class _Held:
    """A task the caller asked about: its upstream id and tool, who the caller is, and what
    access decides on for the tool."""

    upstream_id: str
    tool: str
    caller: Caller
    facts: ToolFacts


class HandshakeTasks:
    """2025-11-25 tasks through the proxy (see the module docstring)."""

    def __init__(
        self,
        proxy: FastMCP,
        sessions: UpstreamSessions,
        governance: Governance,
        messages: CallerMessages,
    ) -> None:
        self.proxy = proxy
        self.sessions = sessions
        self.gov = governance
        self.messages = messages
        # Same key rule as the SEP-2663 relay: the policy's shared key when it names one.
        self.ids = TaskIds(governance.shared_key or os.urandom(32))
        # The caller's connection (one per MCP session) -> {upstream task id: the id the
        # caller holds}, for tasks/list and status notifications (forgotten with it).
        self._owned: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()

    def install(self) -> None:
        """Serve the task-augmented call and tasks/* on the proxy, declare `tasks` as the
        caller's upstream does, and have the upstream's task statuses relayed."""
        server = self.proxy._mcp_server
        server.middleware.append(self.augmented_call)
        handlers: list[tuple[str, type[mcp_types.RequestParams], Any]] = [
            ("tasks/get", mcp_types.GetTaskRequestParams, self.get),
            ("tasks/result", mcp_types.GetTaskPayloadRequestParams, self.result),
            ("tasks/list", mcp_types.PaginatedRequestParams, self.list),
            ("tasks/cancel", mcp_types.CancelTaskRequestParams, self.cancel),
        ]
        for method, params_type, handler in handlers:
            server.add_request_handler(method, params_type, handler)
        own = server.get_capabilities

        def capabilities(*args: Any, **kwargs: Any) -> mcp_types.ServerCapabilities:
            mine = own(*args, **kwargs)
            tasks = self._upstream_tasks(self.sessions.own_client())
            return mine.model_copy(update={"tasks": tasks}) if tasks is not None else mine

        server.get_capabilities = capabilities  # type: ignore[method-assign]
        self.sessions.extra_notices[STATUS] = mcp_types.TaskStatusNotification
        self.sessions.notice_handlers.append(self.relay_status)

    async def augmented_call(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        """Server middleware: a task-augmented tools/call the upstream can run as a task is
        created there once the governance layers allow it; any other message passes."""
        if ctx.method != "tools/call" or ctx.protocol_version != ERA:
            return await call_next(ctx)
        if not isinstance(ctx.params, dict) or ctx.params.get("task") is None:
            return await call_next(ctx)
        try:
            params = mcp_types.CallToolRequestParams.model_validate(ctx.params, by_name=False)
        except ValidationError:
            return await call_next(ctx)  # the SDK answers what is wrong with it
        async with self._bound(ctx) as context:
            if await self._own_client() is not None:
                return await self._created(params, context, ctx.session)
        return await call_next(ctx)

    async def _created(
        self, params: mcp_types.CallToolRequestParams, context: Context, owner: Any
    ) -> dict[str, Any]:
        """The caller's CreateTaskResult (or the error result of a refused call)."""
        task = params.task.model_dump(by_alias=True, exclude_none=True) if params.task else {}

        async def create(governed: Call) -> CreatedTask:
            wire = {"name": params.name, "arguments": governed.arguments, "task": task}
            answer = await self._upstream("tools/call", wire)
            upstream_id = (answer.get("task") or {}).get("taskId")
            if not isinstance(upstream_id, str):
                raise MCPError(INVALID_REQUEST, "the upstream did not create a task")
            subject = governed.caller.subject if governed.caller is not None else None
            held = self.ids.wrap(upstream_id, params.name, subject)
            self._owned.setdefault(owner._connection, {})[upstream_id] = held
            answer["task"] = {**answer["task"], "taskId": held}
            return CreatedTask(answer)

        try:
            created: CreatedTask = await self.gov.run_call(
                params.name, dict(params.arguments or {}), create, fastmcp_context=context
            )
        except FastMCPError as exc:
            # As FastMCP answers a refused or failed call: an error result.
            return {"content": [{"type": "text", "text": str(exc)}], "isError": True}
        return created.answer

    async def get(self, ctx: Any, params: mcp_types.GetTaskRequestParams) -> dict[str, Any]:
        """tasks/get: the task's state, its id as the caller holds it."""
        async with self._held(ctx, params.task_id) as held:
            answer = await self._upstream("tasks/get", {"taskId": held.upstream_id})
            return self._task(answer, params.task_id, held.caller)

    async def cancel(self, ctx: Any, params: mcp_types.CancelTaskRequestParams) -> dict[str, Any]:
        """tasks/cancel, relayed for the caller that holds the task."""
        async with self._held(ctx, params.task_id) as held:
            answer = await self._upstream("tasks/cancel", {"taskId": held.upstream_id})
            return self._task(answer, params.task_id, held.caller)

    async def result(
        self, ctx: Any, params: mcp_types.GetTaskPayloadRequestParams
    ) -> dict[str, Any]:
        """tasks/result: the task's tool result, delivered through the governance layers as
        a call of its tool (the upstream waits for the task to end before it answers)."""
        async with self._held(ctx, params.task_id) as held:
            payload = await self._upstream("tasks/result", {"taskId": held.upstream_id})
            payload.pop("resultType", None)
            meta = payload.get("_meta")
            if isinstance(meta, dict) and RELATED_TASK in meta:
                payload["_meta"] = {**meta, RELATED_TASK: {"taskId": params.task_id}}
            lookup = _Lookup(self.proxy)
            result = await deliver(self.gov, held.tool, payload, held.caller, held.facts, lookup)
            result.pop("resultType", None)
            return result

    async def list(self, ctx: Any, params: mcp_types.PaginatedRequestParams) -> dict[str, Any]:
        """tasks/list: the upstream's list, less every task this caller did not create here."""
        async with self._bound(ctx):
            if await self._own_client() is None:
                raise MCPError(METHOD_NOT_FOUND, "Method not found", data="tasks/list")
            caller = await self.gov.list_caller()
            wire = {"cursor": params.cursor} if params.cursor is not None else {}
            answer = await self._upstream("tasks/list", wire)
            mine = self._owned.get(ctx.session._connection, {})
            answer["tasks"] = [
                self._task(task, mine[task["taskId"]], caller)
                for task in answer.get("tasks") or []
                if isinstance(task, dict) and task.get("taskId") in mine
            ]
            return answer

    async def relay_status(self, notice: Any, owner: Any) -> None:
        """An upstream task status: to the caller session that created the task, by the id it
        holds (a status of a task no caller created here goes nowhere)."""
        if not isinstance(notice, mcp_types.TaskStatusNotification) or owner is None:
            return
        held = self._owned.get(owner._connection, {}).get(notice.params.task_id)
        if held is None:
            return
        params = notice.params.model_dump(by_alias=True, exclude_none=True)
        status = self._task(params, held, None)
        update = mcp_types.TaskStatusNotificationParams.model_validate(status, by_name=False)
        # A caller that went away is not the others' problem.
        with contextlib.suppress(Exception):
            await owner.send_notification(mcp_types.TaskStatusNotification(params=update))

    @contextlib.asynccontextmanager
    async def _bound(self, ctx: Any) -> AsyncIterator[Context]:
        """The FastMCP request context a low-level handler lacks: the caller's identity, its
        upstream session and the tool lookup all read it."""
        with bind_request_context(ctx):
            async with Context(fastmcp=self.proxy) as context:
                yield context

    @contextlib.asynccontextmanager
    async def _held(self, ctx: Any, task_id: str) -> AsyncIterator[_Held]:
        """The caller's task `task_id` (MCPError "not found" for an id it does not hold,
        "not allowed" when access now refuses the task's tool)."""
        async with self._bound(ctx) as context:
            if await self._own_client() is None:
                raise MCPError(METHOD_NOT_FOUND, "Method not found", data=ctx.method)
            caller = await self.gov.list_caller()
            bound = self.ids.unwrap(task_id, caller.subject)
            tool = await context.fastmcp.get_tool(bound[1]) if bound is not None else None
            if bound is None or tool is None:
                raise MCPError(INVALID_PARAMS, f"Task {task_id} not found")
            facts = ToolFacts.of(tool)
            decision = self.gov.access.decide(caller, facts)
            if not decision.allowed:
                raise MCPError(INVALID_REQUEST, f"not allowed: {decision.reason}")
            try:
                yield _Held(bound[0], bound[1], caller, facts)
            except MCPError as exc:
                # The upstream's error names the task as the caller knows it.
                message = exc.error.message.replace(bound[0], task_id)
                raise MCPError(exc.error.code, message, exc.error.data) from None

    async def _own_client(self) -> Client | None:
        """The caller's own upstream client when it can run tasks for it, else None."""
        if not self.sessions.owned():
            return None
        client = await self.sessions()
        return client if self._upstream_tasks(client) is not None else None

    @staticmethod
    def _upstream_tasks(client: Client | None) -> mcp_types.ServerTasksCapability | None:
        """The upstream's `tasks` capability on `client`'s session, when it speaks the era and
        takes task-augmented tools/call."""
        if client is None or client.protocol_version != ERA:
            return None
        capabilities = client.server_capabilities
        tasks = capabilities.tasks if capabilities is not None else None
        requests = tasks.requests if tasks is not None else None
        tools = requests.tools if requests is not None else None
        return tasks if tools is not None and tools.call is not None else None

    async def _upstream(self, method: str, params: dict[str, Any]) -> Any:
        """The upstream's result to `method` on the caller's own session, as sent (see
        `raw_request`); once more on a new session if the upstream forgot this one."""
        timeout = self.sessions.settings.timeout

        async def send() -> dict[str, Any]:
            return await raw_request(await self.sessions(), method, params, timeout)

        return await self.sessions.run(send)

    def _task(self, task: dict[str, Any], held: str, caller: Caller | None) -> dict[str, Any]:
        """An upstream task as the caller sees it: the id it holds, the status message's PII
        as tokens."""
        shown = {**task, "taskId": held}
        if isinstance(shown.get("statusMessage"), str):
            shown["statusMessage"] = self.messages.outgoing(shown["statusMessage"], caller)
        return shown


@dataclass(frozen=True)
class _Lookup:
    """Where the access layer looks a tool up (`Call.context`): the proxy itself."""

    fastmcp: FastMCP


async def raw_request(
    client: Client, method: str, params: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """`method` sent on `client`'s MCP session, its result as the upstream sent it. The SDK's
    typed `send_request` validates a tools/call result as a `CallToolResult` (a
    `CreateTaskResult` is not one) and does not know tasks/*; its raw channel does neither."""
    session = client.session
    options: Any = {"timeout": timeout}
    session._stamp({"method": method, "params": params}, options)  # the era's headers
    return await session._dispatcher.send_raw_request(method, params, options)
