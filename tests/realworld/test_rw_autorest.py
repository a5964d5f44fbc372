"""Azure's paging and long-running operations against the server Azure's SDKs are tested on.

Microsoft's AutoRest test server (npm `@microsoft.azure/autorest.testserver`, MIT) answers the
Swagger 2.0 specs it ships exactly as Azure's services do, scenario by scenario: next links in
every form, an empty first page, a list that must not be paged, a next link that needs the
caller's api-version, a passing 500, operations polled through `Azure-AsyncOperation` or
`Location` until they succeed, fail or are canceled. Its scenarios keep their state in a cookie,
as a sticky session does. Each spec is read in place from the package, built with no hints,
and served under the governance layer; every tool is called through a real MCP client against
the server on 127.0.0.1 (`tests/autorest_testserver.js`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, BuiltSpec, node_server

pytestmark = [pytest.mark.npm]

PACKAGE = ROOT / "node_modules" / "@microsoft.azure" / "autorest.testserver"
LAUNCHER = ROOT / "tests" / "autorest_testserver.js"


@pytest.fixture(scope="module")
def autorest() -> Iterator[str]:
    """The test server on 127.0.0.1 (a port the OS picks), for the module's tests."""
    with node_server(LAUNCHER, "the AutoRest test server", PACKAGE / "dist") as url:
        yield url


class Served(BuiltSpec):
    """One spec of the package, built and loaded, its base URL the test server's unless None
    (`env`: more of its settings, by name less its prefix)."""

    def __init__(self, spec: str, base_url: str | None, out: Path, **env: str) -> None:
        super().__init__(PACKAGE / "swagger" / spec, base_url, out, **env)


@pytest.fixture(scope="module")
def served(autorest, tmp_path_factory) -> Iterator[Any]:
    """The package's specs, each built and loaded once for the module (by file name)."""
    built: dict[str, Served] = {}

    def get(spec: str) -> Served:
        if spec not in built:
            built[spec] = Served(spec, autorest, tmp_path_factory.mktemp(spec.split(".")[0]))
        return built[spec]

    yield get
    for each in built.values():
        each.close()


@pytest.fixture(scope="module")
def paging(served) -> Served:
    return served("paging.json")


@pytest.fixture(scope="module")
def lro(served) -> Served:
    return served("lro.json")


@pytest.fixture(scope="module")
def xml(served) -> Served:
    return served("xml-service.json")


@pytest.fixture(scope="module")
def complex_types(served) -> Served:
    return served("body-complex.json")


def _ids(items: Any) -> list[int]:
    """Item ids of a list result, in either of its forms (records, or columns and rows)."""
    if isinstance(items, dict):
        column = items["_columns"].index(["properties", "id"])
        return [row[column] for row in items["_rows"]]
    return [item["properties"]["id"] for item in items]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_paging_multiple_pages", {}),  # nextLink, ten pages
        ("get_paging_odata_multiple_pages", {}),  # odata.nextLink
        ("get_paging_multiple_pages_lro", {}),  # a POST that runs long, then pages by GET
        ("get_paging_model_with_item_name_with_xms_client_name", {}),  # under x-ms-paths
    ],
)
def test_every_page_of_an_azure_list_is_read(paging, tool, arguments):
    failed, found = paging.call(tool, arguments)
    assert not failed, found
    assert _ids(found["items"]) == list(range(1, 2 if "xms" in tool else 11))
    assert "next_cursor" not in found and "_note" not in found


def test_a_list_that_says_it_has_no_next_link_is_never_paged(paging):
    """`nextLinkName: null`: the answer's `nextLink` (to a page that is not there) is no page."""
    assert paging.tools["get_paging_null_next_link_name_pages"].pagination is None
    failed, found = paging.call("get_paging_null_next_link_name_pages")
    assert not failed, found
    assert _ids(found["values"]) == [1] and "_note" not in found


def test_an_empty_first_page_with_a_next_link_is_not_the_end(paging):
    failed, found = paging.call("get_paging_first_response_empty")
    assert not failed, found
    assert _ids(found["items"]) == [1] and "_note" not in found


