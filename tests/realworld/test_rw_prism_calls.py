"""Issue 13's main target on the smaller shared specs: one call per GET tool against Prism.

Each spec is built with no hints, mocked by Prism behind a recording proxy and served with the
governance layer on; every GET tool is called once through a real MCP client with arguments
made from its input schema (bench/realworld_bench.py, the harness the maintainers re-run on
every shared spec). No call may fail because of what adaptgen sent, and no result may be empty
when the upstream's body was not.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import ROOT, node_tool, shared_spec

if str(ROOT) not in sys.path:  # `bench` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench._prism import Exchange  # noqa: E402
from bench.realworld_bench import (  # noqa: E402
    ADAPTGEN,
    EMPTY,
    MOCK,
    OK,
    Declared,
    SpecDocument,
    SpecResult,
    _path_key,
    arguments_for,
    body_forms_matched,
    bytes_unread_by_prism,
    classify,
    form_array_unread_by_prism,
    form_string_unread_by_prism,
    malformed_request,
    misrouted_by_prism,
    needs_dynamic,
    one_of_nothing_passes,
    query_nesting_unread_by_prism,
    run_spec,
    server_env,
    unanswered,
    wildcard_judged_by_prism,
    xml_unread_by_prism,
)

pytestmark = [pytest.mark.npm, pytest.mark.shared]

# Slack: files.info answered {"items": []} from a full file object until issue 13 item 1.
SPECS = ["petstore_v3.0.json", "hubspot_contacts_v3.json", "slack_web_v2_swagger.json"]


@pytest.fixture(scope="module")
def measured():
    """Run the harness once per spec and keep the result for every test of the module."""
    results: dict[str, SpecResult] = {}

    def get(name: str) -> SpecResult:
        if name not in results:
            node_tool("prism")
            result = run_spec(shared_spec(name), log=lambda _: None)
            assert not result.error, result.error
            # The harness really called the tools (arguments made, requests sent, answers read).
            assert result.get_tools > 0 and result.called == result.get_tools
            assert result.count(OK) > 0
            results[name] = result
        return results[name]

    return get


def _lines(result: SpecResult, verdict: str) -> list[str]:
    return [
        f"{c.tool} {c.method} {c.path}: {c.reason}: sent {c.sent}; "
        f"{(c.error or c.prism_said)[:160]}"
        for c in result.calls
        if c.verdict == verdict
    ]


@pytest.mark.parametrize("name", SPECS)
def test_no_adaptgen_caused_errors(name, measured):
    assert _lines(measured(name), ADAPTGEN) == []


@pytest.mark.parametrize("name", SPECS)
def test_no_empty_results_from_non_empty_bodies(name, measured):
    assert _lines(measured(name), EMPTY) == []


# Writes: required bodies sent, what they require asked for (Asana sent none for 18 of 25).
WRITE_SPECS = ["hubspot_contacts_v3.json", "petstore_v3.0.json", "asana_oas.yaml"]


@pytest.mark.parametrize("name", WRITE_SPECS)
def test_write_tools_send_what_the_spec_asks_for(name):
    node_tool("prism")
    result = run_spec(shared_spec(name), quick=True, writes=True, log=lambda _: None)
    assert not result.error, result.error
    assert result.get_tools > 0 and result.count(OK) > 0
    assert _lines(result, ADAPTGEN) == []


# The classification rules themselves, on the answers Prism really gives.


def _prism_problem(status: int, kind: str, validation: list | None = None) -> Exchange:
    body = {"type": f"https://stoplight.io/prism/errors#{kind}", "status": status, "detail": ""}
    if validation is not None:
        body["validation"] = validation
    return Exchange("GET", "/x", [], status, "application/problem+json", json.dumps(body).encode())


def _invalid(code: str, message: str, *location: str) -> Exchange:
    """Prism's 422 for one request that breaks one rule at `location` (under `request`)."""
    violation = {
        "location": ["request", *location],
        "severity": "Error",
        "code": code,
        "message": message,
    }
    return _prism_problem(422, "UNPROCESSABLE_ENTITY", [violation])


