"""A parameter that only picks how the answer is written (SportsData's `/{format}/AllTeams`,
XML by default; `?format=json|xml|jsonp`) is sent as JSON, never asked of the agent; one that
offers a file format (CSV) or sits in a body (a webhook's payload format) is the agent's.

Planned from a spec, and called against a loopback upstream through the generated server and
an MCP client."""

from __future__ import annotations

import json

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptgen.load import load_spec
from adaptgen.plan import plan
from adaptgen.runtime.catalog import Catalog


def _spec(url: str) -> dict:
    def enum(*values: str, default: str | None = None) -> dict:
        schema: dict = {"type": "string", "enum": list(values)}
        return schema | ({"default": default} if default else {})

    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    fmt = {"name": "format", "in": "path", "required": True}
    fmt["schema"] = enum("XML", "JSON", default="XML")  # as SportsData's
    output = {"name": "output", "in": "query", "schema": enum("jsonp", "json", "xml")}
    export = {"name": "format", "in": "query", "schema": enum("json", "csv")}
    hook = {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"url": {"type": "string"}, "format": enum("json", "xml")},
                }
            }
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Scores", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/{format}/AllTeams": {
                "get": {"operationId": "AllTeams", "parameters": [fmt], "responses": ok}
            },
            "/facilities": {
                "get": {"operationId": "getFacilities", "parameters": [output], "responses": ok}
            },
            "/reports/{id}": {
                "get": {
                    "operationId": "exportReport",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {}},
                        export,
                    ],
                    "responses": ok,
                }
            },
            "/webhooks": {
                "post": {"operationId": "createWebhook", "requestBody": hook, "responses": ok}
            },
        },
    }


def test_a_format_parameter_is_sent_as_json(tmp_path):
    path = tmp_path / "scores.json"
    path.write_text(json.dumps(_spec("http://127.0.0.1:9")))
    tools = {t.operation_id: t for t in plan(load_spec(path), "scores").api.tools}
    teams, facilities = tools["AllTeams"], tools["getFacilities"]
    assert "format" not in teams.input_schema.get("properties", {})
    assert [(f.location, f.api_name, f.value) for f in teams.upstream.fixed] == [
        ("path", "format", "JSON")
    ]
    assert "output" not in facilities.input_schema.get("properties", {})
    assert [(f.api_name, f.value) for f in facilities.upstream.fixed] == [("output", "json")]
    # a file format is another thing to ask for; a body's field is what it says
    assert "format" in tools["exportReport"].input_schema["properties"]
    assert not tools["exportReport"].upstream.fixed
    assert "format" in tools["createWebhook"].input_schema["properties"]


def _app() -> Starlette:
    async def teams(request: Request) -> Response:
        if request.path_params["format"] != "JSON":
            return Response("<Teams><Team><Key>ARI</Key></Team></Teams>", media_type="text/xml")
        return JSONResponse([{"Key": "ARI", "City": "Arizona"}])

    async def facilities(request: Request) -> Response:
        if request.query_params.get("output") != "json":
            return Response("<Facilities/>", media_type="application/xml")
        return JSONResponse({"Results": {"Facilities": [{"Name": "Plant 4"}]}})

    return Starlette(
        routes=[
            Route("/{format}/AllTeams", teams),
            Route("/facilities", facilities),
        ]
    )


def test_the_agent_gets_json_without_asking(tmp_path):
    with serving(tmp_path, _app(), _spec, "scores") as (caller, out):
        catalog = Catalog.read(out / "catalog.json")
        names = {t.operation_id: t.name for t in catalog.tools}
        answer = caller(names["AllTeams"], {})
        assert not answer.is_error, answer.content[0].text
        assert "Arizona" in answer.content[0].text
        answer = caller(names["getFacilities"], {})
        assert not answer.is_error, answer.content[0].text
        assert result_data(answer.content[0].text) == {
            "Results": {"Facilities": [{"Name": "Plant 4"}]}
        }