@pytest.mark.parametrize("tool", ["append_paging_api_version", "replace_paging_api_version"])
def test_a_next_link_is_followed_at_the_callers_api_version(paging, tool):
    """Page 2's link leaves `api-version` out, or names another: Azure's clients send their
    own, and the server refuses the page otherwise."""
    failed, found = paging.call(tool, {"api_version": "1.0.0"})
    assert not failed, found
    assert _ids(found["items"]) == [1] and "_note" not in found


def test_a_passing_server_error_is_asked_again_in_the_same_session(paging):
    """The first answer is a 500 that sets the scenario's cookie; the GET is asked again, with
    the cookie, and all ten pages follow."""
    failed, found = paging.call("get_paging_multiple_pages_retry_first")
    assert not failed, found
    assert _ids(found["items"]) == list(range(1, 11))


def test_a_failed_later_page_keeps_what_came_and_a_cursor(paging):
    failed, found = paging.call("get_paging_multiple_pages_failure")
    assert not failed, found
    assert _ids(found["items"]) == [1]
    assert "400" in found["_note"] and found["next_cursor"]


def test_a_calls_cookies_are_not_sent_on_another_call(autorest, tmp_path_factory):
    """With retries off, the 500 that sets the cookie is the answer; a second call, which would
    get a 200 with that cookie, gets the 500 again: the cookie went with the first call."""
    out = tmp_path_factory.mktemp("no-retries")
    served = Served("paging.json", autorest, out, RETRIES="0")
    try:
        for _ in range(2):
            failed, said = served.call("get_paging_multiple_pages_retry_first")
            assert failed and "500" in said, said
    finally:
        served.close()


@pytest.mark.parametrize(
    ("tool", "state"),
    [
        ("update_lros_put201_creating_succeeded200", "Succeeded"),  # the resource, polled
        ("update_lros_put200_updating_succeeded204", "Succeeded"),
        ("update_lros_async_retry_succeeded", "Succeeded"),  # Azure-AsyncOperation, then GET
        ("update_lros_async_no_retry_succeeded", "Succeeded"),
        ("delete_lros_provisioning202_accepted200_succeeded", "Succeeded"),  # Location
        ("update_lro_retrys_put201_creating_succeeded200", "Succeeded"),  # a 500 on the poll
    ],
)
def test_a_long_running_operation_is_followed_to_its_end(lro, tool, state):
    failed, found = lro.call(tool)
    assert not failed, found
    assert found["properties"]["provisioningState"] == state and "_note" not in found


@pytest.mark.parametrize(
    ("tool", "state"),
    [
        ("update_lros_async_retry_failed", "Failed"),
        ("update_lros_async_no_retrycanceled", "Canceled"),
        ("delete_lros_async_retry_canceled", "Canceled"),  # "...Retrycanceled" read apart
        ("create_lros_async_retry_failed", "Failed"),
    ],
)
def test_a_long_running_operation_that_fails_is_an_error(lro, tool, state):
    failed, said = lro.call(tool)
    assert failed and f"the operation ended {state}" in said, said


def test_a_post_is_never_sent_twice_after_a_server_error(lro):
    """A POST's 500 may follow its effect: it is the answer, not a reason to post again."""
    failed, said = lro.call("retry_lro_retrys_post202_retry200")
    assert failed and "500" in said, said


def test_a_path_keys_query_is_sent_once_beside_the_constant_it_declares(xml):
    """Azure Storage's `GET /?comp=list` also declares `comp` a constant (an enum of one
    value): sent twice (`comp=list&comp=list`) the server found no such operation."""
    fixed = xml.tools["list_xml_containers"].upstream.fixed
    assert [(f.location, f.api_name, f.value) for f in fixed] == [("query", "comp", "list")]
    failed, found = xml.call("list_xml_containers")
    assert not failed, found
    assert found["ServiceEndpoint"] == "https://myaccount.blob.core.windows.net/"
    failed, acls = xml.call("get_xml_acls")
    assert not failed and acls[0]["AccessPolicy"]["Permission"] == "rwd", acls


# The server's own `rawFish`: a salmon and its siblings of three other kinds, each kind's own
# fields (`location`, `iswild`; `picture`; `jawsize`, `color`) beside the base `Fish`'s.
SIBLINGS = [
    {
        "fishtype": "shark",
        "age": 6,
        "birthday": "2012-01-05T01:00:00Z",
        "length": 20.0,
        "species": "predator",
    },
    {
        "fishtype": "sawshark",
        "age": 105,
        "birthday": "1900-01-05T01:00:00Z",
        "length": 10.0,
        "picture": "//////4=",
        "species": "dangerous",
    },
    {
        "fishtype": "goblin",
        "age": 1,
        "birthday": "2015-08-08T00:00:00Z",
        "length": 30.0,
        "species": "scary",
        "jawsize": 5,
        "color": "pinkish-gray",
    },
]


