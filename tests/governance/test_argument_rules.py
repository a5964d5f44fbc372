"""Argument rules: the layer alone, its policy section, then end to end through real MCP clients
on the generated CRM server (JWT over HTTP) and through `adaptgen proxy` (stdio).

The rules check the real values: an agent passes back the PII tokens it was shown, and a rule
on an email address must see the address, not the token.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, result_data
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from test_governance import JWT_IDENTITY, governed_crm, load_generated, mint

from adaptgen.runtime.governance.call import Call, Refused
from adaptgen.runtime.governance.layers.arguments import ArgumentRules
from adaptgen.runtime.governance.policy import ArgumentPolicy, PolicyError, load_policy
from adaptgen.runtime.identity import Caller
from adaptgen.sandbox.server import serve_app

PLAIN = ROOT / "tests" / "fixtures" / "plain_server.py"
INTERNS = {
    "groups": ["interns"],
    "tools": ["list_contacts"],
    "arguments": {"lifecycle_stage": {"values": ["lead"]}, "limit": {"maximum": 20}},
}
EXAMPLE_EMAIL = {
    "groups": ["interns"],
    "tools": ["open_deals_for_email", "is_known_email"],
    "arguments": {"email": {"pattern": r"[^@]+@example\.com"}},
}


def rules(*documents: dict[str, Any]) -> ArgumentRules:
    return ArgumentRules(ArgumentPolicy.model_validate({"rules": list(documents)}))


async def run(layer: ArgumentRules, call: Call) -> Any:
    async def tool(governed: Call) -> str:
        return "ran"

    return await layer.on_call(call, tool)


def intern(tool: str, **arguments: Any) -> Call:
    return Call(tool, arguments, caller=Caller(subject="ivy", groups=("interns",)))


def test_a_call_within_the_rules_runs():
    assert (
        asyncio.run(run(rules(INTERNS), intern("list_contacts", lifecycle_stage="lead"))) == "ran"
    )


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"lifecycle_stage": "customer"}, "must be one of 'lead'"),
        ({}, "must be given"),  # a filter left out would list every stage
        ({"lifecycle_stage": "lead", "limit": 21}, "must be at most 20"),
        ({"lifecycle_stage": "lead", "limit": "5"}, "must be a number"),
    ],
)
def test_a_call_outside_the_rules_is_refused_naming_the_rule(arguments, reason):
    call = intern("list_contacts", **arguments)
    with pytest.raises(Refused) as refused:
        asyncio.run(run(rules(INTERNS), call))
    assert reason in str(refused.value) and "arguments.rules[0]" in str(refused.value)
    assert refused.value.status == "denied"
    assert call.decision.startswith("deny: arguments.rules[0] ") and reason in call.decision


def test_rules_apply_only_to_their_callers_and_tools():
    layer = rules(INTERNS)
    sales = Call("list_contacts", {"lifecycle_stage": "customer"}, caller=Caller(groups=("sales",)))
    assert asyncio.run(run(layer, sales)) == "ran"
    assert asyncio.run(run(layer, intern("list_companies", lifecycle_stage="customer"))) == "ran"


def test_patterns_lengths_and_list_items():
    layer = rules(
        {
            "tools": ["tag_*"],  # no groups: every caller
            "arguments": {
                "tags": {"pattern": "[a-z]+", "max_length": 2},
                "note": {"max_length": 5},
            },
        }
    )
    assert asyncio.run(run(layer, intern("tag_contact", tags=["vip", "eu"], note="ok"))) == "ran"
    for arguments, reason in [
        ({"tags": ["vip", "EU"]}, "must match '[a-z]+'"),
        ({"tags": ["a", "b", "c"]}, "at most 2 items"),
        ({"note": "too long"}, "at most 5 characters"),
    ]:
        with pytest.raises(Refused) as refused:
            asyncio.run(run(layer, intern("tag_contact", **arguments)))
        assert reason in str(refused.value)


def test_allowed_values_compare_as_json_does():
    layer = rules({"tools": ["*"], "arguments": {"flag": {"values": [1]}}})
    assert asyncio.run(run(layer, intern("t", flag=1.0))) == "ran"
    for value in (True, "1"):
        with pytest.raises(Refused) as refused:
            asyncio.run(run(layer, intern("t", flag=value)))
        assert "must be one of 1" in str(refused.value)


def test_a_call_through_a_call_proxy_is_checked_on_the_named_tools_arguments():
    call = intern("list_contacts", name="list_contacts", arguments={"lifecycle_stage": "churned"})
    call.dispatched = True  # as access marks it once it decided the call as the named tool
    with pytest.raises(Refused, match="lifecycle_stage"):
        asyncio.run(run(rules(INTERNS), call))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_an_unknown_key_in_an_argument_check_is_located_with_a_suggestion(tmp_path):
    path = write(
        tmp_path,
        "arguments:\n"
        "  rules:\n"
        "    - tools: [list_contacts]\n"
        "      arguments:\n"
        "        lifecycle_stage:\n"
        "          valeus: [lead]\n",
    )
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    message = str(error.value)
    assert message.startswith(f"{path}:6:11:"), message
    assert "unknown key 'valeus' (did you mean 'values'?)" in message


def test_an_invalid_pattern_is_located(tmp_path):
    path = write(
        tmp_path,
        "arguments:\n  rules:\n    - tools: ['*']\n      arguments:\n        q: {pattern: '(a'}\n",
    )
    with pytest.raises(PolicyError, match=r"policy.yaml:5:\d+: .*not a valid regex"):
        load_policy(path)


def test_a_check_that_checks_nothing_is_refused(tmp_path):
    path = write(tmp_path, "arguments:\n  rules:\n    - tools: ['*']\n      arguments: {q: {}}\n")
    with pytest.raises(PolicyError, match="give values, pattern"):
        load_policy(path)


@contextlib.contextmanager
def crm_with_rules(tmp: Path) -> Iterator[tuple[Any, str, Path]]:
    """The sandbox CRM and the generated server over HTTP, governed by a policy whose interns
    may list only leads and look up deals only by example.com addresses."""
    policy = {
        "identity": JWT_IDENTITY,
        "access": {
            "rules": [
                {
                    "groups": ["interns", "sales"],
                    "allow": ["list_contacts", "get_contact", "open_deals_for_email"],
                }
            ]
        },
        "arguments": {"rules": [INTERNS, EXAMPLE_EMAIL]},
        "pii": {"key": "${env:GOV_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
    }
    (tmp / "policy.yaml").write_text(yaml.safe_dump(policy))
    with governed_crm(tmp, tmp / "policy.yaml") as sandbox:
        module = load_generated("arguments")
        with serve_app(module.mcp.http_app(path="/mcp"), lifespan=True) as url:
            yield sandbox, f"{url}/mcp", tmp / "audit.jsonl"


def calls(url: str, groups: list[str], steps: list[tuple[str, Any]]) -> list[Any]:
    """Each step's result; a step's arguments may be a function of the results before it."""

    async def go():
        results: list[Any] = []
        async with Client(url, auth=mint(groups)) as client:
            for tool, arguments in steps:
                given = arguments(results) if callable(arguments) else arguments
                results.append(await client.call_tool(tool, given, raise_on_error=False))
        return results

    return asyncio.run(go())


def email_token(results: list[Any]) -> dict[str, str]:
    return {"email": result_data(results[-1].content[0].text)["data"]["email"]}


def test_interns_list_only_leads_on_the_generated_server(tmp_path):
    with crm_with_rules(tmp_path) as (sandbox, url, audit):
        contacts = sandbox.app.state.store.tables["contact"].values()
        example = next(c for c in contacts if c["email"].endswith("@example.com"))
        other = next(c for c in contacts if not c["email"].endswith("@example.com"))
        leads, customers, unfiltered = calls(
            url,
            ["interns"],
            [
                ("list_contacts", {"lifecycle_stage": "lead", "limit": 10}),
                ("list_contacts", {"lifecycle_stage": "customer", "limit": 10}),
                ("list_contacts", {"limit": 10}),
            ],
        )
        # The email rule sees the address behind the token the agent passes back.
        _, allowed, _, refused = calls(
            url,
            ["interns"],
            [
                ("get_contact", {"contact_id": str(example["id"])}),
                ("open_deals_for_email", email_token),
                ("get_contact", {"contact_id": str(other["id"])}),
                ("open_deals_for_email", email_token),
            ],
        )
        (sales,) = calls(url, ["sales"], [("list_contacts", {"lifecycle_stage": "customer"})])
        lines = [json.loads(line) for line in audit.read_text().splitlines()]
    items = result_data(leads.content[0].text)["items"]
    assert items and {i["lifecycle_stage"] for i in items} == {"lead"}
    assert customers.is_error and unfiltered.is_error
    text = customers.content[0].text
    assert text == (
        "not allowed: argument 'lifecycle_stage' of list_contacts must be one of 'lead' "
        "(arguments.rules[0])"
    )
    assert "must be given" in unfiltered.content[0].text
    assert not allowed.is_error, allowed.content[0].text
    assert refused.is_error and "must match" in refused.content[0].text
    assert other["email"] not in refused.content[0].text
    assert not sales.is_error  # the rules are the interns'
    decisions = [(a["tool"], a["result_status"], a["policy_decision"]) for a in lines]
    assert decisions[1] == (
        "list_contacts",
        "denied",
        "deny: arguments.rules[0] lifecycle_stage: must be one of 'lead'",
    )
    assert decisions[6][:2] == ("open_deals_for_email", "denied")
    assert decisions[6][2].startswith("deny: arguments.rules[1] email: must match")
    assert other["email"] not in audit.read_text() and example["email"] not in audit.read_text()


def test_adaptgen_proxy_checks_the_real_value_behind_a_token(tmp_path):
    policy = {
        "identity": {"local": {"subject": "ivy", "groups": ["interns"]}},
        "access": {"rules": [{"groups": ["interns"], "allow": ["get_customer", "is_known_email"]}]},
        "arguments": {"rules": [EXAMPLE_EMAIL]},
        "pii": {"key": "${env:PROXY_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp_path / "audit.jsonl")},
        "upstream": {"connect_timeout": 60},  # a command upstream starting on a loaded machine
    }
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    env = {**os.environ, "PROXY_PII_KEY": base64.b64encode(os.urandom(64)).decode()}
    command = ["-m", "adaptgen", "proxy", "--upstream", f"{sys.executable} {PLAIN}"]
    transport = StdioTransport(
        sys.executable,
        [*command, "--policy", str(tmp_path / "policy.yaml")],
        env=env,
        cwd=str(ROOT),
    )

    async def go():
        results = []
        async with Client(transport) as client:
            for customer in (1, 2):  # ada@example.com, bob@example.org
                record = await client.call_tool("get_customer", {"customer_id": customer})
                email = result_data(record.content[0].text)["email"]
                assert email.startswith("<pii:email:")
                results.append(
                    await client.call_tool("is_known_email", {"email": email}, raise_on_error=False)
                )
        return results

    ada, bob = asyncio.run(go())
    assert result_data(ada.content[0].text) == {"known": True}
    assert bob.is_error and "bob@example.org" not in bob.content[0].text
    assert bob.content[0].text.startswith("not allowed: argument 'email' of is_known_email")
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [a["result_status"] for a in audit] == ["ok", "ok", "ok", "denied"]
    assert audit[-1]["policy_decision"].startswith("deny: arguments.rules[0] email: must match")
