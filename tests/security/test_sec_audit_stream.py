"""The audit never shares its stream (issue 12 item 17).

Over HTTP, stdout carries the audit lines alone (uvicorn logs to stderr), so a JSON-lines
shipper reading stdout gets nothing else. Over stdio, stdout is the MCP channel: a `stdout`
audit sink writes to stderr there, and the protocol stays clean.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import ROOT, free_port, wait_for_port
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from test_governance import AUDIT_FIELDS, governed_crm, mint, policy

CRM = ROOT / "generated" / "crm"


def stdout_policy(tmp: Path, **identity: object) -> Path:
    """test_governance's policy (JWT, groups, PII), auditing to stdout."""
    path = policy(tmp)
    document = yaml.safe_load(path.read_text())
    document["audit"] = {"sink": "stdout"}
    document["identity"].update(identity)
    path.write_text(yaml.safe_dump(document))
    return path


def calls(url: str) -> None:
    """Allowed, refused and unauthenticated calls, and a plain tools/list."""

    async def session(token: str) -> None:
        async with Client(url, auth=token) as client:
            await client.list_tools()
            await client.call_tool("list_contacts", {"limit": 2})
            await client.call_tool("delete_contact", {"contact_id": 1}, raise_on_error=False)

    asyncio.run(session(mint(["sales"])))
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_contacts", "arguments": {}},
    }
    headers = {"accept": "application/json, text/event-stream"}
    assert httpx.post(url, json=message, headers=headers, timeout=30).status_code == 401


@pytest.mark.parametrize("access_log", [False, True])
def test_served_over_http_stdout_holds_only_audit_lines(tmp_path, access_log):
    """The audit lines alone on stdout; uvicorn's access log, when asked for (the audit has a
    line per call, refused ones too), on stderr."""
    with governed_crm(tmp_path):
        env = dict(os.environ, CRM_POLICY=str(stdout_policy(tmp_path)))
        port = free_port()
        command = [sys.executable, "-m", "adaptgen", "serve", str(CRM), "--transport", "http"]
        process = subprocess.Popen(
            [*command, "--port", str(port), *(["--access-log"] if access_log else [])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_port(port, process)
            calls(f"http://127.0.0.1:{port}/mcp")
        finally:
            process.terminate()
            stdout, stderr = process.communicate(timeout=30)
    lines = stdout.splitlines()
    assert len(lines) == 3, stdout[-3000:]
    audited = [json.loads(line) for line in lines]  # every line is JSON...
    assert all(set(line) == AUDIT_FIELDS for line in audited)  # ...and an audit line
    assert [a["result_status"] for a in audited] == ["ok", "denied", "unauthenticated"]
    assert ('"POST /mcp HTTP/1.1" 401' in stderr) is access_log


def test_served_over_stdio_a_stdout_sink_writes_to_stderr(tmp_path):
    with governed_crm(tmp_path):
        policy_file = stdout_policy(tmp_path, local={"subject": "ops", "groups": ["sales"]})
        env = dict(os.environ, CRM_POLICY=str(policy_file))
        log = tmp_path / "stderr.log"

        async def session() -> list[str]:
            transport = StdioTransport(
                sys.executable, ["-m", "adaptgen", "serve", str(CRM)], env=env, log_file=log
            )
            async with Client(transport) as client:
                results = [
                    await client.call_tool("list_contacts", {"limit": 1}),
                    await client.call_tool(
                        "delete_contact", {"contact_id": 1}, raise_on_error=False
                    ),
                ]
                return [r.content[0].text for r in results]

        texts = asyncio.run(session())
    assert json.loads(texts[0])["items"] and texts[1].startswith("not allowed")
    audited = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert [a["result_status"] for a in audited] == ["ok", "denied"]
    assert audited[0]["caller"] == {"subject": "ops", "groups": ["sales"]}


def test_the_audit_rule_holds_where_stdout_itself_is_the_channel(tmp_path, capsys, monkeypatch):
    """The MCP SDK diverts fd 1 while it serves stdio, but falls back to writing the protocol
    through sys.stdout when it cannot; the audit then still keeps off stdout."""
    from fastmcp.server.context import reset_transport, set_transport
    from test_governance import load_generated

    policy_file = stdout_policy(tmp_path, local={"subject": "ops", "groups": ["sales"]})
    monkeypatch.setenv("CRM_POLICY", str(policy_file))
    monkeypatch.setenv("GOV_PII_KEY", "a" * 64)
    server = load_generated("stdio-audit").mcp

    async def denied_call() -> None:
        async with Client(server) as client:
            await client.call_tool("delete_contact", {"contact_id": 1}, raise_on_error=False)

    token = set_transport("stdio")
    try:
        asyncio.run(denied_call())
    finally:
        reset_transport(token)
    out, err = capsys.readouterr()
    assert out == ""
    audited = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [a["result_status"] for a in audited] == ["denied"]
