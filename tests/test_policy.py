"""Governance policy files, access rules (and Cedar), metrics as EMF lines, OTLP export."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from conftest import ROOT
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from test_governance import load_generated

from adaptgen.runtime.governance.access import AccessControl, ToolFacts
from adaptgen.runtime.governance.policy import PolicyError, load_policy, safe_default
from adaptgen.runtime.identity import Caller
from adaptgen.runtime.telemetry import Metrics
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running
from adaptgen.sandbox.server import serve_app

READ = ToolFacts("get_contact", read_only=True, destructive=False)
WRITE = ToolFacts("log_activity", read_only=False, destructive=False)
DELETE = ToolFacts("delete_contact", read_only=False, destructive=True)


def test_the_crm_policy_is_valid_and_means_what_it_says():
    policy = load_policy(ROOT / "specs" / "crm.governance.yaml")
    access = AccessControl(policy.access)
    sales = Caller("s", ("sales",))
    support = Caller("u", ("support",))
    interns = Caller("i", ("interns",))
    admin = Caller("a", ("admin",))
    assert access.decide(sales, WRITE).allowed and not access.decide(sales, DELETE).allowed
    assert access.decide(support, READ).allowed
    assert not access.decide(support, ToolFacts("update_deal_stage", False, False)).allowed
    assert not access.decide(interns, READ).allowed  # get_contact is denied to interns
    assert access.decide(interns, ToolFacts("get_company", True, False)).allowed
    assert access.decide(admin, DELETE).allowed
    assert not access.decide(Caller("x", ("nobody",)), READ).allowed
    (rule,) = policy.arguments.rules
    assert rule.groups == ["interns"] and rule.arguments["lifecycle_stage"].values == ["lead"]


def test_safe_default_is_read_only():
    access = AccessControl(safe_default().access)
    anonymous = Caller("anonymous", ("anonymous",))
    assert access.decide(anonymous, READ).allowed
    decision = access.decide(anonymous, WRITE)
    assert not decision.allowed and "writes" in decision.reason
    assert safe_default().pii.enabled and safe_default().rate_limits.per_user is not None


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("acess:\n  rules: []\n", ":1:1:", "unknown key 'acess' (did you mean 'access'?)"),
        (
            "access:\n  rules:\n    - groups: [a]\n      alow: ['*']\n",
            ":4:7:",
            "unknown key 'alow' (did you mean 'allow'?)",
        ),
        ("rate_limits:\n  backend: redis\n", ":1:", "backend redis needs redis_url"),
        (
            "identity:\n  jwt:\n    algorithms: [none]\n    keys: [x]\n",
            ":3:",
            "algorithm 'none' can never be allowed",
        ),
        ("identity: [\n", ":2:", "invalid YAML"),
    ],
)
def test_policy_errors_point_at_the_line(tmp_path, text, where, message):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value).startswith(str(path) + where), str(err.value)
    assert message in str(err.value)


def test_cedar_policies_are_checked_on_top_of_the_rules(tmp_path):
    (tmp_path / "crm.cedar").write_text(
        'permit(principal in Group::"sales", action == Action::"call", resource)\n'
        "when { resource.read_only };\n"
        'permit(principal in Group::"managers", action, resource);\n'
    )
    path = tmp_path / "policy.yaml"
    path.write_text(
        "access:\n  rules:\n    - allow: ['*']\n      writes: true\n"
        "  cedar: {policies: crm.cedar}\n"
    )
    access = AccessControl(load_policy(path).access, tmp_path)
    assert access.decide(Caller("s", ("sales",)), READ).allowed
    denied = access.decide(Caller("s", ("sales",)), WRITE)
    assert not denied.allowed and denied.reason == "denied by Cedar policy"
    assert access.decide(Caller("m", ("managers",)), WRITE).allowed


def test_emf_lines_on_lambda(capsys, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "crm-mcp")
    metrics = Metrics(load_policy_from_text("metrics: {emf: auto}\n").metrics, "adaptgen/crm")
    metrics.record("get_contact", ("sales",), "ok", 12.5, 3)
    line = json.loads(capsys.readouterr().out.strip())
    assert line["Tool"] == "get_contact" and line["Latency"] == 12.5 and line["Tokenizations"] == 3
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "adaptgen/crm"
    assert {m["Name"] for m in directive["Metrics"]} == {
        "Calls",
        "Errors",
        "Latency",
        "Tokenizations",
    }


def load_policy_from_text(text: str):
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(text)
    try:
        return load_policy(Path(handle.name))
    finally:
        os.unlink(handle.name)


RECEIVED: list[bytes] = []


async def otlp_traces(request: Request) -> Response:
    RECEIVED.append(await request.body())
    return Response(status_code=200)


def test_otlp_exporter_sends_spans_to_the_configured_collector(tmp_path):
    """A real OTLP/HTTP POST to a collector on 127.0.0.1, made by a fresh server process."""
    collector = Starlette(routes=[Route("/v1/traces", otlp_traces, methods=["POST"])])
    script = tmp_path / "call.py"
    script.write_text(
        "import asyncio, sys\n"
        "from fastmcp import Client\n"
        "from adaptgen.cli import load_server_module\n"
        "from pathlib import Path\n"
        "from opentelemetry import trace\n"
        "m = load_server_module(Path(sys.argv[1]))\n"
        "async def go():\n"
        "    async with Client(m.mcp) as c:\n"
        "        await c.call_tool('get_company', {'company_id': 201})\n"
        "asyncio.run(go())\n"
        "trace.get_tracer_provider().force_flush()\n"
    )
    with serve_app(collector) as url, running(require_session=True) as crm:
        policy = tmp_path / "policy.yaml"
        policy.write_text(
            "identity: {local: {subject: ops, groups: [ops]}}\n"
            "access: {rules: [{allow: ['*']}]}\n"
            f"tracing: {{exporter: otlp, endpoint: '{url}/v1/traces', service_name: crm-mcp}}\n"
            "audit: {sink: none}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env.update(
            CRM_BASE_URL=crm.url,
            CRM_USERNAME=SANDBOX_USERNAME,
            CRM_PASSWORD=SANDBOX_PASSWORD,
            CRM_POLICY=str(policy),
        )
        import subprocess
        import sys

        subprocess.run(
            [sys.executable, str(script), str(ROOT / "generated" / "crm")],
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
        )
    assert RECEIVED, "no OTLP export reached the collector"
    body = b"".join(RECEIVED)
    assert b"execute_tool get_company" in body and b"crm-mcp" in body
    assert b"GET /companies/{companyId}" in body


def test_stdio_calls_use_the_local_identity(tmp_path, monkeypatch):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "identity: {local: {subject: console, groups: [support]}}\n"
        "access:\n  rules:\n    - groups: [support]\n      allow: [get_company]\n"
        "audit: {sink: none}\n"
    )
    with running(require_session=True) as crm:
        for key in [k for k in os.environ if k.startswith("CRM_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("CRM_BASE_URL", crm.url)
        monkeypatch.setenv("CRM_USERNAME", SANDBOX_USERNAME)
        monkeypatch.setenv("CRM_PASSWORD", SANDBOX_PASSWORD)
        monkeypatch.setenv("CRM_POLICY", str(policy))
        module = load_generated("stdio")

        async def go():
            async with Client(module.mcp) as client:
                return [t.name for t in await client.list_tools()]

        assert asyncio.run(go()) == ["get_company"]
