"""Tests for the Swagger 2.0 -> OpenAPI 3.0 converter (adaptgen.load.swagger2)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from adaptgen.load.swagger2 import ConversionWarning, convert_swagger2

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"


# --------------------------------------------------------------------------- helpers


def make_doc(**fields: Any) -> dict[str, Any]:
    """A minimal valid 2.0 document, with `fields` overriding/adding top-level keys."""
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "T", "version": "1"},
        "paths": {},
    }
    doc.update(fields)
    return doc


def one_op(
    parameters: list[Any] | None = None, method: str = "post", path: str = "/things", **op: Any
) -> dict[str, Any]:
    """A `paths` mapping with a single operation."""
    operation: dict[str, Any] = {"responses": {"200": {"description": "ok"}}, **op}
    if parameters is not None:
        operation["parameters"] = parameters
    return {path: {method: operation}}


def convert(doc: dict[str, Any]) -> tuple[dict[str, Any], list[ConversionWarning]]:
    """Convert, checking the universal guarantees (no mutation, determinism) on the way."""
    before = copy.deepcopy(doc)
    out, warnings = convert_swagger2(doc)
    assert doc == before, "input was mutated"
    again, warnings_again = convert_swagger2(doc)
    assert json.dumps(out) == json.dumps(again)  # json.dumps keeps key order
    assert warnings == warnings_again
    return out, warnings


def pointers(warnings: list[ConversionWarning]) -> list[str]:
    return [w.pointer for w in warnings]


def resolve_pointer(doc: Any, pointer: str) -> Any:
    node = doc
    for raw in pointer.split("/")[1:]:
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def iter_refs(node: Any, path: str = "") -> list[tuple[str, str]]:
    """All ($ref value, location) pairs in a document."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.append((ref, path))
        for key, value in node.items():
            found.extend(iter_refs(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(iter_refs(value, f"{path}/{i}"))
    return found


def assert_local_refs_resolve(doc: dict[str, Any]) -> None:
    for ref, where in iter_refs(doc):
        if ref.startswith("#"):
            try:
                resolve_pointer(doc, ref[1:])
            except (KeyError, IndexError, ValueError):
                pytest.fail(f"dangling $ref {ref!r} at {where}")


def assert_no_shared_containers(node: Any) -> None:
    """Output must be a tree: a shared dict would let one consumer's edit leak elsewhere."""
    seen: dict[int, Any] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict | list):
            assert id(value) not in seen, "the same container appears twice in the output"
            seen[id(value)] = value
            for child in value.values() if isinstance(value, dict) else value:
                walk(child)

    walk(node)


def validate_oas30(doc: dict[str, Any]) -> None:
    """Validate with openapi-spec-validator when available, else with openapi-pydantic."""
    try:
        from openapi_spec_validator import validate
    except ImportError:
        from openapi_pydantic.v3.v3_0 import OpenAPI

        OpenAPI.model_validate(doc)
    else:
        validate(doc)


# --------------------------------------------------------------------------- servers


@pytest.mark.parametrize(
    ("fields", "urls"),
    [
        (
            {"host": "api.example.com", "basePath": "/v1", "schemes": ["http", "https"]},
            ["https://api.example.com/v1", "http://api.example.com/v1"],
        ),
        ({"host": "api.example.com:8443", "schemes": ["https"]}, ["https://api.example.com:8443"]),
        ({"basePath": "/v2"}, ["/v2"]),
        ({"basePath": "/v2/", "schemes": ["https"]}, ["/v2"]),
        ({}, ["/"]),
        ({"host": "h.io", "basePath": "/", "schemes": ["HTTPS"]}, ["https://h.io"]),
    ],
)
def test_servers(fields: dict[str, Any], urls: list[str]) -> None:
    out, warnings = convert(make_doc(**fields))
    assert [s["url"] for s in out["servers"]] == urls
    assert warnings == []


def test_host_without_schemes_is_protocol_relative_with_warning() -> None:
    out, warnings = convert(make_doc(host="api.example.com", basePath="/v1"))
    assert out["servers"] == [{"url": "//api.example.com/v1"}]
    assert pointers(warnings) == ["/host"]


def test_operation_schemes_become_operation_servers() -> None:
    doc = make_doc(host="h.io", schemes=["https"], paths=one_op(schemes=["http"]))
    out, _ = convert(doc)
    assert out["paths"]["/things"]["post"]["servers"] == [{"url": "http://h.io"}]
    same = make_doc(host="h.io", schemes=["https"], paths=one_op(schemes=["https"]))
    assert "servers" not in convert(same)[0]["paths"]["/things"]["post"]


def test_azure_parameterized_host_names_the_servers() -> None:
    """AutoRest's `x-ms-parameterized-host` replaces `host`: Key Vault's `{vaultBaseUrl}`
    and Cognitive Services' `{Endpoint}/...` carry their own scheme; a storage account's name
    goes in front of the scheme's host. Its parameters, inline or `$ref`, become variables."""
    vault = make_doc(
        host="management.azure.com",
        schemes=["https"],
        paths=one_op(schemes=["http"]),
        parameters={
            "Endpoint": {"name": "Endpoint", "in": "path", "required": True, "type": "string"}
        },
        **{
            "x-ms-parameterized-host": {
                "hostTemplate": "{Endpoint}/text/analytics/{ApiVersion}",
                "useSchemePrefix": False,
                "parameters": [
                    {"$ref": "#/parameters/Endpoint"},
                    {
                        "name": "ApiVersion",
                        "in": "path",
                        "type": "string",
                        "enum": ["v3.0", "v3.1"],
                        "default": "v3.1",
                        "description": "The version",
                    },
                ],
            }
        },
    )
    out, warnings = convert(vault)
    assert out["servers"] == [
        {
            "url": "{Endpoint}/text/analytics/{ApiVersion}",
            "variables": {
                "Endpoint": {"default": ""},
                "ApiVersion": {
                    "default": "v3.1",
                    "enum": ["v3.0", "v3.1"],
                    "description": "The version",
                },
            },
        }
    ]
    assert "servers" not in out["paths"]["/things"]["post"]  # the operation's scheme is moot
    assert warnings == []
    blob = make_doc(
        basePath="/v1/",
        schemes=["http", "https"],
        **{
            "x-ms-parameterized-host": {
                "hostTemplate": "{accountName}.blob.core.windows.net",
                "parameters": [{"name": "accountName", "in": "path", "type": "string"}],
            }
        },
    )
    urls = [s["url"] for s in convert(blob)[0]["servers"]]
    assert urls == [
        "https://{accountName}.blob.core.windows.net/v1",
        "http://{accountName}.blob.core.windows.net/v1",
    ]
    broken = make_doc(host="h.io", schemes=["https"], **{"x-ms-parameterized-host": {}})
    out, warnings = convert(broken)
    assert out["servers"] == [{"url": "https://h.io"}]
    assert pointers(warnings) == ["/x-ms-parameterized-host"]


# --------------------------------------------------------------------------- top level


def test_top_level_fields_kept() -> None:
    doc = make_doc(
        info={"title": "T", "version": "1", "x-logo": {"url": "l.png"}},
        tags=[{"name": "pets", "description": "Pets"}],
        externalDocs={"url": "https://docs"},
        security=[{"key": []}],
        securityDefinitions={"key": {"type": "apiKey", "name": "X-Key", "in": "header"}},
        **{"x-custom": {"a": 1}},
    )
    out, warnings = convert(doc)
    assert out["openapi"] == "3.0.3"
    assert out["info"] == doc["info"]
    assert out["tags"] == doc["tags"]
    assert out["externalDocs"] == doc["externalDocs"]
    assert out["security"] == [{"key": []}]
    assert out["x-custom"] == {"a": 1}
    assert warnings == []
    validate_oas30(out)


def test_unknown_top_level_field_is_warned() -> None:
    out, warnings = convert(make_doc(bogus=1))
    assert "bogus" not in out
    assert pointers(warnings) == ["/bogus"]


def test_yaml_float_version_is_stringified() -> None:
    out, warnings = convert(make_doc(info={"title": "T", "version": 1.0}))
    assert out["info"]["version"] == "1.0"
    assert pointers(warnings) == ["/info/version"]


@pytest.mark.parametrize(
    ("doc", "pointer"),
    [
        ({"swagger": "2.0", "info": {}, "paths": []}, "/paths"),
        ({"swagger": "3.0", "info": {}, "paths": {}}, "/swagger"),
        ({"openapi": "3.0.0", "info": {}, "paths": {}}, "/swagger"),
        (make_doc(definitions=["x"]), "/definitions"),
    ],
)
def test_structurally_broken_input_raises_value_error(doc: dict[str, Any], pointer: str) -> None:
    with pytest.raises(ValueError, match=pointer):
        convert_swagger2(doc)


def test_non_mapping_document_raises_value_error() -> None:
    with pytest.raises(ValueError):
        convert_swagger2([])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- components / refs


def test_definitions_become_schemas_and_refs_are_rewritten_everywhere() -> None:
    doc = make_doc(
        definitions={
            "Pet": {
                "type": "object",
                "properties": {
                    "owner": {"$ref": "#/definitions/Owner"},
                    "tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}},
                    "extra": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/definitions/Tag"},
                    },
                },
            },
            "Owner": {"type": "string"},
            "Tag": {"type": "string"},
            "Dog": {"allOf": [{"$ref": "#/definitions/Pet"}, {"type": "object"}]},
        },
        paths=one_op([{"in": "body", "name": "pet", "schema": {"$ref": "#/definitions/Pet"}}]),
    )
    out, warnings = convert(doc)
    schemas = out["components"]["schemas"]
    assert list(schemas) == ["Pet", "Owner", "Tag", "Dog"]
    props = schemas["Pet"]["properties"]
    assert props["owner"] == {"$ref": "#/components/schemas/Owner"}
    assert props["tags"]["items"] == {"$ref": "#/components/schemas/Tag"}
    assert props["extra"]["additionalProperties"] == {"$ref": "#/components/schemas/Tag"}
    assert schemas["Dog"]["allOf"][0] == {"$ref": "#/components/schemas/Pet"}
    body = out["paths"]["/things"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pet"}
    assert warnings == []
    assert_local_refs_resolve(out)
    validate_oas30(out)


def test_external_refs_keep_file_part() -> None:
    doc = make_doc(
        definitions={
            "A": {"$ref": "other.yaml#/definitions/X"},
            "B": {"$ref": "other.yaml#/securityDefinitions/k"},
            "C": {"$ref": "#/definitions/A/properties/id"},
        },
        paths=one_op(
            [{"$ref": "common.yaml#/parameters/Limit"}],
            responses={"404": {"$ref": "common.yaml#/responses/NotFound"}},
        ),
    )
    out, warnings = convert(doc)
    schemas = out["components"]["schemas"]
    assert schemas["A"] == {"$ref": "other.yaml#/components/schemas/X"}
    assert schemas["B"] == {"$ref": "other.yaml#/components/securitySchemes/k"}
    assert schemas["C"] == {"$ref": "#/components/schemas/A/properties/id"}
    op = out["paths"]["/things"]["post"]
    assert op["parameters"] == [{"$ref": "common.yaml#/components/parameters/Limit"}]
    assert op["responses"]["404"] == {"$ref": "common.yaml#/components/responses/NotFound"}
    # The kind of an external parameter is unknowable without I/O: said so.
    assert pointers(warnings) == ["/paths/~1things/post/parameters/0/$ref"]


def test_invalid_component_names_are_renamed_consistently() -> None:
    doc = make_doc(
        definitions={
            "List«Pet»": {"type": "array", "items": {"$ref": "#/definitions/Pet"}},
            "Pet": {"type": "object"},
            "List_Pet_": {"type": "string"},  # already taken: the rename must avoid it
        },
        paths=one_op(
            responses={"200": {"description": "ok", "schema": {"$ref": "#/definitions/List«Pet»"}}}
        ),
    )
    out, warnings = convert(doc)
    assert list(out["components"]["schemas"]) == ["List_Pet__2", "Pet", "List_Pet_"]
    schema = out["paths"]["/things"]["post"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"] == {"$ref": "#/components/schemas/List_Pet__2"}
    assert pointers(warnings) == ["/definitions/List«Pet»"]
    assert_local_refs_resolve(out)
    validate_oas30(out)


def test_dangling_ref_is_warned_not_raised() -> None:
    doc = make_doc(definitions={"A": {"$ref": "#/definitions/Missing"}})
    out, warnings = convert(doc)
    assert out["components"]["schemas"]["A"] == {"$ref": "#/components/schemas/Missing"}
    assert pointers(warnings) == ["/definitions/A/$ref"]


def test_global_parameters_split_into_parameters_request_bodies_and_inlined_forms() -> None:
    doc = make_doc(
        parameters={
            "limit": {"name": "limit", "in": "query", "type": "integer"},
            "petBody": {
                "name": "pet",
                "in": "body",
                "required": True,
                "schema": {"type": "object"},
            },
            "note": {"name": "note", "in": "formData", "type": "string", "required": True},
        },
        paths={
            "/a": {
                "post": {
                    "parameters": [
                        {"$ref": "#/parameters/limit"},
                        {"$ref": "#/parameters/petBody"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/b": {
                "post": {
                    "parameters": [{"$ref": "#/parameters/note"}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    )
    out, warnings = convert(doc)
    components = out["components"]
    assert components["parameters"] == {
        "limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    }
    assert components["requestBodies"]["petBody"] == {
        "content": {"application/json": {"schema": {"type": "object"}}},
        "required": True,
        "x-codegen-request-body-name": "pet",
    }
    a = out["paths"]["/a"]["post"]
    assert a["parameters"] == [{"$ref": "#/components/parameters/limit"}]
    assert a["requestBody"] == {"$ref": "#/components/requestBodies/petBody"}
    b = out["paths"]["/b"]["post"]["requestBody"]
    assert b["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "type": "object",
        "properties": {"note": {"type": "string"}},
        "required": ["note"],
    }
    assert b["required"] is True
    assert warnings == []
    assert_local_refs_resolve(out)
    validate_oas30(out)


def test_global_body_is_inlined_when_operation_consumes_differs() -> None:
    doc = make_doc(
        consumes=["application/json"],
        parameters={"b": {"name": "b", "in": "body", "schema": {"type": "string"}}},
        paths=one_op([{"$ref": "#/parameters/b"}], consumes=["text/plain"]),
    )
    out, _ = convert(doc)
    body = out["paths"]["/things"]["post"]["requestBody"]
    assert list(body["content"]) == ["text/plain"]
    assert out["components"]["requestBodies"]["b"]["content"].keys() == {"application/json"}


def test_global_responses_and_produces_override() -> None:
    doc = make_doc(
        produces=["application/json"],
        responses={"NotFound": {"description": "nope", "schema": {"type": "string"}}},
        paths={
            "/a": {"get": {"responses": {"404": {"$ref": "#/responses/NotFound"}}}},
            "/b": {
                "get": {
                    "produces": ["text/plain"],
                    "responses": {"404": {"$ref": "#/responses/NotFound"}},
                }
            },
        },
    )
    out, _ = convert(doc)
    assert out["components"]["responses"]["NotFound"] == {
        "description": "nope",
        "content": {"application/json": {"schema": {"type": "string"}}},
    }
    assert out["paths"]["/a"]["get"]["responses"]["404"] == {
        "$ref": "#/components/responses/NotFound"
    }
    inlined = out["paths"]["/b"]["get"]["responses"]["404"]
    assert inlined == {
        "description": "nope",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    assert_local_refs_resolve(out)


# --------------------------------------------------------------------------- security


def test_security_definitions() -> None:
    doc = make_doc(
        securityDefinitions={
            "basic": {"type": "basic", "description": "user/pass"},
            "key": {"type": "apiKey", "name": "api_key", "in": "query", "x-extra": 1},
            "imp": {
                "type": "oauth2",
                "flow": "implicit",
                "authorizationUrl": "https://a",
                "scopes": {"r": "read"},
            },
            "pw": {"type": "oauth2", "flow": "password", "tokenUrl": "https://t", "scopes": {}},
            "app": {"type": "oauth2", "flow": "application", "tokenUrl": "https://t", "scopes": {}},
            "code": {
                "type": "oauth2",
                "flow": "accessCode",
                "authorizationUrl": "https://a",
                "tokenUrl": "https://t",
                "scopes": {"w": "write"},
            },
        },
        paths=one_op(security=[{"code": ["w"]}, {"basic": []}]),
    )
    out, warnings = convert(doc)
    schemes = out["components"]["securitySchemes"]
    assert schemes["basic"] == {"type": "http", "description": "user/pass", "scheme": "basic"}
    assert schemes["key"] == {"type": "apiKey", "name": "api_key", "in": "query", "x-extra": 1}
    assert schemes["imp"]["flows"] == {
        "implicit": {"authorizationUrl": "https://a", "scopes": {"r": "read"}}
    }
    assert schemes["pw"]["flows"] == {"password": {"tokenUrl": "https://t", "scopes": {}}}
    assert schemes["app"]["flows"] == {"clientCredentials": {"tokenUrl": "https://t", "scopes": {}}}
    assert schemes["code"]["flows"] == {
        "authorizationCode": {
            "authorizationUrl": "https://a",
            "tokenUrl": "https://t",
            "scopes": {"w": "write"},
        }
    }
    assert out["paths"]["/things"]["post"]["security"] == [{"code": ["w"]}, {"basic": []}]
    assert warnings == []
    validate_oas30(out)


def test_unknown_security_type_is_dropped_with_warning() -> None:
    out, warnings = convert(make_doc(securityDefinitions={"x": {"type": "kerberos"}}))
    assert "components" not in out
    assert pointers(warnings) == ["/securityDefinitions/x/type"]


# --------------------------------------------------------------------------- parameters


def test_non_body_parameter_schema_is_built_from_inline_fields() -> None:
    param = {
        "name": "q",
        "in": "query",
        "description": "search",
        "required": True,
        "allowEmptyValue": True,
        "type": "string",
        "format": "email",
        "enum": ["a", "b"],
        "default": "a",
        "pattern": "^[ab]$",
        "minLength": 1,
        "maxLength": 2,
        "x-internal": True,
    }
    num = {
        "name": "n",
        "in": "header",
        "type": "number",
        "minimum": 0,
        "maximum": 9,
        "multipleOf": 0.5,
    }
    out, warnings = convert(make_doc(paths=one_op([param, num], method="get")))
    q, n = out["paths"]["/things"]["get"]["parameters"]
    assert q == {
        "name": "q",
        "in": "query",
        "description": "search",
        "required": True,
        "allowEmptyValue": True,
        "schema": {
            "type": "string",
            "format": "email",
            "enum": ["a", "b"],
            "default": "a",
            "pattern": "^[ab]$",
            "minLength": 1,
            "maxLength": 2,
        },
        "x-internal": True,
    }
    assert n["schema"] == {"type": "number", "minimum": 0, "maximum": 9, "multipleOf": 0.5}
    assert warnings == []


def test_items_are_converted_recursively() -> None:
    param = {
        "name": "ids",
        "in": "query",
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer", "format": "int64", "minimum": 1}},
    }
    out, _ = convert(make_doc(paths=one_op([param], method="get")))
    (p,) = out["paths"]["/things"]["get"]["parameters"]
    assert p["schema"] == {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer", "format": "int64", "minimum": 1}},
    }


@pytest.mark.parametrize(
    ("location", "collection_format", "style", "explode", "warns"),
    [
        ("query", None, "form", False, False),  # 2.0 default is csv, 3.0 default is not
        ("query", "csv", "form", False, False),
        ("query", "ssv", "spaceDelimited", False, False),
        ("query", "pipes", "pipeDelimited", False, False),
        ("query", "multi", "form", True, False),
        ("query", "tsv", "form", False, True),
        ("path", "csv", "simple", False, False),
        ("header", None, "simple", False, False),
        ("header", "pipes", "simple", False, True),
    ],
)
def test_collection_format_to_style(
    location: str, collection_format: str | None, style: str, explode: bool, warns: bool
) -> None:
    param: dict[str, Any] = {
        "name": "v",
        "in": location,
        "required": True,
        "type": "array",
        "items": {"type": "string"},
    }
    if collection_format:
        param["collectionFormat"] = collection_format
    path = "/things/{v}" if location == "path" else "/things"
    out, warnings = convert(make_doc(paths=one_op([param], method="get", path=path)))
    (p,) = out["paths"][path]["get"]["parameters"]
    assert (p["style"], p["explode"]) == (style, explode)
    expected = ["/paths/" + path.replace("/", "~1") + "/get/parameters/0/collectionFormat"]
    assert pointers(warnings) == (expected if warns else [])


def test_path_parameter_is_forced_required() -> None:
    param = {"name": "id", "in": "path", "type": "string"}
    out, warnings = convert(make_doc(paths=one_op([param], method="get", path="/t/{id}")))
    assert out["paths"]["/t/{id}"]["get"]["parameters"][0]["required"] is True
    assert pointers(warnings) == ["/paths/~1t~1{id}/get/parameters/0"]


def test_file_type_parameter_becomes_binary_string() -> None:
    param = {"name": "upload", "in": "formData", "type": "file", "required": True}
    out, warnings = convert(make_doc(paths=one_op([param])))
    body = out["paths"]["/things"]["post"]["requestBody"]
    assert body["content"] == {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"upload": {"type": "string", "format": "binary"}},
                "required": ["upload"],
            }
        }
    }
    assert warnings == []


def test_unknown_parameter_location_is_dropped_with_warning() -> None:
    out, warnings = convert(
        make_doc(paths=one_op([{"name": "a", "in": "matrix", "type": "string"}]))
    )
    assert "parameters" not in out["paths"]["/things"]["post"]
    assert pointers(warnings) == ["/paths/~1things/post/parameters/0/in"]


# --------------------------------------------------------------------------- request bodies


def test_body_parameter_uses_effective_consumes() -> None:
    body = {
        "in": "body",
        "name": "payload",
        "description": "the thing",
        "required": True,
        "schema": {"type": "object"},
    }
    doc = make_doc(
        consumes=["application/json", "application/xml"],
        paths={
            "/global": {
                "post": {"parameters": [body], "responses": {"200": {"description": "ok"}}}
            },
            "/own": {
                "post": {
                    "consumes": ["text/plain"],
                    "parameters": [body],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    )
    out, _ = convert(doc)
    global_body = out["paths"]["/global"]["post"]["requestBody"]
    assert global_body == {
        "description": "the thing",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "object"}},
        },
        "required": True,
        "x-codegen-request-body-name": "payload",
    }
    assert list(out["paths"]["/own"]["post"]["requestBody"]["content"]) == ["text/plain"]
    # Nothing declared anywhere: application/json.
    plain, _ = convert(make_doc(paths=one_op([body])))
    assert list(plain["paths"]["/things"]["post"]["requestBody"]["content"]) == ["application/json"]


@pytest.mark.parametrize(
    ("consumes", "has_file", "media_types", "warns"),
    [
        (None, False, ["application/x-www-form-urlencoded"], False),
        (None, True, ["multipart/form-data"], False),
        (["multipart/form-data"], False, ["multipart/form-data"], False),
        (
            ["application/x-www-form-urlencoded", "multipart/form-data"],
            False,
            ["application/x-www-form-urlencoded", "multipart/form-data"],
            False,
        ),
        (["application/x-www-form-urlencoded"], True, ["multipart/form-data"], True),
        (
            ["application/x-www-form-urlencoded", "application/json"],
            False,
            ["application/x-www-form-urlencoded"],
            True,
        ),
    ],
)
def test_form_media_type_choice(
    consumes: list[str] | None, has_file: bool, media_types: list[str], warns: bool
) -> None:
    params: list[Any] = [{"name": "a", "in": "formData", "type": "integer"}]
    if has_file:
        params.append({"name": "f", "in": "formData", "type": "file"})
    extra = {} if consumes is None else {"consumes": consumes}
    out, warnings = convert(make_doc(paths=one_op(params, **extra)))
    assert list(out["paths"]["/things"]["post"]["requestBody"]["content"]) == media_types
    assert pointers(warnings) == (["/paths/~1things/post/consumes"] if warns else [])


def test_inherited_non_form_consumes_does_not_apply_to_form_operations() -> None:
    params = [{"name": "a", "in": "formData", "type": "string"}]
    out, warnings = convert(make_doc(consumes=["application/json"], paths=one_op(params)))
    content = out["paths"]["/things"]["post"]["requestBody"]["content"]
    assert list(content) == ["application/x-www-form-urlencoded"]
    assert warnings == []


def test_form_parameters_keep_types_descriptions_and_array_encoding() -> None:
    params = [
        {
            "name": "channel",
            "in": "formData",
            "type": "string",
            "required": True,
            "description": "where",
        },
        {"name": "count", "in": "formData", "type": "integer", "default": 10},
        {
            "name": "ids",
            "in": "formData",
            "type": "array",
            "items": {"type": "string"},
            "collectionFormat": "pipes",
        },
    ]
    out, warnings = convert(make_doc(paths=one_op(params)))
    body = out["paths"]["/things"]["post"]["requestBody"]
    media = body["content"]["application/x-www-form-urlencoded"]
    assert media["schema"] == {
        "type": "object",
        "properties": {
            "channel": {"type": "string", "description": "where"},
            "count": {"type": "integer", "default": 10},
            "ids": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["channel"],
    }
    assert media["encoding"] == {"ids": {"style": "pipeDelimited", "explode": False}}
    assert body["required"] is True
    assert warnings == []


def test_body_and_form_together_keeps_body_and_warns() -> None:
    params = [
        {"name": "b", "in": "body", "schema": {"type": "object"}},
        {"name": "f", "in": "formData", "type": "string"},
    ]
    out, warnings = convert(make_doc(paths=one_op(params)))
    assert list(out["paths"]["/things"]["post"]["requestBody"]["content"]) == ["application/json"]
    assert pointers(warnings) == ["/paths/~1things/post/parameters/1"]


# --------------------------------------------------------------------------- path-level parameters


def test_path_level_parameters() -> None:
    doc = make_doc(
        paths={
            "/items/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "type": "integer"},
                    {"name": "token", "in": "formData", "type": "string", "required": True},
                    {"name": "mode", "in": "formData", "type": "string"},
                ],
                "post": {
                    "parameters": [
                        {"name": "mode", "in": "formData", "type": "integer"},  # overrides
                        {"name": "extra", "in": "formData", "type": "boolean"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
                "put": {"responses": {"200": {"description": "ok"}}},
            },
            "/shared-body": {
                "parameters": [{"name": "doc", "in": "body", "schema": {"type": "string"}}],
                "put": {"responses": {"200": {"description": "ok"}}},
                "post": {
                    "parameters": [{"name": "other", "in": "body", "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "ok"}},
                },
            },
        }
    )
    out, warnings = convert(doc)
    item = out["paths"]["/items/{id}"]
    # Ordinary shared parameters stay shared; form/body ones move into each operation.
    assert item["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    post_schema = item["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"][
        "schema"
    ]
    assert post_schema["properties"] == {
        "token": {"type": "string"},
        "mode": {"type": "integer"},
        "extra": {"type": "boolean"},
    }
    assert post_schema["required"] == ["token"]
    put_schema = item["put"]["requestBody"]["content"]["application/x-www-form-urlencoded"][
        "schema"
    ]
    assert list(put_schema["properties"]) == ["token", "mode"]
    assert put_schema["properties"]["mode"] == {"type": "string"}

    shared = out["paths"]["/shared-body"]
    assert "parameters" not in shared
    assert shared["put"]["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "string"
    }
    assert shared["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "integer"
    }
    assert warnings == []
    validate_oas30(out)


# --------------------------------------------------------------------------- responses


def test_responses() -> None:
    doc = make_doc(
        produces=["application/json"],
        paths=one_op(
            method="get",
            produces=["application/json", "text/csv"],
            responses={
                200: {  # YAML gives int keys
                    "description": "ok",
                    "schema": {"type": "array", "items": {"type": "string"}},
                    "headers": {
                        "X-Rate": {"type": "integer", "format": "int32", "description": "left"},
                        "X-Tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "examples": {"application/json": ["a"], "application/xml": "<a/>"},
                    "x-meta": 1,
                },
                "204": {"description": "empty"},
                "default": {"description": "error", "schema": {"type": "object"}},
            },
        ),
    )
    out, warnings = convert(doc)
    responses = out["paths"]["/things"]["get"]["responses"]
    assert list(responses) == ["200", "204", "default"]
    array = {"type": "array", "items": {"type": "string"}}
    assert responses["200"] == {
        "description": "ok",
        "headers": {
            "X-Rate": {"description": "left", "schema": {"type": "integer", "format": "int32"}},
            "X-Tags": {"style": "simple", "explode": False, "schema": array},
        },
        "content": {
            "application/json": {"schema": array, "example": ["a"]},
            "text/csv": {"schema": array},
            "application/xml": {"schema": array, "example": "<a/>"},
        },
        "x-meta": 1,
    }
    assert responses["204"] == {"description": "empty"}
    assert list(responses["default"]["content"]) == ["application/json", "text/csv"]
    assert warnings == []
    validate_oas30(out)


def test_missing_responses_get_a_default_and_a_warning() -> None:
    doc = make_doc(paths={"/x": {"get": {"operationId": "x"}}})
    out, warnings = convert(doc)
    assert out["paths"]["/x"]["get"]["responses"] == {
        "default": {"description": "Default response"}
    }
    assert pointers(warnings) == ["/paths/~1x/get"]


# --------------------------------------------------------------------------- schemas


def test_schema_keyword_conversion() -> None:
    doc = make_doc(
        definitions={
            "Pet": {
                "type": "object",
                "discriminator": "kind",
                "required": ["kind"],
                "example": {"kind": "dog"},
                "properties": {
                    "kind": {"type": "string", "readOnly": True},
                    "nick": {"type": "string", "x-nullable": True},
                    "photo": {"type": "file"},
                    "tags": {"type": "array", "items": {"type": "string", "x-nullable": True}},
                    "meta": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "x-nullable": True},
                    },
                    "both": {"allOf": [{"type": "object", "x-nullable": True}]},
                },
            }
        }
    )
    out, warnings = convert(doc)
    pet = out["components"]["schemas"]["Pet"]
    assert pet["discriminator"] == {"propertyName": "kind"}
    assert pet["example"] == {"kind": "dog"}
    props = pet["properties"]
    assert props["kind"] == {"type": "string", "readOnly": True}
    assert props["nick"] == {"type": "string", "nullable": True}
    assert props["photo"] == {"type": "string", "format": "binary"}
    assert props["tags"]["items"] == {"type": "string", "nullable": True}
    assert props["meta"]["additionalProperties"] == {"type": "integer", "nullable": True}
    assert props["both"]["allOf"] == [{"type": "object", "nullable": True}]
    assert warnings == []
    validate_oas30(out)


def test_ref_siblings_are_kept_through_all_of() -> None:
    doc = make_doc(
        definitions={
            "A": {"type": "object"},
            "B": {
                "type": "object",
                "properties": {
                    "a": {"$ref": "#/definitions/A", "x-nullable": True, "description": "d"}
                },
            },
        }
    )
    out, _ = convert(doc)
    assert out["components"]["schemas"]["B"]["properties"]["a"] == {
        "allOf": [{"$ref": "#/components/schemas/A"}],
        "nullable": True,
        "description": "d",
    }


def test_common_schema_mistakes_are_repaired_with_warnings() -> None:
    doc = make_doc(
        definitions={
            "A": {
                "type": "object",
                "required": [],
                "properties": {"id": {"type": "string", "required": True}},
            },
            "B": {"type": "array"},
            "C": {"type": "string", "$schema": "http://json-schema.org/draft-04/schema#"},
        }
    )
    out, warnings = convert(doc)
    schemas = out["components"]["schemas"]
    assert schemas["A"] == {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"],
    }
    assert schemas["B"] == {"type": "array", "items": {}}
    assert schemas["C"] == {"type": "string"}
    assert pointers(warnings) == [
        "/definitions/A/properties/id/required",
        "/definitions/B",
        "/definitions/C/$schema",
    ]
    validate_oas30(out)


# --------------------------------------------------------------------------- operations


def test_operation_fields_kept() -> None:
    op = {
        "operationId": "doThing",
        "summary": "s",
        "description": "d",
        "tags": ["t"],
        "deprecated": True,
        "security": [{"k": []}],
        "externalDocs": {"url": "https://e"},
        "x-rate-limit": 5,
        "responses": {"200": {"description": "ok"}},
    }
    doc = make_doc(
        securityDefinitions={"k": {"type": "apiKey", "name": "k", "in": "header"}},
        paths={"/t": {"get": op, "x-path-ext": True}},
    )
    out, warnings = convert(doc)
    got = out["paths"]["/t"]["get"]
    for key in (
        "operationId",
        "summary",
        "description",
        "tags",
        "deprecated",
        "security",
        "externalDocs",
        "x-rate-limit",
    ):
        assert got[key] == op[key]
    assert out["paths"]["/t"]["x-path-ext"] is True
    assert warnings == []


def test_duplicate_operation_id_is_warned() -> None:
    ok = {"200": {"description": "ok"}}
    doc = make_doc(
        paths={
            "/a": {"get": {"operationId": "same", "responses": ok}},
            "/b": {"get": {"operationId": "same", "responses": ok}},
        }
    )
    _, warnings = convert(doc)
    assert pointers(warnings) == ["/paths/~1b/get/operationId"]


# --------------------------------------------------------------------------- messy input


def test_messy_document_converts_with_warnings_instead_of_exceptions() -> None:
    doc = make_doc(
        host="https://api.example.com/",  # scheme inside host
        basePath="v1/",  # no leading slash
        consumes="application/json",  # string instead of list
        definitions={
            "A": {"type": ["string", "null"]},
            "B": {"type": "int"},
            "C": {"items": [{"type": "string"}]},
            "D": "not a schema",
            "E": {"enum": []},
        },
        paths={
            "pets": {
                "GET": {
                    "responses": {
                        "200": {"description": "ok"},
                        "2xx": {"description": "?"},
                        "20x": {"description": "?"},
                    }
                }
            },
            "/x": {
                "get": {
                    "parameters": [
                        "junk",
                        {"name": "q", "in": "query"},  # no type
                        {"$ref": "#/parameters/missing"},
                        {"name": "h", "in": "header", "type": "string", "allowEmptyValue": True},
                    ],
                    "responses": {"200": {"schema": {"type": "string"}}},  # no description
                    "bogus": 1,
                },
                "trace": {"responses": {}},
            },
        },
        securityDefinitions={"o": {"type": "oauth2", "flow": "password"}},  # no tokenUrl
    )
    out, warnings = convert(doc)
    assert out["servers"] == [{"url": "https://api.example.com/v1"}]
    assert out["components"]["schemas"]["A"] == {"type": "string", "nullable": True}
    assert "/pets" in out["paths"] and "get" in out["paths"]["/pets"]
    assert list(out["paths"]["/pets"]["get"]["responses"]) == ["200", "2XX"]
    assert out["components"]["securitySchemes"]["o"]["flows"]["password"]["tokenUrl"] == ""
    assert len(warnings) >= 15
    for warning in warnings:  # every pointer addresses the original document
        resolve_pointer(doc, warning.pointer)
    assert_local_refs_resolve(out)
    validate_oas30(out)


# --------------------------------------------------------------------------- warning catalogue

GET = "/paths/~1t/get"


def _get(*params: Any, **op: Any) -> dict[str, Any]:
    return make_doc(paths=one_op(list(params), method="get", path="/t", **op))


@pytest.mark.parametrize(
    ("doc", "pointer", "fragment"),
    [
        (
            _get(
                {
                    "name": "v",
                    "in": "query",
                    "type": "array",
                    "items": {"type": "string"},
                    "collectionFormat": "tsv",
                }
            ),
            f"{GET}/parameters/0/collectionFormat",
            "tsv",
        ),
        (
            _get(
                {
                    "name": "m",
                    "in": "query",
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {"type": "string"},
                        "collectionFormat": "pipes",
                    },
                }
            ),
            f"{GET}/parameters/0/items/collectionFormat",
            "nested arrays",
        ),
        (
            _get({"name": "Accept", "in": "header", "type": "string"}),
            f"{GET}/parameters/0",
            "ignores",
        ),
        (
            _get(
                {"name": "f", "in": "formData", "type": "file"},
                consumes=["application/x-www-form-urlencoded"],
            ),
            f"{GET}/consumes",
            "multipart",
        ),
        (
            _get(
                {"name": "a", "in": "formData", "type": "array", "items": {"type": "string"}},
                consumes=["multipart/form-data"],
            ),
            f"{GET}/parameters/0",
            "repeated parts",
        ),
        (
            _get({"name": "a", "in": "formData", "type": "string", "allowEmptyValue": True}),
            f"{GET}/parameters/0/allowEmptyValue",
            "allowEmptyValue",
        ),
        (
            _get(
                {"in": "body", "name": "a", "schema": {}}, {"in": "body", "name": "b", "schema": {}}
            ),
            f"{GET}/parameters/1",
            "only one body",
        ),
        (
            make_doc(definitions={"A": {"type": "object", "discriminator": 3}}),
            "/definitions/A/discriminator",
            "discriminator",
        ),
        (
            make_doc(definitions={"A": {"type": "string", "x-nullable": "yes"}}),
            "/definitions/A/x-nullable",
            "boolean",
        ),
        (
            make_doc(definitions={"A": {"items": [{"type": "string"}, {"type": "integer"}]}}),
            "/definitions/A/items",
            "anyOf",
        ),
        (
            make_doc(securityDefinitions={"o": {"type": "oauth2", "flow": "magic"}}),
            "/securityDefinitions/o/flow",
            "flow",
        ),
        (_get(security=[{"nope": []}]), f"{GET}/security/0/nope", "undefined"),
    ],
)
def test_warning_catalogue(doc: dict[str, Any], pointer: str, fragment: str) -> None:
    out, warnings = convert(doc)
    assert [(w.pointer, fragment in w.message) for w in warnings] == [(pointer, True)]
    validate_oas30(out)


# --------------------------------------------------------------------------- kitchen sink


def test_kitchen_sink_is_valid_self_consistent_and_unaliased() -> None:
    doc = make_doc(
        host="api.example.com",
        basePath="/v1",
        schemes=["https"],
        consumes=["application/json"],
        produces=["application/json"],
        definitions={"Pet": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        parameters={
            "limit": {"name": "limit", "in": "query", "type": "integer"},
            "body": {"name": "pet", "in": "body", "schema": {"$ref": "#/definitions/Pet"}},
            "file": {"name": "file", "in": "formData", "type": "file"},
        },
        responses={"Err": {"description": "error", "schema": {"$ref": "#/definitions/Pet"}}},
        securityDefinitions={"k": {"type": "apiKey", "name": "k", "in": "header"}},
        security=[{"k": []}],
        paths={
            "/pets": {
                "parameters": [{"$ref": "#/parameters/limit"}],
                "get": {
                    "responses": {
                        "200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}},
                        "default": {"$ref": "#/responses/Err"},
                    }
                },
                "post": {
                    "parameters": [{"$ref": "#/parameters/body"}],
                    "responses": {"201": {"description": "made"}},
                },
                "put": {
                    "parameters": [{"$ref": "#/parameters/file"}],
                    "responses": {"200": {"description": "ok"}},
                },
            }
        },
    )
    out, warnings = convert(doc)
    assert warnings == []
    assert_local_refs_resolve(out)
    assert_no_shared_containers(out)
    validate_oas30(out)


# --------------------------------------------------------------------------- real specs


def load_shared(name: str) -> dict[str, Any]:
    path = SPECS / name
    if not path.is_file():
        pytest.skip(f"shared spec {path} not present (expected a sibling 'shared/specs' checkout)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def petstore() -> tuple[dict[str, Any], dict[str, Any], list[ConversionWarning]]:
    doc = load_shared("petstore_v2.0_swagger.json")
    out, warnings = convert(doc)
    return doc, out, warnings


@pytest.fixture(scope="module")
def slack() -> tuple[dict[str, Any], dict[str, Any], list[ConversionWarning]]:
    doc = load_shared("slack_web_v2_swagger.json")
    out, warnings = convert(doc)  # also checks determinism and non-mutation
    return doc, out, warnings


@pytest.mark.shared
def test_petstore_converts(petstore: tuple[dict[str, Any], dict[str, Any], list[Any]]) -> None:
    _, out, warnings = petstore
    validate_oas30(out)
    assert_local_refs_resolve(out)
    assert_no_shared_containers(out)
    assert warnings == []
    assert out["servers"] == [{"url": "http://petstore.swagger.io/v1"}]
    (limit,) = out["paths"]["/pets"]["get"]["parameters"]
    assert limit["name"] == "limit"
    assert limit["schema"] == {"type": "integer", "format": "int32"}
    assert set(out["components"]["schemas"]) == {"Pet", "Pets", "Error"}


@pytest.mark.shared
def test_slack_converts(slack: tuple[dict[str, Any], dict[str, Any], list[Any]]) -> None:
    doc, out, warnings = slack
    validate_oas30(out)
    assert_local_refs_resolve(out)
    assert_no_shared_containers(out)
    assert out["servers"] == [{"url": "https://slack.com/api"}]
    flows = out["components"]["securitySchemes"]["slackAuth"]["flows"]
    assert set(flows) == {"authorizationCode"}
    for warning in warnings:  # every warning points at something in the original
        resolve_pointer(doc, warning.pointer)


@pytest.mark.shared
def test_slack_form_operations(slack: tuple[dict[str, Any], dict[str, Any], list[Any]]) -> None:
    doc, out, _ = slack
    post = out["paths"]["/chat.postMessage"]["post"]
    media = post["requestBody"]["content"]["application/x-www-form-urlencoded"]
    props = media["schema"]["properties"]
    assert props["channel"]["type"] == "string"
    assert props["text"]["type"] == "string"
    assert props["mrkdwn"]["type"] == "boolean"
    assert "channel" in media["schema"]["required"]
    assert [p["name"] for p in post["parameters"]] == ["token"]  # the header stays a parameter
    # Every operation with formData parameters got a typed urlencoded body.
    for path, item in doc["paths"].items():
        for method, op in item.items():
            form = [p for p in op.get("parameters", []) if p.get("in") == "formData"]
            if not form:
                continue
            body = out["paths"][path][method]["requestBody"]
            schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
            assert list(schema["properties"]) == [p["name"] for p in form]
            assert all("type" in s for s in schema["properties"].values())
