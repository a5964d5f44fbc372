"""The `User-Agent` upstream requests carry: adaptgen's and the server's name by default, the
operator's with `<NAME>_USER_AGENT` (SEC EDGAR refuses a request that does not say a company
and an email; MediaWiki and the US weather service ask for a contact), and never an argument
the agent is asked for, where a spec declares the header.

Against a loopback API that echoes it, through the generated server and an MCP client."""

from __future__ import annotations

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen import __version__


def _app() -> Starlette:
    async def filings(request: Request) -> JSONResponse:
        return JSONResponse({"user_agent": request.headers.get("user-agent")})

    return Starlette(routes=[Route("/submissions/{cik}", filings)])


def _spec(url: str) -> dict:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    cik = {"name": "cik", "in": "path", "required": True, "schema": {"type": "string"}}
    agent = {"name": "User-Agent", "in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "EDGAR", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/submissions/{cik}": {
                "get": {
                    "operationId": "getSubmissions",
                    "parameters": [cik, agent],
                    "responses": ok,
                }
            }
        },
    }


def test_the_user_agent_is_the_operators(tmp_path, monkeypatch):
    with serving(tmp_path, _app(), _spec, "edgar") as (caller, out):
        answer = caller("get_submissions", {"cik": "0000320193"})
        assert not answer.is_error, answer.content[0].text
        assert (
            result_data(answer.content[0].text)["user_agent"] == f"adaptgen/{__version__} (edgar)"
        )
        monkeypatch.setenv("EDGAR_USER_AGENT", "Acme Corp compliance@acme.example")
        answer = caller("get_submissions", {"cik": "0000320193"})
        assert result_data(answer.content[0].text)["user_agent"] == (
            "Acme Corp compliance@acme.example"
        )
    catalog = (out / "catalog.json").read_text()
    assert '"User-Agent"' not in catalog  # not an argument
    assert "EDGAR_USER_AGENT" in (out / "README.md").read_text()
