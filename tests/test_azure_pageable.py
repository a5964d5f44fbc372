"""Azure's `x-ms-pageable`: the mark says where a list's items and next link are when the
answer's schema does not (Policy Insights' `queryResults` declares no `@odata.nextLink`), and
how a POST pages: its next pages are read with GET at the link, never posted again."""

from __future__ import annotations

import asyncio
import json

from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.plan.pagination import azure_no_link, azure_pageable
from adaptgen.sandbox.server import serve_app

ROW = {"type": "object", "properties": {"resourceId": {"type": "string"}}}


def _spec(host: str, **pageable) -> dict:
    """A POST query whose answer's schema declares its rows (`value`) and no next link."""
    answer = {"type": "object", "properties": {"value": {"type": "array", "items": ROW}}}
    query = {
        "operationId": "PolicyStates_ListQueryResults",
        "parameters": [{"name": "$top", "in": "query", "type": "integer"}],
        "responses": {"200": {"description": "rows", "schema": answer}},
        "x-ms-pageable": pageable or {"nextLinkName": "@odata.nextLink"},
    }
    return {
        "swagger": "2.0",
        "info": {"title": "PolicyInsights", "version": "2019-10-01"},
        "host": host,
        "schemes": ["http"],
        "paths": {"/policyStates/latest/queryResults": {"post": query}},
    }


def test_the_mark_is_read_as_a_next_link_and_its_items():
    hinted = azure_pageable({"x-ms-pageable": {"nextLinkName": "@odata.nextLink"}})
    assert (hinted.style, hinted.items, hinted.next) == (
        "next_url",
        "$.value",
        "$['@odata.nextLink']",
    )
    named = azure_pageable({"x-ms-pageable": {"nextLinkName": "nextLink", "itemName": "rows"}})
    assert (named.items, named.next) == ("$.rows", "$.nextLink")
    assert azure_pageable({"x-ms-pageable": {"nextLinkName": None}}) is None  # one page
    assert azure_pageable({}) is None


def test_a_post_pages_by_its_mark(tmp_path):
    path = tmp_path / "insights.json"
    path.write_text(json.dumps(_spec("management.azure.com")))
    (tool,) = plan(load_spec(path), "insights", PlanOptions()).api.tools
    paging = tool.pagination
    assert (paging.style, paging.items, paging.next) == (
        "next_url",
        "$.value",
        "$['@odata.nextLink']",
    )
    assert paging.read_next is True
    assert {"limit", "cursor"} <= set(tool.input_schema["properties"])


def test_a_posts_next_pages_are_read_with_get_through_a_real_client(tmp_path):
    """Through the generated server and a real MCP client, against an HTTP upstream that
    answers as Azure does: the first page to the POST, the next ones to GETs of the link."""
    seen: list[str] = []

    async def rows(request: Request) -> JSONResponse:
        seen.append(f"{request.method} {request.url.query}")
        token = request.query_params.get("$skiptoken")
        if request.method == "POST":
            base = str(request.base_url).rstrip("/")
            page = {"value": [{"resourceId": "r1"}, {"resourceId": "r2"}]}
            return JSONResponse(
                {**page, "@odata.nextLink": f"{base}{request.url.path}?$skiptoken=2"}
            )
        if token == "2":
            return JSONResponse({"value": [{"resourceId": "r3"}]})
        return JSONResponse({"error": "posted again?"}, status_code=400)

    app = Starlette(
        routes=[Route("/policyStates/latest/queryResults", rows, methods=["GET", "POST"])]
    )
    with serve_app(app) as url:
        path = tmp_path / "insights.json"
        path.write_text(json.dumps(_spec(url.removeprefix("http://"))))
        report = build(BuildOptions(spec=path, out=tmp_path / "out", name="insights"))
        module = load_server_module(report.out_dir)

        async def call() -> str:
            async with Client(module.mcp) as client:
                (tool,) = [t for t in await client.list_tools() if t.name != "search_tools"]
                result = await client.call_tool(tool.name, {"limit": 10}, raise_on_error=False)
                return result.content[0].text

        data = result_data(asyncio.run(call()))
    assert [row["resourceId"] for row in data["items"]] == ["r1", "r2", "r3"]
    assert seen[0].startswith("POST") and seen[1] == "GET $skiptoken=2"  # the link as given


def _listing(pageable: dict, **more: dict) -> dict:
    """A GET list whose answer's schema declares `nextLink` and takes `$skipToken`, as the
    models Azure shares between paged and one-page lists do."""
    answer = {
        "type": "object",
        "properties": {"value": {"type": "array", "items": ROW}, "nextLink": {"type": "string"}},
    }
    op = {
        "operationId": "Backups_List",
        "parameters": [{"name": "$skipToken", "in": "query", "type": "string"}],
        "responses": {"200": {"description": "backups", "schema": answer}},
        "x-ms-pageable": pageable,
    }
    return {
        "swagger": "2.0",
        "info": {"title": "Backup", "version": "2016-05-01"},
        "host": "management.azure.com",
        "paths": {"/backups": {"get": op}, **more},
    }


