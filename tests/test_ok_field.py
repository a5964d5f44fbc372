"""APIs that answer a failure 200 with a field saying so (Slack's `{"ok": false, "error":
"channel_not_found"}`): the spec's success schema declares the field (`Operation.ok_field`),
and an answer where it is false is a tool error, not a result."""

from __future__ import annotations

import asyncio
import json

from conftest import result_data, shared_spec
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.plan.operations import ok_field
from adaptgen.sandbox.server import serve_app

TOKEN = "xoxb-ok-field-test-token"


def test_the_field_is_read_off_the_success_schema():
    boolean = {"type": "boolean"}
    assert ok_field({"type": "object", "properties": {"ok": {"enum": [True]}}}) == "ok"
    assert ok_field({"properties": {"data": {}, "success": boolean}}) == "success"
    assert ok_field({"allOf": [{"properties": {"Success": boolean}}, {}]}) == "Success"
    assert ok_field({"properties": {"ok": {"type": "string"}}}) is None  # not a yes or no
    assert ok_field({"properties": {"enabled": boolean}}) is None  # another thing's flag
    assert ok_field({"type": "array", "items": {}}) is None
    assert ok_field(None) is None


def test_slacks_tools_know_their_ok():
    api = plan(load_spec(shared_spec("slack_web_v2_swagger.json")), "slack", PlanOptions()).api
    fields = [t.upstream.ok_field for t in api.tools]
    assert fields.count("ok") == 170 and len(fields) == 174  # 4 schemas are arrays of forms


def _slack() -> Starlette:
    async def post_message(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("channel") == "nowhere":
            return JSONResponse({"ok": False, "error": "channel_not_found", "token": TOKEN})
        if form.get("channel") == "stringly":
            return JSONResponse({"ok": "false", "ts": "2"})  # no boolean: not the flag
        return JSONResponse({"ok": True, "channel": form.get("channel"), "ts": "1"})

    return Starlette(routes=[Route("/chat.postMessage", post_message, methods=["POST"])])


def test_an_answer_that_says_it_failed_is_a_tool_error(tmp_path, monkeypatch):
    """Through the generated server and a real MCP client, against an HTTP upstream that
    answers as Slack does; the error carries Slack's reason and never the token it echoes."""
    with serve_app(_slack()) as url:
        spec = {
            "swagger": "2.0",
            "info": {"title": "Slack", "version": "1"},
            "host": url.removeprefix("http://"),
            "schemes": ["http"],
            "securityDefinitions": {"token": {"type": "apiKey", "in": "header", "name": "token"}},
            "security": [{"token": []}],
            "paths": {
                "/chat.postMessage": {
                    "post": {
                        "operationId": "chat_postMessage",
                        "consumes": ["application/x-www-form-urlencoded"],
                        "parameters": [
                            {"name": "channel", "in": "formData", "type": "string"},
                            {"name": "text", "in": "formData", "type": "string"},
                        ],
                        "responses": {
                            "200": {
                                "description": "ok",
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "ok": {"enum": [True]},
                                        "ts": {"type": "string"},
                                    },
                                },
                            },
                            "default": {
                                "description": "failed",
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "ok": {"enum": [False]},
                                        "error": {"type": "string"},
                                    },
                                },
                            },
                        },
                    }
                }
            },
        }
        path = tmp_path / "slack.json"
        path.write_text(json.dumps(spec))
        report = build(BuildOptions(spec=path, out=tmp_path / "out", name="slack"))
        module = load_server_module(report.out_dir)
        monkeypatch.setenv("SLACK_TOKEN", TOKEN)

        async def post(channel: str):
            async with Client(module.mcp) as client:
                arguments = {"channel": channel, "text": "hi"}
                return await client.call_tool("post_chat_message", arguments, raise_on_error=False)

        sent = asyncio.run(post("C123"))
        assert not sent.is_error and result_data(sent.content[0].text)["ts"] == "1"
        failed = asyncio.run(post("nowhere"))
        assert failed.is_error
        text = failed.content[0].text
        assert "POST /chat.postMessage: upstream answered 200 OK, but its ok is false" in text
        assert "channel_not_found" in text and TOKEN not in text
        stringly = asyncio.run(post("stringly"))
        assert not stringly.is_error
