"""An enum the API may add to (AutoRest's `x-ms-enum` with `modelAsString: true`: VM sizes,
SKUs, kinds) is asked as a string with its known values as `examples`: a value released
after the spec reaches the upstream, where a closed list refused it before it was sent."""

from __future__ import annotations

import asyncio
import json

import pytest
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
from adaptgen.sandbox.server import serve_app

SIZES = ["Basic_A0", "Standard_D2"]


def _spec(version: str, host: str = "management.azure.com") -> dict:
    """One PUT with an open enum in the query (`vmSize`) and in the body (`sku`), and a
    closed one (`kind`), as Swagger 2 (the enum on the parameter) or OAS 3 (in its schema)."""
    open_enum = {"x-ms-enum": {"name": "VMSize", "modelAsString": True}}
    closed_enum = {"x-ms-enum": {"name": "Kind", "modelAsString": False}}
    sku = {"type": "string", "enum": ["S1", "S2"], "x-ms-enum": {"modelAsString": True}}
    body = {"type": "object", "properties": {"sku": sku}}
    if version == "2.0":
        size = {"name": "vmSize", "in": "query", "type": "string", "enum": SIZES, **open_enum}
        kind = {"name": "kind", "in": "query", "type": "string", "enum": ["a", "b"]}
        parameters = [size, {**kind, **closed_enum}, {"name": "b", "in": "body", "schema": body}]
        head = {"swagger": "2.0", "host": host, "schemes": ["http"]}
        extra = {}
    else:
        size = {"name": "vmSize", "in": "query", "schema": {"type": "string", "enum": SIZES}}
        size["schema"].update(open_enum)
        kind = {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["a", "b"]}}
        parameters = [size, kind]
        head = {"openapi": "3.0.0", "servers": [{"url": f"http://{host}"}]}
        extra = {"requestBody": {"content": {"application/json": {"schema": body}}}}
    put = {
        "operationId": "VirtualMachines_Resize",
        "parameters": parameters,
        "responses": {"200": {"description": "ok"}},
        **extra,
    }
    return {**head, "info": {"title": "Compute", "version": "1"}, "paths": {"/vms": {"put": put}}}


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_an_enum_the_api_may_add_to_is_a_string_with_examples(tmp_path, version):
    path = tmp_path / "compute.json"
    path.write_text(json.dumps(_spec(version)))
    (tool,) = plan(load_spec(path), "compute", PlanOptions()).api.tools
    properties = tool.input_schema["properties"]
    assert properties["vm_size"] == {"type": "string", "examples": SIZES}
    assert properties["sku"] == {"type": "string", "examples": ["S1", "S2"]}
    assert properties["kind"]["enum"] == ["a", "b"]  # closed: only these


def test_a_value_newer_than_the_spec_reaches_the_upstream(tmp_path):
    """Through the generated server and a real MCP client, against an HTTP upstream."""

    async def resize(request: Request) -> JSONResponse:
        body = json.loads(await request.body() or b"{}")
        return JSONResponse({"size": request.query_params.get("vmSize"), "sku": body.get("sku")})

    app = Starlette(routes=[Route("/vms", resize, methods=["PUT"])])
    with serve_app(app) as url:
        path = tmp_path / "compute.json"
        path.write_text(json.dumps(_spec("2.0", url.removeprefix("http://"))))
        report = build(BuildOptions(spec=path, out=tmp_path / "out", name="compute"))
        module = load_server_module(report.out_dir)

        async def call(arguments: dict):
            async with Client(module.mcp) as client:
                (tool,) = [t for t in await client.list_tools() if t.name != "search_tools"]
                result = await client.call_tool(tool.name, arguments, raise_on_error=False)
                return tool, result

        arguments = {"vm_size": "Standard_D4s_v5", "sku": "S9", "kind": "a"}
        tool, result = asyncio.run(call(arguments))
        assert tool.input_schema["properties"]["vm_size"]["examples"] == SIZES
        assert not result.is_error
        assert result_data(result.content[0].text) == {"size": "Standard_D4s_v5", "sku": "S9"}
        _, refused = asyncio.run(call({**arguments, "kind": "c"}))  # a closed one still refuses
        assert refused.is_error
