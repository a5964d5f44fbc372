"""Arguments as agents often send them, taken as they meant them: an array or object as its
JSON text, one value for a list of them, an enum's value in another case, a number for a
string. What stays ambiguous is refused as before.

`_meant` alone, and through the generated server and an MCP client against a loopback upstream
that echoes what it received."""

from __future__ import annotations

import json

import pytest
from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.runtime.server import _meant

TAGS = {"type": "array", "items": {"type": "string"}}
LEVEL = {"type": "string", "enum": ["LOW", "HIGH"]}


@pytest.mark.parametrize(
    ("value", "schema", "meant"),
    [
        ('["a", "b"]', TAGS, ["a", "b"]),
        ('{"team": "ops"}', {"type": "object"}, {"team": "ops"}),
        ('{"team": "ops"}', {"anyOf": [{"type": "object"}, {"type": "null"}]}, {"team": "ops"}),
        ("urgent", TAGS, ["urgent"]),
        (7, {"type": "array", "items": {"type": "integer"}}, [7]),
        ("high", LEVEL, "HIGH"),
        ("high", {"anyOf": [LEVEL, {"type": "null"}]}, "HIGH"),
        (["low", "High"], {"type": "array", "items": LEVEL}, ["LOW", "HIGH"]),
        (7, {"type": "string"}, "7"),
        # what is not surely meant goes on as it came, to be refused or taken as it is
        ("a,b", TAGS, "a,b"),
        ("a", {"type": "string", "enum": ["a", "A"]}, "a"),
        ("b", {"type": "string", "enum": ["a", "A"]}, "b"),
        ('["a"]', {"type": "string"}, '["a"]'),
        ('["a"]', {"type": "object"}, '["a"]'),
        ("{not json", {"type": "object"}, "{not json"),
        (7, {"type": ["string", "integer"]}, 7),
        (True, {"type": "string"}, True),
        (None, TAGS, None),
    ],
)
def test_what_an_argument_meant(value, schema, meant):
    assert _meant(value, schema) == meant


def _app() -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        query = [list(pair) for pair in request.query_params.multi_items()]
        return JSONResponse({"query": query, "body": json.loads(body) if body else None})

    return Starlette(routes=[Route("/tickets", echo, methods=["GET", "POST"])])


def _spec(url: str) -> dict:
    properties = {
        "title": {"type": "string"},
        "tags": TAGS,
        "custom": {"type": "object", "properties": {"team": {"type": "string"}}},
        "priority": LEVEL,
    }
    schema = {"type": "object", "required": ["title"], "properties": properties}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    status = {"name": "status", "in": "query", "schema": {"type": "string"}}
    status["schema"]["enum"] = ["open", "closed"]
    ids = {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Tickets", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/tickets": {
                "post": {
                    "operationId": "createTicket",
                    "requestBody": {"content": {"application/json": {"schema": schema}}},
                    "responses": ok,
                },
                "get": {"operationId": "listTickets", "parameters": [status, ids], "responses": ok},
            }
        },
    }


def test_the_upstream_gets_what_the_agent_meant(tmp_path):
    with serving(tmp_path, _app(), _spec, "tickets") as (caller, _):

        def sent(name: str, arguments: dict) -> dict:
            answer = caller(name, arguments)
            assert not answer.is_error, answer.content[0].text
            return result_data(answer.content[0].text)

        created = sent(
            "create_ticket",
            {"title": "x", "tags": '["a","b"]', "custom": '{"team":"ops"}', "priority": "high"},
        )
        assert created["body"] == {
            "title": "x",
            "tags": ["a", "b"],
            "custom": {"team": "ops"},
            "priority": "HIGH",
        }
        assert sent("create_ticket", {"title": "x", "tags": "a"})["body"]["tags"] == ["a"]
        listed = sent("list_tickets", {"status": "Open", "ids": "[1, 2]"})
        assert listed["query"] == [["status", "open"], ["ids", "1"], ["ids", "2"]]
        refused = caller("create_ticket", {"title": "x", "tags": "a,b"})
        assert refused.is_error and "tags" in refused.content[0].text
