"""`adaptgen proxy` governs resources and prompts as it governs tools: access rules over
`resource:<uri>` and `prompt:<name>`, PII tokenized in what they return, one audit line per
resources/read and prompts/get, and the same rate limits as tool calls."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

import pytest
import yaml
from fastmcp import Client, FastMCP
from fastmcp.exceptions import McpError
from test_governance import mint
from test_proxy import policy

from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

EMAIL = "ada@example.com"
TOPICS: list[str] = []  # the prompt arguments the upstream received


def upstream() -> FastMCP:
    """A resource, a resource template and a prompt that all carry an email address."""
    mcp = FastMCP("notes")

    @mcp.tool(annotations={"readOnlyHint": True})
    def ping() -> str:
        """A tool, so a caller denied resources still has something."""
        return "pong"

    @mcp.resource("notes://contact", mime_type="text/plain")
    def contact() -> str:
        """Who to write to."""
        return f"Write to {EMAIL} about the invoice."

    @mcp.resource("notes://people/{name}", mime_type="application/json")
    def person(name: str) -> str:
        """One person's record, as JSON."""
        return json.dumps({"name": name, "email": EMAIL})

    @mcp.prompt
    def reply(topic: str) -> str:
        """Draft a reply."""
        TOPICS.append(topic)
        return f"Reply to {EMAIL} about {topic}."

    return mcp


def write_policy(tmp_path, **extra) -> str:  # noqa: ANN001, ANN003
    """test_proxy's policy (JWT callers, PII key from the env, audit to a file) with rules for
    a `reader` and a `toolsonly` group."""
    path = Path(policy(tmp_path))
    document = yaml.safe_load(path.read_text())
    document["access"]["rules"] = [
        {"groups": ["reader"], "allow": ["*"]},
        {"groups": ["toolsonly"], "allow": ["*"], "deny": ["resource:*", "prompt:*"]},
    ]
    path.write_text(yaml.safe_dump({**document, **extra}))
    return str(path)


def through_proxy(policy: str | None, go):  # noqa: ANN001, ANN201
    """`go(url)` against the proxy in front of `upstream()`, both on 127.0.0.1."""
    with serve_app(upstream().http_app(path="/mcp"), lifespan=True) as up:
        proxy = build_proxy(f"{up}/mcp", policy)
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            return asyncio.run(go(f"{url}/mcp"))


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())


def audit_lines(tmp_path) -> list[dict]:  # noqa: ANN001
    return [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]


def test_resource_and_prompt_contents_come_back_tokenized_and_audited(tmp_path):
    async def go(url: str) -> tuple:
        async with Client(url, auth=mint(["reader"])) as client:
            listed = [str(r.uri) for r in await client.list_resources()]
            templates = [t.uri_template for t in await client.list_resource_templates()]
            prompts = [p.name for p in await client.list_prompts()]
            text = (await client.read_resource("notes://contact"))[0].text
            record = (await client.read_resource("notes://people/ada"))[0].text
            prompt = await client.get_prompt("reply", {"topic": "invoices"})
            # A token from a result, given back as a prompt argument, reaches the upstream real.
            await client.get_prompt("reply", {"topic": json.loads(record)["email"]})
            return listed, templates, prompts, text, record, prompt.messages[0].content.text

    TOPICS.clear()
    listed, templates, prompts, text, record, said = through_proxy(write_policy(tmp_path), go)
    assert listed == ["notes://contact"]
    assert templates == ["notes://people/{name}"]
    assert prompts == ["reply"]
    assert EMAIL not in text and "<pii:email:" in text and text.startswith("Write to ")
    person = json.loads(record)  # JSON text stays JSON, its values tokenized
    assert person["name"] == "ada" and person["email"].startswith("<pii:email:")
    assert EMAIL not in said and "<pii:email:" in said and said.endswith("about invoices.")
    assert TOPICS == ["invoices", EMAIL]
    audit = audit_lines(tmp_path)
    assert [(a["tool"], a["result_status"], a["tokenized"]) for a in audit] == [
        ("resource:notes://contact", "ok", 1),
        ("resource:notes://people/ada", "ok", 1),
        ("prompt:reply", "ok", 1),
        ("prompt:reply", "ok", 2),
    ]
    assert all(a["caller"]["groups"] == ["reader"] for a in audit)
    assert EMAIL not in (tmp_path / "audit.jsonl").read_text()


def test_a_caller_denied_resources_and_prompts_neither_sees_nor_reads_them(tmp_path):
    async def go(url: str) -> tuple:
        async with Client(url, auth=mint(["toolsonly"])) as client:
            seen = (
                [t.name for t in await client.list_tools()],
                await client.list_resources(),
                await client.list_resource_templates(),
                await client.list_prompts(),
            )
            errors = []
            for read in (
                lambda: client.read_resource("notes://contact"),
                lambda: client.get_prompt("reply", {"topic": "x"}),
            ):
                with pytest.raises(McpError) as refused:
                    await read()
                errors.append(str(refused.value))
            return seen, errors

    seen, errors = through_proxy(write_policy(tmp_path), go)
    assert seen == (["ping"], [], [], [])
    assert all("not allowed" in e and EMAIL not in e for e in errors), errors
    audit = audit_lines(tmp_path)
    assert [(a["tool"], a["result_status"]) for a in audit] == [
        ("resource:notes://contact", "denied"),
        ("prompt:reply", "denied"),
    ]
    assert audit[0]["policy_decision"] == "deny: resource:notes://contact is denied by policy"


def test_resource_reads_share_the_callers_rate_limit(tmp_path):
    limits = {"rate_limits": {"per_user": {"per_minute": 1, "burst": 1}}}

    async def go(url: str) -> str:
        async with Client(url, auth=mint(["reader"])) as client:
            await client.read_resource("notes://contact")
            with pytest.raises(McpError) as limited:
                await client.get_prompt("reply", {"topic": "x"})
            return str(limited.value)

    assert "rate limit exceeded" in through_proxy(write_policy(tmp_path, **limits), go)
    assert [a["result_status"] for a in audit_lines(tmp_path)] == ["ok", "rate_limited"]


def test_the_safe_default_lets_anonymous_callers_read_resources_and_get_prompts():
    async def go(url: str) -> tuple[str, str]:
        async with Client(url) as client:
            text = (await client.read_resource("notes://contact"))[0].text
            prompt = await client.get_prompt("reply", {"topic": "x"})
            return text, prompt.messages[0].content.text

    text, said = through_proxy(None, go)
    assert "<pii:email:" in text and "<pii:email:" in said
    assert EMAIL not in text + said