def test_a_list_marked_with_no_next_link_follows_none(tmp_path):
    """`nextLinkName: null` (`{}` once converted): Azure's clients never follow the answer's
    `nextLink`, so the tool does not either; a header may still page it (Data Lake's
    `continuation`), and a `$ref` the bundler wrote for the name is the name."""
    for marked, expected in (
        ({"nextLinkName": None}, None),
        ({}, None),
        ({"nextLinkName": "nextLink"}, "$.nextLink"),
    ):
        path = tmp_path / "backup.json"
        path.write_text(json.dumps(_listing(marked)))
        result = plan(load_spec(path), "backup", PlanOptions())
        (tool,) = result.api.tools
        paged = tool.pagination
        if expected is None:
            # the token parameter stays paging's (hidden), read from a header, never the body
            assert paged is not None and paged.style == "cursor", marked
            assert paged.cursor_param == "$skipToken" and not paged.guess_next, marked
            assert paged.next is None and paged.next_headers, marked
        else:
            assert (paged.style, paged.next) == ("next_url", expected), marked
        assert not [w for w in result.warnings if "does not recognise" in str(w)], marked


def test_a_name_the_bundler_wrote_as_a_ref_is_the_name():
    """APIs.guru's bundler writes a `$ref` for an extension value met before (Graph RBAC's
    `{"$ref": "#/paths/~1%7BtenantID%7D~1users/get/x-ms-pageable/nextLinkName"}`)."""
    doc = {
        "paths": {
            "/{tenantID}/users": {"get": {"x-ms-pageable": {"nextLinkName": "odata.nextLink"}}}
        }
    }
    ref = {"$ref": "#/paths/~1%7BtenantID%7D~1users/get/x-ms-pageable/nextLinkName"}
    op = {"x-ms-pageable": {"nextLinkName": ref}}
    assert azure_pageable(op, doc).next == "$['odata.nextLink']"
    assert not azure_no_link(op, doc)
    assert azure_pageable(op) is None and not azure_no_link(op)  # unresolved: neither
    nowhere = {"x-ms-pageable": {"nextLinkName": {"$ref": "#/nowhere"}}}
    assert azure_pageable(nowhere, doc) is None and not azure_no_link(nowhere, doc)


def test_each_kind_of_a_discriminated_body_can_be_sent(tmp_path):
    """Swagger 2.0's polymorphism: `Fish` names its kinds by `fishtype`, and each kind `allOf`
    it with fields of its own (Azure's data connections, linked services...). Every kind's
    fields are arguments beside the base's, optional, and the discriminator says the kinds; a
    kind's `x-ms-discriminator-value` is its name on the wire."""
    fish = {
        "type": "object",
        "discriminator": "fishtype",
        "required": ["fishtype"],
        "properties": {"fishtype": {"type": "string"}, "length": {"type": "number"}},
    }
    salmon = {
        "allOf": [{"$ref": "#/definitions/Fish"}],
        "properties": {"location": {"type": "string"}, "iswild": {"type": "boolean"}},
    }
    shark = {
        "x-ms-discriminator-value": "shark",
        "allOf": [{"$ref": "#/definitions/Fish"}, {"properties": {"age": {"type": "integer"}}}],
    }
    put = {
        "operationId": "Fish_Put",
        "parameters": [
            {
                "name": "fish",
                "in": "body",
                "required": True,
                "schema": {"$ref": "#/definitions/Fish"},
            }
        ],
        "responses": {"200": {"description": "ok"}},
    }
    spec = {
        "swagger": "2.0",
        "info": {"title": "Fish", "version": "1"},
        "host": "fish.example",
        "paths": {"/fish": {"put": put}},
        "definitions": {"Fish": fish, "Salmon": salmon, "SharkKind": shark},
    }
    path = tmp_path / "fish.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "fish", PlanOptions()).api.tools
    fields = tool.input_schema["properties"]
    assert list(fields) == ["fishtype", "length", "location", "iswild", "age"]
    assert tool.input_schema["required"] == ["fishtype"]
    assert fields["fishtype"]["examples"] == ["Salmon", "shark"]
    assert "The kind: Salmon, shark" in fields["fishtype"]["description"]


def test_an_operation_that_only_fetches_a_lists_next_page_is_no_tool(tmp_path):
    """AutoRest names the operation of a list's next page (`operationName`): Graph RBAC's
    `Users_ListNext` takes only the link. The list's tool follows the link itself, so the next
    page is no second tool an agent must feed a URL; without a next link to follow, or named
    by no list, the operation stays a tool."""
    spec = _spec("graph.windows.net", nextLinkName="odata.nextLink", operationName="Query_Next")
    spec["paths"]["/{nextLink}"] = {
        "get": {
            "operationId": "Query_Next",
            "parameters": [
                {"name": "nextLink", "in": "path", "required": True, "type": "string"},
            ],
            "responses": {"200": {"description": "rows"}},
        }
    }
    path = tmp_path / "rbac.json"
    path.write_text(json.dumps(spec))
    planned = plan(load_spec(path), "rbac", PlanOptions()).api
    assert [t.operation_id for t in planned.tools] == ["PolicyStates_ListQueryResults"]
    (skipped,) = planned.skipped
    assert skipped.operation_id == "Query_Next"
    assert "next page of PolicyStates_ListQueryResults" in skipped.reason
    assert planned.tools[0].pagination.style == "next_url"

    query = spec["paths"]["/policyStates/latest/queryResults"]["post"]
    query["x-ms-pageable"] = {"nextLinkName": None, "operationName": "Query_Next"}
    path.write_text(json.dumps(spec))
    planned = plan(load_spec(path), "rbac", PlanOptions()).api
    assert {t.operation_id for t in planned.tools} == {
        "PolicyStates_ListQueryResults",
        "Query_Next",
    }
