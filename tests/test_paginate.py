"""Pagination: each upstream style detected from the spec alone and walked to the end."""

from __future__ import annotations

import asyncio
import json

import paging_zoo
import pytest
from conftest import result_data
from fastmcp import Client
from fastmcp.exceptions import ToolError

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module, main
from adaptgen.plan.pagination import (
    detect,
    items_path,
    undetected_paging,
    unknown_paging_warnings,
)
from adaptgen.runtime.catalog import Param
from adaptgen.runtime.paginate import (
    CursorError,
    CursorKey,
    PageState,
    decode_cursor,
    encode_cursor,
    resolve_next,
    with_api_version,
)
from adaptgen.runtime.paging.cursor import CursorPaging, guessed_next_fields
from adaptgen.runtime.paging.page import PagePaging
from adaptgen.runtime.results import EMPTY_PAGES_IN_A_ROW
from adaptgen.sandbox.server import serve_app

EXPECTED = {
    "list_by_page": ("page", "$.results"),
    "list_by_offset": ("offset", "$.items"),
    "list_by_cursor": ("cursor", "$.data"),
    "list_by_link": ("link", "$"),
    "list_by_next_url": ("next_url", "$.entries"),
    "list_like_stripe": ("last_id", "$.data"),
    "list_like_openai": ("cursor", "$.data"),
    "list_like_jira": ("offset", "$.values"),
    "list_like_open_search": ("offset", "$.items"),
    "list_skipping_like_azure": ("offset", "$.items"),
    "list_pages_from_zero": ("page", "$.items"),
    "list_like_slack": ("cursor", "$.members"),
    "list_like_google": ("cursor", "$.items"),
    "list_like_google_cloud": ("cursor", "$.backups"),
    "search_by_page_token": ("cursor", "$.results"),
    "list_by_x_next": ("link", "$"),
    "list_like_apideck": ("cursor", "$.data"),
    "list_like_facebook": ("cursor", "$.data"),
    "list_wrapped": ("offset", "$.result.item"),
    "list_like_hal": ("next_url", "$._embedded.items"),
    "list_token_in_header": ("cursor", "$"),
    "list_token_in_request_header": ("cursor", "$.Documents"),
    "list_link_undeclared": ("cursor", "$"),
    "list_like_asana": ("cursor", "$.data"),
    "list_like_aws_query": ("cursor", "$.Items"),
    "list_like_s3": ("cursor", "$.Contents"),
    "list_like_ec2": ("cursor", "$.Items"),
    "list_like_kubernetes": ("cursor", "$.items"),
    "list_like_zoom": ("cursor", "$.meetings"),
    "list_like_visma": ("offset", "$"),
    "list_like_keycloak": ("offset", "$"),
    "list_like_economic": ("page", "$"),
    "list_like_zuora": ("next_url", "$.accountingCodes"),
    "list_like_magento": ("page", "$.items"),
    "list_like_api_gateway": ("cursor", "$.items"),
    "list_like_big_oven": ("page", "$.Results"),
}
# How each real-world style was read from the spec: (paging parameter, where the next one is).
PLANNED = {
    "list_like_stripe": ("starting_after", None, "$.has_more"),
    "list_like_openai": ("after", "$.last_id", "$.has_more"),
    "list_like_slack": ("cursor", "$.response_metadata.next_cursor", None),
    "list_like_google": ("pageToken", "$.nextPageToken", None),
    "list_like_google_cloud": ("pageToken", "$.nextPageToken", None),
    "search_by_page_token": ("page", "$.next_page", None),
    "list_by_x_next": (None, "x-next", None),
    "list_like_apideck": ("cursor", "$.meta.cursors.next", None),
    "list_like_aws_query": ("Marker", "$.Marker", "$.IsTruncated"),
    "list_like_s3": ("continuation-token", "$.NextContinuationToken", "$.IsTruncated"),
    "list_like_ec2": ("NextToken", "$.NextToken", None),
    "list_like_facebook": ("after", "$.paging.cursors.after", None),
    "list_like_hal": (None, "$._links.next.href", None),
    "list_like_kubernetes": ("continue", "$.metadata.continue", None),
    "list_like_zoom": ("next_page_token", "$.next_page_token", None),
    "list_like_zuora": (None, "$.nextPage", None),
    "list_like_api_gateway": ("position", "$.position", None),
    "list_like_mastodon": ("max_id", None, None),
    "list_like_asana": ("offset", None, None),
    "list_token_in_request_header": ("x-ms-continuation", None, None),
}


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zoo")
    with serve_app(paging_zoo.APP) as url:
        spec = tmp / "zoo.json"
        spec.write_text(json.dumps(paging_zoo.spec(url)))
        report = build(BuildOptions(spec=spec, out=tmp / "generated"))
        yield report, load_server_module(report.out_dir)


def walk(module, tool: str, limit: int) -> list[int]:
    """Every item's id, calling `tool` from the start and then with each next_cursor."""
    seen: list[int] = []
    arguments: dict = {"limit": limit}
    for _ in range(100):
        page = call(module, tool, arguments)
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        if "next_cursor" not in page:
            break
        arguments = {"limit": limit, "cursor": page["next_cursor"]}
    return seen


def call(module, tool, arguments):
    async def go():
        async with Client(module.mcp) as client:
            result = await client.call_tool(tool, arguments)
            return result_data(result.content[0].text)

    return asyncio.run(go())


