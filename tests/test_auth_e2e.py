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
