"""2025-11-25-era MCP tasks through `adaptgen proxy` (see handshake_tasks.py).

The upstream is a FastMCP server on 127.0.0.1 whose tools declare `taskSupport: optional` and
which serves the era's tasks (`HandshakeTaskStore`: neither FastMCP 4.1.2 nor the `mcp` SDK
serves them, so the store does the protocol work on FastMCP's low-level server). Callers are
FastMCP clients on 2025-11-25 sessions (a task-augmented tools/call and tasks/* go on their
MCP session's raw channel, since the SDK's typed one validates a tools/call result as a
CallToolResult), and the TypeScript SDK's client, which has these tasks of its own
(tests/fixtures/ts_task_client.mjs). The proxy governs the call before a task exists
upstream, hands out task ids bound to the caller, delivers the result through the governance
layers and relays status notifications to the caller that owns the task.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import uuid
from datetime import UTC, datetime
from typing import Any

import mcp_types
import pytest
import yaml
from conftest import ROOT, node_tool
from fastmcp import Client, FastMCP
from fastmcp.tools import Tool
from mcp.client.extension import ClientExtension, NotificationBinding
from mcp.shared.exceptions import MCPError
from test_governance import JWT_IDENTITY, mint

from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

EMAIL = "ada@example.com"
RELATED_TASK = "io.modelcontextprotocol/related-task"
OPTIONAL = mcp_types.ToolExecution(task_support="optional")
TS_CLIENT = ROOT / "tests" / "fixtures" / "ts_task_client.mjs"


class HandshakeTaskStore:
    """2025-11-25 tasks on a FastMCP server: a task-augmented tools/call runs the tool in the
    background; tasks/get, tasks/result, tasks/list (every task: telling callers apart is the
    proxy's job), tasks/cancel; a status notification when a task ends."""

    def __init__(self, server: FastMCP) -> None:
        self.server = server
        self.tasks: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (tool, arguments) run as tasks
        self.results: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, asyncio.Task] = {}
        self.ended: dict[str, asyncio.Event] = {}
        low = server._mcp_server
        low.middleware.append(self.augmented_call)
        low.add_request_handler("tasks/get", mcp_types.GetTaskRequestParams, self.get)
        low.add_request_handler("tasks/result", mcp_types.GetTaskPayloadRequestParams, self.result)
        low.add_request_handler("tasks/list", mcp_types.PaginatedRequestParams, self.list)
        low.add_request_handler("tasks/cancel", mcp_types.CancelTaskRequestParams, self.cancel)
        own = low.get_capabilities
        tasks = mcp_types.ServerTasksCapability(
            list=mcp_types.TasksListCapability(),
            cancel=mcp_types.TasksCancelCapability(),
            requests=mcp_types.ServerTasksRequestsCapability(
                tools=mcp_types.TasksToolsCapability(call=mcp_types.TasksCallCapability())
            ),
        )
        low.get_capabilities = lambda *a, **k: own(*a, **k).model_copy(update={"tasks": tasks})

    async def augmented_call(self, ctx: Any, call_next: Any) -> Any:
        params = ctx.params or {}
        if ctx.method != "tools/call" or "task" not in params:
            return await call_next(ctx)
        now = datetime.now(UTC).isoformat()
        task_id = str(uuid.uuid4())
        ttl = (params.get("task") or {}).get("ttl")
        self.tasks[task_id] = {
            "taskId": task_id,
            "status": "working",
            "createdAt": now,
            "lastUpdatedAt": now,
            "ttl": ttl,
            "pollInterval": 20,
        }
        self.ended[task_id] = asyncio.Event()
        arguments = params.get("arguments") or {}
        self.calls.append((params["name"], arguments))
        run = self._run(task_id, params["name"], arguments, ctx.session)
        self.runs[task_id] = asyncio.create_task(run)
        return {"task": dict(self.tasks[task_id])}

    async def _run(self, task_id: str, name: str, arguments: dict, session: Any) -> None:
        result = (await self.server.call_tool(name, arguments)).to_mcp_result()
        assert isinstance(result, tuple)
        content, structured = result
        self.results[task_id] = mcp_types.CallToolResult(
            content=list(content), structured_content=structured
        ).model_dump(by_alias=True, mode="json", exclude_none=True)
        self._end(task_id, "completed", f"report ready for {EMAIL}")
        params = mcp_types.TaskStatusNotificationParams.model_validate(
            self.tasks[task_id], by_name=False
        )
        await session.send_notification(mcp_types.TaskStatusNotification(params=params))

    def _end(self, task_id: str, status: str, message: str | None = None) -> None:
        now = datetime.now(UTC).isoformat()
        self.tasks[task_id].update(status=status, lastUpdatedAt=now, statusMessage=message)
        self.ended[task_id].set()

    def _task(self, task_id: str) -> dict[str, Any]:
        if task_id not in self.tasks:
            raise MCPError(mcp_types.INVALID_PARAMS, f"Task {task_id} not found")
        return self.tasks[task_id]

    async def get(self, ctx: Any, params: Any) -> dict[str, Any]:
        return dict(self._task(params.task_id))

    async def result(self, ctx: Any, params: Any) -> dict[str, Any]:
        self._task(params.task_id)
        await self.ended[params.task_id].wait()
        if params.task_id not in self.results:
            raise MCPError(mcp_types.INVALID_PARAMS, f"Task {params.task_id} was cancelled")
        meta = {RELATED_TASK: {"taskId": params.task_id}}
        return {**self.results[params.task_id], "_meta": meta}

    async def list(self, ctx: Any, params: Any) -> dict[str, Any]:
        return {"tasks": [dict(task) for task in self.tasks.values()]}

    async def cancel(self, ctx: Any, params: Any) -> dict[str, Any]:
        task = self._task(params.task_id)
        self.runs[params.task_id].cancel()
        self._end(params.task_id, "cancelled")
        return dict(task)


