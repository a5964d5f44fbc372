"""The HTTP front door (adaptgen.runtime.governance.http_auth), through real MCP clients.

MCP's authorization spec: a caller without credentials gets 401 and a `WWW-Authenticate`
challenge naming the protected resource metadata (RFC 9728), which tells a standard client who
issues tokens; a bad token gets 401 `invalid_token`; a verified caller no rule admits gets 403
`insufficient_scope`; a caller refused one tool gets a tool error inside a 200. The same layer
fronts a generated server (`adaptgen serve`) and `adaptgen proxy`; the Lambda handler is pinned in
tests/test_lambda_handler.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import time
from collections.abc import Generator
from typing import Any

import httpx
import httpx2
import pytest
from conftest import ROOT, node_tool
from fastmcp import Client
from mcp.client.auth.utils import (
    build_protected_resource_metadata_discovery_urls,
    extract_field_from_www_auth,
    extract_resource_metadata_from_www_auth,
    handle_protected_resource_response,
)
from test_governance import ISSUER, governed_crm, load_generated, mint, policy

from adaptgen.runtime.governance.http_auth import (
    allowed_from_env,
    governance_of,
    governed_http_app,
    resource_metadata,
)
from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.policy import AccessPolicy, AccessRule, Policy
from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


class RecordingAuth(httpx2.Auth):
    """Sends an optional bearer token and keeps every response the MCP client got."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.responses: list[httpx2.Response] = []

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response]:
        if self.token:
            request.headers["authorization"] = f"Bearer {self.token}"
        response = yield request
        self.responses.append(response)


def plain_server() -> Any:
    """tests/fixtures/plain_server.py's FastMCP server, in this process (the proxy's upstream)."""
    path = ROOT / "tests" / "fixtures" / "plain_server.py"
    spec = importlib.util.spec_from_file_location("plain_server_http_auth", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.mcp


@pytest.fixture(scope="module", params=["serve", "proxy"])
def front(request, tmp_path_factory):
    """(MCP URL, audit file, server) for a governed CRM server or a proxy, behind the door."""
    tmp = tmp_path_factory.mktemp(f"front-{request.param}")
    with governed_crm(tmp):
        if request.param == "serve":
            server = load_generated("front").mcp
        else:
            server = build_proxy(plain_server(), policy(tmp))
        with serve_app(governed_http_app(server), lifespan=True) as url:
            yield f"{url}/mcp", tmp / "audit.jsonl", server


def post(url: str, message: dict, token: str | None = None) -> httpx.Response:
    headers = dict(ACCEPT) | ({"authorization": f"Bearer {token}"} if token else {})
    return httpx.post(url, json=message, headers=headers, timeout=30)


def tools_call(name: str) -> dict:
    params = {"name": name, "arguments": {"limit": 1}}
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}


def test_a_client_without_a_token_gets_401_and_discovers_who_issues_tokens(front):
    url, _, _ = front
    auth = RecordingAuth()

    async def connect() -> None:
        async with Client(url, auth=auth) as client:
            await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 - the client fails; what it saw is the point
        asyncio.run(connect())
    refused = auth.responses[-1]
    assert refused.status_code == 401
    assert extract_field_from_www_auth(refused, "error") is None  # RFC 6750 3.1: no credentials
    # What the MCP SDK's OAuth client does next (SEP-985 discovery), on our real answers.
    announced = extract_resource_metadata_from_www_auth(refused)
    assert announced == url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    found = []
    for candidate in build_protected_resource_metadata_discovery_urls(announced, url):
        found.append(
            asyncio.run(handle_protected_resource_response(httpx2.get(candidate, timeout=30)))
        )
    assert len(found) == 3 and found[0] == found[1] == found[2]  # header, path and root URLs
    metadata = found[0]
    assert str(metadata.resource) == url
    assert [str(s) for s in metadata.authorization_servers] == [ISSUER]
    assert metadata.bearer_methods_supported == ["header"]


