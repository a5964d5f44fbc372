"""HTTP basic with the API key as the user name and no password (Chargebee, Recurly v2): the
password variable may be set empty; unset, the call still says what to set.

Against a loopback API that checks the header, through the generated server and an MCP
client."""

from __future__ import annotations

import base64

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