def test_classification_rules():
    wrong_path = _prism_problem(404, "NO_PATH_MATCHED_ERROR")
    assert classify(True, "upstream answered 404", None, [wrong_path])[0] == ADAPTGEN
    missing = _invalid("required", "Request query must have required property 'q'", "query")
    verdict, reason = classify(True, "upstream answered 422", None, [missing])
    assert (verdict, reason) == (ADAPTGEN, "422 required query.q not sent")
    # Prism reports a bracketed name missing however it is sent (its own percent-encoding):
    # sent, so the mock's; not sent, ours.
    bracketed = {**missing.json()["validation"][0]}
    bracketed["message"] = "Request query must have required property 'filter%5bbuild%5d'"
    misread = _prism_problem(422, "UNPROCESSABLE_ENTITY", [bracketed])
    misread.target = "/x?filter%5Bbuild%5D=test&limit=25"
    assert classify(True, "upstream answered 422", None, [misread])[0] == MOCK
    misread.target = "/x?limit=25"
    assert classify(True, "upstream answered 422", None, [misread])[0] == ADAPTGEN
    # A path parameter the called operation has not: Prism routed the request elsewhere
    # (hhs.gov's `/tags/tagLanguages.json` read as `/tags/{id}.{format}`).
    routed = _prism_problem(
        400,
        "UNPROCESSABLE_ENTITY",
        [
            {
                "location": ["request", "path", "id"],
                "severity": "Error",
                "code": "type",
                "message": "Request path parameter id must be integer",
            }
        ],
    )
    verdict, reason = classify(
        True, "upstream answered 400", None, [routed], path="/tags/tagLanguages.{format}"
    )
    assert verdict == MOCK
    assert "another operation" in reason
    assert classify(True, "", None, [routed], path="/tags/{id}.{format}")[0] == ADAPTGEN
    # Required there (Vertex AI's `/v1/test:importFeatureValues` routed to `/v1/{name}:...`).
    elsewhere = _invalid("required", "Request path must have required property 'name'", "path")
    feature_values = "/v1/{entityType}:importFeatureValues"
    assert classify(True, "", None, [elsewhere], path=feature_values)[0] == MOCK
    assert classify(True, "", None, [elsewhere], path="/v1/{name}:cancel")[0] == ADAPTGEN
    # Adjacent path parameters (healthcare.gov's `/blog/{pageName}{mediaTypeExtension}`, sent
    # as `/blog/test.json`): Prism reads the whole segment as the last one.
    unsplit = _invalid("required", "Request path must have required property 'pagename'", "path")
    adjacent = "/blog/{pageName}{mediaTypeExtension}"
    assert classify(True, "upstream answered 422", None, [unsplit], path=adjacent)[0] == MOCK
    assert classify(True, "", None, [unsplit], path="/blog/{pageName}.{ext}")[0] == ADAPTGEN
    no_example = _prism_problem(500, "NO_COMPLEX_OBJECT_TEXT")
    assert classify(True, "upstream answered 500", None, [no_example])[0] == MOCK
    assert classify(True, "KeyError: 'items'", None, [])[0] == ADAPTGEN
    full = Exchange("GET", "/x", [], 200, "application/json", b'{"file": {"tags": ["a"]}}')
    assert classify(False, "", {"items": []}, [full])[0] == EMPTY
    nothing = Exchange("GET", "/x", [], 200, "application/json", b'{"items": [], "ok": true}')
    assert classify(False, "", {"items": []}, [nothing])[0] == OK
    # A placeholder next link from the mock's example (`x-next: string`), followed verbatim.
    page = Exchange("GET", "/pets?limit=25", [], 200, "application/json", b"[{}]")
    page.response_headers = {"x-next": "string"}
    placeholder = _prism_problem(404, "NO_PATH_MATCHED_ERROR")
    placeholder.target = "/string"
    assert classify(True, "upstream answered 404", None, [page, placeholder])[0] == MOCK
    assert classify(True, "upstream answered 404", None, [page, wrong_path])[0] == ADAPTGEN
    # A 2xx the runtime read as a failure: the mock's when the body says so in words (the
    # spec's one example is a failure: Waterlinked's), ours when only the flag is false.
    said = b'{"error": "something went wrong", "success": false}'
    failed = Exchange("PUT", "/x", [], 200, "application/json", said)
    why = "upstream answered 200 OK, but its success is false: {...}"
    assert classify(True, why, None, [failed])[0] == MOCK
    bare = Exchange("PUT", "/x", [], 200, "application/json", b'{"success": false}')
    assert classify(True, why, None, [bare])[0] == ADAPTGEN


def test_arguments_follow_the_input_schema():
    schema = {
        "type": "object",
        "properties": {
            "sid": {"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"},
            "day": {"type": "string", "format": "date"},
            "wait": {"type": "string", "format": "duration"},  # Azure Personalizer's
            "n": {"type": "integer", "minimum": 5, "maximum": 9},
            "kind": {"type": "string", "enum": ["b", "a"]},
            "optional": {"type": "string"},
        },
        "required": ["sid", "day", "wait", "n", "kind"],
    }
    assert arguments_for(schema) == {
        "sid": "AC" + "0" * 32,
        "day": "2024-01-15",
        "wait": "PT5M",
        "n": 5,
        "kind": "b",
    }


def test_every_argument_that_can_be_made_is_sent_with_full_but_never_a_paging_one():
    """`--full`: optional arguments too, a list of two (one item reads the same in every array
    style), an object's optional fields filled; adaptgen's own paging arguments left out (a
    made-up cursor is a forged one), and an optional value the schema refuses dropped."""
    address = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "zip": {"type": "string", "pattern": "^\\d{5}$"},
        },
    }
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "ids": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
            "one": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
            "address": address,
            "cursor": {"type": "string"},
            "never": {"not": {}},
        },
        "required": ["id"],
    }
    assert arguments_for(schema) == {"id": 1}
    assert arguments_for(schema, every=True, leave={"cursor"}) == {
        "id": 1,
        "tags": ["test", "test2"],
        "ids": [1, 2],
        "one": ["test"],
        "address": {"city": "test", "zip": "00000"},
    }


