"""The spec's server URL with variables (`https://{subdomain}.zendesk.com/api/v2`,
`{protocol}://{hostname}/api/v3`, Telegram's `https://api.telegram.org/bot{token}`): each is set
by its own env var, a credential in the URL is a secret (required, never its example default,
redacted), and a value outside its enum or one that would move the URL elsewhere is refused.

Against a real HTTP upstream on 127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.catalog import Catalog
from adaptgen.sandbox.server import serve_app

TOKEN = "7512:AAH-real-bot-token-9f8e7d"
EXAMPLE = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew1"


def _app() -> Starlette:
    async def get_me(request: Request) -> JSONResponse:
        token, version = request.path_params["token"], request.path_params["version"]
        if token != TOKEN:
            return JSONResponse({"ok": False, "description": f"bad token bot{token}"}, 401)
        return JSONResponse({"ok": True, "version": version, "result": {"username": "acme_bot"}})

    return Starlette(routes=[Route("/bot{token}/{version}/getMe", get_me)])


def _spec(port: int) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Bot", "version": "1"},
        "servers": [
            {
                "url": "http://{host}:{port}/bot{token}/{version}",
                "variables": {
                    "host": {"default": "127.0.0.1"},
                    "port": {"default": str(port)},
                    "token": {"default": EXAMPLE, "description": "the bot's token"},
                    "version": {"default": "v1", "enum": ["v1", "v2"]},
                },
            }
        ],
        "paths": {
            "/getMe": {
                "get": {
                    "operationId": "getMe",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            }
        },
    }


@pytest.fixture
def bot(tmp_path, monkeypatch):
    with serve_app(_app()) as url:
        port = int(url.rsplit(":", 1)[1])
        path = tmp_path / "bot.json"
        path.write_text(json.dumps(_spec(port)))
        report = build(BuildOptions(spec=path, out=tmp_path / "out", name="bot"))
        module = load_server_module(report.out_dir)

        def call():
            async def go():
                async with Client(module.mcp) as client:
                    return await client.call_tool("get_me", {}, raise_on_error=False)

            answer = asyncio.run(go())
            return answer.is_error, answer.content[0].text

        yield call, report.out_dir, port, monkeypatch


def test_the_catalog_and_readme_say_each_variable(bot):
    _, out, port, _ = bot
    info = Catalog.read(out / "catalog.json").info
    assert info.server_url == "http://{host}:{port}/bot{token}/{version}"
    assert info.base_url == f"http://127.0.0.1:{port}/bot{{token}}/v1"  # never the example
    names = {v.name: v for v in info.server_variables}
    assert names["token"].secret and names["token"].default == ""
    assert names["version"].enum == ("v1", "v2") and names["host"].in_host
    assert "BOT_SERVER_TOKEN" in info.env  # a secret: SAM asks for its Secrets Manager ARN
    generated = "\n".join(p.read_text() for p in out.iterdir() if p.is_file())
    assert EXAMPLE not in generated
    readme = (out / "README.md").read_text()
    assert "| `BOT_SERVER_TOKEN` | the server URL's `{token}`: a secret, required" in readme
    assert "| `BOT_SERVER_VERSION` | the server URL's `{version}` (default `v1`); one of" in readme
    assert "BotServerTokenSecretArn" in (out / "template.yaml").read_text()


def test_a_secret_in_the_url_is_required_then_sent(bot):
    call, _, _, env = bot
    failed, text = call()
    assert failed and "set BOT_SERVER_TOKEN (the server URL's {token})" in text
    env.setenv("BOT_SERVER_TOKEN", TOKEN)
    failed, text = call()
    assert not failed and result_data(text)["version"] == "v1"
    env.setenv("BOT_SERVER_VERSION", "v2")
    assert result_data(call()[1])["version"] == "v2"


def test_values_that_would_move_the_url_are_refused(bot):
    call, _, _, env = bot
    env.setenv("BOT_SERVER_TOKEN", TOKEN)
    env.setenv("BOT_SERVER_VERSION", "v3")
    failed, text = call()
    assert failed and "BOT_SERVER_VERSION is 'v3', not one of the server's values (v1, v2)" in text
    env.delenv("BOT_SERVER_VERSION")
    for host in ("evil.example/x", "evil.example#", "user@evil.example"):
        env.setenv("BOT_SERVER_HOST", host)
        failed, text = call()
        assert failed and "BOT_SERVER_HOST holds a character that would change the URL" in text
    env.delenv("BOT_SERVER_HOST")
    env.setenv("BOT_SERVER_TOKEN", "../admin")
    failed, text = call()
    assert failed and "BOT_SERVER_TOKEN holds a character that would change the URL" in text


def test_a_wrong_secret_is_redacted_from_the_upstreams_words(bot):
    call, _, _, env = bot
    env.setenv("BOT_SERVER_TOKEN", "1:wrong-token-value")
    failed, text = call()
    assert failed and "401" in text and "wrong-token-value" not in text


def test_the_base_url_may_keep_a_placeholder(bot):
    call, _, port, env = bot
    env.setenv("BOT_BASE_URL", f"http://127.0.0.1:{port}/bot{{token}}/v2")  # SAM's default
    env.setenv("BOT_SERVER_TOKEN", TOKEN)
    failed, text = call()
    assert not failed and result_data(text)["version"] == "v2"


def test_a_secret_in_the_url_is_kept_out_of_the_logs(bot, caplog):
    """httpx2 logs each request's URL at DEBUG; the log guard redacts the token in it."""
    import logging

    call, _, _, env = bot
    env.setenv("BOT_SERVER_TOKEN", TOKEN)
    with caplog.at_level(logging.DEBUG):
        failed, _ = call()
    assert not failed
    assert "getMe" in caplog.text and TOKEN not in caplog.text