def test_each_style_is_detected_and_its_paging_params_hidden(zoo):
    report, _ = zoo
    tools = {t.name: t for t in report.api.tools}
    for name, (style, items) in EXPECTED.items():
        pagination = tools[name].pagination
        assert (pagination.style, pagination.items) == (style, items), name
        visible = [p.name for p in tools[name].params]
        assert visible == (["q"] if name.startswith("search") else []) + ["cursor", "limit"], name
    for name, planned in PLANNED.items():
        pagination = tools[name].pagination
        found = tuple(getattr(pagination, k, None) for k in ("cursor_param", "next", "has_more"))
        assert found == planned, name
    assert tools["list_like_stripe"].pagination.id_field == "id"
    jira = tools["list_like_jira"].pagination
    assert (jira.offset_param, jira.limit_param, jira.total) == ("startAt", "maxResults", "$.total")
    assert (jira.first_offset, jira.min_skip) == (0, None)
    opensearch = tools["list_like_open_search"].pagination  # counts from 1
    assert (opensearch.offset_param, opensearch.first_offset, opensearch.min_skip) == (
        "startIndex",
        1,
        None,
    )
    assert tools["list_pages_from_zero"].pagination.first_page == 0  # its default page
    assert tools["list_by_page"].pagination.first_page == 1
    azure = tools["list_skipping_like_azure"].pagination  # skips none on the first page
    assert (azure.offset_param, azure.first_offset, azure.min_skip) == ("$skip", 0, 1)
    visma, keycloak = tools["list_like_visma"].pagination, tools["list_like_keycloak"].pagination
    assert (visma.offset_param, visma.limit_param, visma.first_offset) == (
        "firstRow",
        "rowCount",
        0,
    )
    assert (keycloak.offset_param, keycloak.limit_param) == ("first", "max")
    bigoven = tools["list_like_big_oven"].pagination  # named by their descriptions
    assert (bigoven.page_param, bigoven.size_param) == ("pg", "rpp")
    economic = tools["list_like_economic"].pagination  # pages skipped: the first is 0
    assert (economic.page_param, economic.size_param, economic.first_page) == (
        "SkipPages",
        "PageSize",
        0,
    )


@pytest.mark.parametrize("tool", sorted(EXPECTED))
@pytest.mark.parametrize("limit", [7, 25, 200])
def test_cursor_round_trips_visit_every_item_once(zoo, tool, limit):
    _, module = zoo
    assert walk(module, tool, limit) == list(range(1, 138))


def test_a_token_no_spec_places_is_read_from_the_response_headers(zoo):
    """A bare array cannot carry the next token, so it comes in a header the spec leaves out:
    read at run time (a token header, or a Link URL), and the build says it is a guess."""
    report, _ = zoo
    tools = {t.name: t for t in report.api.tools}
    for name, param in [("list_token_in_header", "pageToken"), ("list_link_undeclared", "cursor")]:
        pagination = tools[name].pagination
        assert pagination.cursor_param == param and pagination.next is None
        assert "nextpagetoken" in pagination.next_headers or "x-next-cursor" in (
            pagination.next_headers
        )
    said = [str(w.message) for w in report.warnings if "never says where the next" in str(w)]
    headers = [m for m in said if "Link rel=next" in m and "answer's fields" not in m]
    assert len(headers) == 2 and all("paginate hint" in m for m in headers)
    assert not unknown_paging_warnings(report.warnings)


def test_a_token_an_object_answer_never_declares_is_looked_for_where_apis_put_it(zoo):
    """Asana: the spec's answer is `{data: [...]}` and an `offset` token; the upstream sends
    `next_page.offset`. The next token is looked for at run time, and the build says so."""
    report, module = zoo
    pagination = next(t for t in report.api.tools if t.name == "list_like_asana").pagination
    assert pagination.guess_next and "$.next_page.offset" in guessed_next_fields("offset")
    said = [str(w.message) for w in report.warnings if "listLikeAsana" in str(w)]
    assert len(said) == 1 and "next_page.offset" in said[0] and "paginate hint" in said[0]
    first = call(module, "list_like_asana", {"limit": 50})
    assert [item["id"] for item in first["items"]] == list(range(1, 51))
    rest = call(module, "list_like_asana", {"limit": 200, "cursor": first["next_cursor"]})
    assert [item["id"] for item in rest["items"]] == list(range(51, 138))
    assert "next_cursor" not in rest and "_note" not in rest


def test_a_guessed_next_page_is_a_token_or_a_link_never_the_page_just_asked():
    plan = CursorPaging(cursor_param="PageToken", guess_next=True, items="$.data")
    asked = PageState(cursor="t1")

    def after(body: dict, state: PageState = asked) -> PageState | None:
        return plan.next_state(state, body, {}, 1)

    assert after({"nextPageToken": "t2"}) == PageState(cursor="t2")
    assert after({"next_page": {"PageToken": "t2"}}) == PageState(cursor="t2")
    assert after({"NextPageToken": 7}) == PageState(cursor="7")
    # AWS Service Catalog hands the next token back under the parameter's own name; the token
    # just sent, echoed, is no next page.
    assert after({"PageToken": "t2"}) == PageState(cursor="t2")
    assert after({"PageToken": "t1"}) is None
    # A next-page URL is a link (resolved and kept on the upstream by the caller); a link
    # field's placeholder is nothing.
    assert after({"@odata.nextLink": "https://api.test/x?$skiptoken=2"}) == PageState(
        url="https://api.test/x?$skiptoken=2"
    )
    assert after({"links": {"next": "/x?after=2"}}) == PageState(url="/x?after=2")
    assert after({"nextLink": "string", "meta": {"next_cursor": "t3"}}) == PageState(cursor="t3")
    # Objects, flags and empty text are no token; none at all ends the list.
    assert after({"next": {"x": 1}, "next_token": "", "NextToken": True}) is None
    assert after({"data": [1]}) is None
    with_header = plan.model_copy(update={"next_headers": ("x-next-page-token",)})
    assert with_header.next_state(asked, {}, {"x-next-page-token": "h2"}, 1) == PageState(
        cursor="h2"
    )