def test_a_pattern_beside_a_format_takes_the_formats_own_value_when_it_fits():
    """beezup's email pattern `^.+@.+$` also takes "a@a", which Prism's email check refuses;
    a value of the format that fits the pattern is what an agent would send."""
    loose = {"type": "string", "format": "email", "pattern": "^.+@.+$"}
    strict = {"type": "string", "format": "email", "pattern": "^[a-z]@[a-z]$"}
    schema = {"type": "object", "properties": {"a": loose, "b": strict}, "required": ["a", "b"]}
    assert arguments_for(schema) == {"a": "user@example.com", "b": "a@a"}


def test_a_name_of_a_set_that_starts_with_a_dot_is_a_letter_not_a_dot():
    """AWS Pipes' `Name` is `^[\\.\\-_A-Za-z0-9]+$`: "." alone is no name (the runtime refuses a
    path segment of only dots), so the set's first letter or digit is taken."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^[\\.\\-_A-Za-z0-9]+$"},
            "sign": {"type": "string", "pattern": "^[+-]$"},
        },
        "required": ["name", "sign"],
    }
    assert arguments_for(schema) == {"name": "a", "sign": "+"}


def test_a_list_of_objects_of_no_required_field_gets_one_field_filled():
    """Redshift's `ModifyClusterParameterGroup` requires `Parameters`, objects none of whose
    fields is required: `[{}]` sends nothing in AWS's query protocol."""
    parameter = {
        "type": "object",
        "properties": {"ParameterName": {"type": "string"}, "ParameterValue": {"type": "string"}},
    }
    schema = {
        "type": "object",
        "properties": {"parameters": {"type": "array", "items": parameter}},
        "required": ["parameters"],
    }
    assert arguments_for(schema) == {"parameters": [{"ParameterName": "test"}]}


def test_a_credential_the_spec_declares_a_uuid_gets_a_uuid():
    """dodo.ac declares its key as a header parameter, `X-API-KEY`, `format: uuid`: Prism
    answered all 25 calls 422 while the bench's dummy was `dummy-...`. A real key is a UUID,
    so the dummy is one too; another scheme's stays as it was."""
    key = {"name": "X-API-KEY", "in": "header", "schema": {"type": "string", "format": "uuid"}}
    document = SpecDocument({"paths": {"/nh/fish": {"get": {"parameters": [key]}}}})
    schemes = [
        SimpleNamespace(kind="api_key", location="header", param_name="x-api-key", env=("K",)),
        SimpleNamespace(kind="api_key", location="query", param_name="token", env=("T",)),
    ]
    api = SimpleNamespace(
        base_url_env="B", timeout_env="O", env_prefix="P", env=("K", "T"), security_schemes=schemes
    )
    env = server_env(api, "http://127.0.0.1:1", document.credential_schemas())
    assert str(uuid.UUID(env["K"])) == env["K"]
    assert env["T"].startswith("dummy-")
    assert server_env(api, "http://127.0.0.1:1")["K"].startswith("dummy-")


def test_a_credential_the_spec_gives_a_pattern_gets_one_of_that_pattern():
    """whapi declares its `apiKey` header as `^[a-zA-Z0-9]{19,50}$`: Prism answered all 9
    calls 422 while the bench's dummy was `dummy-...` (a `-`, and too short)."""
    pattern = "^[a-zA-Z0-9]{19,50}$"
    key = {"name": "apiKey", "in": "header", "schema": {"type": "string", "pattern": pattern}}
    document = SpecDocument({"paths": {"/account": {"get": {"parameters": [key]}}}})
    schemes = [
        SimpleNamespace(kind="api_key", location="header", param_name="apiKey", env=("K",)),
    ]
    api = SimpleNamespace(
        base_url_env="B", timeout_env="O", env_prefix="P", env=("K",), security_schemes=schemes
    )
    env = server_env(api, "http://127.0.0.1:1", document.credential_schemas())
    assert re.fullmatch(pattern, env["K"])


def test_requests_checked_against_the_spec_where_prism_does_not():
    """Prism ignores undeclared query parameters, validates a request against whichever
    operation it routes it to, and any string passes for a string cursor."""
    tool = SimpleNamespace(path="/items/{id}#shared", pagination=None)
    declared = Declared(
        query={
            "fields": {"schema": {"type": "string"}},
            "offset": {"schema": {"type": "string"}, "example": "eyJ0eXAiOJiKV1iQLCJh"},
        },
        required_query={"fields"},
    )

    def sent(target: str) -> list[Exchange]:
        return [Exchange("GET", target, [], 200, "application/json", b"{}")]

    assert malformed_request(sent("/items/7?fields=a"), tool, declared) is None
    assert "not sent: fields" in malformed_request(sent("/items/7"), tool, declared)
    undeclared = malformed_request(sent("/items/7?fields=a&page=2"), tool, declared)
    assert "does not declare: page" in undeclared
    cursor = malformed_request(sent("/items/7?fields=a&offset=1"), tool, declared)
    assert "offset=1, a number" in cursor
    assert "not the operation's" in malformed_request(sent("/items/7/x"), tool, declared)
    # An ARN is one path value: its `/` goes as `%2F` (RFC 6570), no extra segment.
    arn = "/items/arn%3Aaws%3Ascans%2Fa?fields=a"
    assert malformed_request(sent(arn), tool, declared) is None


