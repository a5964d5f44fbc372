"""An identity provider behind the company's own CA (Keycloak, ADFS on an internal host): the
policy's `identity.jwt.ca_bundle` lets the JWKS fetch trust it, beside the public roots; without
it the keys cannot be fetched, and the log says which setting mends that.

A real HTTPS JWKS endpoint on 127.0.0.1 with a CA and a certificate made by the test."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from pki import make_pki
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from test_jwt import AUDIENCE, ISSUER, RSA_A, jwk, mint

from adaptgen.runtime.governance.jwt import JwtSettings, JwtVerifier
from adaptgen.runtime.governance.layers.identity import _verifier
from adaptgen.runtime.governance.policy import IdentityPolicy, JwtPolicy
from adaptgen.sandbox.server import serve_app


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    pki = make_pki(tmp_path_factory.mktemp("idp-pki"))

    async def keys(request: Request) -> Response:
        return Response(json.dumps({"keys": [jwk(RSA_A, "rsa-1")]}), media_type="application/json")

    tls = {"ssl_certfile": str(pki["server_cert"]), "ssl_keyfile": str(pki["server_key"])}
    with serve_app(Starlette(routes=[Route("/certs", keys)]), tls=tls) as url:
        yield f"{url}/certs", pki


def _subject(verifier: JwtVerifier) -> str:
    now = int(time.time())  # the policy's verifier reads the real clock
    token = mint(RSA_A, kid="rsa-1", iat=now - 5, exp=now + 600)
    return asyncio.run(verifier.verify(token)).subject


def test_the_idps_ca_is_trusted_when_named(idp, caplog):
    url, pki = idp
    settings = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": url}
    for bundle in (str(pki["ca"]), pki["ca_text"]):
        verifier = JwtVerifier(JwtSettings(**settings, ca_bundle=bundle))
        assert _subject(verifier)
    caplog.set_level(logging.WARNING, logger="adaptgen.runtime.governance.jwt")
    with pytest.raises(Exception):  # noqa: B017 - no keys: whatever the refusal, it refuses
        _subject(JwtVerifier(JwtSettings(**settings)))
    assert "set identity.jwt.ca_bundle in the policy" in caplog.text


def test_the_policy_says_it_and_a_reference_is_resolved(idp, monkeypatch):
    url, pki = idp
    monkeypatch.setenv("IDP_CA", pki["ca_text"])
    policy = IdentityPolicy(
        jwt=JwtPolicy(issuer=ISSUER, audience=AUDIENCE, jwks_url=url, ca_bundle="${env:IDP_CA}")
    )
    assert _subject(_verifier(policy))