def test_an_empty_page_with_a_next_token_is_not_the_end(zoo):
    """A server may answer a page with no items before the end (Google's AIP-158; Azure's
    filtered lists): with a next token or link, the walk goes on to the items after it."""
    _, module = zoo
    paging_zoo.REQUESTS["/filtered"] = 0
    found = call(module, "list_filtered_like_google", {"limit": 200})
    assert [item["id"] for item in found["items"]] == [25, 50, 75, 100, 125]
    assert "next_cursor" not in found and "_note" not in found
    assert paging_zoo.REQUESTS["/filtered"] == 7  # 137 ids at 20 a page


def test_empty_pages_in_a_row_end_the_call_with_a_cursor_to_go_on(zoo):
    _, module = zoo
    paging_zoo.REQUESTS["/endless-empty"] = 0
    found = call(module, "list_endless_empty", {})
    assert found["items"] == [] and "3 empty pages in a row" in found["_note"]
    assert paging_zoo.REQUESTS["/endless-empty"] == EMPTY_PAGES_IN_A_ROW == 3
    again = call(module, "list_endless_empty", {"cursor": found["next_cursor"]})
    assert again["items"] == [] and "next_cursor" in again
    assert paging_zoo.REQUESTS["/endless-empty"] == 6


def test_a_style_that_counts_its_own_pages_ends_at_an_empty_one():
    page = PagePaging(page_param="page", items="$.items")
    assert page.advance(PageState(page=1), {"items": [], "next": "x"}, {}, 0) is None
    cursor = CursorPaging(cursor_param="pageToken", next="$.nextPageToken", items="$.items")
    said = {"items": [], "nextPageToken": "t2"}
    assert cursor.advance(PageState(cursor="t1"), said, {}, 0) == PageState(cursor="t2")
    assert cursor.advance(PageState(cursor="t1"), {"items": []}, {}, 0) is None


def test_a_next_link_is_asked_at_the_api_version_the_call_was():
    first = "https://management.azure.com/subscriptions/s/vms?api-version=2024-07-01&$top=5"
    bare = "https://management.azure.com/subscriptions/s/vms?$skiptoken=a%2Fb&startTime=1/1/1970"
    assert with_api_version(bare, first) == bare + "&api-version=2024-07-01"
    other = "https://h/x?Api-Version=notMe&%24skiptoken=bar"
    assert with_api_version(other, first) == "https://h/x?%24skiptoken=bar&api-version=2024-07-01"
    same = "https://h/x?api-version=2024-07-01&%24skiptoken=b+c"
    assert with_api_version(same, first) == same  # left as the upstream wrote it
    assert with_api_version(bare, "https://h/x?top=5") == bare  # no version asked: none added
    assert resolve_next("/x?p=2", "https://h/x?api_version=1.6", "https://h/x?api_version=1.6") == (
        "https://h/x?p=2&api_version=1.6"
    )


def test_a_next_token_named_next_something_param_is_the_params():
    """Route 53 Domains: `Marker` goes back from `NextPageMarker`."""
    response = _obj(Domains=ARRAY, NextPageMarker={"type": "string"})
    plan = detect([_param("Marker", "string")], response, [], None).pagination
    assert (plan.style, plan.cursor_param, plan.next) == ("cursor", "Marker", "$.NextPageMarker")


def test_a_wrapped_records_id_resumes_the_list(zoo):
    """Clever: each item is `{data: {id, ...}, uri}`; `starting_after` takes `data.id`."""
    report, module = zoo
    pagination = next(t for t in report.api.tools if t.name == "list_like_clever").pagination
    assert (pagination.style, pagination.cursor_param) == ("last_id", "starting_after")
    assert pagination.id_field == "data.id"
    seen: list[int] = []
    arguments: dict = {"limit": 30}
    for _ in range(20):
        page = call(module, "list_like_clever", arguments)
        seen += [item["data"]["id"] for item in page["items"]]
        if "next_cursor" not in page:
            break
        arguments = {"limit": 30, "cursor": page["next_cursor"]}
    assert seen == list(range(1, 138))


def test_a_newest_first_timeline_pages_below_the_last_id(zoo):
    """Mastodon: a bare array, newest first; `max_id` (not `since_id`) goes on to older items."""
    report, module = zoo
    tool = next(t for t in report.api.tools if t.name == "list_like_mastodon")
    assert (tool.pagination.style, tool.pagination.items) == ("last_id", "$")
    assert [p.name for p in tool.params] == ["since_id", "cursor", "limit"]
    assert walk(module, "list_like_mastodon", 30) == list(range(137, 0, -1))


def test_default_denoise_applies_to_items(zoo):
    _, module = zoo
    page = call(module, "list_by_page", {"limit": 3})
    assert page["items"] == [{"id": i, "name": f"item {i}"} for i in (1, 2, 3)]
    assert page["total"] == 137


def test_budget_cut_resumes_at_the_next_item(zoo, tmp_path):
    report, _ = zoo
    hints = tmp_path / "zoo.hints.yaml"
    hints.write_text("defaults: {max_response_tokens: 120}\n")
    # The same spec, rebuilt with a tiny budget.
    original = report.out_dir.parent.parent / "zoo.json"
    small = build(BuildOptions(spec=original, out=tmp_path / "g", hints=hints, name="zoo_small"))
    module = load_server_module(small.out_dir)
    first = call(module, "list_by_offset", {"limit": 50})
    shown = [i["id"] for i in first["items"]]
    assert 0 < len(shown) < 50 and shown == list(range(1, len(shown) + 1))
    assert "token budget" in first["_note"]
    second = call(module, "list_by_offset", {"limit": 5, "cursor": first["next_cursor"]})
    assert second["items"][0]["id"] == shown[-1] + 1


