"""SAP Gateway's CSRF token, through the generated server: an OData service on-premise refuses
a write (403, `x-csrf-token: Required`) until it carries the token a GET of the service root
hands out (`X-CSRF-Token: Fetch`), bound to the session cookie of that GET. The upstream here
keeps that protocol as SAP Gateway does; the agent only calls `create_business_partner`."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
from pathlib import Path

from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.sandbox.server import serve_app

ODATA = Path(__file__).parent / "fixtures" / "odata" / "business_partner.json"
ROOT = "/sap/opu/odata/sap/API_BUSINESS_PARTNER"
USERS = {"ALICE": "a-pass", "BOB": "b-pass"}


class Gateway:
    """SAP Gateway's side: Basic users; a token per session, handed out on a fetch; a write
    with no token, a token of another session or another user's session, refused."""

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[str, str]] = {}  # session cookie -> (user, token)
        self.seen: list[str] = []
        self.issue = True  # whether a fetch gets a token
        self.at_root = True  # whether the service root hands it out (else only the set's GET)

    def user(self, request: Request) -> str | None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        name, _, password = base64.b64decode(encoded).decode().partition(":")
        return name if USERS.get(name) == password else None

    async def root(self, request: Request) -> Response:
        return self.read(request, "GET /", {"d": {"EntitySets": ["A_BusinessPartner"]}})

    def read(self, request: Request, seen: str, body: dict) -> Response:
        user = self.user(request)
        if user is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        headers = {}
        asked = request.headers.get("x-csrf-token", "").lower() == "fetch"
        if self.issue and asked and (self.at_root or seen != "GET /"):
            session, token = secrets.token_hex(8), secrets.token_urlsafe(16)
            self.sessions[session] = (user, token)
            headers["x-csrf-token"] = token
        self.seen.append(f"{seen} {'fetch' if headers else ''}".strip())
        response = JSONResponse(body, headers=headers)
        if headers:
            response.set_cookie("SAP_SESSIONID_S4H_100", session, httponly=True)
            response.set_cookie("sap-usercontext", "sap-client=100")
        return response

    async def partners(self, request: Request) -> Response:
        if request.method == "GET":
            return self.read(request, "GET /A_BusinessPartner", {"d": {"results": []}})
        user = self.user(request)
        if user is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        session = self.sessions.get(request.cookies.get("SAP_SESSIONID_S4H_100", ""))
        given = request.headers.get("x-csrf-token")
        if session is None or session != (user, given):
            self.seen.append("POST 403")
            return Response(
                "CSRF token validation failed",
                status_code=403,
                headers={"x-csrf-token": "Required"},
            )
        body = await request.json()
        self.seen.append("POST 201")
        return JSONResponse({"d": {**body, "CreatedByUser": user}}, status_code=201)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(f"{ROOT}/", self.root),
                Route(f"{ROOT}/A_BusinessPartner", self.partners, methods=["GET", "POST"]),
            ]
        )


def test_a_write_fetches_the_csrf_token_sap_gateway_asks_for(tmp_path, monkeypatch, caplog):
    """Before: every write to such a service failed with the 403. Now the refused write is
    sent again with a token fetched as the same caller, and its session's cookies; the token is
    fetched per write and kept nowhere, so no session is ever another caller's; no token or
    session reaches a result or a log. A service that gives no token keeps its 403."""
    caplog.set_level(logging.DEBUG)
    gateway = Gateway()
    with serve_app(gateway.app()) as url:
        report = build(BuildOptions(spec=ODATA, out=tmp_path / "g", name="bp", no_hints=True))
        env = report.api.info.env
        user, password = (v for v in env if v.endswith(("_USERNAME", "_PASSWORD")))
        monkeypatch.setenv("BP_BASE_URL", url + ROOT)
        module = load_server_module(report.out_dir)

        async def create(name: str, as_user: str) -> tuple[bool, str]:
            monkeypatch.setenv(user, as_user)
            monkeypatch.setenv(password, USERS.get(as_user, "wrong"))
            async with Client(module.mcp) as client:
                result = await client.call_tool(
                    "create_business_partner",
                    {"business_partner_full_name": name, "business_partner_category": "1"},
                    raise_on_error=False,
                )
                return result.is_error, result.content[0].text

        first = asyncio.run(create("Ada Lovelace", "ALICE"))
        second = asyncio.run(create("Bob Builder", "BOB"))
        gateway.issue = False
        denied = asyncio.run(create("Eve", "ALICE"))
    assert first[0] is False and result_data(first[1])["d"]["CreatedByUser"] == "ALICE"
    assert second[0] is False and result_data(second[1])["d"]["CreatedByUser"] == "BOB"
    assert denied[0] is True and "403" in denied[1] and "CSRF token validation" in denied[1]
    assert gateway.seen == [
        "POST 403", "GET / fetch", "POST 201",  # ALICE
        "POST 403", "GET / fetch", "POST 201",  # BOB: a session of his own
        "POST 403", "GET /", "GET /A_BusinessPartner",  # no token: the write's own 403
    ]  # fmt: skip
    everything = "\n".join([first[1], second[1], denied[1], caplog.text])
    for session, (_, token) in gateway.sessions.items():
        assert session not in everything and token not in everything
    assert json.dumps(USERS["ALICE"]) not in everything


def test_the_token_comes_from_the_writes_own_url_where_the_root_gives_none(tmp_path, monkeypatch):
    """A spec whose server is the host and whose paths carry the service's path: the server
    URL's root is no service and hands out no token. The write's own URL is the service's, and
    its GET does (its answer's body is not read)."""
    gateway = Gateway()
    gateway.at_root = False
    with serve_app(gateway.app()) as url:
        report = build(BuildOptions(spec=ODATA, out=tmp_path / "g", name="bp", no_hints=True))
        user, password = (v for v in report.api.info.env if v.endswith(("_USERNAME", "_PASSWORD")))
        monkeypatch.setenv("BP_BASE_URL", url + ROOT)
        monkeypatch.setenv(user, "ALICE")
        monkeypatch.setenv(password, USERS["ALICE"])
        module = load_server_module(report.out_dir)

        async def create() -> tuple[bool, str]:
            async with Client(module.mcp) as client:
                result = await client.call_tool(
                    "create_business_partner",
                    {"business_partner_full_name": "Ada Lovelace"},
                    raise_on_error=False,
                )
                return result.is_error, result.content[0].text

        failed, text = asyncio.run(create())
    assert failed is False and result_data(text)["d"]["CreatedByUser"] == "ALICE"
    assert gateway.seen == ["POST 403", "GET /", "GET /A_BusinessPartner fetch", "POST 201"]
