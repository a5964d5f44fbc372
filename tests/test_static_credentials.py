"""Static credentials as real APIs take them: HTTP basic with the API key as the user name and
no password (Chargebee, Recurly v2), whose password variable may be set empty; a bearer value
that names its own scheme (`Zoho-oauthtoken ...`), sent as the whole header.

Against loopback APIs that check the header, through the generated server and an MCP client."""

from __future__ import annotations

import base64
import json

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.runtime.catalog import Catalog

KEY = "test_cbq1Kx9Zr7"


def _app() -> Starlette:
    async def customers(request: Request) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"message": "api key is invalid"}, status_code=401)
        return JSONResponse({"list": [{"customer": {"id": "cb_1"}}]})

    return Starlette(routes=[Route("/api/v2/customers", customers)])


def _spec(url: str) -> dict:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Billing", "version": "2"},
        "servers": [{"url": f"{url}/api/v2"}],
        "components": {"securitySchemes": {"key": {"type": "http", "scheme": "basic"}}},
        "security": [{"key": []}],
        "paths": {"/customers": {"get": {"operationId": "listCustomers", "responses": ok}}},
    }


def test_a_key_as_the_user_name_with_no_password(tmp_path, monkeypatch):
    with serving(tmp_path, _app(), _spec, "billing") as (caller, _):
        monkeypatch.setenv("BILLING_KEY_USERNAME", KEY)
        unset = caller("list_customers", {})
        assert unset.is_error
        assert "set BILLING_KEY_USERNAME and BILLING_KEY_PASSWORD" in unset.content[0].text
        monkeypatch.setenv("BILLING_KEY_PASSWORD", "")
        answer = caller("list_customers", {})
        assert not answer.is_error, answer.content[0].text
        assert "cb_1" in str(result_data(answer.content[0].text))
        monkeypatch.setenv("BILLING_KEY_USERNAME", "")  # a user name is never empty
        assert caller("list_customers", {}).is_error


def test_a_bearer_value_with_a_scheme_of_its_own_is_the_whole_header(tmp_path, monkeypatch):
    """Zoho CRM takes `Authorization: Zoho-oauthtoken 1000.x`, DRF `Token abc`: a token has no
    space (RFC 6750), so a value with one is sent as the header; a bare token gets `Bearer`."""
    seen: list[str] = []

    async def records(request: Request) -> JSONResponse:
        seen.append(request.headers.get("authorization", ""))
        return JSONResponse({"data": [{"id": "1"}]})

    def spec(url: str) -> dict:
        ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
        scheme = {"type": "http", "scheme": "bearer"}
        return {
            "openapi": "3.0.3",
            "info": {"title": "CRM", "version": "8"},
            "servers": [{"url": url}],
            "components": {"securitySchemes": {"oauth": scheme}},
            "security": [{"oauth": []}],
            "paths": {"/Leads": {"get": {"operationId": "getRecords", "responses": ok}}},
        }

    app = Starlette(routes=[Route("/Leads", records)])
    with serving(tmp_path, app, spec, "zcrm") as (caller, _):
        monkeypatch.setenv("ZCRM_OAUTH_TOKEN", "Zoho-oauthtoken 1000.8cb9")
        assert not caller("get_records", {}).is_error
        monkeypatch.setenv("ZCRM_OAUTH_TOKEN", "1000.8cb9")
        assert not caller("get_records", {}).is_error
    assert seen == ["Zoho-oauthtoken 1000.8cb9", "Bearer 1000.8cb9"]


def test_an_http_scheme_of_the_apis_own_sends_its_credential_under_it(tmp_path, monkeypatch):
    """TypeSpec's custom HTTP auth (`type: http, scheme: SharedAccessKey`), DRF's `Token`: the
    scheme was ignored with a warning, so no call carried a credential. Such a scheme now sends
    `Authorization: <scheme as written> <credential>`; one that signs each request (Digest,
    AWS's SigV4, PAYONE's HMAC) is still not sent so, and says why."""
    seen: list[str] = []

    async def valid(request: Request) -> JSONResponse:
        seen.append(request.headers.get("authorization", ""))
        return JSONResponse({"ok": True})

    def spec(url: str, scheme: str = "SharedAccessKey") -> dict:
        ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
        return {
            "openapi": "3.0.3",
            "info": {"title": "Custom", "version": "1"},
            "servers": [{"url": url}],
            "components": {"securitySchemes": {"key": {"type": "http", "scheme": scheme}}},
            "security": [{"key": []}],
            "paths": {"/valid": {"get": {"operationId": "getValid", "responses": ok}}},
        }

    app = Starlette(routes=[Route("/valid", valid)])
    with serving(tmp_path, app, spec, "custom") as (caller, out):
        (scheme,) = Catalog.read(out / "catalog.json").info.security_schemes
        assert (scheme.kind, scheme.auth_scheme, scheme.env) == (
            "bearer",
            "SharedAccessKey",
            ("CUSTOM_KEY_TOKEN",),
        )
        assert "sent as `Authorization: SharedAccessKey <credential>`" in scheme.credential
        monkeypatch.setenv("CUSTOM_KEY_TOKEN", "valid-key")
        assert not caller("get_valid", {}).is_error
    assert seen == ["SharedAccessKey valid-key"]
    for signed in ("Digest", "AWS4-HMAC-SHA256"):
        path = tmp_path / f"{signed}.json"
        path.write_text(json.dumps(spec("https://api.example.com", signed)))
        report = build(BuildOptions(spec=path, out=tmp_path / signed, name="signed"))
        assert not report.api.info.security_schemes
        assert any("is not supported: ignored" in str(w) for w in report.warnings)


def test_a_bearer_values_token_is_redacted_alone_too():
    from adaptgen.runtime.auth import StaticCredentials
    from adaptgen.runtime.catalog import SecurityScheme

    scheme = SecurityScheme(name="oauth", kind="bearer", env=("T",))
    held = StaticCredentials([scheme], {"T": "Zoho-oauthtoken 1000.8cb9f3a1"}).secrets()
    assert "1000.8cb9f3a1" in held and "Zoho-oauthtoken 1000.8cb9f3a1" in held
    basic = SecurityScheme(name="b", kind="basic", env=("U", "P"))
    held = StaticCredentials([basic], {"U": "ann", "P": "correct horse battery staple"}).secrets()
    assert "staple" not in held  # a password's words are not each a secret
