"""A required body field that repeats the path parameter ending the path is asked for once.

`PUT /agents/{agentID}` whose body requires `AgentID` too (akeneo's `PATCH /categories/{code}`
with `code`: 53 required fields in 16 of 2,639 real specs) made the agent say the id twice, as
`agent_id` and again as `body_agent_id`, and a call that said it once was refused. The body
field now defaults to the path's value: still an argument, optional, for the call that means
another value there. Against a loopback upstream, through an MCP client.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import yaml
from conftest import ROOT, result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.runtime.catalog import Catalog


def _app() -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        raw = (await request.body()).decode()
        return JSONResponse({"path": request.url.path, "body": raw})

    return Starlette(routes=[Route("/{kind}/{id}", echo, methods=["PUT", "PATCH", "POST"])])


def _spec(url: str) -> dict:
    def op(op_id: str, param: dict, media: str, schema: dict) -> dict:
        return {
            "operationId": op_id,
            "parameters": [{"in": "path", "required": True, **param}],
            "requestBody": {"required": True, "content": {media: {"schema": schema}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {}}}},
        }

    agent = {
        "type": "object",
        "required": ["AgentID", "name"],
        "properties": {
            "AgentID": {"type": "string", "description": "The agent's id."},
            "name": {"type": "string"},
        },
    }
    category = {"type": "object", "properties": {"code": {"type": "string"}, "label": {}}}
    item = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
    box = {"type": "number", "minimum": 1}  # the path says no bound
    count = {"type": "object", "required": ["box_id"], "properties": {"box_id": box}}
    org = {"type": "object", "required": ["username"], "properties": {"username": {}}}
    text = {"name": "agentID", "schema": {"type": "string"}}
    # flat.io's comment: the body's `comment` is what it says, not the id the path names.
    said = {"type": "string", "description": "The comment text."}
    long = {"type": "string", "maxLength": 10000}
    comment = {
        "type": "object",
        "required": ["comment"],
        "properties": {"comment": said},
    }
    note = {"type": "object", "required": ["note"], "properties": {"note": long}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Echo", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/agents/{agentID}": {"put": op("updateAgent", text, "application/json", agent)},
            "/forms/{agentID}": {
                "post": op("noteAgent", text, "application/x-www-form-urlencoded", agent)
            },
            "/categories/{code}": {
                "patch": op("patchCategory", {"name": "code"}, "application/json", category)
            },
            # The org a Gitea admin creates for a user has a `username` of its own.
            "/users/{username}/orgs": {
                "post": op("createOrg", {"name": "username"}, "application/json", org)
            },
            "/items/{id}": {"put": op("putItem", {"name": "id"}, "application/json", item)},
            "/comments/{comment}": {
                "put": op("putComment", {"name": "comment"}, "application/json", comment)
            },
            "/notes/{note}": {"put": op("putNote", {"name": "note"}, "application/json", note)},
            "/boxes/{boxId}": {
                "put": op(
                    "putBox",
                    {"name": "boxId", "schema": {"type": "integer"}},
                    "application/json",
                    count,
                )
            },
        },
    }


def test_a_required_body_field_that_repeats_the_path_defaults_to_its_value(tmp_path):
    with serving(tmp_path, _app(), _spec, "echo") as (caller, out):
        tools = {t.name: t for t in Catalog.read(out / "catalog.json").tools}
        said = tools["update_agent"].input_schema
        assert said["required"] == ["agent_id", "name"]
        field = said["properties"]["body_agent_id"]
        assert field == {
            "type": "string",
            "description": "The agent's id. Defaults to the value given as `agent_id`.",
        }
        answer = caller("update_agent", {"agent_id": "a-7", "name": "Ann"})
        assert not answer.is_error, answer.content[0].text
        sent = result_data(answer.content[0].text)
        assert sent["path"] == "/agents/a-7"
        assert json.loads(sent["body"]) == {"AgentID": "a-7", "name": "Ann"}
        # Given, it is sent as given: the call that means another value there.
        answer = caller("update_agent", {"agent_id": "a-7", "name": "Ann", "body_agent_id": "b"})
        assert json.loads(result_data(answer.content[0].text)["body"]) == {
            "AgentID": "b",
            "name": "Ann",
        }


def test_a_form_field_defaults_too_and_a_number_takes_an_integer_path(tmp_path):
    with serving(tmp_path, _app(), _spec, "echo") as (caller, out):
        tools = {t.upstream.operation_id: t for t in Catalog.read(out / "catalog.json").tools}
        answer = caller(tools["noteAgent"].name, {"agent_id": "a 7", "name": "Ann"})
        assert not answer.is_error, answer.content[0].text
        sent = parse_qs(result_data(answer.content[0].text)["body"])
        assert sent == {"AgentID": ["a 7"], "name": ["Ann"]}
        box = tools["putBox"]
        assert box.input_schema["required"] == ["box_id"]
        said = box.input_schema["properties"]
        assert said["body_box_id"]["type"] == "number"
        # One value goes to both places: the path says what the body field allows.
        assert said["box_id"] == {"type": "integer", "minimum": 1}
        answer = caller(box.name, {"box_id": 12})
        assert json.loads(result_data(answer.content[0].text)["body"]) == {"box_id": 12}


def test_an_optional_field_a_parents_id_or_one_the_value_does_not_fit_is_left_as_it_is(tmp_path):
    """Nothing is sent that the agent did not ask for; a field named as a parent's id may be
    another thing's; a string id is no integer, and no text."""
    with serving(tmp_path, _app(), _spec, "echo") as (caller, out):
        tools = {t.name: t for t in Catalog.read(out / "catalog.json").tools}
        category = tools["patch_category"]
        assert category.input_schema["required"] == ["code"]
        assert not any(p.default_from for p in category.params)
        answer = caller("patch_category", {"code": "shoes", "label": "Shoes"})
        assert json.loads(result_data(answer.content[0].text)["body"]) == {"label": "Shoes"}
        org = tools["create_org"]
        assert org.input_schema["required"] == ["username", "body_username"]
        item = tools["put_item"]
        assert item.input_schema["required"] == ["id", "body_id"]
        assert not any(p.default_from for p in item.params)
        # Text is no id: "The comment text", or a field that may run to 10,000 characters.
        assert tools["put_comment"].input_schema["required"] == ["comment", "body_comment"]
        assert tools["put_note"].input_schema["required"] == ["note", "body_note"]


