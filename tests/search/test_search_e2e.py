"""Search mode end to end: a real MCP client over stdio, `adaptgen serve` of a generated server
under a governance policy, the sandbox CRM on 127.0.0.1 behind it.

The caller is in a support group allowed a few read tools. What an agent does: browse the
toolsets, search in its own words, read compact hits, call the tool (also with a misspelt name).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys

import pytest
import yaml
from conftest import ROOT
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from adaptgen.build import BuildOptions, build
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running
from adaptgen.search import INDEX_FILE

ALLOWED = ["list_contacts", "get_contact", "list_deals", "get_deal", "list_companies"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The CRM built in search mode, a policy for the support group, and the sandbox."""
    tmp = tmp_path_factory.mktemp("search-e2e")
    hints = yaml.safe_load((ROOT / "specs" / "crm.hints.yaml").read_text())
    hints["search"] = {"mode": "search"}
    # What a team adds when its users' words miss: a request of theirs, and a word of theirs.
    hints["tools"]["listDeals"]["search"] = {
        "examples": ["show me all the deals we have"],
        "keywords": ["pipeline"],
    }
    (tmp / "crm.hints.yaml").write_text(yaml.safe_dump(hints))
    report = build(
        BuildOptions(
            spec=ROOT / "specs" / "crm.yaml", out=tmp / "out", hints=tmp / "crm.hints.yaml"
        )
    )
    policy = {
        "identity": {"local": {"subject": "agent-7", "groups": ["support"]}},
        "access": {"rules": [{"groups": ["support"], "allow": ALLOWED}]},
        "pii": {"key": "${env:SEARCH_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
    }
    (tmp / "policy.yaml").write_text(yaml.safe_dump(policy))
    with running(require_session=True) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "ADAPTGEN_"))}
        env.update(
            CRM_BASE_URL=sandbox.url,
            CRM_USERNAME=SANDBOX_USERNAME,
            CRM_PASSWORD=SANDBOX_PASSWORD,
            CRM_POLICY=str(tmp / "policy.yaml"),
            SEARCH_PII_KEY=base64.b64encode(os.urandom(64)).decode(),
            PYTHONPATH=str(ROOT),
        )
        yield report, env, tmp


def session(served, steps):
    report, env, _ = served
    transport = StdioTransport(
        sys.executable, ["-m", "adaptgen", "serve", str(report.out_dir)], env=env, cwd=str(ROOT)
    )

    async def go():
        async with Client(transport) as client:
            return await steps(client)

    return asyncio.run(go())


def text(result) -> str:
    return result.content[0].text


def test_the_build_writes_the_index_beside_the_server(served):
    report, _, _ = served
    index = json.loads((report.out_dir / INDEX_FILE).read_text())
    names = {entry["name"] for entry in index["tools"]}
    assert {"list_contacts", "create_contact", "delete_contact"} <= names


def test_search_browse_and_call_through_a_real_client(served):
    async def steps(client):
        listed = [t.name for t in await client.list_tools()]
        searches = {}
        for query in (
            "find a contact by their id",
            "show me the deals",
            "remove a contact",
            "show me the daels",  # typed fast: read as "deals"
            "GET /contacts/1001",  # the endpoint, as the API's docs say it
            "DELETE /contacts/1001",  # one the caller may not use: never found
            "listDeals",  # the operationId
            "what is in our pipeline?",  # a hinted keyword
        ):
            searches[query] = await client.call_tool("search_tools", {"query": query})
        full = await client.call_tool("search_tools", {"query": "deals", "schema": True})
        sets = await client.call_tool("list_toolsets", {})
        deals = await client.call_tool("list_toolsets", {"toolset": "Deals"})
        got = await client.call_tool(
            "call_tool", {"name": "get_contact", "arguments": {"contact_id": 1001}}
        )
        misspelt = await client.call_tool(
            "call_tool",
            {"name": "get_contcat", "arguments": {"contact_id": 1001}},
            raise_on_error=False,
        )
        by_operation_id = await client.call_tool(
            "call_tool", {"name": "getContact", "arguments": {}}, raise_on_error=False
        )
        return listed, searches, full, sets, deals, got, misspelt, by_operation_id

    listed, searches, full, sets, deals, got, misspelt, by_operation_id = session(served, steps)
    assert listed[-3:] == ["list_toolsets", "search_tools", "call_tool"]
    hits = {q: json.loads(text(r)) for q, r in searches.items()}
    assert hits["find a contact by their id"][0]["name"] == "get_contact"
    # Sentence encoders 7 to 9 read "show me the deals" as one deal (9: cosine 0.75 against the
    # list's 0.66), so get_deal led: a known miss (docs/DESIGN.md, "Requests on 149 more APIs").
    # A hinted example request like it puts the list first, and a hinted keyword finds it.
    assert hits["show me the deals"][0]["name"] == "list_deals"
    assert hits["show me the daels"] == hits["show me the deals"]
    assert hits["what is in our pipeline?"][0]["name"] == "list_deals"
    # A request that names its tool (endpoint, operationId) finds it first.
    assert hits["GET /contacts/1001"][0]["name"] == "get_contact"
    assert hits["listDeals"][0]["name"] == "list_deals"
    # Only the caller's tools are found: never delete_contact, whatever the query.
    assert all(h["name"] in ALLOWED for found in hits.values() for h in found)
    # Compact hits: one line, the required arguments; the top hit's schema as it is small.
    first = hits["find a contact by their id"]
    assert first[0]["inputSchema"]["required"] == ["contact_id"]
    assert all("\n" not in h["description"] for h in first)
    assert all(len(text(r).encode()) < 1500 for r in searches.values())
    assert all("inputSchema" in h for h in json.loads(text(full)))
    toolsets = {s["toolset"]: s["tools"] for s in json.loads(text(sets))}
    assert toolsets["Deals"] == 2 and "Activities" not in toolsets  # none of them allowed
    assert [t["name"] for t in json.loads(text(deals))] == ["list_deals", "get_deal"]
    assert json.loads(text(got))["data"]["id"] == 1001
    assert misspelt.is_error and "did you mean get_contact" in text(misspelt)
    assert by_operation_id.is_error and "did you mean get_contact" in text(by_operation_id)


def test_a_call_to_a_hidden_tool_is_refused_and_audited_as_that_tool(served):
    _, _, tmp = served

    async def steps(client):
        return await client.call_tool(
            "call_tool",
            {"name": "delete_contact", "arguments": {"contact_id": 1001}},
            raise_on_error=False,
        )

    refused = session(served, steps)
    assert refused.is_error and "not allowed" in text(refused)
    lines = [json.loads(line) for line in (tmp / "audit.jsonl").read_text().splitlines()]
    denied = [line for line in lines if line["tool"] == "delete_contact"]
    assert denied and denied[-1]["result_status"] == "denied"
    assert not any(line["tool"] == "call_tool" for line in lines)