def test_an_aws_query_argument_is_sent_as_its_parts():
    """AWS's query protocol sends a structure as `EventDestination.Name=...` and a flattened
    list under its member's name (`AttributeName.1`): those are the declared `EventDestination`
    and `AttributeNames`, sent (`Param.aws_query`), not missing nor undeclared."""
    flat = {"list": {"member": "AttributeName", "flat": True, "items": None}}
    params = (
        SimpleNamespace(api_name="EventDestination", aws_query={"fields": {}}),
        SimpleNamespace(api_name="AttributeNames", aws_query=flat),
        SimpleNamespace(api_name="Action", aws_query=None),
    )
    upstream = SimpleNamespace(params=params)
    tool = SimpleNamespace(path="/#Action=Create", pagination=None, upstream=upstream)
    declared = Declared(
        query={"Action": {}, "EventDestination": {}, "AttributeNames": {}},
        required_query={"Action", "EventDestination"},
    )

    def sent(target: str) -> list[Exchange]:
        return [Exchange("GET", target, [], 200, "text/xml", b"<r/>")]

    parts = "/?Action=Create&EventDestination.Name=n&EventDestination.Types.member.1=send"
    assert malformed_request(sent(parts + "&AttributeName.1=All"), tool, declared) is None
    assert "not sent: EventDestination" in malformed_request(
        sent("/?Action=Create"), tool, declared
    )
    other = malformed_request(sent(parts + "&Other.Name=x"), tool, declared)
    assert "does not declare: Other.Name" in other


def test_the_path_key_keeps_the_fragment_prism_routes_by():
    """`/v1/domain#domain` (APIs.guru's AWS specs): the request is `/v1/domain?domain=...`,
    which Prism cannot route to that key, so its 404 there is the mock's, not adaptgen's."""
    tool = SimpleNamespace(pointer="/paths/~1v1~1domain#domain/get", path="/v1/domain")
    assert _path_key(tool) == "/v1/domain#domain"
    assert _path_key(SimpleNamespace(pointer="", path="/items")) == "/items"


def test_a_path_key_prism_cannot_route_or_judges_as_another_operation():
    """`/v1/domain#domain` Prism cannot route at all; FormAPI's `/templates?desc=html` (JSON)
    Prism routes to `/templates` (multipart) and refuses the JSON body: both the mock's."""
    post = {"post": {"responses": {"201": {"description": "ok"}}}}
    document = SpecDocument({"paths": {"/templates": post, "/templates?desc=html": post}})
    refused = "415 INVALID_CONTENT_TYPE without details"
    judged = misrouted_by_prism("/templates?desc=html", "POST", refused, document)
    assert judged is not None and "operation of /templates, not /templates?desc=html" in judged
    assert misrouted_by_prism("/templates", "POST", refused, document) is None
    assert misrouted_by_prism("/other?desc=html", "POST", refused, document) is None
    assert misrouted_by_prism("/templates?desc=html", "GET", refused, document) is None
    unmatched = "404 NO_PATH_MATCHED_ERROR: path or method not in the spec"
    assert "cannot route" in misrouted_by_prism("/v1/domain#domain", "GET", unmatched, document)


def test_two_templates_of_one_shape_are_the_mocks_to_tell_apart():
    """VTEX's marketplace protocol: `/{fulfillmentEndpoint}/pvt/orders/{orderId}/cancel` and
    `/{marketplaceServicesEndpoint}/pvt/orders/{marketplaceOrderId}/cancel` match the same
    requests; Prism checked our body against the other's (`reason` required)."""
    post = {"post": {"responses": {"200": {"description": "ok"}}}}
    first, second = "/{a}/pvt/orders/{id}/cancel", "/{b}/pvt/orders/{order}/cancel"
    document = SpecDocument({"paths": {first: post, second: post, "/{a}/pvt/orders": post}})
    refused = "422 required body.reason not sent"
    judged = misrouted_by_prism(first, "POST", refused, document)
    assert judged is not None and f"cannot tell {first} from {second}" in judged
    assert misrouted_by_prism(first, "GET", refused, document) is None
    assert misrouted_by_prism("/{a}/pvt/orders", "POST", refused, document) is None
    # APIs.guru kept Azure's two templates of one shape apart by a fragment no request has.
    put = {"put": {"responses": {"200": {"description": "ok"}}}}
    dummy = "/{applicationDefinitionId}#disambiguation_dummy"
    azure = SpecDocument({"paths": {"/{applicationId}": put, dummy: put}})
    judged = misrouted_by_prism(dummy, "PUT", "422 required body.kind not sent", azure)
    assert judged is not None and "cannot tell" in judged and "/{applicationId}" in judged