def test_the_governance_layer_sees_the_value_the_upstream_gets(tmp_path, monkeypatch):
    """Filled before the governance layer: a rule on the body field checks the path's value
    the field takes, as it checks every value the upstream gets."""
    policy = yaml.safe_load((ROOT / "tests/fixtures/policies/operator.yaml").read_text())
    policy["arguments"] = {
        "rules": [{"tools": ["update_agent"], "arguments": {"body_agent_id": {"pattern": "a-.*"}}}]
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    monkeypatch.setenv("ADAPTGEN_POLICY", str(path))
    with serving(tmp_path, _app(), _spec, "echo") as (caller, _):
        answer = caller("update_agent", {"agent_id": "a-7", "name": "Ann"})
        assert not answer.is_error, answer.content[0].text
        refused = caller("update_agent", {"agent_id": "b-7", "name": "Ann"})
        assert refused.is_error
        assert "body_agent_id" in refused.content[0].text
        assert "arguments.rules[0]" in refused.content[0].text


def test_the_arguments_bench_counts_them(tmp_path):
    """`bench/arguments_bench.py` (the corpus figures above) counts from the same plan."""
    from bench.arguments_bench import measure

    spec = tmp_path / "echo.json"
    spec.write_text(json.dumps(_spec("http://127.0.0.1:9")))
    found = measure(str(spec))["found"]
    assert sorted(found["path defaults"]) == [
        "post_note_agent.body_agent_id",
        "put_box.body_box_id",
        "update_agent.body_agent_id",
    ]
    # A parent's id named alike, a string id no integer field takes, and text.
    assert sorted(found["said twice"]) == [
        "create_org.body_username",
        "put_comment.body_comment",
        "put_item.body_id",
        "put_note.body_note",
    ]
