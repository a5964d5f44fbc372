"""Background tasks (SEP-2663, the modern era's tasks extension) through `adaptgen proxy`.

The upstream is a FastMCP server running a `task=True` tool on the tasks extension; callers
are FastMCP clients with the extension (`fastmcp_tasks`). The proxy declares the extension the
upstream offers, creates the task upstream after the governance layers allow the call, hands
the caller a task id bound to it, and delivers the finished result through the layers (PII
tokenized, audited). Another caller, or a forged id, finds no task.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os

import pytest
import yaml
from fastmcp import Client, FastMCP
from fastmcp.client import extension_hooks
from mcp.shared.exceptions import MCPError
from mcp_upstream import RecordingUpstream
from test_governance import PUBLIC, mint

from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

fastmcp_tasks = pytest.importorskip("fastmcp_tasks", reason="fastmcp[tasks] is a dev dependency")

EMAIL = "ada@example.com"


@pytest.fixture(autouse=True)
def task_clients(monkeypatch):
    """Clients in this module speak the tasks extension (importing `fastmcp_tasks` turns it
    on for every client in the process; other modules' clients are left as they were)."""
    factories = list(extension_hooks._internal_client_extension_factories)
    monkeypatch.setattr(extension_hooks, "_internal_client_extension_factories", factories)
    extension_hooks.register_internal_client_extension_factory(
        fastmcp_tasks.client._build_tasks_client_extension
    )


def tasks_upstream() -> FastMCP:
    mcp = FastMCP("reports")
    mcp.add_extension(fastmcp_tasks.TasksExtension(url="memory://"))

    @mcp.tool(task=True, annotations={"readOnlyHint": True})
    async def build_report(customer_id: int, email: str) -> dict:
        """A slow report on one customer."""
        await asyncio.sleep(0.2)
        return {"customer_id": customer_id, "owner": EMAIL, "asked_for": email}

    @mcp.tool(task=True, annotations={"destructiveHint": True})
    async def purge(customer_id: int) -> str:
        """Delete everything about a customer, slowly."""
        return "purged"

    return mcp


def policy(tmp_path) -> str:
    document = {
        "identity": {
            "jwt": {
                "issuer": "https://idp.test/",
                "audience": "crm-mcp",
                "keys": [PUBLIC],
                "algorithms": ["RS256"],
                "groups_claim": "cognito:groups",
            }
        },
        "access": {"rules": [{"groups": ["support"], "allow": ["build_report"]}]},
        "pii": {"key": "${env:PROXY_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp_path / "audit.jsonl")},
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_a_background_task_is_created_polled_and_delivered_through_governance(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    upstream = RecordingUpstream(server=tasks_upstream)
    alice, bob = mint(["support"], sub="alice"), mint(["support"], sub="bob")

    async def go(url: str) -> dict:
        seen: dict = {}
        async with Client(url, auth=alice) as client:
            extensions = client.server_capabilities.extensions or {}
            seen["declared"] = "io.modelcontextprotocol/tasks" in extensions
            # The caller's own email, as a token from an earlier result, goes in.
            first = await fastmcp_tasks.call_tool_task(
                client, "build_report", {"customer_id": 1, "email": EMAIL}
            )
            seen["first"] = await first.result()
            token = seen["first"].structured_content["owner"]
            task = await fastmcp_tasks.call_tool_task(
                client, "build_report", {"customer_id": 1, "email": token}
            )
            seen["task_id"] = task.task_id
            seen["result"] = await task.result()
            denied = await client.call_tool("purge", {"customer_id": 1}, raise_on_error=False)
            seen["denied"] = denied.content[0].text if denied.is_error else "ran"
        async with Client(url, auth=bob) as other:
            for task_id in (seen["task_id"], seen["task_id"][:-2] + "xx", "agt1.e30.AAAA"):
                with pytest.raises(MCPError) as missing:
                    await fastmcp_tasks.client._send_get(other.session, task_id)
                seen.setdefault("missing", []).append(missing.value.error.message)
        return seen

    with upstream.running():
        proxy = build_proxy(upstream.url, policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            seen = asyncio.run(go(f"{url}/mcp"))

    assert seen["declared"]
    assert seen["task_id"].startswith("agt1.")
    result = seen["result"]
    assert not result.is_error
    # The owner's email left as a token; the token sent in reached the upstream as the email.
    assert result.structured_content["owner"].startswith("<pii:email:")
    assert result.structured_content["asked_for"] == result.structured_content["owner"]
    assert EMAIL not in json.dumps(result.structured_content)
    assert EMAIL not in result.content[0].text
    assert "not allowed" in seen["denied"]
    assert all("not found" in message for message in seen["missing"])
    assert not any(seen["task_id"] in message for message in seen["missing"][1:])
    # The upstream ran the calls as tasks, never saw a caller's token, and no upstream task id
    # reached a caller.
    calls = [r for r in upstream.requests if r.rpc == "tools/call"]
    assert len(calls) == 2 and all("authorization" not in r.headers for r in calls)
    polls = [r for r in upstream.requests if r.rpc == "tasks/get"]
    assert polls and all(r.headers["mcp-name"] != seen["task_id"] for r in polls)
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    statuses = [(line["tool"], line["result_status"]) for line in audit]
    # Each task: its creation and its delivery; then the refused purge.
    assert statuses.count(("build_report", "ok")) == 4
    assert ("purge", "denied") in statuses
    assert EMAIL not in (tmp_path / "audit.jsonl").read_text()
