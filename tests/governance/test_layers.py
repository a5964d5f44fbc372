"""The stack's shape: one order, layers built from their own policy sections, the redactor
handed to shaping, and per-call state carried by the Call alone."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from adaptgen.runtime.governance.access import ToolFacts
from adaptgen.runtime.governance.call import Call, Refused
from adaptgen.runtime.governance.layers import (
    ORDER,
    Access,
    Audit,
    Identity,
    RateLimit,
    ServerFacts,
    build_layers,
)
from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.pii import PiiTokenizer
from adaptgen.runtime.governance.policy import (
    AccessPolicy,
    AuditPolicy,
    IdentityPolicy,
    Policy,
    RateLimitPolicy,
    safe_default,
)
from adaptgen.runtime.governance.redaction import ResultRedactor
from adaptgen.runtime.identity import Caller

KEY = bytes(range(64))


def test_the_layers_run_in_the_one_documented_order():
    policy = Policy.model_validate(
        {
            "rate_limits": {"per_user": {"per_minute": 10}},
            "arguments": {"rules": [{"tools": ["*"], "arguments": {"q": {"max_length": 3}}}]},
        }
    )
    layers = build_layers(policy, ServerFacts(), tokenizer=PiiTokenizer(KEY), audit_key=None)
    assert tuple(type(layer) for layer in layers) == ORDER


def test_a_layer_whose_section_sets_nothing_is_not_built():
    policy = Policy.model_validate({"pii": {"enabled": False}})
    layers = build_layers(policy, ServerFacts(), tokenizer=None, audit_key=None)
    names = [type(layer).__name__ for layer in layers]
    assert names == ["Audit", "Identity", "Access"]
    assert RateLimit.from_policy(policy.rate_limits) is None


def test_what_the_server_says_is_given_at_construction():
    governance = Governance(safe_default(), name="t", meta_tools=("search_tools",))

    class Listed:
        name = "search_tools"
        annotations = None

    assert governance.tool_facts(Listed()).meta
    assert governance.access_layer.meta_tools == {"search_tools"}


def test_the_redactor_tokenizes_records_wholes_and_envelopes_and_counts_into_the_call():
    tokenizer = PiiTokenizer(KEY)
    call = Call("list_contacts", {})
    redactor = ResultRedactor(
        tokenizer,
        call,
        fields=["$.items[*].name"],
        record_fields=["$.name"],
        policy_fields=["$.owner"],
    )
    record = redactor.record({"name": "Ada", "note": "mail ada@example.com"})
    assert record["name"].startswith("<pii:") and "ada@example.com" not in record["note"]
    envelope = redactor.envelope({"items": [record], "owner": "Bob", "note": "bob@example.org"})
    assert envelope["owner"].startswith("<pii:field:")
    assert envelope["note"] == "bob@example.org"  # records were redacted; the envelope by paths
    whole = redactor.whole({"items": [{"name": "Cy"}]})
    assert whole["items"][0]["name"].startswith("<pii:")
    assert call.tokenized == 4


def test_run_call_hands_the_tool_the_governed_call():
    governance = Governance(safe_default(), name="t", tools_redact=True)
    seen: list[Call] = []

    async def tool(call: Call) -> Any:
        seen.append(call)
        return "done"

    caller = Caller(subject="local", groups=("local",))
    answer = asyncio.run(
        governance.run_call(
            "t",
            {"q": "x"},
            tool,
            caller=caller,
            facts=ToolFacts("t", read_only=True, destructive=False),
            fastmcp_context=None,
        )
    )
    (call,) = seen
    assert answer == "done" and call.caller is caller and call.redactor is not None
    assert call.decision == "allow"


async def _refused_by(layer: Any, call: Call, inner: Any = None) -> Refused:
    async def tool(governed: Call) -> str:
        return "ran"

    try:
        await layer.on_call(call, inner or tool)
    except Refused as refused:
        return refused
    raise AssertionError("not refused")


def test_access_alone_refuses_what_no_rule_grants():
    layer = Access(AccessPolicy.model_validate({"rules": [{"allow": ["get_*"]}]}))
    call = Call(
        "delete_contact", {}, caller=Caller(), facts=ToolFacts("delete_contact", False, True)
    )
    refused = asyncio.run(_refused_by(layer, call))
    assert refused.status == "denied" and call.decision.startswith("deny: delete_contact")


def test_rate_limit_alone_refuses_the_call_over_the_burst():
    layer = RateLimit(RateLimitPolicy.model_validate({"per_user": {"per_minute": 1, "burst": 1}}))

    async def twice() -> Refused:
        async def tool(governed: Call) -> str:
            return "ran"

        assert await layer.on_call(Call("t", {}, caller=Caller(subject="ivy")), tool) == "ran"
        return await _refused_by(layer, Call("t", {}, caller=Caller(subject="ivy")))

    refused = asyncio.run(twice())
    assert refused.status == "rate_limited" and "retry after" in str(refused)


def test_identity_alone_refuses_a_caller_without_a_token_when_anonymous_is_not_allowed():
    call = Call("t", {})
    refused = asyncio.run(_refused_by(Identity(IdentityPolicy()), call))
    assert refused.status == "unauthenticated" and call.decision == "deny: unauthenticated"


def test_audit_alone_logs_the_agents_arguments_and_the_inner_refusal(tmp_path):
    audit = Audit(AuditPolicy(sink="file", path=str(tmp_path / "audit.jsonl")), key=KEY)
    call = Call("t", {"email": "<pii:email:abc>"}, caller=Caller(subject="ivy"))

    async def inner(governed: Call) -> Any:
        governed.arguments = {"email": "ada@example.com"}  # as the PII layer replaces them
        governed.decision = "deny: arguments.rules[0] email: must match"
        raise Refused("not allowed", "denied")

    asyncio.run(_refused_by(audit, call, inner))
    (line,) = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert line["result_status"] == "denied" and line["policy_decision"].startswith("deny: arg")
    assert line["arguments_hmac"] == audit.log.arguments_hmac({"email": "<pii:email:abc>"})


class _Listed:
    """A tool result whose one text block is JSON (as a search tool answers)."""

    def __init__(self, data: Any) -> None:
        from mcp_types import TextContent

        self.content = [TextContent(type="text", text=json.dumps(data))]
        self.structured_content = None


def test_a_proxied_toolset_listing_shows_only_the_callers_tools_and_keeps_what_search_said():
    policy = AccessPolicy.model_validate({"rules": [{"groups": ["support"], "allow": ["*"]}]})
    layer = Access(policy, meta_tools=("search_tools", "list_toolsets"), dispatch_tools=("x",))
    support = Caller(subject="s", groups=("support",))
    read = {"readOnlyHint": True}

    async def answer(data: Any) -> Any:
        return _Listed(data)

    def run(tool: str, data: Any) -> list[str]:
        call = Call(tool, {}, caller=support, facts=ToolFacts(tool, True, False, meta=True))
        result = asyncio.run(layer.on_call(call, lambda _: answer(data)))
        return [t["name"] for t in json.loads(result.content[0].text)]

    # search_tools said get_deal only reads; delete_deal is never described: a write.
    assert run("search_tools", [{"name": "get_deal", "annotations": read}]) == ["get_deal"]
    toolset = [{"name": "get_deal", "description": "A deal"}, {"name": "delete_deal"}]
    assert run("list_toolsets", toolset) == ["get_deal"]
    assert layer.searched_facts["get_deal"].read_only  # not overwritten by the bare listing
