"""`adaptgen proxy` speaks to its upstream with its own credentials, never the caller's.

The MCP authorization spec forbids token passthrough. A loopback upstream records every request
it receives; the caller sends a JWT, a cookie and a custom header through the proxy, and none
of them may arrive upstream. What arrives is what the policy's `upstream.auth` names: a static
bearer or header, an OAuth2 client-credentials token, or (explicitly) an RFC 8693 exchanged token.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from auth_servers import TokenServer
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from mcp_upstream import RecordingUpstream
from test_governance import JWT_IDENTITY, mint

from adaptgen.runtime.governance.policy import PolicyError, load_policy
from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

UPSTREAM_TOKEN = "upstream-service-token-7f3a9c"
CLIENT_SECRET = "proxy-client-secret-51d2"


def write_policy(tmp_path: Path, upstream: dict[str, Any]) -> Path:
    document = {
        "identity": JWT_IDENTITY,
        "access": {"rules": [{"groups": ["support"], "allow": ["*"]}]},
        "audit": {"sink": "none"},
        "upstream": upstream,
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def call_through_proxy(upstream: RecordingUpstream, policy: Path, caller_jwt: str) -> str:
    """List and call through the proxy (over HTTP) as the caller; the call's text."""
    with (
        upstream.running(),
        serve_app(
            build_proxy(upstream.url, policy).http_app(path="/mcp"), lifespan=True
        ) as proxy_url,
    ):
        transport = StreamableHttpTransport(
            f"{proxy_url}/mcp",
            auth=caller_jwt,
            headers={"Cookie": "session=caller-cookie-93", "X-Caller-Secret": "caller-extra-88"},
        )

        async def go() -> str:
            async with Client(transport) as client:
                await client.list_tools()
                result = await client.call_tool("echo", {"value": 7})
                return result.content[0].text

        return asyncio.run(go())


def assert_nothing_of_the_callers(upstream: RecordingUpstream, caller_jwt: str) -> None:
    assert upstream.requests, "the upstream saw no request"
    for seen in upstream.requests:
        values = " ".join(seen.headers.values())
        assert caller_jwt not in values
        assert "caller-cookie-93" not in values and "cookie" not in seen.headers
        assert "caller-extra-88" not in values


def test_a_static_bearer_replaces_the_callers_jwt(tmp_path, monkeypatch):
    monkeypatch.setenv("UPSTREAM_TOKEN", UPSTREAM_TOKEN)
    upstream = RecordingUpstream()
    caller = mint(["support"])
    policy = write_policy(tmp_path, {"auth": {"bearer": "${env:UPSTREAM_TOKEN}"}})
    assert '"value":7' in call_through_proxy(upstream, policy, caller).replace(" ", "")
    assert_nothing_of_the_callers(upstream, caller)
    assert {s.headers.get("authorization") for s in upstream.requests} == {
        f"Bearer {UPSTREAM_TOKEN}"
    }


def test_no_upstream_auth_sends_no_authorization_at_all(tmp_path):
    upstream = RecordingUpstream()
    caller = mint(["support"])
    call_through_proxy(upstream, write_policy(tmp_path, {}), caller)
    assert_nothing_of_the_callers(upstream, caller)
    assert not any("authorization" in s.headers for s in upstream.requests)


def test_a_static_header_from_an_env_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("UPSTREAM_KEY", "sk-upstream-0042")
    upstream = RecordingUpstream()
    caller = mint(["support"])
    header = {"name": "X-Api-Key", "value": "${env:UPSTREAM_KEY}"}
    call_through_proxy(upstream, write_policy(tmp_path, {"auth": {"header": header}}), caller)
    assert_nothing_of_the_callers(upstream, caller)
    assert {s.headers.get("x-api-key") for s in upstream.requests} == {"sk-upstream-0042"}
    assert not any("authorization" in s.headers for s in upstream.requests)


@pytest.fixture
def idp():
    server = TokenServer(clients={"adaptgen-proxy": CLIENT_SECRET})
    with serve_app(server.app) as url:
        yield url, server


def test_oauth2_client_credentials_get_the_proxy_its_own_token(tmp_path, monkeypatch, idp):
    url, server = idp
    monkeypatch.setenv("PROXY_CLIENT_SECRET", CLIENT_SECRET)
    oauth = {
        "token_url": f"{url}/token",
        "client_id": "adaptgen-proxy",
        "client_secret": "${env:PROXY_CLIENT_SECRET}",
        "scopes": ["read"],
    }
    upstream = RecordingUpstream()
    caller = mint(["support"])
    policy = write_policy(tmp_path, {"auth": {"oauth2_client_credentials": oauth}})
    call_through_proxy(upstream, policy, caller)
    assert_nothing_of_the_callers(upstream, caller)
    sent = {s.headers.get("authorization") for s in upstream.requests}
    assert len(sent) == 1 and server.issued == 1  # one token, reused by every request
    token = sent.pop().removeprefix("Bearer ")
    assert server.tokens[token].kind == "client"
    assert CLIENT_SECRET not in str([s.headers for s in upstream.requests])


def test_token_exchange_sends_an_exchanged_token_never_the_callers(tmp_path, monkeypatch, idp):
    url, server = idp
    caller = mint(["support"])
    server.caller_tokens[caller] = "user-support"
    monkeypatch.setenv("PROXY_CLIENT_SECRET", CLIENT_SECRET)
    exchange = {
        "token_url": f"{url}/token",
        "client_id": "adaptgen-proxy",
        "client_secret": "${env:PROXY_CLIENT_SECRET}",
        "audience": "upstream-mcp",
    }
    upstream = RecordingUpstream()
    policy = write_policy(tmp_path, {"auth": {"token_exchange": exchange}})
    call_through_proxy(upstream, policy, caller)
    assert_nothing_of_the_callers(upstream, caller)
    sent = {s.headers.get("authorization") for s in upstream.requests}
    assert len(sent) == 1
    issued = server.tokens[sent.pop().removeprefix("Bearer ")]
    assert (issued.kind, issued.subject, issued.audience) == (
        "exchanged",
        "user-support",
        "upstream-mcp",
    )


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        ({"auth": {"bearer": "sk-literal-token"}}, "upstream.auth.bearer: Value error, must be a"),
        (
            {"auth": {"header": {"name": "Cookie", "value": "${env:X}"}}},
            "'Cookie' is set by the MCP transport",
        ),
        (
            {"auth": {"bearer": "${env:T}", "sigv4": {"service": "s", "region": "r"}}},
            "give one of bearer",
        ),
        ({"auth": {"barer": "${env:T}"}}, "unknown key 'barer' (did you mean 'bearer'?)"),
    ],
)
def test_upstream_policy_errors_are_located(tmp_path, upstream, message):
    path = write_policy(tmp_path, upstream)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}:")
    assert message in str(caught.value)
    assert "sk-literal-token" not in str(caught.value)
