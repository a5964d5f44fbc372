"""`adaptgen proxy`'s `tools/call` fast path (governance/relay.py): the same answers, audit
lines and upstream requests as FastMCP's proxy path, for every kind of outcome."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from fastmcp import Client, FastMCP
from fastmcp.exceptions import ToolError
from mcp_types.version import LATEST_MODERN_VERSION
from mcp_upstream import RecordingUpstream
from test_governance import PUBLIC, mint

from adaptgen.runtime.governance import relay as relay_module
from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

PII_KEY = base64.b64encode(os.urandom(64)).decode()
TOKEN = re.compile(r"<pii:[^>]*>")


def crm_upstream() -> FastMCP:
    """A plain MCP server: PII in a record, an echo of what arrived, a write, a failure."""
    mcp = FastMCP("plain")
    customers = {
        1: {"id": 1, "name": "Ada", "email": "ada@example.com", "phone": "+1 415 555 0134"}
    }

    @mcp.tool(annotations={"readOnlyHint": True})
    def get_customer(customer_id: int) -> dict:
        """A customer record."""
        if customer_id not in customers:
            raise ToolError(f"no customer {customer_id}; ada@example.com knows why")
        return customers[customer_id]

    @mcp.tool(annotations={"readOnlyHint": True})
    def is_known_email(email: str) -> dict:
        """Whether this exact email belongs to a customer (proves what value arrived)."""
        return {"known": any(c["email"] == email for c in customers.values())}

    @mcp.tool(annotations={"readOnlyHint": True})
    def describe(customer_id: int) -> str:
        """Plain text with PII in it."""
        return f"Customer {customer_id} writes from ada@example.com"

    @mcp.tool(annotations={"destructiveHint": True})
    def delete_customer(customer_id: int) -> str:
        """Delete a customer."""
        return "deleted"

    return mcp


def governed_policy(tmp_path) -> str:
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
        "access": {
            "rules": [
                {
                    "groups": ["support"],
                    "allow": ["get_customer", "is_known_email", "describe", "nope"],
                },
            ]
        },
        "rate_limits": {"per_user": {"per_minute": 9, "burst": 9}},
        "pii": {"key": "${env:PROXY_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp_path / "audit.jsonl")},
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


CALLS = [
    ("get_customer", {"customer_id": 1}),  # PII tokenized (structured and text)
    ("is_known_email", "EMAIL"),  # a token in, the real value upstream
    ("describe", {"customer_id": 1}),  # plain text through the recognizers
    ("get_customer", {"customer_id": 7}),  # the upstream's error result, PII in its text
    ("get_customer", {"customer_id": "seven"}),  # the upstream refuses the arguments
    ("delete_customer", {"customer_id": 1}),  # denied by access
    ("nope", {}),  # not an upstream tool: FastMCP's path answers
    ("is_known_email", {"email": "<pii:email:forged>"}),  # a token this proxy never issued
    ("get_customer", {"customer_id": 1}),
    ("get_customer", {"customer_id": 1}),  # over the rate limit
]


def run(tmp_path, monkeypatch, *, relay: bool) -> tuple[list, list, dict, int]:
    """The CALLS through a proxy (fast path on or off): results, audit lines, upstream
    requests by kind, and how many calls the relay served."""
    monkeypatch.setenv("PROXY_PII_KEY", PII_KEY)
    monkeypatch.setenv("ADAPTGEN_PROXY_RELAY", "on" if relay else "off")
    served = []
    original = relay_module.ProxyRelay._relayed

    async def counted(self, call):  # noqa: ANN001, ANN202
        served.append(call.name)
        return await original(self, call)

    monkeypatch.setattr(relay_module.ProxyRelay, "_relayed", counted)
    audit = tmp_path / "audit.jsonl"
    audit.unlink(missing_ok=True)
    upstream = RecordingUpstream(server=crm_upstream)
    with upstream.running():
        proxy = build_proxy(upstream.url, governed_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go() -> list:
                results = []
                async with Client(
                    f"{url}/mcp", auth=mint(["support"]), mode=LATEST_MODERN_VERSION
                ) as client:
                    email = None
                    for name, arguments in CALLS:
                        if arguments == "EMAIL":
                            arguments = {"email": email}
                        result = await client.call_tool_mcp(name, arguments)
                        results.append(result.model_dump(mode="json", by_alias=True))
                        if email is None and result.structured_content:
                            email = result.structured_content["email"]
                return results

            results = asyncio.run(go())
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    return results, lines, dict(upstream.count()), len(served)


def normalized(results: list[dict]) -> str:
    """The results with what depends on timing (a rate limit's retry-after) made equal."""
    return re.sub(r"retry after [0-9.]+s", "retry after Ns", json.dumps(results, sort_keys=True))


def comparable(lines: list[dict]) -> list[dict]:
    drop = {"request_id", "latency_ms", "timestamp", "ts", "time"}
    return [{k: v for k, v in line.items() if k not in drop} for line in lines]


def test_the_fast_path_answers_as_fastmcps_proxy_does(tmp_path, monkeypatch):
    fast, fast_audit, fast_upstream, relayed = run(tmp_path, monkeypatch, relay=True)
    slow, slow_audit, slow_upstream, none = run(tmp_path, monkeypatch, relay=False)
    assert none == 0
    # Every call but the unknown tool took the fast path (the refusals too).
    assert relayed == len(CALLS) - 1
    assert normalized(fast) == normalized(slow)
    assert comparable(fast_audit) == comparable(slow_audit)
    assert fast_upstream.get("POST tools/call") == slow_upstream.get("POST tools/call")
    text = json.dumps(fast)
    assert "ada@example.com" not in text and "555 0134" not in text
    assert TOKEN.search(text)
    # The outcomes themselves (so equal answers cannot both be wrong in the same way).
    statuses = [line["result_status"] for line in fast_audit]
    assert statuses[:3] == ["ok", "ok", "ok"]
    assert fast[1]["structuredContent"] == {"known": True}  # the real email arrived
    assert fast[3]["isError"] and TOKEN.search(fast[3]["content"][0]["text"])
    assert fast[4]["isError"]
    assert fast[5]["isError"] and "not allowed" in fast[5]["content"][0]["text"]
    assert fast[7]["isError"] and "did not issue" in fast[7]["content"][0]["text"]
    assert fast[9]["isError"] and "rate limit" in fast[9]["content"][0]["text"]
    assert statuses[-1] == "rate_limited" and "denied" in statuses


def test_the_fast_path_never_sends_the_callers_token_upstream(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_PII_KEY", PII_KEY)
    upstream = RecordingUpstream(server=crm_upstream)
    token = mint(["support"])
    with upstream.running():
        proxy = build_proxy(upstream.url, governed_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go() -> None:
                async with Client(f"{url}/mcp", auth=token, mode=LATEST_MODERN_VERSION) as client:
                    await client.call_tool("describe", {"customer_id": 1})

            asyncio.run(go())
    calls = [r for r in upstream.requests if r.rpc == "tools/call"]
    assert len(calls) == 1
    assert "authorization" not in calls[0].headers
    assert token not in json.dumps(calls[0].headers)
    assert calls[0].headers["mcp-name"] == "describe"


@pytest.mark.parametrize("mode", ["legacy"])
def test_handshake_era_callers_take_fastmcps_path(tmp_path, monkeypatch, mode):
    """The fast path serves the modern era only; a session-era caller is served as before."""
    monkeypatch.setenv("PROXY_PII_KEY", PII_KEY)
    served = []
    original = relay_module.ProxyRelay._relayed

    async def counted(self, call):  # noqa: ANN001, ANN202
        served.append(call.name)
        return await original(self, call)

    monkeypatch.setattr(relay_module.ProxyRelay, "_relayed", counted)
    upstream = RecordingUpstream(server=crm_upstream)
    with upstream.running():
        proxy = build_proxy(upstream.url, governed_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go() -> str:
                async with Client(f"{url}/mcp", auth=mint(["support"]), mode=mode) as client:
                    result = await client.call_tool("describe", {"customer_id": 1})
                    return result.content[0].text

            text = asyncio.run(go())
    assert served == []
    assert "ada@example.com" not in text and TOKEN.search(text)


def test_an_upstream_that_goes_away_is_a_readable_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_PII_KEY", PII_KEY)
    upstream = RecordingUpstream(server=crm_upstream)
    proxy = build_proxy(upstream.url, governed_policy(tmp_path))
    with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

        async def go() -> tuple:
            async with Client(
                f"{url}/mcp", auth=mint(["support"]), mode=LATEST_MODERN_VERSION
            ) as client:
                with upstream.running():
                    first = await client.call_tool("describe", {"customer_id": 1})
                try:
                    await client.call_tool("describe", {"customer_id": 1})
                except Exception as exc:  # noqa: BLE001 - the error is what is checked
                    return first, str(exc)
                return first, None

        first, failure = asyncio.run(go())
    assert not first.is_error
    assert failure is not None and "upstream" in failure
    assert "Traceback" not in failure


def two_group_policy(tmp_path) -> str:
    """`governed_policy` plus an "auditor" group that may only use `describe`."""
    path = Path(governed_policy(tmp_path))
    document = yaml.safe_load(path.read_text())
    document["access"]["rules"].append({"groups": ["auditor"], "allow": ["describe"]})
    document["rate_limits"] = {"per_user": {"per_minute": 1000, "burst": 1000}}
    path.write_text(yaml.safe_dump(document))
    return str(path)


def listed(tmp_path, monkeypatch, *, relay: bool, rounds: int = 3) -> tuple[list, list, dict]:
    """Each caller's tools/list `rounds` times (support, auditor, support again with a new
    token, support after a tool appeared upstream, and once more with the proxy's listing
    stale at every list): the answers, how many FastMCP's path made in the measured stages,
    and what reached the upstream before the last stage."""
    monkeypatch.setenv("PROXY_PII_KEY", PII_KEY)
    monkeypatch.setenv("ADAPTGEN_PROXY_RELAY", "on" if relay else "off")
    made, stages = [], []
    fetched: dict = {}  # upstream requests before the last stage
    original = relay_module.ListAnswers.capture

    async def counted(self, *args):  # noqa: ANN001, ANN002, ANN202
        made.append(args)
        return await original(self, *args)

    monkeypatch.setattr(relay_module.ListAnswers, "capture", counted)
    server = crm_upstream()
    upstream = RecordingUpstream(server=lambda: server)
    with upstream.running():
        proxy = build_proxy(upstream.url, two_group_policy(tmp_path))
        proxy.upstream.list_ttl = 3600.0  # however slow the machine, the listing holds ...
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def names(token: str) -> list:
                async with Client(f"{url}/mcp", auth=token, mode=LATEST_MODERN_VERSION) as c:
                    return [
                        sorted(t.name for t in (await c.list_tools_mcp(cache_mode="bypass")).tools)
                        for _ in range(rounds)
                    ]

            async def staged(token: str) -> list:
                before = len(made)
                answer = await names(token)
                stages.append(len(made) - before)
                return answer

            async def go() -> list:
                answers = [await names(mint(["support"]))]  # the proxy's first listing settles
                answers.append(await staged(mint(["auditor"])))
                answers.append(await staged(mint(["support"], jti="another-token")))

                @server.tool(annotations={"readOnlyHint": True})
                def nope() -> str:  # granted to "support" by the policy, now it exists
                    """A tool added while the proxy runs."""
                    return "here"

                answers.append(await names(mint(["support"])))
                fetched.update(upstream.count())
                proxy.upstream.list_ttl = 0.0  # ... until it is stale at every list
                answers.append(await staged(mint(["support"])))
                return answers

            answers = asyncio.run(go())
    return answers, stages, fetched


def test_a_kept_tools_list_answers_as_fastmcps_path_does(tmp_path, monkeypatch):
    fast, made, fast_upstream = listed(tmp_path, monkeypatch, relay=True)
    slow, none, slow_upstream = listed(tmp_path, monkeypatch, relay=False)
    assert fast == slow
    assert none == [0, 0, 0]
    support = ["describe", "get_customer", "is_known_email"]
    assert fast[0] == [support] * 3
    assert fast[1] == [["describe"]] * 3  # another caller never gets a kept answer of others
    assert fast[2] == [support] * 3
    assert fast[4] == [sorted([*support, "nope"])] * 3
    # FastMCP's path made one answer per caller token while the listing held; with the
    # listing stale at every list, each is made afresh (nothing kept is served).
    assert made == [1, 1, 3]
    # Kept answers cost the upstream nothing more: it was listed as often as without them.
    assert fast_upstream.get("POST tools/list") == slow_upstream.get("POST tools/list")
