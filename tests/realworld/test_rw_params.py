"""Issue 13, item 9: tools carry only arguments that reach the upstream.

A request body on a method without one (Swagger 2.0 `in: body` or formData parameters on a
GET) and a body whose schema is empty are no arguments: they are dropped with a warning located
in the spec. Bodies that do reach the upstream stay (GitHub's DELETE bodies).
"""

from __future__ import annotations

import json

from conftest import shared_spec

from adaptgen.build import BuildOptions, generate
from adaptgen.load import load_spec
from adaptgen.plan import plan


def _build(tmp_path, name: str, document: dict):
    spec = tmp_path / name
    spec.write_text(json.dumps(document, indent=2))
    return generate(BuildOptions(spec=spec, out=tmp_path / "out", name="pets"))


def test_swagger2_body_and_form_parameters_on_a_get_are_not_arguments(tmp_path):
    document = json.loads(shared_spec("petstore_v2.0_swagger.json").read_text())
    listing = document["paths"]["/pets"]["get"]
    listing["parameters"].append(
        {"name": "filter", "in": "body", "schema": {"type": "object", "properties": {}}}
    )
    report = _build(tmp_path, "pets.json", document)
    tool = next(t for t in report.api.tools if t.operation_id == "listPets")
    assert tool.upstream.body is None
    assert not [p for p in tool.params if p.location == "body"]
    warning = next(w for w in report.warnings if "carries no request body" in w.message)
    assert warning.location.line and warning.location.pointer == "/paths/~1pets/get"


def test_a_body_with_an_empty_schema_is_not_an_argument(tmp_path):
    document = json.loads(shared_spec("petstore_v3.0.json").read_text())
    document["paths"]["/pets"]["post"]["requestBody"] = {"content": {"application/json": {}}}
    report = _build(tmp_path, "pets.json", document)
    tool = next(t for t in report.api.tools if t.operation_id == "createPets")
    assert tool.upstream.body is None and not tool.params
    assert any("empty schema" in w.message and w.location.line for w in report.warnings)


def test_bodies_that_reach_the_upstream_stay():
    api = plan(load_spec(shared_spec("github_api_2020.json")), "github").api
    delete_file = next(t for t in api.tools if t.operation_id == "repos/delete-file")
    assert {"message", "sha"} <= {p.name for p in delete_file.params if p.location == "body"}
    gets = [t for t in api.tools if t.method in ("GET", "HEAD")]
    assert gets and not [
        t.name for t in gets if t.upstream.body or any(p.location == "body" for p in t.params)
    ]