def test_cursors_are_checked(zoo):
    _, module = zoo
    base = "http://127.0.0.1:1"
    key = CursorKey(b"k" * 32, shared=True)
    foreign = encode_cursor("list_by_next_url", PageState(url="http://evil.example/steal"), key=key)
    with pytest.raises(CursorError, match="not on the upstream's host"):
        decode_cursor("list_by_next_url", foreign, base, key=key)
    offset = encode_cursor("list_by_offset", PageState(offset=3), key=key)
    with pytest.raises(CursorError, match="another tool"):
        decode_cursor("list_by_page", offset, base, key=key)
    with pytest.raises(CursorError, match="made by this server"):
        decode_cursor("list_by_offset", offset, base, key=CursorKey(b"x" * 32, shared=True))
    with pytest.raises(CursorError):
        decode_cursor("list_by_page", "!!not-base64!!", base, key=key)
    with pytest.raises(ToolError, match="invalid cursor"):
        call(module, "list_by_next_url", {"cursor": foreign})


@pytest.mark.parametrize("tool", ["list_like_stripe", "list_like_openai"])
def test_has_more_false_ends_paging_without_another_request(zoo, tool):
    _, module = zoo
    path = "/" + tool.removeprefix("list_like_")
    paging_zoo.REQUESTS[path] = 0
    page = call(module, tool, {"limit": 200})
    assert [item["id"] for item in page["items"]] == list(range(1, 138))
    assert "next_cursor" not in page
    # 137 items at most 20 a page: 7 requests; the last says has_more=false, so no 8th
    # (OpenAI still sends a last_id there, Stripe's items still have ids).
    assert paging_zoo.REQUESTS[path] == 7


@pytest.mark.parametrize("limit", [0, -3, 201])
def test_out_of_range_limits_are_refused_not_clamped(zoo, limit):
    _, module = zoo
    paging_zoo.REQUESTS["/stripe"] = 0
    with pytest.raises(ToolError, match="limit must be"):
        call(module, "list_like_stripe", {"limit": limit})
    assert paging_zoo.REQUESTS["/stripe"] == 0  # refused before any upstream request


def test_limit_argument_schema_is_bounded(zoo):
    report, _ = zoo
    for tool in report.api.tools:
        limit = next(p for p in tool.params if p.name == "limit").schema
        assert (limit["minimum"], limit["maximum"]) == (1, tool.pagination.max_items), tool.name


def _param(name: str, kind: str | None) -> Param:
    return Param(name=name, api_name=name, location="query", schema={"type": kind} if kind else {})


def _obj(**props) -> dict:
    return {"type": "object", "properties": props}


ARRAY = {"type": "array", "items": _obj(id={"type": "integer"}, name={"type": "string"})}


def test_a_polymorphic_items_id_is_the_id_every_kind_has():
    """Stripe's external accounts: `data` items are a bank account or a card (`anyOf`), both
    with an `id`: the list pages by `starting_after` the last one's (it read one page)."""
    text = {"type": "string"}
    bank, card = _obj(id=text, bank_name=text), _obj(id=text, brand=text)
    answer = _obj(
        object=text,
        data={"type": "array", "items": {"anyOf": [bank, card]}},
        has_more={"type": "boolean"},
        url=text,
    )
    params = [_param("starting_after", "string"), _param("limit", "integer")]
    found = detect(params, answer, [], None).pagination
    assert (found.style, found.id_field, found.has_more) == ("last_id", "id", "$.has_more")
    # Kinds with no id in common: no id to page by.
    answer["properties"]["data"]["items"] = {"oneOf": [bank, _obj(number=text)]}
    assert detect(params, answer, [], None) is None
    # An `allOf`'s parts together are the item.
    answer["properties"]["data"]["items"] = {"allOf": [_obj(id=text), _obj(brand=text)]}
    assert detect(params, answer, [], None).pagination.id_field == "id"


def test_an_after_said_to_be_a_cursor_is_a_token_and_before_is_hidden():
    """GitHub's Dependabot alerts: `after` is "A cursor, as given in the Link header", the
    answer a bare array of records with a `number`, no `id`. The token comes back in the
    `Link` header; `before` (which must not go with `after`) is no argument. An `after` that
    says nothing of a cursor still takes the last item's id, or nothing."""
    cursor = Param(
        name="after",
        api_name="after",
        location="query",
        schema={"type": "string", "description": "A cursor, as given in the Link header."},
    )
    alerts = {"type": "array", "items": _obj(number={"type": "integer"})}
    params = [cursor, _param("before", "string"), _param("per_page", "integer")]
    detected = detect(params, alerts, [], None)
    assert (detected.pagination.style, detected.pagination.cursor_param) == ("cursor", "after")
    assert set(detected.hidden) == {"after", "before", "per_page"}
    assert (
        detect([_param("after", "string"), _param("per_page", "integer")], alerts, [], None) is None
    )


def test_a_size_that_filters_by_a_things_own_size_is_no_page_size():
    """HubSpot's file search: `size` is "Query by file size", `limit` the page's size. Taken
    as the page size, `size=25` asked for files of 25 bytes and hid the filter."""
    text, number = {"type": "string"}, {"type": "integer"}

    def described(name: str, about: str) -> Param:
        return Param(
            name=name, api_name=name, location="query", schema={**number, "description": about}
        )

    params = [
        _param("after", "string"),
        described("limit", "Number of items to return. Maximum limit is 100."),
        described("size", "Query by file size."),
    ]
    answer = _obj(results=ARRAY, paging=_obj(next=_obj(after=text)))
    detected = detect(params, answer, [], None)
    assert detected.pagination.size_param == "limit"
    assert "size" not in detected.hidden
    params[2] = described("size", "How many files a page holds.")
    assert detect(params[::2], answer, [], None).pagination.size_param == "size"


