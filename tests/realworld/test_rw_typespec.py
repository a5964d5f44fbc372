"""TypeSpec's own test server: the mock APIs every TypeSpec client emitter is checked against.

`@typespec/http-specs` (MIT) writes its scenarios in TypeSpec, the language Azure and others now
write new APIs in, and `@typespec/spector` serves them, checking each request exactly as the
scenario says (a token's name and place, a date's form, a part's media type, a credential's
scheme). Each spec is compiled to OpenAPI 3 by TypeSpec's own emitter (`@typespec/openapi3`), as
a user would, built with no hints and served under the governance layer; every tool is called
through a real MCP client against Spector on 127.0.0.1 (`tests/typespec_spector.mjs`).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, BuiltSpec, node_server

pytestmark = [pytest.mark.npm]

TYPESPEC = ROOT / "node_modules" / "@typespec"
SPECS = TYPESPEC / "http-specs" / "specs"
LAUNCHER = ROOT / "tests" / "typespec_spector.mjs"


@pytest.fixture(scope="module")
def spector() -> Iterator[str]:
    """Spector on 127.0.0.1 (a port the OS picks), for the module's tests."""
    with node_server(LAUNCHER, "TypeSpec's test server", TYPESPEC / "spector" / "dist") as url:
        yield url


class Served(BuiltSpec):
    """One http-specs scenario folder, compiled to OpenAPI 3 by TypeSpec's emitter, built and
    loaded; its base URL the test server's (`env`: more settings, by name less the prefix)."""

    def __init__(
        self,
        scenario: str,
        base_url: str | None,
        out: Path,
        version: str = "",
        name: str = "spec",
        **env: str,
    ) -> None:
        emitted = out / "openapi"
        tsp = TYPESPEC / "compiler" / "cmd" / "tsp.js"
        option = f"@typespec/openapi3.emitter-output-dir={emitted}"
        command = [str(tsp), "compile", str(SPECS / scenario / "main.tsp")]
        compiled = subprocess.run(
            [
                shutil.which("node") or "node",
                *command,
                "--emit",
                "@typespec/openapi3",
                "--option",
                option,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert compiled.returncode == 0, compiled.stdout + compiled.stderr
        # A versioned service is emitted once per version (`openapi.v2.yaml`).
        (spec,) = emitted.glob(f"openapi.{version}.yaml" if version else "*.yaml")
        super().__init__(spec, base_url, out / "built", name=name, RETRIES="0", **env)


@pytest.fixture(scope="module")
def served(spector, tmp_path_factory) -> Iterator[Any]:
    """Scenario files, each compiled, built and loaded once for the module (by folder)."""
    built: dict[str, Served] = {}

    def get(scenario: str, **env: str) -> Served:
        if scenario not in built:
            out = tmp_path_factory.mktemp(scenario.replace("/", "-"))
            built[scenario] = Served(scenario, spector, out, **env)
        return built[scenario]

    yield get
    for each in built.values():
        each.close()


@pytest.mark.parametrize(
    "tool",
    [
        "query_continuation_token_request_response_body",
        "query_continuation_token_request_nested_response_body",
        "query_continuation_token_request_response_header",
    ],
)
def test_a_continuation_token_of_any_name_is_followed(served, tool):
    """`token` goes back, its next value in the answer's `nextToken` (at the top or nested) or
    its `next-token` header: no paging name adaptgen knew, so each read one page before."""
    failed, found = served("payload/pageable").call(tool, {"foo": "foo", "bar": "bar"})
    assert not failed, found
    assert [pet["name"] for pet in found["items"]] == ["dog", "cat", "bird", "fish"]


@pytest.mark.parametrize(
    ("tool", "value"),
    [
        ("get_header_rfc7231", "2022-08-26T14:38:00Z"),
        ("query_rfc7231", "2022-08-26T16:38:00+02:00"),
        ("create_property_rfc7231", "2022-08-26T14:38:00Z"),
        ("get_header_default", "2022-08-26T14:38:00Z"),  # a header's date is an HTTP date
    ],
)
def test_an_iso_date_goes_as_the_http_date_the_spec_says(served, tool, value):
    failed, found = served("encode/datetime").call(tool, {"value": value})
    assert not failed, found


def test_an_answer_in_a_response_header_is_the_result(served):
    failed, found = served("encode/datetime").call("get_response_header_rfc7231")
    assert not failed, found
    assert found["headers"] == {"value": "Fri, 26 Aug 2022 14:38:00 GMT"}


def test_a_credential_goes_under_the_apis_own_http_scheme(served):
    """`type: http, scheme: SharedAccessKey` was ignored, and no call carried a credential."""
    custom = served("authentication/http/custom", HTTP_TOKEN="valid-key")
    failed, found = custom.call("get_valid")
    assert not failed, found


def test_a_form_of_optional_parts_builds_and_its_parts_go_as_the_spec_says(served):
    """The emitter writes `required: []` for a model of optional fields: the whole spec was
    refused. A part the spec's `encoding` types (`image/jpg`) goes so; a JSON part as JSON."""
    forms = served("payload/multipart")
    image = (SPECS.parent / "assets" / "image.jpg").read_bytes()
    jpeg = "data:image/jpeg;name=hello.jpg;base64," + base64.b64encode(image).decode()
    failed, found = forms.call(
        "create_content_type_image_jpeg_content_type", {"profile_image": jpeg}
    )
    assert not failed, found
    raw = "data:application/octet-stream;base64," + base64.b64encode(image).decode()
    asked = {"address": {"city": "X"}, "profile_image": raw}
    failed, found = forms.call("create_form_data_json_part", asked)
    assert not failed, found


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("query_float_milliseconds", {"input": 35625}),
        ("get_header_float_seconds_larger_unit", {"duration": 150}),
    ],
)
def test_a_whole_number_goes_as_one(served, tool, arguments):
    """A `number` argument given as 35625 reached the upstream as `35625.0` (the value's
    Python type), which the server refuses where it reads an integer's text."""
    failed, found = served("encode/duration").call(tool, arguments)
    assert not failed, found


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("update_is_string", {"name": "IsStringAdditionalProperties", "more": {"prop": "abc"}}),
        (
            "update_extends_model",
            {"known_prop": {"state": "ok"}, "more": {"prop": {"state": "ok"}}},
        ),
    ],
)
def test_a_records_other_fields_go_beside_its_named_ones(served, tool, arguments):
    """`additionalProperties` beside named fields (a record spread into a model): no field
    but the named ones could be sent, and the server wants them all."""
    arguments = {("additional_properties" if k == "more" else k): v for k, v in arguments.items()}
    failed, found = served("type/property/additional-properties").call(tool, arguments)
    assert not failed, found


def test_a_versioned_server_is_called_at_the_version_its_document_describes(spector, tmp_path):
    """`{endpoint}/versioning/added/api-version:{version}`, `version` an enum of `v1` and `v2`
    with `""` for its default, one document per version: only the endpoint is set, and the
    document for v2 calls `api-version:v2` (before: the variable had no value, and no call
    was made until `<NAME>_SERVER_VERSION` was set)."""
    # A name of its own: the module's other servers set `SPEC_BASE_URL`, which would win.
    added = Served(
        "versioning/added",
        None,
        tmp_path,
        version="v2",
        name="versioned",
        SERVER_ENDPOINT=spector,
    )
    try:
        assert added.info.base_url == "{endpoint}/versioning/added/api-version:v2"
        failed, found = added.call("create", {"prop": "foo", "union_prop": "bar"})
        assert not failed, found
        assert found == {"prop": "foo", "enumProp": "enumMember", "unionProp": "bar"}
    finally:
        added.close()
