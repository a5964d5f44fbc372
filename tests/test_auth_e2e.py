"""Auth flows wired end to end: hints -> catalog -> generated server -> MCP client -> upstream."""

from __future__ import annotations

import asyncio
import logging

import yaml
from auth_servers import TokenServer
from conftest import result_data
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.sandbox.server import serve_app

CLIENT_SECRET = "s3cret/with+special&chars"


def spec(base_url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Data", "version": "1"},
        "servers": [{"url": base_url}],
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": f"{base_url}/token",
                            "scopes": {"read": "read"},
                        }
                    },
                }
            }
        },
        "security": [{"oauth": ["read"]}],
        "paths": {
            "/data": {
                "get": {"operationId": "getData", "responses": {"200": {"description": "ok"}}}
            }
        },
    }


def test_oauth2_client_credentials_through_the_generated_server(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    server = TokenServer(clients={"adaptgen": CLIENT_SECRET})
    with serve_app(server.app) as url:
        spec_file = tmp_path / "data.yaml"
        spec_file.write_text(yaml.safe_dump(spec(url)))
        (tmp_path / "data.hints.yaml").write_text(
            yaml.safe_dump(
                {
                    "auth": {
                        "oauth": {
                            "oauth2_client_credentials": {
                                "client_id": "adaptgen",
                                "client_secret": "${env:DATA_CLIENT_SECRET}",
                                "scopes": ["read"],
                            }
                        }
                    }
                }
            )
        )
        report = build(BuildOptions(spec=spec_file, out=tmp_path / "g"))
        (flow,) = report.api.info.auth
        assert flow.config.token_url == f"{url}/token"  # from the spec's flows
        assert list(report.api.info.env) == ["DATA_BASE_URL", "DATA_TIMEOUT", "DATA_CLIENT_SECRET"]
        catalog = (report.out_dir / "catalog.json").read_text()
        assert CLIENT_SECRET not in catalog and "${env:DATA_CLIENT_SECRET}" in catalog

        monkeypatch.setenv("DATA_CLIENT_SECRET", CLIENT_SECRET)
        module = load_server_module(report.out_dir)

        async def session(times: int):
            async with Client(module.mcp) as client:
                sequential = [await client.call_tool("get_data", {}) for _ in range(times)]
                concurrent = await asyncio.gather(
                    *(client.call_tool("get_data", {}) for _ in range(times))
                )
                return sequential + list(concurrent)

        results = asyncio.run(session(5))
        assert server.issued == 1  # one token fetch for ten calls
        assert all(result_data(r.content[0].text)["kind"] == "client" for r in results)
        asyncio.run(_revoke(url))
        results += asyncio.run(session(1))
        assert server.issued == 2  # a 401 after revocation: exactly one re-fetch
        texts = [r.content[0].text for r in results]
        monkeypatch.setenv("DATA_CLIENT_SECRET", "wrong")
        failing = load_server_module(report.out_dir)  # a fresh server: no cached token

        async def failed_call():
            async with Client(failing.mcp) as client:
                return await client.call_tool("get_data", {}, raise_on_error=False)

        error = asyncio.run(failed_call())
    assert error.is_error and "invalid_client" in error.content[0].text
    leaked = [CLIENT_SECRET, "wrong", *server.ever_issued]
    everything = "\n".join([*texts, error.content[0].text, caplog.text])
    for secret in leaked:
        assert secret not in everything


async def _revoke(url: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        await client.post(f"{url}/revoke")


def test_a_credential_declared_as_a_parameter_through_the_generated_server(
    tmp_path, monkeypatch, caplog
):
    """VictorOps and Google declare their API keys as parameters and no security scheme: the
    generated server sends them from env vars, the agent never sees them as arguments, and no
    key reaches a result or a log. The optional one goes only when its env var is set."""
    caplog.set_level(logging.DEBUG)
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen: list[dict] = []

    async def incidents(request: Request) -> JSONResponse:
        seen.append({"header": request.headers.get("x-vo-api-key"), **request.query_params})
        if request.headers.get("x-vo-api-key") != "vo-s3cret":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"incidents": [{"id": 7, "team": request.query_params.get("team")}]})

    app = Starlette(routes=[Route("/incidents", incidents)])
    with serve_app(app) as url:
        header = {"in": "header", "name": "X-VO-Api-Key", "required": True}
        key = {"in": "query", "name": "key", "description": "API key. Your API key."}
        team = {"in": "query", "name": "team"}
        params = [{**p, "schema": {"type": "string"}} for p in (header, key, team)]
        document = {
            "openapi": "3.0.3",
            "info": {"title": "Ops", "version": "1"},
            "servers": [{"url": url}],
            "paths": {
                "/incidents": {
                    "get": {
                        "operationId": "listIncidents",
                        "parameters": params,
                        "responses": {"200": {"description": "ok"}},
                    }
                }
            },
        }
        spec_file = tmp_path / "ops.yaml"
        spec_file.write_text(yaml.safe_dump(document))
        report = build(BuildOptions(spec=spec_file, out=tmp_path / "g", no_hints=True))
        assert {"OPS_X_VO_API_KEY", "OPS_KEY"} <= set(report.api.info.env)
        monkeypatch.setenv("OPS_X_VO_API_KEY", "vo-s3cret")
        monkeypatch.delenv("OPS_KEY", raising=False)

        async def session(module) -> tuple[dict, str]:
            async with Client(module.mcp) as client:
                (tool,) = [t for t in await client.list_tools() if t.name == "list_incidents"]
                result = await client.call_tool("list_incidents", {"team": "ops"})
                return tool.inputSchema, result.content[0].text

        schema, text = asyncio.run(session(load_server_module(report.out_dir)))
        monkeypatch.setenv("OPS_KEY", "g-s3cret")
        _, again = asyncio.run(session(load_server_module(report.out_dir)))
    assert set(schema["properties"]) == {"team"}
    assert result_data(text)["incidents"] == [{"id": 7, "team": "ops"}]
    assert seen == [
        {"header": "vo-s3cret", "team": "ops"},  # the optional key: its env var is not set
        {"header": "vo-s3cret", "team": "ops", "key": "g-s3cret"},
    ]
    everything = "\n".join([text, again, caplog.text])
    for secret in ("vo-s3cret", "g-s3cret"):
        assert secret not in everything