def _one_of_refused(where: str, name: str) -> dict[str, Any]:
    """Prism's finding on a parameter that matched no or several of its `oneOf` forms."""
    return {
        "location": ["request", where, name],
        "severity": "Error",
        "code": "oneOf",
        "message": f"Request {where} parameter {name} must match exactly one schema in oneOf",
    }


def test_a_one_of_told_apart_only_by_format_is_the_mocks_to_refuse():
    """Shutterstock's `asset_id`: one of two strings that differ only by `format`. Every string
    matches both, so Prism refuses any value ("must match exactly one schema in oneOf")."""
    forms = [{"type": "string", "format": "asset-id"}, {"type": "string", "format": "upload-id"}]
    declared = Declared(query={"asset_id": {"schema": {"oneOf": forms}}})
    refused = _one_of_refused("query", "asset_id")
    answer = _prism_problem(400, "UNPROCESSABLE_ENTITY", [refused])
    assert "no value passes Prism" in one_of_nothing_passes([answer], declared)
    # Forms a value can tell apart: what we sent matched neither or both, ours to answer for.
    typed = [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "integer"}]
    assert (
        one_of_nothing_passes([answer], Declared(query={"asset_id": {"schema": {"oneOf": typed}}}))
        is None
    )
    other = {**refused, "code": "type"}
    assert one_of_nothing_passes([_prism_problem(400, "X", [other])], declared) is None


def test_a_query_list_of_objects_has_no_form_prism_reads():
    """Box's `mdfilters`, a list of `$ref`'d objects in the query: OpenAPI's styles serialize a
    list of plain values only, and Prism reads each item sent as a string. A list of strings
    refused so is ours (its form is defined), and so is another violation beside it."""
    filters = {"type": "object", "properties": {"scope": {"type": "string"}}}
    document = SpecDocument({"components": {"schemas": {"Filter": filters}}})
    listed = {"type": "array", "items": {"$ref": "#/components/schemas/Filter"}}
    declared = Declared(query={"mdFilters": {"schema": listed}})

    def refused(name: str, kind: str) -> dict:
        return {
            "location": ["request", "query", name, "0"],
            "severity": "Error",
            "code": "type",
            "message": f"Request query parameter {name}.0 must be {kind}",
        }

    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [refused("mdfilters", "object")])
    said = query_nesting_unread_by_prism([answer], declared, document)
    assert said is not None and "no query form for a list of objects" in said
    strings = Declared(query={"mdFilters": {"schema": {"type": "array", "items": {}}}})
    assert query_nesting_unread_by_prism([answer], strings, document) is None
    beside = {**refused("mdfilters", "object"), "code": "required"}
    both = _prism_problem(422, "UNPROCESSABLE_ENTITY", [refused("mdfilters", "object"), beside])
    assert query_nesting_unread_by_prism([both], declared, document) is None


def test_a_number_in_a_url_that_is_one_of_a_number_or_any_string_is_the_mocks_to_refuse():
    """GitHub's `workflow_id`: `oneOf: [integer, string]`, "the ID of the workflow, or its file
    name". Any text matches the string, so a refusal means the value (a number: all an agent
    has for an id) matched both, as Prism reads the URL's `5` as an integer too."""
    forms = [{"type": "integer"}, {"type": "string"}]
    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [_one_of_refused("path", "workflow_id")])
    declared = Declared(path={"workflow_id": {"schema": {"oneOf": forms}}})
    assert "reads a number in a URL as both" in one_of_nothing_passes([answer], declared)
    assert one_of_nothing_passes([answer], Declared()) is None  # a path it does not know


