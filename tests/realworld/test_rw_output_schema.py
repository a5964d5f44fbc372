"""Issue 13, item 13: output schemas describe what the server really returns.

A field declared `format: email` carries a PII token after protection, a field the hints mark as
PII comes back as a token whatever its type, and the default denoise cuts long strings with a
marker. The official TypeScript SDK validates structured content against the tool's
output schema and rejected the whole result (-32602); now the served schema admits exactly that.
"""

from __future__ import annotations

import json
import subprocess

import jsonschema
import pytest
import yaml
from conftest import ROOT, node_tool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.served_schema import marked_names, served_output_schema
from adaptgen.sandbox.server import serve_app

PERSON = {
    "id": 7,
    "email": "lpatel@example.com",
    "ssn": 123456789,
    "bio": "x" * 2000,
    "team": {"tags": [{"name": f"t{i}"} for i in range(80)]},
}


async def person(request: Request) -> JSONResponse:
    return JSONResponse(PERSON)


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "People", "version": "1"},
    "paths": {
        "/people/{id}": {
            "get": {
                "operationId": "getPerson",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id", "email"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "email": {"type": "string", "format": "email"},
                                        "ssn": {"type": "integer", "maximum": 999999999},
                                        "bio": {"type": "string", "maxLength": 5000},
                                        "team": {
                                            "type": "object",
                                            "properties": {
                                                "tags": {
                                                    "type": "array",
                                                    "items": {
                                                        "type": "object",
                                                        "properties": {"name": {"type": "string"}},
                                                    },
                                                }
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("people")
    spec = tmp / "people.json"
    spec.write_text(json.dumps(SPEC))
    hints = tmp / "people.hints.yaml"
    hints.write_text(
        yaml.safe_dump({"tools": {"getPerson": {"output_schema": True, "pii": ["$.ssn"]}}})
    )
    policy = tmp / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "identity": {"allow_anonymous": True, "anonymous_groups": ["all"]},
                "access": {"rules": [{"allow": ["*"]}]},
                "pii": {"enabled": True},
                "audit": {"sink": "none"},
            }
        )
    )
    report = build(BuildOptions(spec=spec, out=tmp / "generated", hints=hints))
    mp = pytest.MonkeyPatch()
    with serve_app(Starlette(routes=[Route("/people/{id}", person)])) as upstream:
        mp.setenv("PEOPLE_BASE_URL", upstream)
        mp.setenv("PEOPLE_POLICY", str(policy))
        module = load_server_module(report.out_dir)
        try:
            with serve_app(module.mcp.http_app(path="/mcp"), lifespan=True) as url:
                yield report, f"{url}/mcp"
        finally:
            mp.undo()


def test_the_typescript_sdk_accepts_a_result_with_tokens_and_cut_markers(served):
    report, url = served
    node_tool("prism")  # the Node tools are installed (npm ci), the SDK with them
    script = ROOT / "tests" / "clients" / "ts_client.mjs"
    run = subprocess.run(
        ["node", str(script), url, json.dumps([["get_person", {"id": 7}]])],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert "error" not in seen, seen
    (call,) = seen["calls"]
    assert "error" not in call, call  # the SDK validated the structured content and took it
    data = call["result"]["structuredContent"]
    assert data["email"].startswith("<pii:email:") and data["ssn"].startswith("<pii:")
    assert "chars]" in data["bio"]
    # The catalog's schema, as the upstream described it, would have been rejected.
    (tool,) = [t for t in json.loads((report.out_dir / "catalog.json").read_text())["tools"]]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, tool["output_schema"], format_checker=jsonschema.FormatChecker())


def test_served_schema_keeps_fields_and_relaxes_only_what_changes():
    schema = SPEC["paths"]["/people/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    served = served_output_schema(schema, marked_names(["$.ssn"]))
    assert served["properties"].keys() == schema["properties"].keys()
    assert served["properties"]["email"] == {"type": "string"}
    assert served["properties"]["ssn"] == {"type": ["integer", "string"]}
    assert served["properties"]["id"] == {"type": "integer"}
    assert served["properties"]["team"] == schema["properties"]["team"]
    assert marked_names(["$.items[*].email", "$..phone", "$['home address']", "$..*"]) == {
        "email",
        "phone",
        "home address",
        "*",
    }