def test_a_solr_start_typed_as_text_pages_by_offset():
    """Monarch's Solr searches page by `start` ("row number to start from", a string of
    default `'0'`) and `rows`, and answer `{docs: [...]}`: a paging adaptgen did not recognise
    (the first page only). A text `start` whose example or default is digits is an offset; one
    with no such sample, or a date's, is still no number."""

    def start(**schema):
        return Param(name="start", api_name="start", location="query", schema=schema)

    rows = _param("rows", "integer")
    solr = _obj(numFound={"type": "integer"}, docs=ARRAY)
    found = detect([start(type="string", default="0"), rows], solr, [], None).pagination
    assert (found.style, found.items) == ("offset", "$.docs")
    assert (found.offset_param, found.limit_param) == ("start", "rows")
    for schema in ({"type": "string"}, {"type": "string", "format": "date", "example": "20240101"}):
        assert detect([start(**schema), rows], solr, [], None) is None


def test_a_single_object_holding_an_array_is_not_a_list():
    # Slack files.info: a file record, its comments, and paging for the comments.
    paging = _obj(count={"type": "integer"}, total={"type": "integer"}, page={"type": "integer"})
    info = _obj(
        ok={"type": "boolean"},
        file=_obj(id={"type": "string"}, name={"type": "string"}),
        comments=ARRAY,
        content_html={"type": "string"},
        paging=paging,
        response_metadata=_obj(next_cursor={"type": "string"}),
    )
    params = [_param("file", "string"), _param("page", "integer"), _param("cursor", "string")]
    assert items_path(info) is None
    assert detect(params, info, [], None) is None
    assert undetected_paging(params, info, [], "files.info") is None  # not a list: no warning
    # The same array beside paging and meta fields only is the main content.
    listing = _obj(ok={"type": "boolean"}, comments=ARRAY, paging=paging)
    assert items_path(listing) == "$.comments"
    assert items_path(_obj(total_count={"type": "integer"}, users=ARRAY, teams=ARRAY)) is None
    zoho_like = {"anyOf": [_obj(data=ARRAY, info=paging), _obj(code={"type": "string"})]}
    assert items_path(zoho_like) == "$.data"


def test_what_sits_beside_the_array_says_list_or_record():
    text, number = {"type": "string"}, {"type": "integer"}
    # Scalars that name nothing are the answer's envelope (Apideck, Bitbucket, Shutterstock).
    envelope = _obj(status_code=number, service=text, operation=text, data=ARRAY)
    assert items_path(envelope) == "$.data"
    assert items_path(_obj(message=text, search_id=text, data=ARRAY)) == "$.data"
    # Scalars that name a record make the array part of it (a volume's tags, a block's txs).
    assert items_path(_obj(id=number, label=text, region=text, tags=ARRAY)) is None
    assert items_path(_obj(hash=text, height=number, txs=ARRAY)) is None
    # An errors array or error object beside the list is the envelope's (Square, Sakari).
    square = _obj(errors=ARRAY, customers=ARRAY, cursor=text)
    assert items_path(square) == "$.customers"
    assert items_path(_obj(data=ARRAY, error=_obj(code=text))) == "$.data"
    assert items_path(_obj(errors=ARRAY, nextLink=text)) == "$.errors"  # App Center's crashes
    # An envelope says a few things; six fields of its own describe a record (Rubrik's export).
    many = {f"field{i}": text for i in range(6)}
    assert items_path(_obj(events=ARRAY, **dict(list(many.items())[:5]))) == "$.events"
    assert items_path(_obj(events=ARRAY, **many)) is None
    # The list inside the answer's one wrapper object, two deep at most (api2cart, musixmatch).
    wrapped = _obj(return_code=number, result=_obj(orders=ARRAY, orders_count=number))
    assert items_path(wrapped) == "$.result.orders"
    # The request echoed beside the list, its paging and its filters (Magento's), is no record.
    criteria = _obj(current_page=number, page_size=number, filter_groups=ARRAY, sort_orders=ARRAY)
    assert items_path(_obj(items=ARRAY, search_criteria=criteria, total_count=number)) == "$.items"
    assert items_path(_obj(items=ARRAY, owner=_obj(page_size=number, name=text))) is None
    # HAL's `_embedded` as the array itself, beside the answer's messages and version stamp
    # (Loket's 181 lists).
    stamp = _obj(obsoleteDate=text, resourceVersion=text)
    loket = _obj(totalSize=number, version=stamp, messages=ARRAY, _embedded=ARRAY)
    assert items_path(loket) == "$._embedded"
    musix = _obj(message=_obj(header=_obj(status_code=number), body=_obj(track_list=ARRAY)))
    assert items_path(musix) == "$.message.body.track_list"
    assert items_path(_obj(a=_obj(b=_obj(c=_obj(items=ARRAY))))) is None
    # A wrapper holding a named record is the record (Asana's `{data: {gid, name, followers}}`).
    record = _obj(data=_obj(gid=text, followers=ARRAY))
    assert items_path(record) is None
    assert items_path(_obj(id=number, data=_obj(items=ARRAY))) is None
    # An answer that says it is cut short is a page, whatever else it says of itself: S3's
    # `Contents` beside the bucket's `Name`, `Prefix`, `Delimiter` and `CommonPrefixes`.
    s3 = dict(Name=text, Prefix=text, Delimiter=text, MaxKeys=number, EncodingType=text)
    page = _obj(IsTruncated={"type": "boolean"}, Contents=ARRAY, CommonPrefixes=ARRAY, **s3)
    assert items_path(page) == "$.Contents"
    assert items_path(_obj(Contents=ARRAY, CommonPrefixes=ARRAY, **s3)) is None
    # ...or says where it goes on: Compute Engine's `items` beside `nextPageToken` and the
    # list's own `id` and `selfLink`.
    compute = dict(id=text, kind=text, selfLink=text, warning=_obj(code=text), items=ARRAY)
    assert items_path(_obj(nextPageToken=text, **compute)) == "$.items"
    assert items_path(_obj(**compute)) is None
    # A table's rows are read with its columns: Analytics' `columnHeaders` beside `rows`,
    # Redshift Data's `ColumnMetadata` beside `Records`, paged, would lose them.
    rows = {"type": "array", "items": {"type": "array", "items": text}}
    assert items_path(_obj(columnHeaders=ARRAY, rows=rows, nextLink=text)) is None
    assert items_path(_obj(Records=rows, ColumnMetadata=ARRAY, NextToken=text)) is None
    assert items_path(_obj(items=ARRAY, defaultReminders=ARRAY, nextPageToken=text)) == "$.items"
    # A page's one list of records beside lists of plain values is the list: Google Cloud's
    # `unreachable` locations, AWS's names beside the summaries. Without a next page, or with
    # two lists of records, it is a record.
    names = {"type": "array", "items": text}
    google = _obj(backups=ARRAY, unreachable=names, nextPageToken=text)
    assert items_path(google) == "$.backups"
    assert items_path(_obj(StreamNames=names, StreamSummaries=ARRAY, NextToken=text)) == (
        "$.StreamSummaries"
    )
    assert items_path(_obj(backups=ARRAY, unreachable=names)) is None
    assert items_path(_obj(alarms=ARRAY, composites=ARRAY, names=names, next=text)) is None
    # Jira's issue search: a page (`total` beside `startAt`) whose maps are its glossary (each
    # field's name and type). A record beside a page's list is still a record (IAM's GetGroup).
    glossary = {"type": "object", "additionalProperties": text}
    jira = _obj(expand=text, issues=ARRAY, warningMessages=names, names=glossary, schema=glossary)
    assert items_path(jira) is None
    jira["properties"].update(startAt=number, maxResults=number, total=number)
    assert items_path(jira) == "$.issues"
    # A search's facets count what the records are: a page of records would lose them.
    facets = _obj(value=ARRAY, count=number, skip=number, facets=glossary, nextLink=text)
    assert items_path(facets) is None
    assert items_path(_obj(items=ARRAY, aggregations=glossary, nextPageToken=text)) is None
    group = _obj(Group=_obj(GroupName=text), Users=ARRAY, IsTruncated={"type": "boolean"})
    assert items_path(group) is None


