"""The governance stack over the real HTTP transport, in front of the generated CRM server.

A real IdP is stood in for by RSA keys the test mints JWTs with; the server verifies them, picks
tools per group, tokenizes PII, audits every call and traces upstream requests to the sandbox.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import yaml
from conftest import ROOT, result_data
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastmcp import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adaptgen.runtime import telemetry
from adaptgen.runtime.governance.audit import AuditLog
from adaptgen.runtime.governance.policy import AuditPolicy
from adaptgen.runtime.identity import Caller
from adaptgen.runtime.shape import estimate_tokens
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, RunningSandbox, running
from adaptgen.sandbox.server import serve_app

ISSUER = "https://idp.test/"
AUDIENCE = "crm-mcp"
SPANS = InMemorySpanExporter()


def _keypair() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


PRIVATE, PUBLIC = _keypair()
OTHER_PRIVATE, _ = _keypair()


def mint(groups: list[str], *, key: bytes = PRIVATE, **overrides: object) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": f"user-{'-'.join(groups) or 'none'}",
        "cognito:groups": groups,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256")


def unsigned(groups: list[str]) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    now = int(time.time())
    body = json.dumps(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "mallory",
            "exp": now + 600,
            "cognito:groups": groups,
        }
    ).encode()
    return f"{header}.{base64.urlsafe_b64encode(body).rstrip(b'=').decode()}."


# The test IdP's identity block: JWTs minted by `mint`, groups in `cognito:groups`.
JWT_IDENTITY = {
    "jwt": {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "keys": [PUBLIC],
        "algorithms": ["RS256"],
        "groups_claim": "cognito:groups",
    }
}
AUDIT_FIELDS = {
    "request_id",
    "timestamp",
    "caller",
    "tool",
    "arguments_hmac",
    "latency_ms",
    "upstream_status",
    "result_status",
    "policy_decision",
    "tokenized",
}


def policy(tmp: Path) -> Path:
    document = {
        "identity": JWT_IDENTITY,
        "access": {
            "rules": [
                {
                    "groups": ["sales"],
                    "allow": [
                        "list_*",
                        "get_*",
                        "search_records",
                        "open_deals_for_email",
                        "update_deal_stage",
                    ],
                    "writes": True,
                },
                {
                    "groups": ["support"],
                    "allow": ["list_contacts", "get_contact", "search_records", "list_activities"],
                },
                {"groups": ["admin"], "allow": ["*"], "writes": True, "destructive": True},
            ]
        },
        "rate_limits": {"per_user": {"per_minute": 1000, "burst": 500}},
        "pii": {"key": "${env:GOV_PII_KEY}", "clear_for_groups": ["admin"]},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
    }
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def load_generated(name: str, file: str = "server.py"):
    """Import generated/crm/<file> as its own module (one server instance per call)."""
    module_name = f"crm_governed_{name}_{uuid.uuid4().hex[:6]}"
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "generated/crm" / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def record_spans(exporter: InMemorySpanExporter) -> None:
    """Finished spans go to `exporter` too (the process has one tracer provider)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    record_spans(SPANS)
    tmp = tmp_path_factory.mktemp("governance")
    with governed_crm(tmp) as sandbox:
        module = load_generated("http")
        with serve_app(module.mcp.http_app(path="/mcp"), lifespan=True) as url:
            yield sandbox, f"{url}/mcp", tmp / "audit.jsonl"


@contextlib.contextmanager
def governed_crm(tmp: Path, policy_file: Path | None = None) -> Iterator[RunningSandbox]:
    """The sandbox CRM (session login) and the env a governed CRM server reads, for the block
    (`policy_file`: another policy than `policy`; its PII key is `${env:GOV_PII_KEY}`)."""
    saved = dict(os.environ)
    try:
        with running(require_session=True) as sandbox:
            for key in [k for k in os.environ if k.startswith("CRM_")]:
                os.environ.pop(key)
            os.environ.update(
                CRM_BASE_URL=sandbox.url,
                CRM_USERNAME=SANDBOX_USERNAME,
                CRM_PASSWORD=SANDBOX_PASSWORD,
                CRM_POLICY=str(policy_file or policy(tmp)),
                GOV_PII_KEY=base64.b64encode(os.urandom(64)).decode(),
            )
            yield sandbox
    finally:
        os.environ.clear()
        os.environ.update(saved)


