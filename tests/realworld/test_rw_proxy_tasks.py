"""2025-11-25-era MCP tasks through `adaptgen proxy`: not relayed (see passthrough.py). A caller's
task-augmented tools/call is answered with the result itself, governed like any call, as the
2025-11-25 spec lets a server that declares no `tasks` capability do; tasks/* are unknown."""

from __future__ import annotations

import asyncio
import json

import mcp_types
import pytest
import yaml
from fastmcp import FastMCP
from mcp import Client as SdkClient
from mcp.shared.exceptions import MCPError

from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

EMAIL = "ada@example.com"


def upstream() -> FastMCP:
    mcp = FastMCP("slow")

    @mcp.tool(annotations={"readOnlyHint": True})
    async def owner() -> dict:
        """Who owns the report."""
        return {"email": EMAIL}

    return mcp


def test_a_task_augmented_call_is_answered_at_once_and_governed(tmp_path):
    path = tmp_path / "policy.yaml"
    audit = tmp_path / "audit.jsonl"
    document = {
        "identity": {"allow_anonymous": True},
        "access": {"rules": [{"allow": ["*"]}]},
        "audit": {"sink": "file", "path": str(audit)},
    }
    path.write_text(yaml.safe_dump(document))

    async def go(url: str) -> tuple:
        async with SdkClient(url, mode="legacy") as client:
            task = mcp_types.TaskMetadata(ttl=60_000)
            params = mcp_types.CallToolRequestParams(name="owner", arguments={}, task=task)
            result = await client.session.send_request(
                mcp_types.CallToolRequest(params=params), mcp_types.CallToolResult
            )
            get = mcp_types.GetTaskRequest(params=mcp_types.GetTaskRequestParams(task_id="t1"))
            with pytest.raises(MCPError) as unknown:
                await client.session.send_request(get, mcp_types.GetTaskResult)
            declared = client.server_capabilities.tasks
            return client.protocol_version, declared, result, unknown.value.error.code

    with serve_app(upstream().http_app(path="/mcp"), lifespan=True) as up:
        proxy = build_proxy(f"{up}/mcp", path)
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            version, declared, result, code = asyncio.run(go(f"{url}/mcp"))
    assert version == "2025-11-25"  # the era whose core protocol has tasks
    assert declared is None
    assert code == mcp_types.METHOD_NOT_FOUND
    assert result.structured_content["email"].startswith("<pii:email:")
    assert EMAIL not in json.dumps(result.model_dump(mode="json"))
    (line,) = [json.loads(x) for x in audit.read_text().splitlines()]
    assert (line["tool"], line["result_status"]) == ("owner", "ok")
