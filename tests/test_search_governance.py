"""Search mode under the governance layer: the search tool and the call proxy are governed too.

A large API lists two tools, `search_tools` and `call_tool`. Both must be visible to callers the
policy admits (they are how every other tool is reached), search must find only the caller's
tools, and a call through the proxy must be decided, tokenized and audited as the tool it names.
Built from the sandbox CRM's spec in search mode, against the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os

import pytest
import yaml
from conftest import ROOT, result_data
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running

SUPPORT_TOOLS = {"list_contacts", "get_contact", "search_records"}


@pytest.fixture(scope="module")
def search_crm(tmp_path_factory):
    """The CRM built in search mode, and the sandbox it calls."""
    tmp = tmp_path_factory.mktemp("search-crm")
    hints = yaml.safe_load((ROOT / "specs" / "crm.hints.yaml").read_text())
    hints["search"] = {"mode": "search"}
    hints_path = tmp / "crm.hints.yaml"
    hints_path.write_text(yaml.safe_dump(hints))
    report = build(
        BuildOptions(spec=ROOT / "specs" / "crm.yaml", out=tmp / "crm", hints=hints_path)
    )
    assert report.api.info.surface.mode == "search"
    with running(require_session=True) as sandbox:
        yield report.out_dir, sandbox, tmp


def serve(search_crm, monkeypatch, policy: dict | None):
    """A fresh server module under `policy` (None: no policy at all, the safe default)."""
    folder, sandbox, tmp = search_crm
    for key in [k for k in os.environ if k.startswith("CRM_")]:
        monkeypatch.delenv(key)
    monkeypatch.delenv("ADAPTGEN_POLICY", raising=False)  # the suite's operator policy
    monkeypatch.setenv("CRM_BASE_URL", sandbox.url)
    monkeypatch.setenv("CRM_USERNAME", SANDBOX_USERNAME)
    monkeypatch.setenv("CRM_PASSWORD", SANDBOX_PASSWORD)
    monkeypatch.setenv("SEARCH_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    audit = tmp / f"audit-{len(list(tmp.glob('audit-*')))}.jsonl"
    if policy is not None:
        policy = {
            **policy,
            "pii": {"key": "${env:SEARCH_PII_KEY}"},
            "audit": {"sink": "file", "path": str(audit)},
        }
        path = tmp / "policy.yaml"
        path.write_text(yaml.safe_dump(policy))
        monkeypatch.setenv("CRM_POLICY", str(path))
    return load_server_module(folder), audit


def support_policy(**rule: object) -> dict:
    return {
        "identity": {"local": {"subject": "agent-7", "groups": ["support"]}},
        "access": {"rules": [{"groups": ["support"], "allow": sorted(SUPPORT_TOOLS), **rule}]},
    }


def audited(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_search_and_proxy_reach_only_the_callers_tools_and_are_audited(search_crm, monkeypatch):
    _, sandbox, _ = search_crm
    module, audit = serve(search_crm, monkeypatch, support_policy())

    async def session():
        async with Client(module.mcp) as client:
            listed = [t.name for t in await client.list_tools()]
            found = {}
            for query in ("delete a contact", "contacts", "update a deal stage", "company"):
                result = await client.call_tool("search_tools", {"query": query})
                found[query] = [t["name"] for t in result_data(result.content[0].text)]
            got = await client.call_tool(
                "call_tool", {"name": "get_contact", "arguments": {"contact_id": 1001}}
            )
            refused = await client.call_tool(
                "call_tool",
                {"name": "delete_contact", "arguments": {"contact_id": 1001}},
                raise_on_error=False,
            )
            return listed, found, got, refused

    listed, found, got, refused = asyncio.run(session())
    assert listed[-2:] == ["search_tools", "call_tool"]
    assert listed[-3] == "list_toolsets"
    assert set(listed[:-3]) <= SUPPORT_TOOLS  # pinned tools the caller may use
    assert "list_contacts" in found["contacts"]
    assert all(set(names) <= SUPPORT_TOOLS for names in found.values()), found
    contact = result_data(got.content[0].text)["data"]
    assert contact["id"] == 1001 and contact["email"].startswith("<pii:email:")
    assert refused.is_error and "not allowed" in refused.content[0].text
    assert not any(r["method"] == "DELETE" for r in sandbox.request_log)
    lines = audited(audit)
    by_tool = {}
    for line in lines:
        by_tool.setdefault(line["tool"], []).append(line)
    assert len(by_tool["search_tools"]) == 4
    assert all(line["result_status"] == "ok" for line in by_tool["search_tools"])
    assert by_tool["get_contact"][0]["tokenized"] > 0
    assert by_tool["delete_contact"][0]["result_status"] == "denied"
    assert all(line["caller"]["subject"] == "agent-7" for line in lines)
    assert "call_tool" not in by_tool  # a proxied call is audited once, as the tool it names


def test_a_rule_can_deny_the_search_tool(search_crm, monkeypatch):
    module, _ = serve(search_crm, monkeypatch, support_policy(deny=["search_tools"]))

    async def session():
        async with Client(module.mcp) as client:
            listed = [t.name for t in await client.list_tools()]
            searched = await client.call_tool(
                "search_tools", {"query": "contacts"}, raise_on_error=False
            )
            return listed, searched

    listed, searched = asyncio.run(session())
    assert "search_tools" not in listed and listed[-1] == "call_tool"
    assert searched.is_error and "denied by policy" in searched.content[0].text


def test_the_safe_default_keeps_search_mode_usable_and_read_only(search_crm, monkeypatch):
    module, _ = serve(search_crm, monkeypatch, None)

    async def session():
        async with Client(module.mcp) as client:
            listed = await client.list_tools()
            # Every contact tool matches; the write ones are not the caller's to find.
            result = await client.call_tool("search_tools", {"query": "contact contacts"})
            annotations = {
                t["name"]: t.get("annotations") or {} for t in result_data(result.content[0].text)
            }
            return listed, annotations

    listed, annotations = asyncio.run(session())
    assert [t.name for t in listed[-2:]] == ["search_tools", "call_tool"]
    assert listed[-2].annotations.read_only_hint is True
    assert all(t.annotations.read_only_hint for t in listed[:-2])  # pinned, read-only ones
    assert annotations and all(a.get("readOnlyHint") for a in annotations.values()), annotations


def test_a_change_asked_of_a_caller_who_may_only_read_says_why_nothing_fits(
    search_crm, monkeypatch
):
    # With no policy (the read-only default), "delete a contact" finds reads only: a second
    # block says so. A read asked for, or the same change asked by a caller allowed to write,
    # gets the hits alone.
    asked = ("delete the contact 1001", "create a new deal for Acme", "show me contact 1001")

    async def searches(module):
        async with Client(module.mcp) as client:
            return [
                [c.text for c in (await client.call_tool("search_tools", {"query": q})).content]
                for q in asked
            ]

    module, _ = serve(search_crm, monkeypatch, None)
    delete, create, show = asyncio.run(searches(module))
    assert len(delete) == len(create) == 2 and delete[1] == create[1]
    assert "only read" in delete[1] and "policy" in delete[1]
    assert len(show) == 1
    writer = {
        "identity": {"local": {"subject": "agent-7", "groups": ["sales"]}},
        "access": {
            "rules": [{"groups": ["sales"], "allow": ["*"], "writes": True, "destructive": True}]
        },
    }
    module, _ = serve(search_crm, monkeypatch, writer)
    delete, create, show = asyncio.run(searches(module))
    assert len(delete) == len(create) == len(show) == 1
    assert json.loads(delete[0])[0]["name"] == "delete_contact"


def test_a_caller_who_may_use_no_tool_is_told_so_not_handed_an_empty_list(search_crm, monkeypatch):
    # An API whose every tool writes (AWS's JSON APIs were, before their reads were known) or a
    # rule that grants a caller nothing of it: search finds none, and says why.
    from adaptgen.runtime.search import NO_TOOLS_NOTE

    nothing = {
        "identity": {"local": {"subject": "agent-7", "groups": ["guests"]}},
        "access": {"rules": [{"groups": ["guests"], "allow": ["search_tools"]}]},
    }
    module, _ = serve(search_crm, monkeypatch, nothing)

    async def session():
        async with Client(module.mcp) as client:
            return (await client.call_tool("search_tools", {"query": "show contact 1001"})).content

    hits, note = asyncio.run(session())
    assert json.loads(hits.text) == [] and note.text == NO_TOOLS_NOTE
    module, _ = serve(search_crm, monkeypatch, support_policy())
    (hits,) = asyncio.run(session())
    assert json.loads(hits.text)