def test_a_body_that_matches_several_one_of_forms_is_the_mocks_to_refuse():
    """ShipEngine's carrier connection: `oneOf` 27 forms, five of them identical (`nickname`,
    `username`, `password`), and its settings five forms of optional fields only, which an
    empty body matches all of. Prism refuses such a body (with each other form's findings);
    a body that matches one form, or none, is ours to answer for. OAS 3's `$ref`s are followed
    (a request body, its schema, each form), and Swagger 2's `in: body` is read the same."""
    login = {
        "type": "object",
        "additionalProperties": False,
        "required": ["nickname", "username", "password"],
        "properties": {k: {"type": "string"} for k in ("nickname", "username", "password")},
    }
    token = {
        "type": "object",
        "additionalProperties": False,
        "required": ["nickname", "auth_code"],
        "properties": {"nickname": {"type": "string"}, "auth_code": {"type": "string"}},
    }
    optional = {"type": "object", "properties": {"primary": {"type": "boolean"}}}
    forms = {"refs": [{"$ref": "#/components/schemas/apc"}, {"$ref": "#/components/schemas/imex"}]}
    connect = {"oneOf": [*forms["refs"], {"$ref": "#/components/schemas/amazon"}]}
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/connect"}}}}
    document = SpecDocument(
        {
            "openapi": "3.0.0",
            "paths": {
                "/carriers/{name}": {
                    "post": {"requestBody": {"$ref": "#/components/requestBodies/c"}}
                },
                "/spotsets": {
                    "post": {
                        "requestBody": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "allOf": [optional, {"$ref": "#/components/schemas/kinds"}]
                                    }
                                }
                            }
                        }
                    }
                },
                "/settings": {
                    "put": {
                        "requestBody": {
                            "content": {
                                "application/json": {
                                    "schema": {"oneOf": [optional, {**optional, "title": "other"}]}
                                }
                            }
                        }
                    }
                },
            },
            "components": {
                "requestBodies": {"c": body},
                "schemas": {
                    "apc": login,
                    "imex": login,
                    "amazon": token,
                    "connect": connect,
                    "kinds": {"oneOf": [optional, {**optional, "title": "other"}]},
                },
            },
        }
    )
    oneof = refused(["body"], "oneOf", "Request body must match exactly one schema in oneOf")
    other = refused(["body"], "required", "Request body must have required property 'auth_code'")
    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [other, oneof])
    declared = document.declared("/carriers/{name}", "POST")
    assert len(declared.body_forms) == 3
    sent = {"nickname": "a", "username": "b", "password": "c"}
    said = body_forms_matched([answer], declared, sent, document)
    assert said is not None and "matches 2 of the spec's 3 oneOf forms" in said
    alone = {"nickname": "a", "auth_code": "b"}
    assert body_forms_matched([answer], declared, alone, document) is None
    assert body_forms_matched([answer], declared, {"nickname": "a"}, document) is None
    typed = refused(["query", "limit"], "type", "Request query parameter limit must be integer")
    mixed = _prism_problem(422, "UNPROCESSABLE_ENTITY", [typed, oneof])
    assert body_forms_matched([mixed], declared, sent, document) is None
    settings = document.declared("/settings", "PUT")
    assert body_forms_matched([answer], settings, {}, document) is not None
    spots = document.declared("/spotsets", "POST")  # intellifi: allOf [base, {oneOf: ...}]
    assert len(spots.body_forms) == 2
    assert body_forms_matched([answer], spots, {}, document) is not None
    assert body_forms_matched([answer], settings, {"primary": "yes"}, document) is None
    swagger = SpecDocument(
        {
            "swagger": "2.0",
            "paths": {
                "/c": {"post": {"parameters": [{"in": "body", "name": "b", "schema": connect}]}}
            },
            "definitions": {},
            "components": {"schemas": {"apc": login, "imex": login, "amazon": token}},
        }
    )
    assert len(swagger.declared("/c", "POST").body_forms) == 3
    assert body_forms_matched([answer], swagger.declared("/c", "POST"), sent, swagger) is not None


def test_an_operation_is_found_by_its_path_key_when_it_has_no_operation_id():
    """openSUSE's build service: two GETs without operationIds, at `/published/{p}` and at
    `/published/{p}?view=status`. The second's `view=status` is its own, not undeclared."""
    get = {"get": {"responses": {"200": {"description": "ok"}}}}
    document = SpecDocument({"paths": {"/published/{p}": get, "/published/{p}?view=status": get}})
    pointer = "/paths/~1published~1{p}?view=status/get"
    status = SimpleNamespace(pointer=pointer, path="/published/{p}", method="GET", operation_id="")
    assert "view" in document.declared_for(status).query
    plain = SimpleNamespace(pointer="/paths/~1published~1{p}/get", path="/published/{p}")
    assert (
        "view"
        not in document.declared_for(
            SimpleNamespace(**vars(plain), method="GET", operation_id="")
        ).query
    )


def refused(where: list[str], code: str, message: str) -> dict[str, Any]:
    """One violation as Prism writes it in `sl-violations`."""
    return {"location": ["request", *where], "severity": "Error", "code": code, "message": message}


def bodied(media: str, flattened: bool = False) -> SimpleNamespace:
    """A tool whose upstream body has this media type, as the Prism checks read it."""
    body = SimpleNamespace(media_type=media, flattened=flattened)
    return SimpleNamespace(upstream=SimpleNamespace(body=body))


def test_prism_reads_no_xml_body():
    """Prism parses no XML request body: it judges the document as a string ("Request body
    must be object"), so its verdict on an XML body is the mock's, on a JSON one ours."""
    unread = {
        "location": ["request", "body"],
        "severity": "Error",
        "code": "type",
        "message": "Request body must be object",
    }
    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread])

    assert "reads no XML body" in xml_unread_by_prism(bodied("text/xml"), [answer])
    assert xml_unread_by_prism(bodied("application/json"), [answer]) is None
    query = {**unread, "location": ["request", "query", "q"]}
    other = _prism_problem(422, "UNPROCESSABLE_ENTITY", [query])
    assert xml_unread_by_prism(bodied("text/xml"), [other]) is None