def test_a_numeric_cursor_is_still_a_token():
    """Square's ListMerchants: an integer `cursor`, the next one in the answer's `cursor`."""
    response = _obj(merchant=ARRAY, cursor={"type": "integer"})
    detected = detect([_param("cursor", "integer")], response, [], None)
    assert (detected.pagination.style, detected.pagination.next) == ("cursor", "$.cursor")
    # A numeric page, offset or `after` is a position, never a token.
    for name in ("page", "offset"):
        assert detect([_param(name, "integer")], response, [], None).pagination.style != "cursor"


def test_a_token_of_any_name_pages_when_the_answer_names_its_next_one():
    """TypeSpec's continuation tokens (`@continuationToken`): a query `token`, the next one in
    the answer's `nextToken` (body, nested or not) or its declared `next-token` header. `token`
    is no name paging knows, so its lists read one page. A number, a date (a schedule's
    `nextDate`) or a required parameter is not such a token."""
    pets = _obj(pets=ARRAY, nextToken={"type": "string"})
    detected = detect([_text("token"), _text("bar")], pets, [], None)
    plan = detected.pagination
    assert (plan.style, plan.cursor_param, plan.next) == ("cursor", "token", "$.nextToken")
    assert detected.hidden == ("token",)
    nested = _obj(nestedItems=_obj(pets=ARRAY), nestedNext=_obj(nextToken={"type": "string"}))
    assert detect([_text("token")], nested, [], None).pagination.next == "$.nestedNext.nextToken"
    by_header = detect([_text("token")], _obj(pets=ARRAY), ["next-token"], None).pagination
    assert (by_header.cursor_param, by_header.next_headers) == ("token", ("next-token",))
    events = _obj(events=ARRAY, nextDate={"type": "string"})
    assert detect([_text("date", format="date")], events, [], None) is None
    assert detect([_param("token", "integer")], pets, [], None) is None
    assert detect([_text("token")], _obj(pets=ARRAY), [], None) is None  # nothing names it
    # Cloud Debugger's `waitToken`/`nextWaitToken`: a long poll, the next call waits for a change
    polled = _obj(breakpoints=ARRAY, nextWaitToken={"type": "string"})
    assert detect([_text("waitToken")], polled, [], None) is None
    required = _text("token").model_copy(update={"required": True})
    assert detect([required], pets, [], None) is None


def test_a_newest_first_list_goes_back_with_until():
    """Vercel: `pagination.next` is "Timestamp that must be used to request the next page",
    sent back as `until`; `since` stays the agent's filter."""
    number = {"type": "number"}
    response = _obj(teams=ARRAY, pagination=_obj(count=number, next=number, prev=number))
    params = [_param("limit", "number"), _param("since", "number"), _param("until", "number")]
    detected = detect(params, response, [], None)
    plan = detected.pagination
    assert (plan.style, plan.cursor_param, plan.next) == ("cursor", "until", "$.pagination.next")
    assert "since" not in detected.hidden
    # A `next` outside a paging object is not it (a record's `next` step, say).
    other = detect(params, _obj(teams=ARRAY, next=number), [], None).pagination
    assert other.cursor_param != "until"  # (the integer `since` of items with ids: last_id)


