"""OAuth 1.0a signed requests (RFC 5849): NetSuite's token-based authentication, Magento's and
WooCommerce's integration tokens, Jira Server's application links.

Every signature is checked by oauthlib (an independent implementation, in the dev tools only):
one request at a time with a fixed nonce and time, and end to end by a loopback API that
refuses a request whose signature oauthlib does not make the same, through the generated server
and an MCP client."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

import httpx2
import pytest
from conftest import result_data, serving
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.runtime.flows.oauth1 import OAuth1Auth, OAuth1Hints
from adaptgen.runtime.secrets import SecretResolver

ENV = {
    "NS_CONSUMER_KEY": "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
    "NS_CONSUMER_SECRET": "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9a8f5",
    "NS_TOKEN_ID": "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
    "NS_TOKEN_SECRET": "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
}
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PEM = RSA_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()


def _hints(method: str = "HMAC-SHA256", **more) -> OAuth1Hints:
    rsa_method = method.startswith("RSA")
    return OAuth1Hints(
        consumer_key="${env:NS_CONSUMER_KEY}",
        consumer_secret=None if rsa_method else "${env:NS_CONSUMER_SECRET}",
        token="${env:NS_TOKEN_ID}",
        token_secret=None if rsa_method else "${env:NS_TOKEN_SECRET}",
        private_key="${env:NS_PRIVATE_KEY}" if rsa_method else None,
        signature_method=method,
        **more,
    )


def _oauthlib(method: str, nonce: str, timestamp: str, realm: str | None = None) -> Client:
    rsa_method = method.startswith("RSA")
    return Client(
        ENV["NS_CONSUMER_KEY"],
        client_secret=None if rsa_method else ENV["NS_CONSUMER_SECRET"],
        resource_owner_key=ENV["NS_TOKEN_ID"],
        resource_owner_secret=None if rsa_method else ENV["NS_TOKEN_SECRET"],
        rsa_key=RSA_PEM if rsa_method else None,
        signature_method=method,
        nonce=nonce,
        timestamp=timestamp,
        realm=realm,
    )


def _signed(auth: OAuth1Auth, request: httpx2.Request) -> httpx2.Request:
    async def go() -> httpx2.Request:
        flow = auth.async_auth_flow(request)
        return await flow.__anext__()

    return asyncio.run(go())


@pytest.mark.parametrize("method", ["HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1", "RSA-SHA256"])
@pytest.mark.parametrize(
    ("verb", "url", "form"),
    [
        (
            "GET",
            "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer",
            None,
        ),
        (
            "GET",
            "https://shop.example:8443/wp-json/wc/v3/orders?status=on-hold&search=a b/c~ü",
            None,
        ),
        ("POST", "http://jira.corp.example/rest/api/2/issue?x=1&x=0", {"summary": "Disk 90% full"}),
    ],
)
def test_a_signature_is_what_oauthlib_makes(method, verb, url, form):
    env = {**ENV, "NS_PRIVATE_KEY": RSA_PEM}
    auth = OAuth1Auth(
        _hints(method, realm="1234567"),
        secrets=SecretResolver(env=env),
        clock=lambda: 1_764_520_000.0,
        nonce=lambda: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
    )
    request = httpx2.Request(verb, url, data=form)
    ours = parse_authorization_header(_signed(auth, request).headers["Authorization"])
    client = _oauthlib(
        method, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", "1764520000", "1234567"
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
    body = request.content.decode() if form else None
    _, theirs_headers, _ = client.sign(str(request.url), verb, body, headers)
    theirs = parse_authorization_header(theirs_headers["Authorization"])
    assert dict(ours) == dict(theirs)
    assert dict(ours)["realm"] == "1234567"


def test_plaintext_and_the_query_placement():
    auth = OAuth1Auth(
        _hints("PLAINTEXT", placement="query"),
        secrets=SecretResolver(env=ENV),
        clock=lambda: 1_764_520_000.0,
        nonce=lambda: "n0nce",
    )
    request = _signed(auth, httpx2.Request("GET", "https://api.example/v1/photos?tag=cat"))
    said = dict(request.url.params.multi_items())
    assert said["tag"] == "cat" and "Authorization" not in request.headers
    assert said["oauth_signature"] == f"{ENV['NS_CONSUMER_SECRET']}&{ENV['NS_TOKEN_SECRET']}"
    assert auth.secrets() and ENV["NS_TOKEN_SECRET"] in auth.secrets()
    assert ENV["NS_TOKEN_SECRET"] not in repr(auth)


def _app(calls: list) -> Starlette:
    async def customers(request: Request) -> JSONResponse:
        body = (await request.body()).decode()
        said = dict(parse_authorization_header(request.headers.get("authorization", "")))
        client = _oauthlib(
            said.get("oauth_signature_method", "HMAC-SHA256"),
            said.get("oauth_nonce", ""),
            said.get("oauth_timestamp", ""),
            said.get("realm"),
        )
        form = request.headers.get("content-type", "").startswith("application/x-www-form")
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        _, signed, _ = client.sign(str(request.url), request.method, body or None, headers)
        expected = dict(parse_authorization_header(signed["Authorization"]))["oauth_signature"]
        calls.append(said.get("oauth_nonce"))
        if said.get("oauth_signature") != expected:
            return JSONResponse({"error": "INVALID_LOGIN_ATTEMPT"}, status_code=401)
        created = dict(parse_qsl(body)) if form else None
        return JSONResponse({"items": [{"id": "107"}], "created": created})

    return Starlette(routes=[Route("/record/v1/customer", customers, methods=["GET", "POST"])])


def _spec(url: str) -> dict:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    query = {"name": "q", "in": "query", "schema": {"type": "string"}}
    form = {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"companyName": {"type": "string"}}}
            }
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "NetSuite", "version": "1"},
        "servers": [{"url": url}],
        "components": {"securitySchemes": {"tba": {"type": "http", "scheme": "oauth"}}},
        "security": [{"tba": []}],
        "x-agent": {
            "auth": {
                "*": {
                    "oauth1": {
                        "consumer_key": "${env:NS_CONSUMER_KEY}",
                        "consumer_secret": "${env:NS_CONSUMER_SECRET}",
                        "token": "${env:NS_TOKEN_ID}",
                        "token_secret": "${env:NS_TOKEN_SECRET}",
                        "signature_method": "HMAC-SHA256",
                        "realm": "1234567",
                    }
                }
            }
        },
        "paths": {
            "/record/v1/customer": {
                "get": {"operationId": "listCustomers", "parameters": [query], "responses": ok},
                "post": {"operationId": "createCustomer", "requestBody": form, "responses": ok},
            }
        },
    }


def test_every_call_is_signed_through_the_generated_server(tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    calls: list = []
    with serving(tmp_path, _app(calls), _spec, "netsuite") as (caller, out):
        listed = caller("list_customers", {"q": "companyName START_WITH Acme & Sons"})
        assert not listed.is_error, listed.content[0].text
        created = caller("create_customer", {"company_name": "Acme & Sons, Ltd."})
        assert not created.is_error, created.content[0].text
        assert result_data(created.content[0].text)["created"] == {
            "companyName": "Acme & Sons, Ltd."
        }
        monkeypatch.setenv("NS_TOKEN_SECRET", "not-the-secret")
        refused = caller("list_customers", {})
        assert refused.is_error and "401" in refused.content[0].text
        assert "not-the-secret" not in refused.content[0].text
    assert len(set(calls)) == len(calls) == 3  # a nonce per request
    catalog = json.loads((out / "catalog.json").read_text())
    (flow,) = catalog["api"]["auth"]
    assert flow["kind"] == "oauth1" and set(flow["env"]) == set(ENV)
    assert set(ENV) <= set(catalog["api"]["env"])  # the SAM template's parameters
