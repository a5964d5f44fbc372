"""A JSON body's fields beyond those its schema names (`additionalProperties`).

Microsoft Graph's open types, Jira's and Spotify's bodies (164 corpus operations of 11 specs),
TypeSpec's records spread into a model: the schema names some fields and allows any other.
Only the named ones were arguments, so no other could be sent. The tool now takes them in
`additional_properties`, by their API names, sent beside the named ones (a named argument wins
a name both give). Search leaves the argument out: its words say nothing of what the tool does.
Against a loopback upstream, through an MCP client.
"""

from __future__ import annotations

import json

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.runtime.catalog import MORE_FIELDS, Catalog
from adaptgen.search.index import Operation


def _app() -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"body": (await request.body()).decode()})

    return Starlette(routes=[Route("/records", echo, methods=["POST"])])


def _spec(url: str) -> dict:
    record = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "owner": {"type": "string"}},
        "additionalProperties": {"type": "string", "description": "A custom field's value."},
    }
    content = {"application/json": {"schema": record}}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    create = {
        "operationId": "createRecord",
        "summary": "Create a record",
        "requestBody": {"required": True, "content": content},
        "responses": ok,
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Records", "version": "1"},
        "servers": [{"url": url}],
        "paths": {"/records": {"post": create}},
    }


def test_a_bodys_other_fields_go_beside_the_named_ones(tmp_path):
    with serving(tmp_path, _app(), _spec, "records") as (caller, out):
        (tool,) = Catalog.read(out / "catalog.json").tools
        more = tool.input_schema["properties"][MORE_FIELDS]
        assert more["type"] == "object"
        assert more["additionalProperties"] == {
            "type": "string",
            "description": "A custom field's value.",
        }
        assert MORE_FIELDS not in tool.input_schema.get("required", [])
        asked = {"name": "Ann", MORE_FIELDS: {"Custom__c": "gold", "name": "not this"}}
        answer = caller("create_record", asked)
        assert not answer.is_error, answer.content[0].text
        sent = json.loads(result_data(answer.content[0].text)["body"])
        assert sent == {"name": "Ann", "Custom__c": "gold"}
        # A field with an argument of its own comes only through it, given or not (a policy's
        # rule on `owner` cannot be gone round by naming it among the others).
        answer = caller("create_record", {"name": "Ann", MORE_FIELDS: {"owner": "root"}})
        assert json.loads(result_data(answer.content[0].text)["body"]) == {"name": "Ann"}
        indexed = Operation.of_tool(tool)  # what search reads of the tool
        assert indexed.params == ("name", "owner") and "beside" not in indexed.notes