def test_a_key_filter_is_no_paging_beside_a_position_parameter():
    """gsmtasks: `created_at__gt` filters, `cursor` pages (by a header the spec leaves out)."""
    item = _obj(id={"type": "string"}, created_at={"type": "string", "format": "date-time"})
    bare = {"type": "array", "items": item}
    key = _param("created_at__gt", "string")
    keyed = detect([key, _param("page_size", "integer")], bare, [], None)
    assert keyed.pagination.style == "keyset"
    params = [key, _param("cursor", "integer"), _param("page_size", "integer")]
    detected = detect(params, bare, [], None).pagination
    assert (detected.style, detected.cursor_param) == ("cursor", "cursor")
    assert detected.next_headers  # from a response header, at run time: not the key filter


def _text(name: str, **schema) -> Param:
    return Param(name=name, api_name=name, location="query", schema={"type": "string", **schema})


def test_a_text_page_parameter_is_a_page_number_unless_its_spec_says_token():
    response = _obj(results=ARRAY, total={"type": "integer"})
    # Swagger 2.0 specs often type numbers as text (isbndb's `page`, taxamo's `offset`).
    for page in (_text("page"), _text("page", description="The number of page to retrieve")):
        detected = detect([_param("q", "string"), page], response, [], None)
        assert detected.pagination.style == "page" and detected.pagination.page_param == "page"
    # One its spec calls a token, or shows as one, is never sent as page=1: a token whose next
    # value is looked for where APIs put it (`next_page`...), the answer declaring none.
    for token in (
        _text("page", description="Page token from the previous response."),
        _text("page", example="eyJvZmZzZXQiOjIwfQ"),
        _text("page", format="byte"),
    ):
        params = [_param("q", "string"), token]
        plan = detect(params, response, [], None).pagination
        assert (plan.style, plan.cursor_param, plan.guess_next) == ("cursor", "page", True)
        warning = undetected_paging(params, response, [], "search")
        assert warning is not None and "search:" in warning and "page" in warning
    # A numeric (or untyped) page parameter is a page number.
    for kind in ("integer", None):
        detected = detect([_param("page", kind)], response, [], None)
        assert detected.pagination.style == "page" and detected.pagination.page_param == "page"
    # Text pages that the response counts in numbers (Slack's files.list) are page numbers too.
    counted = _obj(files=ARRAY, paging=_obj(page={"type": "integer"}, pages={"type": "integer"}))
    token = _text("page", description="An opaque page marker.")
    assert detect([token], counted, [], None).pagination.style == "page"
    # A text page size is set when nothing says it is other than a number (Slack's `count`).
    count = _text("count", description="Number of items to return per page.")
    detected = detect([_param("page", "integer"), count], response, [], None)
    assert detected.pagination.size_param == "count" and detected.hidden == ("page", "count")
    cursor_count = _text("count", description="A cursor.")
    detected = detect([_param("page", "integer"), cursor_count], response, [], None)
    assert detected.pagination.size_param is None


def test_a_time_window_is_no_paging():
    """DigitalOcean's metrics: text `start` and `end` are "Timestamp to start metric window"."""
    series = _obj(status={"type": "string"}, data=_obj(result=ARRAY))
    window = [_text("start", description="Timestamp to start metric window.")]
    assert items_path(series) == "$.data.result"
    assert undetected_paging(window, series, [], "metrics") is None
    skip = [_text("offset", description="Records to skip.")]
    assert detect(skip, series, [], None).pagination.style == "offset"
    dated = [_text("offset", description="The date to start from.")]
    assert detect(dated, series, [], None) is None


def test_a_text_offset_is_a_number_but_an_offset_token_is_a_cursor():
    # taxamo: text offset and limit that skip records.
    offset = _text("offset", description="How many records need to be skipped, defaults to 0.")
    limit = _text("limit", description="Max record count (no more than 100, defaults to 10).")
    detected = detect([offset, limit], _obj(payments=ARRAY), [], None)
    plan = detected.pagination
    assert (plan.style, plan.offset_param, plan.limit_param) == ("offset", "offset", "limit")
    # Asana: "Offset token", and the next one in `next_page.offset`: a cursor.
    token = _text("offset", description="Offset token. An offset to the next page.")
    asana = _obj(data=ARRAY, next_page=_obj(offset={"type": "string"}))
    detected = detect([token, _param("limit", "integer")], asana, [], None)
    assert (detected.pagination.style, detected.pagination.next) == (
        "cursor",
        "$.next_page.offset",
    )
    # The same token with nothing in the answer that carries it: never sent as a number; its
    # next value is looked for where APIs put it (Asana's spec often leaves `next_page` out).
    guessed = detect([token], _obj(data=ARRAY), [], None).pagination
    assert (guessed.style, guessed.next, guessed.guess_next) == ("cursor", None, True)


def test_a_required_token_is_the_callers_not_a_page_cursor():
    """OSIsoft PI Web API's `GET /streamsets/updates` requires the `marker` a registration
    returned and answers the next marker: no first page can be asked without it, so it stays
    an argument (before, it was hidden as a cursor and never sent: Prism refused the call)."""
    response = _obj(Items=ARRAY, NextMarker={"type": "string"})
    marker = _param("marker", "string")
    assert detect([marker], response, [], None).pagination.style == "cursor"  # optional: paging
    required = Param(
        name="marker", api_name="marker", location="query", schema={"type": "string"}, required=True
    )
    assert detect([required], response, [], None) is None
    # Paged by a next link instead (as OSIsoft is): the required marker is still not hidden.
    linked = _obj(Items=ARRAY, Links=_obj(Next={"type": "string"}))
    detected = detect([required], linked, [], None)
    assert detected.pagination.style == "next_url" and detected.hidden == ()


