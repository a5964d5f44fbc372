"""A legacy login that answers XML (`<LoginResponse><Token>...</Token></LoginResponse>`): the
session flow reads its token as data (`token_path: $.Token`), as it reads a JSON answer's.
Against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptgen.runtime.flows import AuthError, SessionLoginAuth
from adaptgen.runtime.flows.base import json_body
from adaptgen.runtime.secrets import SecretResolver
from adaptgen.sandbox.server import serve_app

TOKEN = "a1b2c3-session-token"
ANSWER = (
    '<?xml version="1.0" encoding="utf-8"?><LoginResponse xmlns="urn:legacy">'
    f"<Token>{TOKEN}</Token><Expires>3600</Expires></LoginResponse>"
)


def _app() -> Starlette:
    async def login(request: Request) -> Response:
        form = await request.form()
        if form.get("password") != "pw":
            return Response(
                "<Fault><Reason>Bad password</Reason></Fault>", 401, media_type="text/xml"
            )
        return Response(ANSWER, media_type="application/xml")

    async def data(request: Request) -> JSONResponse:
        return JSONResponse({"session": request.headers.get("x-session")})

    return Starlette(routes=[Route("/login", login, methods=["POST"]), Route("/data", data)])


def _flow(url: str, password: str) -> SessionLoginAuth:
    def login() -> httpx2.Request:
        return httpx2.Request("POST", f"{url}/login", data={"user": "u", "password": password})

    apply = {"in": "header", "name": "X-Session"}
    return SessionLoginAuth(login, "$.Token", apply, ttl=60, secrets=SecretResolver(env={}))


def test_a_login_that_answers_xml_gives_its_token():
    with serve_app(_app()) as url:

        async def go(password: str) -> httpx2.Response:
            async with httpx2.AsyncClient(auth=_flow(url, password), trust_env=False) as http:
                return await http.get(f"{url}/data")

        assert asyncio.run(go("pw")).json() == {"session": TOKEN}
        try:
            asyncio.run(go("wrong"))
        except AuthError as exc:
            assert "upstream answered 401 Unauthorized" in str(exc) and "Bad password" in str(exc)
        else:
            raise AssertionError("a refused login must fail")


def test_json_body_reads_xml_and_json_alike():
    xml = httpx2.Response(200, text=ANSWER, headers={"content-type": "text/xml; charset=utf-8"})
    assert json_body(xml) == {"Token": TOKEN, "Expires": "3600"}
    assert json_body(httpx2.Response(200, json={"a": 1})) == {"a": 1}
    assert (
        json_body(httpx2.Response(200, text="plain", headers={"content-type": "text/plain"}))
        is None
    )
