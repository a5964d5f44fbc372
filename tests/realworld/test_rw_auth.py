"""Issue 13, item 8: credentials come from the server's environment, never from the agent.

Slack's `token` (a header or query parameter on most operations, an OAuth2 token) was a
required argument of every tool; Zoho's OAuth2 scheme (a remote `$ref`) gave a server with no
credential at all. Now a parameter a security scheme supplies is never an argument (sent by the
runtime where the spec requires it), and every scheme has a credential path the build report
and the generated README name.
"""

from __future__ import annotations

import asyncio
import io

import pytest
import yaml
from conftest import shared_spec, shared_spec_names
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan import plan
from adaptgen.report import credential_source, print_report
from adaptgen.sandbox.server import serve_app

SPECS = shared_spec_names() or ["slack_web_v2_swagger.json"]  # the latter skips with a reason
TOKEN = "xoxb-test-credential"


def open_policy(tmp_path):
    """A policy file letting every caller use every tool, writes included (audit off)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "identity": {"allow_anonymous": True, "anonymous_groups": ["all"]},
                "access": {"rules": [{"allow": ["*"], "writes": True}]},
                "audit": {"sink": "none"},
            }
        )
    )
    return policy


def test_slack_token_is_sent_by_the_server_never_passed_by_the_agent(tmp_path, monkeypatch):
    report = build(
        BuildOptions(spec=shared_spec("slack_web_v2_swagger.json"), out=tmp_path, name="slack")
    )
    tools = {t.name: t for t in report.api.tools}
    assert not [t.name for t in tools.values() for p in t.params if p.api_name == "token"]
    assert list(report.api.info.env).count("SLACK_SLACK_AUTH_TOKEN") == 1
    post = tools["post_chat_message"]
    by_query = next(
        t
        for t in tools.values()
        if t.method == "GET"
        and any("slackAuth.query.token" in alt for alt in t.upstream.security or ())
        and not any(p.required for p in t.params)
    )
    seen: list[Request] = []

    async def record(request: Request) -> JSONResponse:
        seen.append(request)
        return JSONResponse({"ok": True})

    routes = [Route(post.path, record, methods=["POST"]), Route(by_query.path, record)]
    with serve_app(Starlette(routes=routes)) as url:
        monkeypatch.setenv("SLACK_BASE_URL", url)
        monkeypatch.setenv("SLACK_SLACK_AUTH_TOKEN", TOKEN)
        monkeypatch.setenv("SLACK_POLICY", str(open_policy(tmp_path)))
        module = load_server_module(report.out_dir)

        async def calls():
            async with Client(module.mcp) as client:
                sent = await client.call_tool(post.name, {"channel": "C1", "text": "hi"})
                read = await client.call_tool(by_query.name, {})
                return sent, read

        sent, read = asyncio.run(calls())
        # Without the token the agent is told which variable the server lacks, and that a
        # stdio client (the Inspector) passes only the variables it is given.
        monkeypatch.delenv("SLACK_SLACK_AUTH_TOKEN")

        async def without():
            async with Client(module.mcp) as client:
                return await client.call_tool(by_query.name, {}, raise_on_error=False)

        missing = asyncio.run(without())
    assert missing.is_error and len(seen) == 2  # never sent
    said = missing.content[0].text
    assert "set SLACK_SLACK_AUTH_TOKEN in the server's environment" in said
    assert "`-e NAME=value`" in said
    assert not sent.is_error and not read.is_error
    posted, listed = seen
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert posted.headers["token"] == TOKEN  # where the spec requires it too
    assert listed.headers["authorization"] == f"Bearer {TOKEN}"
    assert listed.query_params["token"] == TOKEN


def test_zoho_oauth2_only_spec_gets_a_documented_token_variable(tmp_path):
    report = build(
        BuildOptions(spec=shared_spec("zoho_crm_record_v8.json"), out=tmp_path, name="zoho")
    )
    env = "ZOHO_IAM_OAUTH2_SCHEMA_TOKEN"
    assert env in list(report.api.info.env)
    assert any(env in w.message and w.location.line for w in report.warnings)
    out = io.StringIO()
    print_report(report, out=out)
    text = out.getvalue()
    assert "credentials, per security scheme:" in text
    assert f"iam-oauth2-schema: bearer token in {env}" in text
    assert env in report.files["README.md"]


@pytest.mark.parametrize("name", SPECS)
def test_every_security_scheme_has_a_credential_path(name):
    api = plan(load_spec(shared_spec(name)), "api").api
    used = {s for t in api.tools for alt in t.upstream.security or () for s in alt}
    used |= {s for alt in api.info.security for s in alt}
    schemes = {s.name: s for s in api.info.security_schemes}
    assert used <= schemes.keys()
    for scheme in schemes.values():
        source = credential_source(scheme)
        assert all(env in source for env in scheme.env), (scheme.name, source)
    keyed = {(s.location, (s.param_name or "").lower()) for s in schemes.values() if s.location}
    for tool in api.tools:
        assert not {(p.location, p.api_name.lower()) for p in tool.params} & keyed, tool.name