def test_prism_reads_no_form_as_a_string():
    """Spoonacular's forms are strings in its spec (`text=I like tacos`): Prism parses the form
    into an object and finds it no string, whatever is sent; beside an Accept header's, the
    verdict is the mock's. On a form of fields, or on any other violation, it is ours."""
    unread = refused(["body"], "type", "Request body must be string")
    accept = refused(
        ["header", "accept"],
        "enum",
        "Request header parameter accept must be equal to one of the allowed values",
    )
    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread, accept])

    form = "application/x-www-form-urlencoded"
    assert "never a string" in form_string_unread_by_prism(bodied(form), [answer])
    assert "never a string" in form_string_unread_by_prism(bodied("multipart/form-data"), [answer])
    assert form_string_unread_by_prism(bodied(form, flattened=True), [answer]) is None
    assert form_string_unread_by_prism(bodied("application/json"), [answer]) is None
    required = {**unread, "code": "required", "message": "must have required property 'q'"}
    other = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread, required])
    assert form_string_unread_by_prism(bodied(form), [other]) is None


def test_prism_reads_no_multipart_field_as_a_list():
    """pdfblocks' `file: [binary]` goes as one part a file (Telegram's `media`, one JSON part):
    Prism reads each part as a string and refuses the list, so the verdict is the mock's. On a
    JSON body, or beside another violation, it is ours."""
    unread = {
        "location": ["request", "body", "file"],
        "severity": "Error",
        "code": "type",
        "message": "Request body property file must be array",
    }
    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread])

    said = form_array_unread_by_prism(bodied("multipart/form-data"), [answer])
    assert said is not None and "never a list" in said
    assert form_array_unread_by_prism(bodied("application/json"), [answer]) is None
    required = {**unread, "code": "required", "message": "must have required property 'q'"}
    other = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread, required])
    assert form_array_unread_by_prism(bodied("multipart/form-data"), [other]) is None
    wrong = {**unread, "message": "Request body property file must be integer"}
    mistyped = _prism_problem(422, "UNPROCESSABLE_ENTITY", [wrong])
    assert form_array_unread_by_prism(bodied("multipart/form-data"), [mistyped]) is None


def test_prism_reads_no_multipart_object_nor_a_repeated_url_encoded_field_as_a_list():
    """Box's `attributes` goes as one JSON part, which Prism reads as a string; Twilio's
    `RecordingStatusCallbackEvent` as the field repeated (OpenAPI's exploded `form`), which
    Prism reads as a list only when written `name[]=`. An object in a URL-encoded body is
    no list Prism misreads: ours."""
    urlencoded = "application/x-www-form-urlencoded"

    def refused(field: str, kind: str) -> object:
        violation = {
            "location": ["request", "body", field],
            "severity": "Error",
            "code": "type",
            "message": f"Request body property {field} must be {kind}",
        }
        return _prism_problem(422, "UNPROCESSABLE_ENTITY", [violation])

    said = form_array_unread_by_prism(
        bodied("multipart/form-data"), [refused("attributes", "object")]
    )
    assert said is not None and "never a list or an object" in said
    said = form_array_unread_by_prism(bodied(urlencoded), [refused("Event", "array")])
    assert said is not None and "name[]=" in said
    assert form_array_unread_by_prism(bodied(urlencoded), [refused("attributes", "object")]) is None


def test_prism_judges_raw_bytes_typed_as_an_object_as_an_object():
    """Azure Data Lake's append types its `application/octet-stream` body `{type: object,
    format: file}` (Swagger 2's file, converted) and requires `Transfer-Encoding: chunked`:
    Prism refuses any bytes as no object and asks for a header the HTTP client frames, so the
    verdict is the mock's. On a JSON body, an XML one (`xml_unread_by_prism`), or beside
    another violation, it is ours."""
    unread = refused(["body"], "type", "Request body must be object")
    framed = refused(
        ["header"], "required", "Request header must have required property 'transfer-encoding'"
    )
    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread, framed])

    said = bytes_unread_by_prism(bodied("application/octet-stream"), [answer])
    assert said is not None and "raw application/octet-stream bytes" in said
    assert bytes_unread_by_prism(bodied("image/png"), [answer]) is not None
    assert bytes_unread_by_prism(bodied("application/json"), [answer]) is None
    assert bytes_unread_by_prism(bodied("text/xml"), [answer]) is None
    query = {**framed, "message": "Request header must have required property 'x-tenant'"}
    other = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread, query])
    assert bytes_unread_by_prism(bodied("application/octet-stream"), [other]) is None
    verdict, reason = classify(True, "422", None, [_prism_problem(422, "X", [framed])])
    assert verdict == MOCK and "the client frames" in reason


def test_a_call_dynamic_prism_never_answers_is_judged_by_the_static_answer():
    """Dynamic Prism hangs generating IoT TwinMaker's answers (curl against it: nothing in 20 s;
    static Prism: 200 at once), and the server's upstream timeout then ends the call. That is
    no answer, so the static one stands; an answer of any kind, an error too, is one."""

    def result(text: str, is_error: bool = True) -> SimpleNamespace:
        return SimpleNamespace(is_error=is_error, content=[SimpleNamespace(text=text)])

    waited = "POST /workspaces/{workspaceId}/entity-properties: upstream timed out after 15s"
    assert unanswered(None) and unanswered(result(waited))
    assert not unanswered(result("upstream answered 422 Unprocessable Entity"))
    assert not unanswered(result("upstream timed out", is_error=False))