def test_a_token_that_fails_verification_gets_401_invalid_token_and_is_audited(front):
    url, audit, _ = front
    expired = mint(["sales"], exp=int(time.time()) - 3600)
    answer = post(url, tools_call("get_customer"), expired)
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert extract_field_from_www_auth(answer, "error") == "invalid_token"
    assert extract_field_from_www_auth(answer, "error_description") == "token expired"
    assert "resource_metadata=" in challenge and expired not in challenge + answer.text
    line = json.loads(audit.read_text().splitlines()[-1])
    assert line["tool"] == "get_customer" and line["result_status"] == "unauthenticated"


def test_a_verified_caller_no_rule_admits_gets_403(front):
    url, audit, _ = front
    answer = post(url, tools_call("get_customer"), mint(["nobody"]))
    assert answer.status_code == 403
    assert extract_field_from_www_auth(answer, "error") == "insufficient_scope"
    assert "resource_metadata=" in answer.headers["www-authenticate"]
    line = json.loads(audit.read_text().splitlines()[-1])
    assert line["result_status"] == "denied" and line["caller"]["groups"] == ["nobody"]


def test_a_valid_token_works_and_a_refused_tool_stays_a_tool_error(front):
    url, _, server = front
    auth = RecordingAuth(mint(["sales"]))

    async def session() -> tuple[list[str], Any]:
        async with Client(url, auth=auth) as client:
            names = [t.name for t in await client.list_tools()]
            refused = await client.call_tool(
                "delete_customer" if "get_customer" in names else "delete_contact",
                {"customer_id": 1} if "get_customer" in names else {"contact_id": 1},
                raise_on_error=False,
            )
            return names, refused

    names, refused = asyncio.run(session())
    assert "get_customer" in names or "get_contact" in names
    assert refused.is_error and refused.content[0].text.startswith("not allowed")
    assert {r.status_code for r in auth.responses} <= {200, 202}


def test_each_request_verifies_its_token_once(front, monkeypatch):
    """The front door leaves the verified caller in the request state for the governance
    layers, which would otherwise verify the same token again for every tool call."""
    url, _, server = front
    verifier = governance_of(server).verifier
    verified = []
    real = verifier.verify

    async def counting(token: str) -> Any:
        verified.append(token)
        return await real(token)

    monkeypatch.setattr(verifier, "verify", counting)
    auth = RecordingAuth(mint(["sales"]))

    async def session() -> None:
        async with Client(url, auth=auth) as client:
            tool = next(t.name for t in await client.list_tools() if t.name.startswith("get_"))
            argument = "customer_id" if tool == "get_customer" else "company_id"
            await client.call_tool(tool, {argument: 1}, raise_on_error=False)

    asyncio.run(session())
    assert len(verified) == len(auth.responses) > 0


def test_metadata_names_the_scopes_the_rules_grant():
    rules = [AccessRule(scopes=["crm:read"], allow=["get_*"]), AccessRule(groups=["x"])]
    governance = Governance(Policy(access=AccessPolicy(rules=rules)), name="crm")
    document = resource_metadata(governance, "https://mcp.example.com/mcp")
    assert document["scopes_supported"] == ["crm:read"]
    assert document["authorization_servers"] == []  # no JWT configured: none to name
    assert document["resource"] == "https://mcp.example.com/mcp"


def test_a_refused_tools_list_is_answered_without_a_logged_traceback(tmp_path, caplog):
    """Issue 12 item 16: every refused tools/list used to log a 6 KB traceback (the MCP SDK logs
    any exception that is not an MCPError). Served without the front door, so the refusal
    comes from the governance layers themselves."""
    with governed_crm(tmp_path):
        server = load_generated("no-front").mcp
        with serve_app(server.http_app(path="/mcp"), lifespan=True) as url:

            async def lists() -> list[str]:
                errors = []
                for _ in range(10):
                    async with Client(f"{url}/mcp") as client:
                        try:
                            await client.list_tools()
                        except Exception as exc:  # noqa: BLE001 - the message is checked
                            errors.append(str(exc))
                return errors

            with caplog.at_level(logging.INFO):
                errors = asyncio.run(lists())
    assert len(errors) == 10 and all("a bearer token is required" in e for e in errors), errors
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert tracebacks == []
    logged = sum(len(r.getMessage()) for r in caplog.records)
    assert logged < 2000, [r.getMessage() for r in caplog.records][:5]


