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