def session(url: str, token: str | None, calls: list[tuple[str, dict]]):
    async def go():
        async with Client(url, auth=token) as client:
            listed = await client.list_tools()
            results = [
                await client.call_tool(tool, args, raise_on_error=False) for tool, args in calls
            ]
            return [t.name for t in listed], results

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("label", "token", "reason"),
    [
        ("forged", lambda: mint(["admin"], key=OTHER_PRIVATE), "signature"),
        ("expired", lambda: mint(["admin"], exp=int(time.time()) - 3600), "expired"),
        ("wrong audience", lambda: mint(["admin"], aud="someone-else"), "audience"),
        ("alg none", lambda: unsigned(["admin"]), "algorithm"),
        ("no token", lambda: None, "bearer token is required"),
    ],
)
def test_bad_tokens_are_rejected(setup, label, token, reason):
    _, url, audit = setup

    async def go():
        async with Client(url, auth=token()) as client:
            result = await client.call_tool("list_contacts", {"limit": 1}, raise_on_error=False)
            with pytest.raises(Exception):  # noqa: B017 - any JSON-RPC error will do
                await client.list_tools()
            return result

    result = asyncio.run(go())
    assert result.is_error, label
    text = result.content[0].text
    assert text.startswith("unauthenticated") and reason in text.lower(), text
    last = json.loads(audit.read_text().splitlines()[-1])
    assert last["result_status"] == "unauthenticated" and last["tool"] == "list_contacts"


def test_each_group_sees_and_calls_only_its_tools(setup):
    _, url, _ = setup
    sales, _ = session(url, mint(["sales"]), [])
    support, results = session(
        url,
        mint(["support"]),
        [
            ("update_deal_stage", {"deal_id": 5001, "stage": "won"}),
            ("delete_contact", {"contact_id": 1001}),
        ],
    )
    admin, _ = session(url, mint(["admin"]), [])
    assert "update_deal_stage" in sales and "delete_contact" not in sales
    assert "create_company" not in sales  # not granted
    assert set(support) == {"list_contacts", "get_contact", "search_records", "list_activities"}
    assert "delete_contact" in admin and len(admin) > len(sales)
    for result in results:
        assert result.is_error and result.content[0].text.startswith("not allowed")


def known_pii(sandbox) -> set[str]:
    tables = sandbox.app.state.store.tables
    values: set[str] = set()
    for record in [*tables["contact"].values(), *tables["company"].values()]:
        for key in ("email", "secondary_email", "phone", "mobile"):
            if record.get(key):
                values.add(record[key])
        instrument = (record.get("billing") or {}).get("instrument") or {}
        if instrument.get("number"):
            values.add(instrument["number"])
    return values


def test_no_known_pii_reaches_the_model_audit_or_spans(setup):
    sandbox, url, audit = setup
    SPANS.clear()
    calls = [
        ("list_contacts", {"limit": 60}),
        ("get_contact", {"contact_id": 1001}),
        ("get_company", {"company_id": 201}),
        ("list_companies", {"limit": 60}),
        (
            "open_deals_for_email",
            {"email": sandbox.app.state.store.tables["contact"][1001]["email"]},
        ),
    ]
    _, results = session(url, mint(["sales"]), calls)
    texts = [r.content[0].text for r in results]
    assert not any(r.is_error for r in results), texts
    assert "<pii:" in texts[0]
    spans = json.dumps(
        [dict(s.attributes or {}) | {"name": s.name} for s in SPANS.get_finished_spans()]
    )
    everything = "\n".join([*texts, audit.read_text(), spans])
    leaked = sorted(v for v in known_pii(sandbox) if v in everything)
    assert leaked == []
    # The control: admins are allowed clear values, so the same check would catch a leak.
    _, clear = session(url, mint(["admin"]), calls[:1])
    assert any(v in clear[0].content[0].text for v in known_pii(sandbox))


def test_the_budget_holds_with_pii_tokens_and_the_cursor_loses_nothing(setup):
    """A token is longer than the value it stands for, so records are tokenized before the
    token budget is applied: what the model reads stays within the budget, and next_cursor
    continues exactly after the last record shown."""
    sandbox, url, _ = setup
    catalog = json.loads((ROOT / "generated/crm/catalog.json").read_text())
    budget = next(t for t in catalog["tools"] if t["name"] == "list_contacts")["shape"]
    budget = budget["max_tokens"]

    async def pages():
        texts, cursor = [], None
        async with Client(url, auth=mint(["sales"])) as client:
            while len(texts) < 4:
                arguments = {"limit": 100} | ({"cursor": cursor} if cursor else {})
                result = await client.call_tool("list_contacts", arguments)
                texts.append(result.content[0].text)
                cursor = result_data(texts[-1]).get("next_cursor")
        return texts

    texts = asyncio.run(pages())
    shown = [result_data(text)["items"] for text in texts]
    assert all(estimate_tokens(text) <= budget for text in texts), [
        estimate_tokens(t) for t in texts
    ]
    assert 0 < len(shown[0]) < 100 and "budget" in result_data(texts[0])["_note"]
    assert all(item["email"].startswith("<pii:email:") for page in shown for item in page)
    ids = [item["id"] for page in shown for item in page]
    assert ids == sorted(sandbox.app.state.store.tables["contact"])[: len(ids)]