def test_an_xml_answer_is_judged_by_its_data():
    """An XML body holds data or not as a JSON one does: Prism's `<xml></xml>` (an object
    schema with no fields) holds none, so an empty result from it is right, and a static one
    sends the call to dynamic Prism; a document with values is data an empty result lost."""
    bare = Exchange("GET", "/x", [], 200, "application/xml", b"<xml></xml>")
    assert classify(False, "", {}, [bare])[0] == OK
    assert needs_dynamic([bare])
    held = Exchange("GET", "/x", [], 200, "text/xml; charset=utf-8", b"<r><a>1</a></r>")
    assert classify(False, "", {}, [held]) == (
        EMPTY,
        "an empty result from an upstream body with data",
    )
    assert not needs_dynamic([held])
    text = Exchange("GET", "/x", [], 200, "text/plain", b"hello")
    assert "neither JSON nor XML" in classify(False, "", "", [text])[1]


def test_prism_judges_a_body_by_a_wildcard_listed_before_its_type():
    """Apicurio Registry's artifacts: `*/*` (the raw file, a string) is listed before
    `application/create.extended+json` (an object): Prism judges the object sent under the
    second by the first, and refuses it as no string, so the verdict is the mock's. A type
    listed before the wildcard, a wildcard that does not cover the type, or another
    violation beside it, and it is ours."""
    unread = refused(["body"], "type", "Request body must be string")
    answer = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread])
    extended = "application/create.extended+json"

    def declared(*media: str) -> Declared:
        return Declared(media_types=list(media))

    said = wildcard_judged_by_prism(bodied(extended), [answer], declared("*/*", extended))
    assert said is not None and "by the */* listed before it" in said
    ranged = declared("application/*", extended)
    assert wildcard_judged_by_prism(bodied(extended), [answer], ranged) is not None
    assert wildcard_judged_by_prism(bodied(extended), [answer], declared(extended, "*/*")) is None
    assert (
        wildcard_judged_by_prism(bodied(extended), [answer], declared("text/*", extended)) is None
    )
    assert wildcard_judged_by_prism(bodied(extended), [answer], None) is None
    required = refused(["query"], "required", "must have required property 'q'")
    other = _prism_problem(422, "UNPROCESSABLE_ENTITY", [unread, required])
    assert wildcard_judged_by_prism(bodied(extended), [other], declared("*/*", extended)) is None
    spec = SpecDocument(
        {
            "paths": {
                "/a": {
                    "post": {
                        "requestBody": {
                            "content": {"*/*": {}, "Application/JSON; charset=utf-8": {}}
                        }
                    }
                }
            }
        }
    )
    assert spec.declared("/a", "POST").media_types == ["*/*", "application/json"]


def test_a_next_link_followed_at_the_api_version_asked_is_the_answers():
    """Azure Image Builder's example `nextLink` carries no `api-version`; adaptgen follows it
    at the version the first page was asked at, as Azure's clients do. That request's URL is
    the answer's, not adaptgen's (its `skip-token` is no parameter adaptgen chose), and any
    other parameter added makes it adaptgen's again."""

    link = "https://management.azure.com/subscriptions/%7Bsub%7D/imageTemplates?skip-token=2"
    first = Exchange(
        "GET",
        "/subscriptions/test/imageTemplates?api-version=2019-05-01-preview",
        [],
        200,
        "application/json",
        json.dumps({"value": [], "nextLink": link}).encode(),
    )
    followed = "/subscriptions/%7Bsub%7D/imageTemplates?skip-token=2&api-version=2019-05-01-preview"
    assert first.supplied(Exchange("GET", followed, [], 200, "application/json", b"{}"))
    more = Exchange("GET", followed + "&top=5", [], 200, "application/json", b"{}")
    assert not first.supplied(more)


def test_a_401_of_an_operation_that_asks_no_credentials_is_the_specs_own():
    """Clubhouse's `POST /follow`: its one answer is a 401 and it declares no security, so
    there was nothing to send; where the operation asks for credentials, a 401 stays ours."""
    from bench.realworld_bench import no_credentials_asked

    reason = "401 UNAUTHORIZED: credentials not sent as the spec requires"
    said = no_credentials_asked(reason, Declared())
    assert said is not None and "asks for no credentials" in said
    assert no_credentials_asked(reason, Declared(secured=True)) is None
    assert no_credentials_asked("422 invalid body.x (type)", Declared()) is None
    document = SpecDocument({"security": [{"key": []}], "paths": {"/f": {"post": {}}}})
    assert document.declared("/f", "POST").secured
    open_ = SpecDocument({"security": [{"key": []}], "paths": {"/f": {"post": {"security": []}}}})
    assert not open_.declared("/f", "POST").secured
