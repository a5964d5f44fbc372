"""Windows authentication (NTLM) for an on-premises API: the negotiate, challenge and answer
run inside each tool call, on one connection, as IIS asks.

Against a loopback API that accepts a request only once pyspnego, as the server, has checked
the account's answer on that connection, through the generated server and an MCP client."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

spnego = pytest.importorskip("spnego", reason="pyspnego (adaptgen[ntlm]) is not installed")

PASSWORD = "Sp-0nPrem!2026"


def _app(handshakes: list) -> Starlette:
    contexts: dict = {}  # per connection: NTLM authenticates the connection, not a request

    async def lists(request: Request) -> Response:
        connection = tuple(request.scope["client"])
        said = request.headers.get("authorization", "")
        if not said.startswith("NTLM "):
            return Response(status_code=401, headers={"WWW-Authenticate": "NTLM"})
        token = base64.b64decode(said[5:])
        if token[8:12] == b"\x01\x00\x00\x00":  # a negotiate message: challenge it
            contexts[connection] = server = spnego.server(protocol="ntlm")
            challenge = base64.b64encode(server.step(token)).decode()
            return Response(status_code=401, headers={"WWW-Authenticate": f"NTLM {challenge}"})
        server = contexts.pop(connection, None)
        if server is None:
            return Response(status_code=401, headers={"WWW-Authenticate": "NTLM"})
        try:
            server.step(token)
        except spnego.exceptions.SpnegoError:
            return JSONResponse({"error": "Access denied"}, status_code=401)
        handshakes.append(server.client_principal)
        body = await request.body()
        return JSONResponse(
            {"d": {"results": [{"Title": "Tasks"}]}, "by": server.client_principal}
            | ({"created": json.loads(body)} if body else {})
        )

    return Starlette(routes=[Route("/_api/web/lists", lists, methods=["GET", "POST"])])


def _spec(url: str) -> dict:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    body = {
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"Title": {"type": "string"}}}
            }
        }
    }
    ntlm = {"username": "alice", "domain": "CORP", "password": "${env:SP_PASSWORD}"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "SharePoint", "version": "2016"},
        "servers": [{"url": url}],
        "x-agent": {"auth": {"*": {"ntlm": ntlm}}},
        "paths": {
            "/_api/web/lists": {
                "get": {"operationId": "getLists", "responses": ok},
                "post": {"operationId": "createList", "requestBody": body, "responses": ok},
            }
        },
    }


def test_a_windows_account_through_the_generated_server(tmp_path, monkeypatch):
    users = tmp_path / "ntlm-users"
    users.write_text(f"CORP:alice:{PASSWORD}\n")
    monkeypatch.setenv("NTLM_USER_FILE", str(users))  # the test server's accounts
    monkeypatch.setenv("SP_PASSWORD", PASSWORD)
    handshakes: list = []
    with serving(tmp_path, _app(handshakes), _spec, "sharepoint") as (caller, _):
        listed = caller("get_lists", {})
        assert not listed.is_error, listed.content[0].text
        assert result_data(listed.content[0].text)["by"] == "CORP\\alice"
        created = caller("create_list", {"title": "Incidents"})
        assert not created.is_error, created.content[0].text
        assert result_data(created.content[0].text)["created"] == {"Title": "Incidents"}
        monkeypatch.setenv("SP_PASSWORD", "not-her-password")
        refused = caller("get_lists", {})
        assert refused.is_error and "401" in refused.content[0].text
        assert "not-her-password" not in refused.content[0].text
    assert handshakes == ["CORP\\alice", "CORP\\alice"]
