"""A field set to null is sent as null: how an API clears it, and how a JSON Merge Patch
(RFC 7396) removes it.

Inputs once never carried a null ("omit the argument"), so an agent could not clear a task's
due date, and a merge patch could only add: TypeSpec's test server refused every `null` its
merge-patch scenario sends, and a required nullable field could not be given at all. A request
body's nullable field now says `null` in its type (a merge patch's every optional field too),
and a null the agent gives is sent; a field left out is still left out, and a parameter's null
still only leaves it out. Against a loopback upstream, through an MCP client.
"""

from __future__ import annotations

import json

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.runtime.catalog import Catalog


def _app() -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        # The body as text: results are trimmed of nulls (`shape`), the request is not.
        raw = (await request.body()).decode()
        return JSONResponse({"body": raw, "query": str(request.query_params)})

    return Starlette(routes=[Route("/tasks/{id}", echo, methods=["PUT", "PATCH", "POST"])])


def _spec(url: str) -> dict:
    nullable = {"type": "string", "nullable": True}
    task = {
        "type": "object",
        "required": ["name", "assignee"],
        "properties": {
            "name": {"type": "string"},
            "assignee": nullable,  # required, and may be null
            "due_on": {**nullable, "format": "date"},
            "tags": {"type": "array", "items": nullable},
            "notes": {"type": "string"},
        },
    }
    patch = {
        "type": "object",
        "properties": {"notes": {"type": "string"}, "rank": {"type": "integer"}},
    }
    one = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    since = {"name": "since", "in": "query", "schema": nullable}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}

    def body(media: str, schema: dict) -> dict:
        return {"required": True, "content": {media: {"schema": schema}}}

    return {
        "openapi": "3.0.3",
        "info": {"title": "Tasks", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/tasks/{id}": {
                "parameters": [one],
                "put": {
                    "operationId": "updateTask",
                    "parameters": [since],
                    "requestBody": body("application/json", task),
                    "responses": ok,
                },
                "patch": {
                    "operationId": "patchTask",
                    "requestBody": body("application/merge-patch+json", patch),
                    "responses": ok,
                },
                "post": {
                    "operationId": "noteTask",
                    "requestBody": body("application/x-www-form-urlencoded", task),
                    "responses": ok,
                },
            }
        },
    }


def test_a_null_clears_a_field_and_a_field_left_out_stays_out(tmp_path):
    with serving(tmp_path, _app(), _spec, "tasks") as (caller, out):
        tools = {t.name: t for t in Catalog.read(out / "catalog.json").tools}
        said = tools["update_task"].input_schema["properties"]
        assert said["due_on"]["type"] == ["string", "null"]
        assert said["assignee"]["type"] == ["string", "null"]
        assert said["tags"]["items"]["type"] == ["string", "null"]
        assert said["notes"]["type"] == "string" and said["since"]["type"] == "string"
        asked = {"id": "1", "name": "Ship", "assignee": None, "due_on": None, "since": None}
        answer = caller("update_task", asked)
        assert not answer.is_error, answer.content[0].text
        sent = result_data(answer.content[0].text)
        assert json.loads(sent["body"]) == {"name": "Ship", "assignee": None, "due_on": None}
        assert not sent.get("query")  # a parameter's null leaves it out
        answer = caller(
            "update_task", {"id": "1", "name": "Ship", "assignee": "ann", "tags": ["a", None]}
        )
        sent = result_data(answer.content[0].text)
        assert json.loads(sent["body"]) == {"name": "Ship", "assignee": "ann", "tags": ["a", None]}


def test_a_merge_patch_removes_a_field_given_as_null(tmp_path):
    with serving(tmp_path, _app(), _spec, "tasks") as (caller, out):
        tools = {t.name: t for t in Catalog.read(out / "catalog.json").tools}
        said = tools["patch_task"].input_schema["properties"]
        assert said["notes"]["type"] == ["string", "null"]
        answer = caller("patch_task", {"id": "1", "notes": None, "rank": 3})
        assert not answer.is_error, answer.content[0].text
        sent = result_data(answer.content[0].text)["body"]
        assert json.loads(sent) == {"notes": None, "rank": 3}


def test_a_form_never_carries_a_null(tmp_path):
    """A form has no null: a field given as null is left out, as before (not `due_on=None`)."""
    with serving(tmp_path, _app(), _spec, "tasks") as (caller, out):
        tools = {t.upstream.operation_id: t for t in Catalog.read(out / "catalog.json").tools}
        answer = caller(
            tools["noteTask"].name, {"id": "1", "name": "Ship", "assignee": "ann", "due_on": None}
        )
        assert not answer.is_error, answer.content[0].text
        assert result_data(answer.content[0].text)["body"] == "name=Ship&assignee=ann"


def _spec_31(url: str) -> dict:
    """FastAPI's way (OpenAPI 3.1, pydantic's `str | None`): a nullable field is
    `anyOf: [{type: string}, {type: "null"}]`, a nullable enum `anyOf: [{$ref}, {type: null}]`;
    beside it, 3.0's nullable enum."""
    status = {"type": "string", "enum": ["active", "archived"]}
    item = {
        "type": "object",
        "properties": {
            "name": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Name"},
            "price": {"anyOf": [{"type": "number"}, {"type": "null"}]},
            "status": {"anyOf": [{"$ref": "#/components/schemas/Status"}, {"type": "null"}]},
            "color": {"type": "string", "enum": ["red", "blue"], "nullable": True},
            "size": {  # an enum the API adds to (AutoRest's): its values stay examples
                "type": ["string", "null"],
                "enum": ["S", "M"],
                "x-ms-enum": {"name": "Size", "modelAsString": True},
            },
        },
    }
    one = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    body = {"required": True, "content": {"application/json": {"schema": item}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Items", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/tasks/{id}": {
                "patch": {
                    "operationId": "updateItem",
                    "parameters": [one],
                    "requestBody": body,
                    "responses": ok,
                }
            }
        },
        "components": {"schemas": {"Status": status}},
    }


def test_a_field_nullable_by_any_of_keeps_its_type_and_takes_null(tmp_path):
    """Walked as a variant, the null was `{}`, "accepts anything": the field lost its type
    (FastAPI's every optional field of an update). A nullable enum takes null too."""
    with serving(tmp_path, _app(), _spec_31, "items") as (caller, out):
        said = Catalog.read(out / "catalog.json").tool("update_item").input_schema["properties"]
        assert said["name"] == {"type": ["string", "null"]}
        assert said["price"] == {"type": ["number", "null"]}
        assert said["status"] == {"type": ["string", "null"], "enum": ["active", "archived", None]}
        assert said["color"]["enum"] == ["red", "blue", None]
        assert said["size"] == {"type": ["string", "null"], "examples": ["S", "M"]}
        asked = {"id": "1", "name": None, "price": 2.5, "status": None, "color": None}
        answer = caller("update_item", asked)
        assert not answer.is_error, answer.content[0].text
        sent = json.loads(result_data(answer.content[0].text)["body"])
        assert sent == {"name": None, "price": 2.5, "status": None, "color": None}
        answer = caller("update_item", {"id": "1", "status": "archived", "color": "red"})
        sent = json.loads(result_data(answer.content[0].text)["body"])
        assert sent == {"status": "archived", "color": "red"}
        assert caller("update_item", {"id": "1", "status": "gone"}).is_error