def test_the_mcp_inspector_reports_the_auth_requirement(front, tmp_path):
    """The MCP Inspector CLI recognises the 401 as "log in first", and works with a token.
    `--stored-auth-only`: it never starts an OAuth flow (which would leave loopback)."""
    import os
    import subprocess

    url, _, _ = front
    inspector = node_tool("mcp-inspector")
    env = {**os.environ, "HOME": str(tmp_path), "MCP_CATALOG_PATH": str(tmp_path / "mcp.json")}

    def inspect(*extra: str) -> subprocess.CompletedProcess:
        command = [str(inspector), "--cli", url, "--transport", "http", "--stored-auth-only"]
        return subprocess.run(
            [*command, "--method", "tools/list", *extra],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    refused = inspect()
    assert refused.returncode != 0
    assert json.loads(refused.stderr.strip().splitlines()[-1])["error"]["code"] == "auth_required"
    listed = inspect("--header", f"Authorization: Bearer {mint(['sales'])}")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert json.loads(listed.stdout)["tools"]


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "rebinding-test", "version": "1"},
    },
}


def status_for(url: str, **headers: str) -> int:
    """The status of an initialize sent with `headers` (host, origin) set as given."""
    return httpx.post(url, json=INITIALIZE, headers=dict(ACCEPT) | headers, timeout=30).status_code


def test_a_loopback_server_refuses_rebound_hosts_and_foreign_origins(front):
    """DNS rebinding: a page on evil.example.com whose name now points at 127.0.0.1 must not
    reach the server (serve and proxy, behind the same front door)."""
    url, _, _ = front
    port = url.split(":")[2].split("/")[0]
    assert status_for(url, host="evil.example.com") == 421
    assert status_for(url, host=f"evil.example.com:{port}") == 421
    assert status_for(url, origin="http://evil.example.com") == 403
    assert status_for(url, host=f"localhost:{port}", origin=f"http://localhost:{port}") != 421
    assert status_for(url, host=f"127.0.0.1:{port}") not in (403, 421)


def test_named_hosts_and_origins_are_the_only_ones_answered(monkeypatch):
    """A deployment names its public host (a Lambda Function URL, a load balancer): that host
    and the loopback names are answered, nothing else, whatever the bind address."""
    monkeypatch.setenv("ADAPTGEN_ALLOWED_HOSTS", "mcp.example.com")
    monkeypatch.setenv("ADAPTGEN_ALLOWED_ORIGINS", "https://app.example.com")
    server = build_proxy(plain_server(), None)
    with serve_app(governed_http_app(server), lifespan=True) as base:
        url = f"{base}/mcp"
        assert status_for(url, host="mcp.example.com") not in (403, 421)
        assert status_for(url, host="mcp.example.com", origin="https://app.example.com") not in (
            403,
            421,
        )
        assert status_for(url, host="other.example.com") == 421
        assert status_for(url, host="mcp.example.com", origin="https://evil.example.com") == 403


def test_allowed_hosts_come_from_the_servers_own_variables_too(monkeypatch):
    monkeypatch.setenv("CRM_ALLOWED_HOSTS", "crm.example.com, *.crm.example.org")
    monkeypatch.setenv("ADAPTGEN_ALLOWED_HOSTS", "shared.example.com")
    monkeypatch.delenv("ADAPTGEN_ALLOWED_ORIGINS", raising=False)
    assert allowed_from_env("CRM") == (
        ["crm.example.com", "*.crm.example.org", "shared.example.com"],
        None,
    )
    assert allowed_from_env(None) == (["shared.example.com"], None)