def test_a_kind_of_a_polymorphic_body_is_sent_whole(complex_types):
    """Swagger 2.0's polymorphism: the body is a `Fish`, and the server wants a `Salmon` with
    its own fields and siblings of other kinds, field for field. Before, only `Fish`'s fields
    were arguments: a salmon's `location` was refused."""
    salmon = {
        "fishtype": "salmon",
        "location": "alaska",
        "iswild": True,
        "species": "king",
        "length": 1.0,
        "siblings": SIBLINGS,
    }
    failed, said = complex_types.call("update_polymorphism_valid", salmon)
    assert not failed, said


def test_an_endpoint_in_the_host_is_the_operators_to_set(autorest, tmp_path_factory):
    """`x-ms-parameterized-host` (Azure's data-plane services: `{endpoint}`, a vault's
    `{vaultBaseUrl}`): the spec names no host; the server URL is its template, each part set
    by its own variable, and the base URL is never needed."""
    out = tmp_path_factory.mktemp("endpoint")
    served = Served("parameterized-endpoint.json", None, out, SERVER_ENDPOINT=autorest)
    try:
        assert served.info.server_url == "{endpoint}"
        failed, found = served.call("get")
        assert not failed, found
    finally:
        served.close()
    out = tmp_path_factory.mktemp("multiapi")
    served = Served("multiapi-v1-custom-base-url.json", None, out, SERVER_ENDPOINT=autorest)
    try:  # `{Endpoint}/multiapiCustomBaseUrl/v1`, and its api-version is the spec's version
        assert "api_version" not in served.tools["test"].input_schema["properties"]
        failed, found = served.call("test", {"id": 1})
        assert not failed, found
    finally:
        served.close()
    port = autorest.rpartition(":")[2]
    out = tmp_path_factory.mktemp("more-options")
    more = {
        "SERVER_VAULT": "http://127",
        "SERVER_SECRET": ".0.0",
        "SERVER_DNS_SUFFIX": f".1:{port}",
    }
    served = Served("custom-baseUrl-more-options.json", None, out, **more)
    try:
        assert served.info.server_url == "{vault}{secret}{dnsSuffix}"
        asked = {"subscription_id": "test12", "key_name": "key1", "key_version": "v1"}
        failed, found = served.call("get_paths_empty", asked)
        assert not failed, found
    finally:
        served.close()


@pytest.mark.parametrize(
    ("tool", "scenario", "value"),
    [
        ("create_header_response_integer", "positive", "1"),
        ("create_header_response_datetime_rfc1123", "valid", "Fri, 01 Jan 2010 12:34:56 GMT"),
        ("create_header_response_enum", "valid", "GREY"),
    ],
)
def test_an_answer_in_a_header_is_the_result(served, tool, scenario, value):
    """The server answers 200 with no content and the value in the header the spec declares
    (`value`): before, the result was "Done" and the value was lost."""
    failed, found = served("header.json").call(tool, {"scenario": scenario})
    assert not failed, found
    assert found["headers"] == {"value": value}


@pytest.mark.parametrize(
    ("tool", "found", "status"),
    [
        ("check_http_success_head200", True, 200),
        ("check_http_success_head204", True, 204),
        ("check_http_success_head404", False, 404),  # an error before: the check's "no"
    ],
)
def test_a_head_says_whether_the_thing_is_there(served, tool, found, status):
    """Azure's existence checks answer a HEAD with 200/204 or 404, both declared."""
    failed, answer = served("head.json").call(tool)
    assert not failed, answer
    assert answer["found"] is found and answer["answered"] == f"upstream answered {status}"


def test_a_body_goes_with_its_media_types_parameters(served):
    """The server takes the text only as `text/plain; charset=UTF-8`, as the spec declares it;
    the charset was dropped before (400)."""
    failed, found = served("media_types.json").call(
        "create_content_type_with_encoding", {"body": "x"}
    )
    assert not failed and found == "Nice job sending content type with encoding", found
