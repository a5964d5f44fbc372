"""The generated CRM server, end to end: golden record, real MCP clients, real sandbox upstream."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, free_port, inspector_cli, result_data, stop, wait_for_port
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running

GOLDEN = ROOT / "generated" / "crm"


def test_golden_record_matches_a_fresh_build(tmp_path, monkeypatch):
    """generated/crm/ is exactly what `adaptgen build specs/crm.yaml` writes today."""
    monkeypatch.chdir(ROOT)
    report = build(BuildOptions(spec=Path("specs/crm.yaml"), out=tmp_path))
    fresh = {p.name: p.read_bytes() for p in sorted(report.out_dir.iterdir())}
    committed = {p.name: p.read_bytes() for p in sorted(GOLDEN.iterdir()) if p.is_file()}
    assert sorted(fresh) == sorted(committed), (
        "file list differs: run `adaptgen build specs/crm.yaml`"
    )
    for name in fresh:
        assert fresh[name] == committed[name], f"generated/crm/{name} is stale: rebuild and commit"


@pytest.fixture(scope="module")
def sandbox():
    # The legacy CRM refuses its static API key here: every call needs a session login.
    with running(require_session=True) as crm:
        yield crm


def crm_env(sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        CRM_BASE_URL=sandbox.url, CRM_USERNAME=SANDBOX_USERNAME, CRM_PASSWORD=SANDBOX_PASSWORD
    )
    return env


@pytest.fixture(scope="module")
def crm_mcp_url(sandbox):
    """`adaptgen serve generated/crm --transport http` in its own process, using the sandbox."""
    port = free_port()
    env = crm_env(sandbox)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adaptgen",
            "serve",
            str(GOLDEN),
            "--transport",
            "http",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(process)


def run(coro):
    return asyncio.run(coro)


def test_agent_session_over_http(crm_mcp_url, sandbox):
    async def session():
        async with Client(crm_mcp_url) as client:
            tools = {t.name: t for t in await client.list_tools()}
            listed = await client.call_tool("list_contacts", {"limit": 3})
            page = result_data(listed.content[0].text)
            first = page["items"][0]["id"]
            got = await client.call_tool("get_contact", {"contact_id": first})
            found = await client.call_tool(
                "search_records", {"q": page["items"][0]["full_name"].split()[-1]}
            )
            missing = await client.call_tool(
                "get_contact", {"contact_id": 999999}, raise_on_error=False
            )
            return (
                tools,
                page,
                result_data(got.content[0].text),
                result_data(found.content[0].text),
                missing,
            )

    tools, page, contact, found, missing = run(session())
    assert "export_contacts" not in tools  # deprecated
    assert "logout" not in tools  # excluded by hints
    assert "login" not in tools  # the runtime logs in; the agent never does
    assert len(tools) == 23
    assert tools["get_contact"].annotations.read_only_hint is True
    assert tools["delete_contact"].annotations.destructive_hint is True
    assert tools["get_contact"].input_schema["required"] == ["contact_id"]
    assert len(page["items"]) == 3 and page["total"] == 300 and page["next_cursor"]
    assert contact["data"]["id"] == page["items"][0]["id"]
    assert contact["data"]["id"] in found["ids"]
    assert missing.is_error
    message = missing.content[0].text
    assert message.startswith("GET /contacts/{contactId}: upstream answered 404 Not Found")
    assert SANDBOX_PASSWORD not in message
    # The session token went upstream on every call; the login happened once, first.
    logins = [r for r in sandbox.request_log if r["path"].endswith("/auth/login")]
    assert len(logins) == 1
    assert sandbox.request_log[-1]["headers"]["x-session-token"]


def test_the_demo_agent_runs_as_the_readme_says(crm_mcp_url, capsys):
    """`make demo`'s agent (scripts/demo.py) against the served CRM: it reads what an agent
    reads (lean text) and every call it makes succeeds."""
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    run(demo.agent(crm_mcp_url))
    out = capsys.readouterr().out
    assert "23 tools at" in out
    assert '"_columns"' in out
    assert "call get_contact {'contact_id': 1001}" in out
    assert '"open_deals":[' in out


def test_body_and_array_query_reach_the_sandbox_as_the_spec_says(crm_mcp_url, sandbox):
    async def session():
        async with Client(crm_mcp_url) as client:
            contacts = result_data(
                (await client.call_tool("list_contacts", {"limit": 1})).content[0].text
            )
            contact_id = contacts["items"][0]["id"]
            logged = await client.call_tool(
                "log_activity",
                {"type": "call", "contact_id": contact_id, "subject": "Renewal & pricing?"},
            )
            deals = await client.call_tool("list_deals", {"stage": ["won", "lost"], "limit": 5})
            logged_data = result_data(logged.content[0].text)
            return contact_id, logged_data, result_data(deals.content[0].text)

    contact_id, logged, deals = run(session())
    posts = [
        r
        for r in sandbox.request_log
        if r["method"] == "POST" and r["path"].endswith("/activities")
    ]
    # logActivity accepts form and JSON bodies; JSON keeps types, so the planner prefers it.
    assert posts[-1]["headers"]["content-type"] == "application/json"
    assert json.loads(posts[-1]["body"])["subject"] == "Renewal & pricing?"
    assert logged["data"]["contact_id"] == contact_id
    gets = [r for r in sandbox.request_log if r["path"].endswith("/deals")]
    assert "stage=won%2Clost" in gets[-1]["query"]
    assert {d["stage"] for d in deals["items"]} <= {"won", "lost"}


def test_mcp_inspector_cli_over_stdio(sandbox):
    env = {
        "CRM_BASE_URL": sandbox.url,
        "CRM_USERNAME": SANDBOX_USERNAME,
        "CRM_PASSWORD": SANDBOX_PASSWORD,
        "ADAPTGEN_POLICY": os.environ["ADAPTGEN_POLICY"],
    }
    server = [sys.executable, "-m", "adaptgen", "serve", str(GOLDEN)]
    listed = inspector_cli(*server, "--method", "tools/list", env=env)
    assert len(listed["tools"]) == 23
    called = inspector_cli(
        *server,
        "--method",
        "tools/call",
        "--tool-name",
        "list_companies",
        "--tool-arg",
        "limit=2",
        env=env,
    )
    assert called.get("isError") is not True
    assert len(result_data(called["content"][0]["text"])["items"]) == 2


def test_mcp_inspector_cli_over_http(crm_mcp_url):
    listed = inspector_cli(crm_mcp_url, "--transport", "http", "--method", "tools/list")
    assert "log_activity" in {t["name"] for t in listed["tools"]}
    called = inspector_cli(
        crm_mcp_url,
        "--transport",
        "http",
        "--method",
        "tools/call",
        "--tool-name",
        "search_records",
        "--tool-arg",
        "q=a",
    )
    assert "ids" in result_data(called["content"][0]["text"])
