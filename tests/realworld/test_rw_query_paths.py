"""Issue 13, item 5: path keys that carry a query or a fragment are operations of their path.

Real specs split one path into several operations with `/messages?action=send` or, like Box,
`/files/{file_id}#add_shared_link`. The query becomes fixed query parameters (always sent, never
an argument), a fragment is never sent, and each key stays its own, distinctly named tool.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import shared_spec
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_rw_auth import open_policy

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan import plan
from adaptgen.sandbox.server import serve_app


def test_box_fragment_keys_are_named_operations_of_their_path():
    api = plan(load_spec(shared_spec("box_openapi.json")), "box").api
    keyed = [t for t in api.tools if "#" in t.pointer]
    assert len(keyed) >= 15
    assert all("#" not in t.path and "?" not in t.path for t in api.tools)
    names = [t.name for t in api.tools]
    assert len(names) == len(set(names))
    by_op = {t.operation_id: t for t in keyed}
    shared_link = by_op["put_files_id#add_shared_link"]
    assert shared_link.path == "/files/{file_id}" and shared_link.name == "add_shared_link_to_file"
    assert by_op["put_files_id#remove_shared_link"].name == "remove_shared_link_from_file"


def _petstore_with_query_keys(tmp_path):
    """The real Petstore 3.0 with two more operations on `/pets`, told apart by a query."""
    document = json.loads(shared_spec("petstore_v3.0.json").read_text())
    listing = document["paths"]["/pets"]["get"]
    summary = {k: v for k, v in listing.items() if k != "operationId"}
    summary["summary"] = "List pets, summary view"
    document["paths"]["/pets?view=summary"] = {"get": summary}
    adopt = {k: v for k, v in document["paths"]["/pets"]["post"].items() if k != "operationId"}
    adopt.pop("summary", None)
    adopt["parameters"] = [
        {"name": "action", "in": "query", "required": True, "schema": {"type": "string"}}
    ]
    document["paths"]["/pets?action=adopt"] = {"post": adopt}
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(document))
    return spec


@pytest.fixture
def seen():
    return []


def test_query_keys_send_their_query_and_stay_apart(tmp_path, seen, monkeypatch):
    spec = _petstore_with_query_keys(tmp_path)
    report = build(BuildOptions(spec=spec, out=tmp_path / "out", name="pets"))
    tools = {t.pointer: t for t in report.api.tools}
    listed = tools["/paths/~1pets?view=summary/get"]
    adopt = tools["/paths/~1pets?action=adopt/post"]
    assert listed.path == adopt.path == "/pets"
    assert [(f.location, f.api_name, f.value) for f in listed.upstream.fixed] == [
        ("query", "view", "summary")
    ]
    assert not {"view", "action"} & {p.api_name for t in (listed, adopt) for p in t.params}
    names = {t.name for t in report.api.tools}
    assert len(names) == len(report.api.tools) and adopt.name == "adopt_pet"

    async def pets(request: Request) -> JSONResponse:
        seen.append(f"{request.method} {request.url.path}?{request.url.query}")
        return JSONResponse([{"id": 1, "name": "Rex"}] if request.method == "GET" else {})

    with serve_app(Starlette(routes=[Route("/pets", pets, methods=["GET", "POST"])])) as url:
        monkeypatch.setenv("PETS_BASE_URL", url)
        monkeypatch.setenv("PETS_POLICY", str(open_policy(tmp_path)))
        module = load_server_module(report.out_dir)

        async def calls():
            async with Client(module.mcp) as client:
                first = await client.call_tool(listed.name, {"limit": 2}, raise_on_error=False)
                second = await client.call_tool(
                    adopt.name, {"id": 7, "name": "Rex"}, raise_on_error=False
                )
                return first, second

        first, second = asyncio.run(calls())
    assert not first.is_error and not second.is_error, (first, second)
    assert seen[0].startswith("GET /pets?view=summary") and "limit=" in seen[0]
    assert seen[0].count("?") == 1
    assert seen[1] == "POST /pets?action=adopt"


def test_a_query_written_as_a_url_template_takes_the_callers_values(tmp_path, seen, monkeypatch):
    # Specs made from URL templates (weatherbit's `/alerts?lat={lat}&lon={lon}`, declared
    # `in: path`; Medium's `/search/articles?query={query}`, declared `in: query`; icons8's
    # `term` not declared at all): the caller's values go in the query, never `{lat}` itself.
    number = {"type": "number"}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Weather", "version": "1"},
        "paths": {
            "/alerts?lat={lat}&lon={lon}": {
                "get": {
                    "summary": "Alerts at a point",
                    "parameters": [
                        {"name": "lat", "in": "path", "required": True, "schema": number},
                        {"name": "lon", "in": "path", "required": True, "schema": number},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/alerts?city={city}&units=metric": {
                "get": {
                    "summary": "Alerts in a city",
                    "parameters": [{"name": "city", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/stations?term={term}": {
                "get": {"summary": "Find stations", "responses": {"200": {"description": "ok"}}}
            },
        },
    }
    spec = tmp_path / "weather.json"
    spec.write_text(json.dumps(document))
    report = build(BuildOptions(spec=spec, out=tmp_path / "out", name="weather"))
    tools = {t.pointer.split("/")[2]: t for t in report.api.tools}
    point, city, stations = (
        tools["~1alerts?lat={lat}&lon={lon}"],
        tools["~1alerts?city={city}&units=metric"],
        tools["~1stations?term={term}"],
    )
    assert [(p.location, p.api_name) for p in point.params] == [("query", "lat"), ("query", "lon")]
    assert point.input_schema["required"] == ["lat", "lon"] and not point.upstream.fixed
    assert [(f.api_name, f.value) for f in city.upstream.fixed] == [("units", "metric")]
    assert [p.api_name for p in city.params] == ["city"]
    assert [(p.location, p.api_name, p.required) for p in stations.params] == [
        ("query", "term", True)
    ]
    assert any("not declared, added as strings: ['term']" in w.message for w in report.warnings)

    async def answer(request: Request) -> JSONResponse:
        seen.append(f"{request.url.path}?{request.url.query}")
        return JSONResponse({"alerts": []})

    routes = [Route("/alerts", answer), Route("/stations", answer)]
    with serve_app(Starlette(routes=routes)) as url:
        monkeypatch.setenv("WEATHER_BASE_URL", url)
        monkeypatch.setenv("WEATHER_POLICY", str(open_policy(tmp_path)))
        module = load_server_module(report.out_dir)

        async def calls():
            async with Client(module.mcp) as client:
                return [
                    await client.call_tool(point.name, {"lat": 39.5, "lon": -119.8}),
                    await client.call_tool(city.name, {"city": "Reno"}),
                    await client.call_tool(stations.name, {"term": "airport"}),
                ]

        results = asyncio.run(calls())
    assert not any(r.is_error for r in results)
    assert seen == [
        "/alerts?lat=39.5&lon=-119.8",
        "/alerts?units=metric&city=Reno",
        "/stations?term=airport",
    ]
