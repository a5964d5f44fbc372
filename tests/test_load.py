"""Loading specs: formats, versions, refs, and bad input reported with file:line."""

from __future__ import annotations

import json
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from adaptgen.errors import InputError
from adaptgen.load import load_spec
from adaptgen.plan import plan

MINIMAL = """\
openapi: 3.0.3
info: {title: Mini, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses: {"200": {description: ok}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_yaml_and_json_load_the_same(tmp_path):
    import yaml

    yaml_spec = write(tmp_path, "a.yaml", MINIMAL)
    json_spec = write(tmp_path, "b.json", json.dumps(yaml.safe_load(MINIMAL)))
    assert load_spec(yaml_spec).document == load_spec(json_spec).document


def test_yaml_keeps_dates_and_yes_as_strings(tmp_path):
    spec = write(
        tmp_path,
        "s.yaml",
        MINIMAL.replace(
            "schema: {type: integer}",
            "schema: {type: string, default: 2020-01-01, enum: [yes, no]}",
        ),
    )
    schema = load_spec(spec).document["paths"]["/things/{id}"]["get"]["parameters"][0]["schema"]
    assert schema["default"] == "2020-01-01"
    assert schema["enum"] == ["yes", "no"]


def test_malformed_yaml_gives_file_line_col(tmp_path):
    spec = write(tmp_path, "bad.yaml", "openapi: 3.0.3\ninfo: {title: x\npaths: {}\n")
    with pytest.raises(InputError) as err:
        load_spec(spec)
    assert err.value.location.line == 3
    assert err.value.location.col is not None
    assert str(err.value).startswith(f"{spec}:3:")


def test_malformed_json_gives_file_line_col(tmp_path):
    spec = write(tmp_path, "bad.json", '{\n  "openapi": "3.0.3",\n  "info": {,}\n}\n')
    with pytest.raises(InputError) as err:
        load_spec(spec)
    assert (err.value.location.line, err.value.location.col) == (3, 12)


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("openapi: 4.0.0", "unsupported OpenAPI version '4.0.0'"),
        ("swagger: '1.2'", "unsupported Swagger version '1.2'"),
        ("title: not a spec", "no 'openapi' or 'swagger' version field"),
    ],
)
def test_unknown_versions_are_rejected(tmp_path, head, message):
    spec = write(tmp_path, "v.yaml", MINIMAL.replace("openapi: 3.0.3", head))
    with pytest.raises(InputError, match=message):
        load_spec(spec)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_structural_error_names_the_pointer(tmp_path):
    spec = write(
        tmp_path, "s.yaml", MINIMAL.replace('info: {title: Mini, version: "1"}', "info: 7")
    )
    with pytest.raises(InputError) as err:
        load_spec(spec)
    assert err.value.location.pointer == "/info"
    assert err.value.location.line == 2


def test_invalid_operation_is_a_warning_not_a_failure(tmp_path):
    text = MINIMAL + textwrap.indent(
        "/broken:\n  get:\n    operationId: broken\n    parameters: [{name: q, in: nowhere}]\n"
        "    responses: {'200': {description: ok}}\n",
        "  ",
    )
    spec = load_spec(write(tmp_path, "s.yaml", text))
    assert "/broken" not in spec.document["paths"] or "get" not in spec.document["paths"]["/broken"]
    (warning,) = spec.warnings
    assert warning.location.pointer == "/paths/~1broken/get/parameters/0/in"
    assert warning.location.line == 13


def test_an_invalid_example_is_left_out_with_a_warning_not_a_refusal(tmp_path):
    """Samples and links for people (`examples`, `externalDocs`, ...) never change a call: an
    invalid one (a 3.1 schema's `examples` written as a map, seen in a real spec) is ignored
    with its location, and the operation that uses the schema stays."""
    text = """\
    openapi: 3.1.0
    info: {title: Mini, version: "1", contact: {email: 7}}
    paths:
      /things/{id}:
        get:
          operationId: getThing
          parameters:
            - {name: id, in: path, required: true, schema: {type: integer}}
          responses:
            "200":
              description: ok
              content:
                application/json: {schema: {$ref: "#/components/schemas/Thing"}}
    components:
      schemas:
        Thing:
          examples: {First: {value: {name: a}}}
          properties:
            examples: {type: array, items: {type: string}}
            name: {type: string, externalDocs: "see the wiki"}
    """
    spec = load_spec(write(tmp_path, "s.yaml", text))
    assert "getThing" in [
        op["operationId"] for op in [spec.document["paths"]["/things/{id}"]["get"]]
    ]
    thing = spec.document["components"]["schemas"]["Thing"]
    assert "examples" not in thing and "externalDocs" not in thing["properties"]["name"]
    assert "examples" in thing["properties"]  # a property named `examples` is a name, not kept out
    pointers = sorted(w.location.pointer for w in spec.warnings)
    assert pointers == [
        "/components/schemas/Thing/examples",
        "/components/schemas/Thing/properties/name/externalDocs",
        "/info/contact",
    ]
    assert all(w.message.startswith("ignored ") for w in spec.warnings)
    assert spec.warnings[0].location.line > 1


def test_openapi_31_boolean_schemas_load_and_an_invalid_constraint_is_left_out(tmp_path):
    """Valid 3.1 the validator does not take (`false` as a property's schema, `true` as items)
    loads as the objects that mean the same; a constraint of the wrong type (`pattern: 0`, seen
    in a real spec) is left out with a warning: the schema accepts more, the upstream checks."""
    text = """\
    openapi: 3.1.0
    info: {title: Mini, version: "1"}
    paths:
      /things:
        post:
          operationId: createThing
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    additionalProperties: false
                    tags: {type: array, items: true}
                    code: {type: string, pattern: 0}
                    uniqueItems: {type: boolean, default: true}
          responses: {"200": {description: ok}}
    """
    spec = load_spec(write(tmp_path, "s.yaml", text))
    body = spec.document["paths"]["/things"]["post"]["requestBody"]["content"]
    props = body["application/json"]["schema"]["properties"]
    assert props["additionalProperties"] == {"not": {}}
    assert props["tags"]["items"] == {}
    assert "pattern" not in props["code"]
    assert props["uniqueItems"] == {"type": "boolean", "default": True}  # a name, and data
    (warning,) = spec.warnings
    assert warning.location.pointer.endswith("/properties/code/pattern")
    assert warning.message.startswith("ignored 'pattern'")


def test_an_empty_required_list_loads_as_none(tmp_path):
    """OpenAPI 3.0 wants a `required` list to name a field; TypeSpec's emitter writes
    `required: []` for a model whose fields are all optional (its multipart spec did), and the
    whole document was refused. It says nothing, so it is left out; an example's data keeps it."""
    text = MINIMAL + textwrap.dedent(
        """\
        components:
          schemas:
            Upload:
              type: object
              properties:
                id: {type: string}
              required: []
              example: {required: []}
        """
    )
    spec = load_spec(write(tmp_path, "s.yaml", text))
    upload = spec.document["components"]["schemas"]["Upload"]
    assert "required" not in upload and upload["example"] == {"required": []}
    assert not spec.warnings


def test_an_extension_of_the_paths_object_is_not_a_path(tmp_path):
    """`x-` keys are allowed in the Paths object (a real spec has `x-codegen-contextRoot`):
    they are not path items, and the document loads."""
    text = MINIMAL.replace("paths:\n", "paths:\n  x-codegen-contextRoot: /api\n")
    spec = load_spec(write(tmp_path, "s.yaml", text))
    assert list(spec.document["paths"]) == ["/things/{id}"]
    assert not spec.warnings


def test_a_property_named_like_an_annotation_is_not_mistaken_for_one(tmp_path):
    text = MINIMAL + textwrap.dedent(
        """\
        components:
          schemas:
            Thing:
              properties:
                example: {type: 7}
        """
    )
    with pytest.raises(InputError) as err:
        load_spec(write(tmp_path, "s.yaml", text))
    assert err.value.location.pointer.startswith("/components/schemas/Thing")
    assert "ignored" not in str(err.value)


def test_missing_ref_target_points_at_the_ref(tmp_path):
    text = MINIMAL.replace("schema: {type: integer}", "schema: {$ref: '#/components/schemas/Nope'}")
    spec = load_spec(write(tmp_path, "s.yaml", text))
    with pytest.raises(InputError, match="Nope") as err:
        plan(spec, "s")
    assert err.value.location.line == 8


def test_refs_into_other_local_files(tmp_path):
    write(
        tmp_path,
        "common.yaml",
        """\
        Id:
          type: integer
          description: The id.
        Thing:
          type: object
          properties:
            id: {$ref: '#/Id'}
            name: {type: string}
        """,
    )
    text = MINIMAL.replace("schema: {type: integer}", "schema: {$ref: 'common.yaml#/Id'}")
    text += textwrap.indent(
        "/things:\n  post:\n    operationId: createThing\n    requestBody:\n      content:\n"
        "        application/json: {schema: {$ref: 'common.yaml#/Thing'}}\n"
        "    responses: {'201': {description: ok}}\n",
        "  ",
    )
    api = plan(load_spec(write(tmp_path, "s.yaml", text)), "s").api
    get, create = api.tools
    assert get.params[0].schema == {"description": "The id.", "type": "integer"}
    assert {p.name: p.schema for p in create.params} == {
        "id": {"description": "The id.", "type": "integer"},
        "name": {"type": "string"},
    }


def test_circular_refs_are_cut_not_dangling(tmp_path):
    text = MINIMAL + textwrap.dedent(
        """\
          /nodes:
            post:
              operationId: createNode
              requestBody:
                content:
                  application/json: {schema: {$ref: '#/components/schemas/Node'}}
              responses: {'201': {description: ok}}
        components:
          schemas:
            Node:
              type: object
              properties:
                name: {type: string}
                children: {type: array, items: {$ref: '#/components/schemas/Node'}}
        """
    )
    api = plan(load_spec(write(tmp_path, "s.yaml", text)), "s").api
    children = next(p for p in api.tools[1].params if p.name == "children")
    assert children.schema["items"]["type"] == "object"
    assert "recursive" in children.schema["items"]["description"]
    assert "$ref" not in json.dumps(children.schema)


REMOTE = textwrap.dedent(
    """\
    openapi: 3.0.3
    info: {title: R, version: "1"}
    paths:
      /r:
        post:
          operationId: createR
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    owner: {$ref: 'URL#/User'}
          responses: {'201': {description: ok}}
    """
)


class _SchemaHandler(BaseHTTPRequestHandler):
    body = b"User:\n  type: object\n  properties:\n    email: {type: string, format: email}\n"

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "application/yaml")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def schema_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SchemaHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/common.yaml"
    server.shutdown()
    server.server_close()


def test_remote_refs_are_relaxed_with_a_warning_unless_allowed(
    tmp_path, schema_server, monkeypatch
):
    monkeypatch.setenv("ADAPTGEN_REMOTE_REFS_ALLOW_LOOPBACK", "1")  # the server is on 127.0.0.1
    spec_file = write(tmp_path, "r.yaml", REMOTE.replace("URL", schema_server))
    result = plan(load_spec(spec_file), "r")
    owner = result.api.tools[0].params[0]
    assert "type" not in owner.schema and "$ref" not in json.dumps(owner.schema)
    assert "not fetched" in owner.schema["description"]
    assert any("remote $ref" in w.message and w.location.line == 13 for w in result.warnings)

    fetched = plan(load_spec(spec_file, allow_remote_refs=True), "r")
    assert fetched.api.tools[0].params[0].schema == {
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email"}},
    }
    assert not fetched.warnings


def test_openapi_31_type_arrays(tmp_path):
    text = MINIMAL.replace("openapi: 3.0.3", "openapi: 3.1.0").replace(
        "schema: {type: integer}", "schema: {type: [integer, 'null'], examples: [1]}"
    )
    api = plan(load_spec(write(tmp_path, "s.yaml", text)), "s").api
    assert api.tools[0].params[0].schema == {"type": "integer"}


def test_autorests_x_ms_paths_are_paths_and_messages_point_into_them(tmp_path):
    """Azure Storage keeps `/?comp=list` apart from `/` in `x-ms-paths` (OpenAPI's paths hold
    no query): each is an operation, and a message about one points at it in the file."""
    comp = {"name": "comp", "in": "query", "required": True, "type": "string", "enum": ["list"]}
    listing = {
        "operationId": "Service_ListContainersSegment",
        "parameters": [comp, {"name": "body", "in": "body", "schema": {"type": "object"}}],
        "responses": {"200": {"description": "the containers"}},
    }
    spec = {
        "swagger": "2.0",
        "info": {"title": "Blob", "version": "2021-08-06"},
        "host": "account.blob.core.windows.net",
        "schemes": ["https"],
        "paths": {
            "/": {
                "get": {"operationId": "Service_Get", "responses": {"200": {"description": "ok"}}}
            }
        },
        "x-ms-paths": {"/?comp=list": {"get": listing}},
    }
    path = tmp_path / "blob.json"
    path.write_text(json.dumps(spec, indent=2))
    loaded = load_spec(path)
    result = plan(loaded, "blob")
    tools = {t.operation_id: t for t in result.api.tools}
    assert set(tools) == {"Service_Get", "Service_ListContainersSegment"}
    listed = tools["Service_ListContainersSegment"]
    assert listed.path == "/" and [(f.api_name, f.value) for f in listed.upstream.fixed] == [
        ("comp", "list")
    ]
    said = [w for w in [*loaded.warnings, *result.warnings] if "request body" in w.message]
    line = path.read_text().splitlines().index('    "/?comp=list": {') + 1
    assert said and said[0].location.line == line + 1  # its `get`, under x-ms-paths
