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


def _served(spec, out, name):
    """(a call of the spec's one tool, `get_me`: whether it failed and its text; the output)."""
    report = build(BuildOptions(spec=spec, out=out, name=name))
    module = load_server_module(report.out_dir)

    def call():
        async def go():
            async with Client(module.mcp) as client:
                return await client.call_tool("get_me", {}, raise_on_error=False)

        answer = asyncio.run(go())
        return answer.is_error, answer.content[0].text

    return call, report.out_dir


@pytest.fixture
def bot(tmp_path, monkeypatch):
    with serve_app(_app()) as url:
        port = int(url.rsplit(":", 1)[1])
        path = tmp_path / "bot.json"
        path.write_text(json.dumps(_spec(port)))
        call, out = _served(path, tmp_path / "out", "bot")
        yield call, out, port, monkeypatch


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


def _vision_spec() -> dict:
    """As APIs.guru writes an Azure data-plane spec: its placeholder host first, then the
    service's own URL, which begins with the endpoint the operator has (`none` says so)."""
    spec = _spec(0)
    spec["servers"] = [
        {"url": "https://azure.local"},
        {
            "url": "{Endpoint}/vision/{version}",
            "variables": {
                "Endpoint": {"default": "none", "x-ms-skip-url-encoding": True},
                "version": {"default": "v1.0"},
            },
        },
    ]
    spec["paths"] = {"/analyze": spec["paths"]["/getMe"]}
    return spec


@pytest.fixture
def vision(tmp_path, monkeypatch):
    async def seen(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "path": request.url.path})

    app = Starlette(routes=[Route("/{rest:path}", seen)])
    with serve_app(app) as url:
        path = tmp_path / "vision.json"
        path.write_text(json.dumps(_vision_spec()))
        call, out = _served(path, tmp_path / "out", "vision")
        yield call, out, url, monkeypatch


def test_a_placeholder_server_gives_way_to_the_services_url(vision):
    _, out, _, _ = vision
    info = Catalog.read(out / "catalog.json").info
    assert info.server_url == "{Endpoint}/vision/{version}"
    assert info.base_url == "{Endpoint}/vision/v1.0"  # `none` is no place to call
    endpoint = info.server_variables[0]
    assert endpoint.origin and not endpoint.in_host and endpoint.default == ""
    readme = (out / "README.md").read_text()
    assert (
        "| `VISION_SERVER_ENDPOINT` | the server URL's `{Endpoint}`: the service's URL "
        "(`https://...`), required (unless `VISION_BASE_URL` is set) |"
    ) in readme


def test_an_endpoint_variable_takes_a_whole_url_and_nothing_else(vision):
    call, _, url, env = vision
    failed, text = call()
    assert failed and "VISION_SERVER_ENDPOINT is empty: set VISION_SERVER_ENDPOINT" in text
    env.setenv("VISION_SERVER_ENDPOINT", url + "/")
    failed, text = call()
    assert not failed and result_data(text)["path"] == "/vision/v1.0/analyze"
    for wrong in (
        url.removeprefix("http://"),
        "ftp://h.io",
        f"{url}?x=1",
        f"{url}#f",
        url.replace("//", "//user@"),
        "https://",
        f"{url}/../admin",
    ):
        env.setenv("VISION_SERVER_ENDPOINT", wrong)
        failed, text = call()
        assert failed and "VISION_SERVER_ENDPOINT is not an http(s) URL with a host" in text, wrong


@pytest.mark.parametrize(
    ("urls", "chosen"),
    [
        (["https://api.acme.io/v1", "https://sandbox.acme.io/v1"], 0),
        (["https://azure.local", "{Endpoint}/vision/v1.0"], 1),
        (["http://jellyfin.local", "http://localhost"], 1),
        (["http://truesight.local", "/tsws/api/", "https://{hostname}:{port}/tsws/api/"], 2),
        (["https://api.example.com/v2", "https://staging.example.org"], 0),  # none is real
        (["/api/v3", "https://petstore.swagger.io/api/v3"], 0),  # relative, as declared
        (["https://petstore.test", "/api"], 1),
        (["http://okta.local", ","], 0),  # no URL at all
    ],
)
def test_the_server_called_is_the_first_real_one(urls, chosen):
    from adaptgen.plan import usable_server

    servers = [{"url": url} for url in urls]
    assert usable_server(servers) is servers[chosen]
    assert usable_server([]) is None and usable_server("https://h.io") is None


def test_a_scheme_variable_is_no_endpoint_and_a_placeholder_no_default(tmp_path):
    """GitHub Enterprise's `{protocol}://{hostname}/api/v3`: the scheme is its own part; VTEX
    gives `{accountName}` as its own default, which is no value to call with."""
    spec = _spec(0)
    spec["servers"] = [
        {
            "url": "{protocol}://{hostname}/api/v3",
            "variables": {"protocol": {"default": "http"}, "hostname": {"default": "{hostname}"}},
        }
    ]
    path = tmp_path / "ghes.json"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="ghes"))
    protocol, hostname = report.api.info.server_variables
    assert not protocol.origin and protocol.in_host and protocol.default == "http"
    assert not hostname.origin and hostname.default == ""
    assert report.api.info.base_url == "http://{hostname}/api/v3"
    spec["servers"][0]["variables"]["hostname"]["default"] = "none"  # Azure's, via APIs.guru
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="ghes"))
    assert report.api.info.server_variables[1].default == ""


def test_a_default_outside_the_enum_is_the_documents_version_or_none(tmp_path):
    """TypeSpec's versioned servers: `{endpoint}/versioning/added/api-version:{version}`, enum
    `v1`, `v2`, default `""` (OpenAPI wants a default among the values), one document per
    version. The version this document describes (`info.version: v2`) is the default; where
    the document's version is none of the values, the variable has no default."""
    spec = _spec(0)
    spec["info"]["version"] = "v2"
    spec["servers"] = [
        {
            "url": "https://api.acme.dev/added/api-version:{version}",
            "variables": {"version": {"default": "", "enum": ["v1", "v2"]}},
        }
    ]
    path = tmp_path / "versioned.json"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="versioned"))
    (version,) = report.api.info.server_variables
    assert (version.default, version.enum) == ("v2", ("v1", "v2"))
    assert report.api.info.base_url == "https://api.acme.dev/added/api-version:v2"
    spec["info"]["version"] = "2024-01-01"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="versioned"))
    assert report.api.info.server_variables[0].default == ""