_BOOL = {"type": "boolean"}

NAMES = {"type": "array", "items": {"type": "string"}}  # items with no id to resume after
UNKNOWN_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Odd", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:9"}],
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [
                    {"name": "starting_after", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": _obj(things=NAMES, has_more=_BOOL)}
                        },
                    }
                },
            }
        }
    },
}


def test_unknown_paging_is_a_located_warning_and_fails_strict_builds(tmp_path, capsys):
    spec = tmp_path / "odd.json"
    spec.write_text(json.dumps(UNKNOWN_SPEC))
    report = build(BuildOptions(spec=spec, out=tmp_path / "g"))
    [warning] = [w for w in report.warnings if "does not recognise" in w.message]
    assert warning.location.pointer == "/paths/~1things/get"
    assert "listThings" in warning.message and "$.has_more" in warning.message
    assert main(["build", str(spec), "--out", str(tmp_path / "g2")]) == 0
    assert "paging is unknown: 1" in capsys.readouterr().out
    assert main(["build", str(spec), "--out", str(tmp_path / "g3"), "--strict"]) == 1
    assert "listThings" in capsys.readouterr().err
    assert not (tmp_path / "g3").exists()
    # A hint settles it: the strict build passes.
    hints = tmp_path / "odd.hints.yaml"
    hints.write_text(
        "tools:\n  listThings:\n    paginate: {style: cursor, cursor: starting_after, next: "
        "$.next, has_more: $.has_more}\n"
    )
    assert main(["build", str(spec), "--out", str(tmp_path / "g3"), "--strict"]) == 0


def test_a_placeholder_next_link_is_not_followed(zoo):
    # Mocks fill `next` (format uri) with "string": not a link, so the list simply ends.
    _, module = zoo
    page = call(module, "list_with_placeholder_next", {"limit": 50})
    assert [item["id"] for item in page["items"]] == list(range(1, 13))
    assert "next_cursor" not in page and "_note" not in page


def test_an_upstream_that_ignores_the_page_parameter_is_not_read_twice(zoo):
    # The spec says `page`; the upstream sends its first page whatever page is asked for.
    _, module = zoo
    before = paging_zoo.REQUESTS["/ignores-page"]
    page = call(module, "list_ignoring_page", {"limit": 50})
    ids = [item["id"] for item in page["items"]]
    assert ids == list(range(1, 21))  # each record once
    assert "next_cursor" not in page
    assert "same items again" in page["_note"]
    assert paging_zoo.REQUESTS["/ignores-page"] - before == 2


@pytest.mark.parametrize(
    ("schema", "size"),
    [
        ({"type": "integer", "enum": [10, 20, 50]}, 20),  # the largest allowed under ours (25)
        ({"type": "integer", "enum": [50, 100]}, 50),  # none under ours: the least allowed
        ({"type": "integer", "maximum": 10}, 10),
        ({"type": "integer"}, 25),
    ],
)
def test_the_page_size_is_one_the_spec_allows(schema, size):
    response = _obj(results=ARRAY, total={"type": "integer"})
    limit = Param(name="limit", api_name="limit", location="query", schema=schema)
    detected = detect([_param("page", "integer"), limit], response, [], None)
    assert detected.pagination.size_param == "limit"
    assert detected.pagination.page_size == size


def _header(name: str, kind: str = "string", required: bool = False) -> Param:
    return Param(
        name=name, api_name=name, location="header", schema={"type": kind}, required=required
    )


def test_a_token_sent_back_in_a_request_header_pages():
    """Cosmos DB (`x-ms-continuation`), figshare (`X-Cursor`), Climate (`X-Next-Token`): the
    token goes in a request header and comes back in a response header, the one the answer
    declares for it (digitallinguistics: `continuation`, then `dlx-continuation`) or, when it
    declares none, its own name (a guess, which the build says). Read only where nothing in
    the query pages it, never a required header nor one named for a credential (Slack's
    `token`); the page size may be a header beside it."""
    docs = _obj(Documents=ARRAY)
    params = [_header("x-ms-continuation"), _header("x-ms-max-item-count", "integer")]
    found = detect(params, docs, ["x-ms-continuation", "x-ms-request-charge"], None)
    plan = found.pagination
    assert (plan.style, plan.items, plan.cursor_param) == ("cursor", "$.Documents", params[0].name)
    assert plan.next_headers == ("x-ms-continuation",)
    assert plan.size_param == "x-ms-max-item-count"
    assert plan.header_params == ("x-ms-continuation", "x-ms-max-item-count")
    assert found.hidden == ("x-ms-continuation", "x-ms-max-item-count")

    echoed = detect([_header("continuation")], ARRAY, ["Last-Modified", "dlx-continuation"], None)
    assert echoed.pagination.next_headers == ("dlx-continuation",)
    guessed = detect([_header("X-Next-Token")], ARRAY, [], None).pagination
    assert guessed.next_headers[0] == "x-next-token" and guessed.header_params == ("X-Next-Token",)

    # The query pages it: the header is left alone (figshare's `offset` beside `X-Cursor`).
    both = detect(
        [_param("offset", "integer"), _param("limit", "integer"), _header("X-Cursor")],
        ARRAY,
        ["X-Cursor"],
        None,
    )
    assert both.pagination.style == "offset" and not both.pagination.header_params
    assert "X-Cursor" not in both.hidden
    assert (
        detect([_header("token")], _obj(items=ARRAY, nextToken={"type": "string"}), [], None)
        is None
    )
    assert (
        detect([_header("x-ms-continuation", required=True)], docs, ["x-ms-continuation"], None)
        is None
    )
