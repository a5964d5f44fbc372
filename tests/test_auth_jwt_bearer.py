"""OAuth 2.0 JWT-bearer assertions (RFC 7523), end to end against a real token endpoint.

The token endpoint on 127.0.0.1 *verifies* every assertion as an authorization server would: the
signature with the client's registered public key, `iss`/`sub`, `aud` = its own URL, `exp` in
the future, and a `jti` it has not seen (a replay is refused). Its `/items` resource takes only
the access tokens it issued. The flow runs through the generated server and an MCP client.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx2
import jwt
import pytest
import yaml
from conftest import result_data
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.errors import InputError
from adaptgen.runtime.flows import KINDS, AuthError
from adaptgen.runtime.flows.jwt_bearer import (
    JWT_BEARER_GRANT,
    JwtBearerAuth,
    JwtBearerConfig,
    JwtBearerFlow,
)
from adaptgen.runtime.secrets import SecretResolver
from adaptgen.sandbox.server import serve_app

ISSUER = "adaptgen-events"


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


@dataclass
class AssertionServer:
    """A token endpoint for the JWT-bearer grant and a resource that wants its tokens."""

    keys: dict[str, object]  # issuer -> public key
    url: str = ""
    expires_in: int = 3600
    assertions: list[dict] = field(default_factory=list)  # verified claims, in order
    refused: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    seen_jti: set[str] = field(default_factory=set)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/items", self.items),
                Route("/revoke", self.revoke, methods=["POST"]),
            ]
        )

    async def token(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("grant_type") != JWT_BEARER_GRANT:
            return self._error("unsupported_grant_type")
        assertion = form.get("assertion", "")
        issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        key = self.keys.get(issuer)
        try:
            claims = jwt.decode(
                assertion,
                key,  # type: ignore[arg-type]
                algorithms=["RS256", "ES256", "PS256"],
                audience=f"{self.url}/oauth/token",
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]},
            )
        except (jwt.InvalidTokenError, TypeError) as exc:
            self.refused.append(type(exc).__name__)
            return self._error("invalid_grant")
        if claims["jti"] in self.seen_jti:
            self.refused.append("replay")
            return self._error("invalid_grant")
        self.seen_jti.add(claims["jti"])
        self.assertions.append(
            {**claims, "scope": form.get("scope"), "header": jwt.get_unverified_header(assertion)}
        )
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        )

    async def items(self, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"items": [{"id": 1, "name": "first"}]})

    async def revoke(self, request: Request) -> JSONResponse:
        self.tokens.clear()
        return JSONResponse({})

    @staticmethod
    def _error(code: str) -> JSONResponse:
        return JSONResponse({"error": code, "error_description": "assertion refused"}, 400)


def spec(url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Events", "version": "1"},
        "servers": [{"url": url}],
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": f"{url}/oauth/token",
                            "scopes": {"read": "read"},
                        }
                    },
                }
            }
        },
        "security": [{"oauth": ["read"]}],
        "paths": {
            "/items": {
                "get": {"operationId": "listItems", "responses": {"200": {"description": "ok"}}}
            }
        },
    }


def _build(tmp_path, url: str, flow: dict):
    spec_file = tmp_path / "events.yaml"
    spec_file.write_text(yaml.safe_dump(spec(url)))
    (tmp_path / "events.hints.yaml").write_text(
        yaml.safe_dump({"auth": {"oauth": {"jwt_bearer": flow}}})
    )
    return build(BuildOptions(spec=spec_file, out=tmp_path / "g"))


HINT = {"issuer": ISSUER, "private_key": "${env:EVENTS_JWT_KEY}", "scopes": ["read"]}


def test_jwt_bearer_is_a_registered_kind():
    assert KINDS["jwt_bearer"] is JwtBearerFlow


def test_through_the_generated_server(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    server = AssertionServer(keys={ISSUER: RSA_KEY.public_key()})
    with serve_app(server.app) as url:
        server.url = url
        report = _build(tmp_path, url, HINT)
        (flow,) = report.api.info.auth
        assert (flow.kind, flow.config.token_url) == ("jwt_bearer", f"{url}/oauth/token")
        assert list(report.api.info.env) == ["EVENTS_BASE_URL", "EVENTS_TIMEOUT", "EVENTS_JWT_KEY"]
        assert flow.describe() == f"OAuth2 JWT bearer (RFC 7523, RS256) at {url}/oauth/token"
        pem = _pem(RSA_KEY)
        monkeypatch.setenv("EVENTS_JWT_KEY", pem)
        module = load_server_module(report.out_dir)

        async def session(times: int) -> list:
            async with Client(module.mcp) as client:
                return [await client.call_tool("list_items", {}) for _ in range(times)]

        results = asyncio.run(session(4))
        assert len(server.assertions) == 1  # one assertion, one token, four calls
        claims = server.assertions[0]
        assert (claims["iss"], claims["sub"], claims["scope"]) == (ISSUER, ISSUER, "read")
        assert claims["exp"] - claims["iat"] == 300 and abs(claims["iat"] - time.time()) < 60
        assert claims["header"] == {"alg": "RS256", "typ": "JWT"}
        asyncio.run(_post(f"{url}/revoke"))
        results += asyncio.run(session(1))  # 401: a new assertion (new jti), then the call
        assert len(server.assertions) == 2 and not server.refused
        assert all(result_data(r.content[0].text)["items"] for r in results)
    everything = "\n".join([r.content[0].text for r in results] + [caplog.text])
    catalog = (report.out_dir / "catalog.json").read_text()
    assert "PRIVATE KEY" not in everything + catalog and "${env:EVENTS_JWT_KEY}" in catalog


def test_an_ec_key_with_a_key_id_and_a_subject():
    server = AssertionServer(keys={ISSUER: EC_KEY.public_key()})
    with serve_app(server.app) as url:
        server.url = url
        config = JwtBearerConfig(
            token_url=f"{url}/oauth/token",
            issuer=ISSUER,
            subject="svc-reporting",
            private_key="${env:KEY}",
            algorithm="ES256",
            key_id="k1",
        )
        flow = JwtBearerAuth(config, secrets=SecretResolver(env={"KEY": _pem(EC_KEY)}))

        async def fetch() -> httpx2.Response:
            async with httpx2.AsyncClient(auth=flow) as client:
                return await client.get(f"{url}/items")

        assert asyncio.run(fetch()).status_code == 200
    (claims,) = server.assertions
    assert claims["sub"] == "svc-reporting" and claims["header"]["kid"] == "k1"


def test_a_key_the_server_does_not_know_is_a_clear_secret_free_error():
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server = AssertionServer(keys={ISSUER: RSA_KEY.public_key()})
    with serve_app(server.app) as url:
        server.url = url
        config = JwtBearerConfig(
            token_url=f"{url}/oauth/token", issuer=ISSUER, private_key="${env:KEY}"
        )
        flow = JwtBearerAuth(config, secrets=SecretResolver(env={"KEY": _pem(other)}))

        async def fetch() -> None:
            async with httpx2.AsyncClient(auth=flow) as client:
                await client.get(f"{url}/items")

        with pytest.raises(AuthError) as failed:
            asyncio.run(fetch())
    assert server.refused == ["InvalidSignatureError"]
    assert "invalid_grant" in str(failed.value) and "PRIVATE" not in str(failed.value)


def test_a_value_that_is_no_private_key_is_named_without_showing_it():
    config = JwtBearerConfig(
        token_url="http://127.0.0.1:9/t", issuer=ISSUER, private_key="${env:K}"
    )
    flow = JwtBearerAuth(config, secrets=SecretResolver(env={"K": "not-a-key-123"}))

    async def fetch() -> None:
        async with httpx2.AsyncClient(auth=flow) as client:
            await client.get("http://127.0.0.1:9/items")

    with pytest.raises(AuthError, match="not an unencrypted PEM private key") as failed:
        asyncio.run(fetch())
    assert "not-a-key-123" not in str(failed.value)


def test_a_literal_private_key_in_hints_is_refused(tmp_path):
    with pytest.raises(InputError, match="private_key"):
        _build(tmp_path, "http://127.0.0.1:9", {**HINT, "private_key": "-----BEGIN..."})


async def _post(url: str) -> None:
    async with httpx2.AsyncClient() as client:
        await client.post(url)
