"""Every real spec in ../shared/specs builds into a server that imports and lists valid tools."""

from __future__ import annotations

import asyncio
import json
import re

import jsonschema
import pytest
from conftest import result_data, shared_spec, shared_spec_names
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan.schemas import SchemaInliner

SPECS = shared_spec_names() or ["petstore_v3.0.json"]  # the latter skips with a clear reason


async def _list_tools(module):
    async with Client(module.mcp) as client:
        return await client.list_tools()


@pytest.mark.parametrize("name", SPECS)
def test_shared_spec_builds_imports_and_lists_valid_tools(name, tmp_path):
    spec = shared_spec(name)
    report = build(BuildOptions(spec=spec, out=tmp_path, name="api"))
    assert report.api.tools, f"{name}: no tools"
    module = load_server_module(report.out_dir)
    listed = asyncio.run(_list_tools(module))
    catalog = json.loads(report.files["catalog.json"])["tools"]
    if report.api.info.surface.mode == "search":
        # Huge APIs list toolsets, search and a call proxy; the catalog is reached through them.
        assert {"list_toolsets", "search_tools", "call_tool"} <= {t.name for t in listed}
        assert len(listed) <= 3 + sum(1 for t in catalog if t.get("pinned"))
    else:
        assert [t.name for t in listed] == [t["name"] for t in catalog]
        assert [t.input_schema for t in listed] == [t["input_schema"] for t in catalog]
    names = [t["name"] for t in catalog]
    assert len(names) == len(set(names))
    for tool in catalog:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,63}", tool["name"]), tool["name"]
        schema = tool["input_schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft7Validator.check_schema(schema)
        assert schema["type"] == "object"
        assert not {"anyOf", "oneOf", "allOf"} & schema.keys()
        assert '"$ref"' not in json.dumps(schema), f"{tool['name']} has a $ref"
        assert tool["description"]


def _response_schema(spec, path: str, method: str) -> dict:
    """The 200 response schema, made standalone by the same inliner the planner uses."""
    op = spec.document["paths"][path][method]
    media = op["responses"]["200"]["content"]["application/json"]
    return SchemaInliner(spec.resolver, for_input=False).inline(
        media["schema"], spec.source, f"/paths/{path}/{method}"
    )


def _relaxed(schema):
    """The schema without `required` (denoise drops empty values the spec requires)."""
    if isinstance(schema, dict):
        return {k: _relaxed(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_relaxed(v) for v in schema]
    return schema


def test_tool_call_against_prism_mocking_hubspot(tmp_path, prism_for, monkeypatch):
    spec_file = shared_spec("hubspot_contacts_v3.json")
    base_url = prism_for(spec_file, dynamic=True)  # HubSpot's examples are literally `null`
    report = build(BuildOptions(spec=spec_file, out=tmp_path, name="hubspot"))
    monkeypatch.setenv("HUBSPOT_BASE_URL", base_url)
    monkeypatch.setenv("HUBSPOT_OAUTH2_TOKEN", "test-access-token")
    module = load_server_module(report.out_dir)
    tool = next(t for t in report.api.tools if t.method == "GET" and t.path.endswith("/contacts"))

    async def call():
        async with Client(module.mcp) as client:
            return await client.call_tool(tool.name, {"limit": 2, "archived": False})

    result = asyncio.run(call())
    assert not result.is_error
    body = result_data(result.content[0].text)
    # Paginated and denoised: items of the spec's result type, empties and nulls removed.
    assert tool.pagination.style == "cursor" and tool.pagination.next == "$.paging.next.after"
    item_schema = _relaxed(_response_schema(load_spec(spec_file), tool.path, "get"))
    item_schema = item_schema["properties"]["results"]["items"]
    assert isinstance(body["items"], list) and len(body["items"]) <= 2
    for item in body["items"]:
        jsonschema.validate(item, item_schema)
