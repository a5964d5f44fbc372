"""`adaptgen proxy`: the governance stack in front of a separate MCP server process."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys

import yaml
from conftest import ROOT, free_port, stop, wait_for_port
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from test_governance import PUBLIC, mint

from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

PLAIN = ROOT / "tests" / "fixtures" / "plain_server.py"


def policy(tmp, **identity) -> str:
    document = {
        "identity": identity
        or {
            "jwt": {
                "issuer": "https://idp.test/",
                "audience": "crm-mcp",
                "keys": [PUBLIC],
                "algorithms": ["RS256"],
                "groups_claim": "cognito:groups",
            }
        },
        "access": {
            "rules": [
                {"groups": ["support"], "allow": ["get_customer", "is_known_email"]},
                {"groups": ["admin"], "allow": ["*"], "writes": True, "destructive": True},
            ]
        },
        "pii": {"key": "${env:PROXY_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
    }
    path = tmp / "proxy-policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_proxy_over_http_in_front_of_a_separate_server(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(PLAIN), "http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, upstream)
        proxy = build_proxy(f"http://127.0.0.1:{port}/mcp", policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go(token):
                async with Client(f"{url}/mcp", auth=token) as client:
                    names = sorted(t.name for t in await client.list_tools())
                    record = await client.call_tool("get_customer", {"customer_id": 1})
                    email = json.loads(record.content[0].text)["email"]
                    known = await client.call_tool("is_known_email", {"email": email})
                    deleted = await client.call_tool(
                        "delete_customer", {"customer_id": 2}, raise_on_error=False
                    )
                    return names, record, email, known, deleted

            names, record, email, known, deleted = asyncio.run(go(mint(["support"])))
    finally:
        stop(upstream)
    assert names == ["get_customer", "is_known_email"]
    assert email.startswith("<pii:") and "ada@example.com" not in record.content[0].text
    assert "555" not in record.content[0].text
    assert json.loads(known.content[0].text) == {"known": True}  # the real email arrived
    assert deleted.is_error and "not allowed" in deleted.content[0].text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [a["result_status"] for a in audit] == ["ok", "ok", "denied"]
    # The email and the phone, once each: the text block is the structured content's JSON.
    assert audit[0]["tokenized"] == 2
    assert "ada@example.com" not in (tmp_path / "audit.jsonl").read_text()


def test_proxy_cli_over_stdio_with_a_command_upstream(tmp_path):
    env = {**os.environ, "PROXY_PII_KEY": base64.b64encode(os.urandom(64)).decode()}
    path = policy(tmp_path, local={"subject": "console", "groups": ["support"]})
    transport = StdioTransport(
        sys.executable,
        ["-m", "adaptgen", "proxy", "--upstream", f"{sys.executable} {PLAIN}", "--policy", path],
        env=env,
        cwd=str(ROOT),
    )

    async def go():
        async with Client(transport) as client:
            names = sorted(t.name for t in await client.list_tools())
            result = await client.call_tool("get_customer", {"customer_id": 2})
            return names, result.content[0].text

    names, text = asyncio.run(go())
    assert names == ["get_customer", "is_known_email"]
    assert "bob@example.org" not in text and "<pii:email:" in text


def test_proxy_decides_calls_through_a_search_mode_servers_call_proxy(tmp_path, monkeypatch):
    """A large upstream lists only `search_tools` and `call_tool`: granting those two must not
    grant every tool behind them. Search results are filtered per caller, and a call through
    `call_tool` is decided, tokenized and audited as the tool it names."""
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    path = policy(tmp_path, local={"subject": "console", "groups": ["support"]})
    upstream = f"{sys.executable} {PLAIN} search"

    async def session(proxy, search_first: bool):
        async with Client(proxy) as client:
            names = sorted(t.name for t in await client.list_tools())
            found = []
            if search_first:
                result = await client.call_tool("search_tools", {"query": "customer email"})
                found = [t["name"] for t in json.loads(result.content[0].text)]
            calls = [
                ("get_customer", {"customer_id": 1}),
                ("delete_customer", {"customer_id": 2}),
            ]
            results = [
                await client.call_tool(
                    "call_tool", {"name": name, "arguments": args}, raise_on_error=False
                )
                for name, args in calls
            ]
            return names, found, results

    names, found, (got, deleted) = asyncio.run(session(build_proxy(upstream, path), True))
    assert names == ["call_tool", "search_tools"]
    assert set(found) == {"get_customer", "is_known_email"}  # not delete_customer
    assert not got.is_error and "<pii:email:" in got.content[0].text
    assert "ada@example.com" not in got.content[0].text
    assert deleted.is_error and "not allowed" in deleted.content[0].text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(a["tool"], a["result_status"]) for a in audit] == [
        ("search_tools", "ok"),
        ("get_customer", "ok"),
        ("delete_customer", "denied"),
    ]
    # Not yet seen in a search (and not listed): its annotations are unknown, so the proxy takes
    # it to write, which this caller may not.
    _, _, (unseen, _) = asyncio.run(session(build_proxy(upstream, path), False))
    assert unseen.is_error and "writes" in unseen.content[0].text