def tasks_upstream() -> tuple[FastMCP, HandshakeTaskStore]:
    mcp = FastMCP("reports")

    async def build_report(customer_id: int, email: str, seconds: float = 0.2) -> dict:
        """A slow report on one customer."""
        await asyncio.sleep(seconds)
        return {"customer_id": customer_id, "owner": EMAIL, "asked_for": email}

    async def purge(customer_id: int) -> str:
        """Delete everything about a customer, slowly."""
        return "purged"

    async def owner() -> dict:
        """Who owns the reports."""
        return {"email": EMAIL}

    read_only = mcp_types.ToolAnnotations(read_only_hint=True)
    destructive = mcp_types.ToolAnnotations(destructive_hint=True)
    for fn, hints in ((build_report, read_only), (purge, destructive)):
        tool = Tool.from_function(fn, annotations=hints)
        mcp.add_tool(tool.model_copy(update={"execution": OPTIONAL}))
    mcp.add_tool(Tool.from_function(owner, annotations=read_only))
    return mcp, HandshakeTaskStore(mcp)


def policy(tmp_path) -> str:
    document = {
        "identity": JWT_IDENTITY,
        "access": {"rules": [{"groups": ["support"], "allow": ["build_report", "owner"]}]},
        "arguments": {
            "rules": [{"tools": ["build_report"], "arguments": {"customer_id": {"maximum": 100}}}]
        },
        "pii": {"key": "${env:PROXY_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp_path / "audit.jsonl")},
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


class Statuses(ClientExtension):
    """Collects `notifications/tasks/status` (a method the SDK's 2025-11-25 tables leave out)."""

    identifier = "test.adaptgen/task-statuses"

    def __init__(self) -> None:
        self.seen: list[mcp_types.TaskStatusNotificationParams] = []

    def notifications(self) -> list[NotificationBinding[Any]]:
        async def seen(params: mcp_types.TaskStatusNotificationParams) -> None:
            self.seen.append(params)

        params = mcp_types.TaskStatusNotificationParams
        return [
            NotificationBinding(
                method="notifications/tasks/status", params_type=params, handler=seen
            )
        ]


async def raw(client: Client, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """`method` on the client's MCP session, its result as sent."""
    session = client.session
    options: Any = {}
    session._stamp({"method": method, "params": params}, options)
    return await session._dispatcher.send_raw_request(method, params, options)


async def task_call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments, "task": {"ttl": 60_000}}
    return await raw(client, "tools/call", params)


def test_a_task_is_governed_created_polled_delivered_and_kept_to_its_caller(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    alice, bob = mint(["support"], sub="alice"), mint(["support"], sub="bob")
    server, store = tasks_upstream()
    statuses = Statuses()

    async def go(url: str) -> dict:
        seen: dict = {}
        async with Client(url, auth=alice, mode="legacy", extensions=[statuses]) as client:
            seen["version"] = client.protocol_version
            seen["declared"] = client.server_capabilities.tasks
            listed = {t.name: t for t in await client.list_tools()}
            seen["execution"] = listed["build_report"].execution
            token = (await client.call_tool("owner", {})).structured_content["email"]
            created = await task_call(client, "build_report", {"customer_id": 1, "email": token})
            task_id = seen["task_id"] = created["task"]["taskId"]
            seen["created"] = created
            get = {"taskId": task_id}
            seen["polled"] = await raw(client, "tasks/get", get)
            seen["result"] = await raw(client, "tasks/result", get)
            seen["after"] = await raw(client, "tasks/get", get)
            seen["listed"] = await raw(client, "tasks/list", {})
            # Refused before any task exists upstream: access (purge), an argument rule.
            seen["denied"] = await task_call(client, "purge", {"customer_id": 1})
            big = {"customer_id": 999, "email": "x", "seconds": 0}
            seen["ruled"] = await task_call(client, "build_report", big)
            slow = {"customer_id": 2, "email": "x", "seconds": 30}
            other = (await task_call(client, "build_report", slow))["task"]["taskId"]
            seen["cancelled"] = await raw(client, "tasks/cancel", {"taskId": other})
            for _ in range(100):  # the status notification of the first task
                if statuses.seen:
                    break
                await asyncio.sleep(0.05)
        async with Client(url, auth=bob, mode="legacy") as intruder:
            seen["bob_listed"] = await raw(intruder, "tasks/list", {})
            for method in ("tasks/get", "tasks/result", "tasks/cancel"):
                for held in (task_id, task_id[:-2] + "xx", "agt1.e30.AAAA"):
                    with pytest.raises(MCPError) as missing:
                        await raw(intruder, method, {"taskId": held})
                    seen.setdefault("missing", []).append(missing.value.error.message)
        return seen

    with serve_app(server.http_app(path="/mcp"), lifespan=True) as up:
        proxy = build_proxy(f"{up}/mcp", policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            seen = asyncio.run(go(f"{url}/mcp"))

    task_id = seen["task_id"]
    assert seen["version"] == "2025-11-25"
    assert seen["declared"] is not None and seen["declared"].requests.tools.call is not None
    assert seen["execution"].task_support == "optional"
    # The caller holds an id bound to it; the upstream's never leaves the proxy.
    assert task_id.startswith("agt1.")
    assert seen["created"]["task"]["status"] == "working"
    upstream_ids = set(store.tasks)
    assert seen["polled"]["taskId"] == task_id and seen["polled"]["status"] in (
        "working",
        "completed",
    )
    assert (seen["after"]["taskId"], seen["after"]["status"]) == (task_id, "completed")
    # The status message's email left as a token.
    assert seen["after"]["statusMessage"].startswith("report ready for <pii:email:")
    # The result came through the PII layer; the caller's token reached the tool as the email.
    result = seen["result"]
    assert result["structuredContent"]["owner"].startswith("<pii:email:")
    assert result["structuredContent"]["asked_for"] == result["structuredContent"]["owner"]
    assert EMAIL not in json.dumps(result)
    assert result["_meta"][RELATED_TASK] == {"taskId": task_id}
    assert store.calls[0] == ("build_report", {"customer_id": 1, "email": EMAIL})
    # tasks/list: this caller's tasks only, by the ids it holds.
    assert [t["taskId"] for t in seen["listed"]["tasks"]] == [task_id]
    # Refused calls are error results, and no task was created upstream for them.
    assert seen["denied"]["isError"] and "not allowed" in seen["denied"]["content"][0]["text"]
    assert seen["ruled"]["isError"] and "customer_id" in seen["ruled"]["content"][0]["text"]
    assert [name for name, _ in store.calls] == ["build_report", "build_report"]
    assert store.calls[1][1]["customer_id"] == 2
    assert seen["cancelled"]["status"] == "cancelled"
    assert seen["cancelled"]["taskId"].startswith("agt1.")
    # The upstream's status notification reached the owner, by the id it holds.
    assert [(s.task_id, s.status) for s in statuses.seen] == [(task_id, "completed")]
    assert EMAIL not in (statuses.seen[0].status_message or "")
    # Another caller lists nothing and finds no task by any id; no upstream id is named.
    assert seen["bob_listed"]["tasks"] == []
    assert all("not found" in message for message in seen["missing"])
    assert not any(u in m for m in seen["missing"] for u in upstream_ids)
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    statuses_logged = [(line["tool"], line["result_status"]) for line in audit]
    # owner; the first task's creation and its one delivery; purge denied; the argument rule's
    # refusal; the second task's creation. Polls, lists and cancels are not calls.
    assert statuses_logged.count(("build_report", "ok")) == 3
    assert ("purge", "denied") in statuses_logged
    assert len(statuses_logged) == 6
    assert EMAIL not in (tmp_path / "audit.jsonl").read_text()


def test_without_upstream_tasks_a_task_augmented_call_is_answered_at_once(tmp_path):
    """An upstream that declares no `tasks`: the proxy declares none either, answers the
    call with its result (governed), and tasks/* are unknown, as the spec lets it."""
    path = tmp_path / "policy.yaml"
    audit = tmp_path / "audit.jsonl"
    document = {
        "identity": {"allow_anonymous": True},
        "access": {"rules": [{"allow": ["*"]}]},
        "audit": {"sink": "file", "path": str(audit)},
    }
    path.write_text(yaml.safe_dump(document))
    upstream = FastMCP("slow")

    @upstream.tool(annotations={"readOnlyHint": True})
    async def owner() -> dict:
        """Who owns the report."""
        return {"email": EMAIL}

    async def go(url: str) -> tuple:
        async with Client(url, mode="legacy") as client:
            result = await task_call(client, "owner", {})
            with pytest.raises(MCPError) as unknown:
                await raw(client, "tasks/get", {"taskId": "t1"})
            declared = client.server_capabilities.tasks
            return client.protocol_version, declared, result, unknown.value.error.code

    with serve_app(upstream.http_app(path="/mcp"), lifespan=True) as up:
        proxy = build_proxy(f"{up}/mcp", path)
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            version, declared, result, code = asyncio.run(go(f"{url}/mcp"))
    assert version == "2025-11-25"
    assert declared is None
    assert code == mcp_types.METHOD_NOT_FOUND
    assert result["structuredContent"]["email"].startswith("<pii:email:")
    assert EMAIL not in json.dumps(result)
    (line,) = [json.loads(x) for x in audit.read_text().splitlines()]
    assert (line["tool"], line["result_status"]) == ("owner", "ok")


def test_the_typescript_sdk_runs_a_task_through_the_proxy(tmp_path, monkeypatch):
    """A client with 2025-11-25 tasks of its own (the TypeScript SDK's): the task it creates
    through the proxy is polled and delivered by the ids the proxy hands out, PII as tokens."""
    node = node_tool("node")
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    server, store = tasks_upstream()
    arguments = json.dumps({"customer_id": 7, "email": "x"})
    with serve_app(server.http_app(path="/mcp"), lifespan=True) as up:
        proxy = build_proxy(f"{up}/mcp", policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            argv = [str(node), str(TS_CLIENT), f"{url}/mcp", mint(["support"], sub="carol")]
            run = subprocess.run(
                [*argv, "build_report", arguments],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["version"] == "2025-11-25" and seen["tasks"]["requests"]["tools"]["call"] == {}
    kinds = [message["type"] for message in seen["messages"]]
    assert kinds[0] == "taskCreated" and kinds[-1] == "result", seen["messages"]
    task_id = seen["messages"][0]["task"]["taskId"]
    assert task_id.startswith("agt1.") and task_id not in store.tasks
    result = seen["messages"][-1]["result"]
    assert result["structuredContent"]["owner"].startswith("<pii:email:")
    assert EMAIL not in json.dumps(seen)
    assert (seen["got"]["taskId"], seen["got"]["status"]) == (task_id, "completed")
    assert [task["taskId"] for task in seen["listed"]["tasks"]] == [task_id]
    assert store.calls == [("build_report", {"customer_id": 7, "email": "x"})]