def test_a_token_in_arguments_reaches_the_upstream_as_the_real_value(setup):
    sandbox, url, _ = setup
    _, (listed,) = session(url, mint(["sales"]), [("list_contacts", {"limit": 1})])
    contact = result_data(listed.content[0].text)["items"][0]
    assert contact["email"].startswith("<pii:")
    _, (found,) = session(url, mint(["sales"]), [("search_records", {"q": contact["email"]})])
    real = sandbox.app.state.store.tables["contact"][contact["id"]]["email"]
    searches = [r for r in sandbox.request_log if r["path"].endswith("/search")]
    assert real.replace("@", "%40") in searches[-1]["query"]
    assert contact["id"] in result_data(found.content[0].text)["ids"]
    _, (forged,) = session(url, mint(["sales"]), [("search_records", {"q": "<pii:email:AAAA>"})])
    assert forged.is_error and "token" in forged.content[0].text


def test_traceparent_arrives_at_the_sandbox(setup):
    sandbox, url, _ = setup
    SPANS.clear()
    session(url, mint(["sales"]), [("get_company", {"company_id": 202})])
    request = [r for r in sandbox.request_log if r["path"].endswith("/companies/202")][-1]
    traceparent = request["headers"]["traceparent"]
    trace_id = traceparent.split("-")[1]
    spans = SPANS.get_finished_spans()
    client_spans = [s for s in spans if s.kind == trace.SpanKind.CLIENT]
    assert any(format(s.context.trace_id, "032x") == trace_id for s in client_spans)
    tool_span = next(s for s in spans if s.name == "execute_tool get_company")
    assert tool_span.attributes["gen_ai.tool.name"] == "get_company"
    assert tool_span.attributes["adaptgen.decision"] == "allow"


def test_tool_span_records_caller_and_outcome_without_the_subject(setup):
    _, url, _ = setup
    SPANS.clear()
    session(url, mint(["sales"]), [("get_contact", {"contact_id": 1001})])
    span = next(s for s in SPANS.get_finished_spans() if s.name == "execute_tool get_contact")
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["adaptgen.caller.groups"] == ("sales",)
    assert attributes["adaptgen.caller"] == telemetry.subject_hash("user-sales")
    assert "user-sales" not in json.dumps(attributes)
    assert attributes["adaptgen.decision"] == "allow"
    assert attributes["adaptgen.result_status"] == "ok"
    assert attributes["adaptgen.pii.tokenized"] > 0
    # A refused call is recorded too, with its status.
    SPANS.clear()
    session(url, mint(["support"]), [("update_deal_stage", {"deal_id": 1, "stage": "won"})])
    span = next(s for s in SPANS.get_finished_spans() if s.name.startswith("execute_tool"))
    assert span.attributes["adaptgen.result_status"] == "denied"
    assert span.attributes["adaptgen.decision"].startswith("deny")


def test_audit_lines_have_every_field_and_no_arguments(setup):
    _, url, audit = setup
    email_token_call = ("search_records", {"q": "Pinecrest"})
    session(url, mint(["sales"]), [email_token_call])
    line = json.loads(audit.read_text().splitlines()[-1])
    assert set(line) == AUDIT_FIELDS
    assert line["caller"] == {"subject": "user-sales", "groups": ["sales"]}
    assert line["upstream_status"] == 200 and line["result_status"] == "ok"
    assert "Pinecrest" not in audit.read_text()


def test_audit_file_lines_are_appended_whole_by_every_writer(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text('{"earlier":"line"}\n')
    policy = AuditPolicy(sink="file", path=str(path))
    first, second = AuditLog(policy, key=b"k" * 32), AuditLog(policy, key=b"k" * 32)
    line = {
        "caller": Caller(subject="ana@example.com", groups=("sales",)),
        "tool": "get_contact",
        "latency_ms": 1.23456,
        "upstream_status": 200,
        "result_status": "ok",
        "policy_decision": "allow",
        "tokenized": 2,
    }
    a = first.record(request_id="r1", arguments={"b": 2, "a": "é"}, **line)
    b = second.record(request_id="r2", arguments={"a": "é", "b": 2}, **line)
    first.record(request_id="r3", arguments={"a": "other"}, **line)
    lines = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert [entry.get("request_id") for entry in lines] == [None, "r1", "r2", "r3"]
    assert lines[1] == a and lines[1]["latency_ms"] == 1.235
    # Same key, same arguments in any order: the same HMAC; never the arguments themselves.
    assert a["arguments_hmac"] == b["arguments_hmac"] != lines[3]["arguments_hmac"]
    assert "é" not in path.read_text(encoding="utf-8")
    first.close()
    first.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        first.record(request_id="r4", arguments={}, **line)
    second.close()
