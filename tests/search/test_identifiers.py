"""Requests that name their tool (`adaptgen/search/identifiers.py`): a tool name, an
operationId, a method and path, found first, and prose left to the ranking."""

from __future__ import annotations

import io

import pytest
from conftest import shared_spec
from test_index_rank import HELPDESK, built, operation, other_lists

from adaptgen.build import BuildOptions, planned, search_index
from adaptgen.search.identifiers import Identifiers, fold
from adaptgen.search.rank import SearchEngine
from bench.search_bench import NAMED_FORMS, named, print_named

ENTRIES = [
    {"name": name, **({"id": id_} if id_ else {}), **({"operation": op} if op else {})}
    for name, id_, op in [
        ("create_issue", "issues/create", "POST /repos/{owner}/{repo}/issues"),
        ("list_issues", "issues/list-for-repo", "GET /repos/{owner}/{repo}/issues"),
        ("get_issue", "issues/get", "GET /repos/{owner}/{repo}/issues/{issue_number}"),
        ("get_repo", "repos/get", "GET /repos/{owner}/{repo}"),
        ("create_call", "CreateCall", "POST /2010-04-01/Accounts/{AccountSid}/Calls.json"),
        ("pages", "", "GET /pages"),
        ("post_message", "chat.postMessage", "POST /chat.postMessage"),
        ("get_attachment_by_id", "", "GET /Accounts/{AccountID}/Attachments/{AttachmentID}"),
        ("get_attachment_by_file_name", "", "GET /Accounts/{AccountID}/Attachments/{FileName}"),
        ("add_order", "order.add", "POST /order.add.json"),
        ("get_events", "", "GET /events"),
        ("get_project", "", "GET /projects/{id}"),
        ("workflow_run", "", ""),  # a chain: no operation
    ]
]


def named_by(query: str) -> list[str]:
    return [ENTRIES[i]["name"] for i in Identifiers(ENTRIES).named(query)]


@pytest.mark.parametrize(
    "query",
    ["create_issue", "issues/create", "call `issues/create` please", "createIssue()",
     "Create-Issue", "use CREATE_ISSUE for this", "run the issues/create operation."],
)  # fmt: skip
def test_a_name_or_operation_id_in_any_case_or_separators_names_its_tool(query):
    assert named_by(query) == ["create_issue"]


def test_of_two_tools_an_identifier_fits_the_one_spelt_as_written_comes_first():
    """Square has `ListEmployees` and `RetrieveEmployee` at v1 (`/v1/me/employees`) and the
    same operations at v2, whose tools are the plain `list_employees` and `retrieve_employee`:
    "RetrieveEmployee" folds to both, and the v1 tool, the operation so spelt, comes first
    (either way round in the catalog); "retrieve_employee" names the v2 tool first."""
    entries = [
        {"name": "retrieve_employee", "operation": "GET /v2/employees/{id}"},
        {"name": "retrieve_employee_me", "id": "RetrieveEmployee", "operation": "GET /v1/x"},
    ]
    for order in (entries, entries[::-1]):
        names = [order[i]["name"] for i in Identifiers(order).named("RetrieveEmployee")]
        assert names == ["retrieve_employee_me", "retrieve_employee"]
        names = [order[i]["name"] for i in Identifiers(order).named("retrieve_employee")]
        assert names == ["retrieve_employee", "retrieve_employee_me"]


def test_identifiers_fold_case_and_separators_only():
    assert fold("issues/create-in-org") == fold("IssuesCreateInOrg") == "issuescreateinorg"
    assert fold("chat.postMessage") == "chatpostmessage"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("POST /repos/{owner}/{repo}/issues", ["create_issue", "list_issues"]),
        ("GET /repos/{owner}/{repo}/issues", ["list_issues", "create_issue"]),
        ("delete /repos/:owner/:repo/issues/<n>", ["get_issue"]),  # no DELETE: still the path
        ("what does GET /repos/acme/api/issues/42 return?", ["get_issue"]),  # values, a repo `api`
        ("https://api.github.com/repos/acme/web/issues/7?per_page=5#top", ["get_issue"]),
        ("/api/gh/repos/acme/web", ["get_repo"]),  # under a base path the spec leaves out
        ("POST /Accounts/AC123/Calls.json", ["create_call"]),  # the spec's version left out
        ("POST /2010-04-01/Accounts/AC123/Calls", ["create_call"]),
        ("send it with POST /chat.postMessage", ["post_message"]),
        # Paths that differ only in a parameter's name: the one whose names are said first.
        (
            "GET /Accounts/{AccountID}/Attachments/{FileName}",
            ["get_attachment_by_file_name", "get_attachment_by_id"],
        ),
        (
            "GET /accounts/:account_id/attachments/:attachmentId",
            ["get_attachment_by_id", "get_attachment_by_file_name"],
        ),
    ],
)
def test_a_method_and_path_names_the_operations_it_fits_the_method_said_first(query, expected):
    assert named_by(query) == expected


@pytest.mark.parametrize(
    "query",
    ["list the pages of a book", "create an issue", "e.g. the issues of a repo", "GET /", "/{id}",
     "POST /repos/{owner}/{repo}/pulls", "call get issue"],
)  # fmt: skip
def test_prose_and_paths_that_fit_nothing_name_no_tool(query):
    assert named_by(query) == []


@pytest.mark.parametrize(
    "query",
    [
        # Identifiers and paths in prose are as often values or context (from requests of the
        # corpus APIs that named a wrong tool before these rules: none of 38,838 does now).
        "Unsubscribe callback 45; we don't need order.add notifications anymore.",
        "Subscription 63c2 should now post to https://api.newhost.io/rfid/events instead.",
        "what's locked in /projects/specs.docx?",
        "Lock down the vault so no principal can run createIssue on it, attach a deny statement.",
        "can you get /projects/specs.docx for me please",  # "get" in prose is English
    ],
)
def test_an_identifier_or_path_in_a_long_request_is_a_value_not_a_tool(query):
    assert named_by(query) == []


def test_in_a_long_request_a_tool_is_named_by_code_quotes_or_a_path_said_whole():
    assert named_by("use `issues/create` to open a bug about the crash in the login page") == [
        "create_issue"
    ]
    assert named_by("what does /repos/acme/web/issues/7 return, and is it paginated?") == [
        "get_issue"
    ]
    assert named_by("is GET /events paginated, and how many does it return?") == ["get_events"]
    assert named_by("what does GET /projects/specs.docx answer for a file?") == ["get_project"]


def test_a_plain_word_names_a_tool_only_as_the_whole_request():
    assert named_by("pages") == ["pages"]
    assert named_by("show the pages") == []


def test_the_index_says_each_tools_operation_and_its_operation_id_when_not_its_name(tmp_path):
    ok = {"200": {"description": "ok"}}
    _, index = built(
        tmp_path,
        {
            "/v2/invoices/{id}": {"get": {"operationId": "Invoices_Get", "responses": ok}},
            "/v2/invoices": {"post": {"operationId": "create_invoice", "responses": ok}},
        },
    )
    entries = {entry["name"]: entry for entry in index["tools"]}
    by_operation = {entry["operation"]: entry for entry in entries.values()}
    assert by_operation["GET /v2/invoices/{id}"]["id"] == "Invoices_Get"
    assert "id" not in by_operation["POST /v2/invoices"]  # its operationId is its name
    assert list(by_operation["POST /v2/invoices"])[:3] == ["name", "operation", "act"]


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """Tools whose words crowd the one a request names: the words alone rank it lower."""
    paths = {
        "/repos/{owner}/{repo}": {"get": operation("repos/get", "Get a repository")},
        "/repos/{owner}/{repo}/topics": {
            "get": operation("repos/get-all-topics", "Get all repository topics"),
            "put": operation("repos/replace-all-topics", "Replace all repository topics"),
        },
        "/repos/{owner}/{repo}/forks": {"post": operation("repos/create-fork", "Create a fork")},
        **other_lists("gists", "users", "teams", "orgs"),
    }
    _, index = built(tmp_path_factory.mktemp("crowded"), paths)
    return SearchEngine(index)


def test_the_tool_a_request_names_comes_first_then_the_ranking(crowded):
    names = {t.name for t in crowded.tools}
    topics = next(n for n in names if "replace" in n)
    hits = [h.name for h in crowded.search("PUT /repos/acme/web/topics", limit=3)]
    assert hits[0] == topics and len(hits) == 3 and len(set(hits)) == 3
    assert [h.name for h in crowded.search("repos/replace-all-topics", limit=1)] == [topics]
    scores = [h.score for h in crowded.search("PUT /repos/acme/web/topics", limit=3)]
    assert scores == sorted(scores, reverse=True)


def test_a_named_tool_the_caller_may_not_see_is_never_found(crowded):
    names = {t.name for t in crowded.tools}
    topics = next(n for n in names if "replace" in n)
    allowed = names - {topics}
    hits = [h.name for h in crowded.search("repos/replace-all-topics", limit=5, allowed=allowed)]
    assert topics not in hits and set(hits) <= allowed


def test_a_call_by_operation_id_or_path_suggests_that_tool_first(crowded):
    topics = next(t.name for t in crowded.tools if "replace" in t.name)
    assert crowded.nearest("repos/replace-all-topics")[0] == topics
    assert crowded.nearest("PUT /repos/acme/web/topics")[0] == topics


@pytest.mark.parametrize(
    "spec",
    [
        "github_api_2020.json",
        "slack_web_v2_swagger.json",
        "twilio_api_v2010.json",
        "asana_oas.yaml",
    ],
)
def test_every_tool_of_a_real_api_is_found_first_by_its_name_operation_id_and_endpoint(spec):
    """On real specs, whatever their style (GitHub's `repos/get`, Slack's `chat.postMessage`
    paths, Twilio's versioned `.json` paths, Asana's camelCase): each tool's name, operationId
    and `METHOD /path` find it first; GitHub's `GET /` (no literal segment) is left to the
    ranking. (Box is not here: some of its operations share a method and path, told apart by
    a `#fragment` of the spec's path key, so the path alone names both.)"""
    result, loaded = planned(BuildOptions(spec=shared_spec(spec), no_hints=True))
    engine = SearchEngine(search_index(result, loaded))
    missed = []
    for tool in (t for t in result.api.tools if not t.hidden):
        for query in (tool.name, tool.operation_id, f"{tool.method.upper()} {tool.path}"):
            hits = engine.search(query, limit=1)
            if query and (not hits or hits[0].name != tool.name):
                missed.append(query)
    assert set(missed) <= {"GET /"}


def test_the_bench_scores_requests_that_name_their_tool_beside_fastmcp():
    rates = named(HELPDESK, None)
    assert list(rates) == list(NAMED_FORMS)
    for form in ("tool name", "operationId", "METHOD /path"):
        assert rates[form][0] == 1.0
    assert rates["tool name"][1] is None  # our names are not FastMCP's tools'
    assert all(0.0 <= theirs <= 1.0 for _, theirs in list(rates.values())[1:])
    out = io.StringIO()
    print_named({"helpdesk.yaml": rates}, out)
    assert "| helpdesk.yaml | 100% / - | 100% / " in out.getvalue()


def test_a_resource_name_rules_out_the_paths_that_spell_another_resource(tmp_path):
    """GKE has each cluster action twice: under `projects/{projectId}/zones/{zone}/...` and
    as `/{name}:setMasterAuth`, which takes `projects/*/locations/*/clusters/*` whole. A
    request that gives a `locations` name asks for the second; the zones twin was as near by
    meaning and nearer by words (its path says projects and clusters)."""
    ids = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}

    def acting(operation_id: str, *names: str) -> dict:
        parameters = [{**ids, "name": name} for name in names]
        return {"post": {**operation(operation_id, "Sets master auth"), "parameters": parameters}}

    zonal = "/v1/projects/{projectId}/zones/{zone}/clusters/{clusterId}:setMasterAuth"
    paths = {
        zonal: acting("zonal_set_master_auth", "projectId", "zone", "clusterId"),
        "/v1/{name}:setMasterAuth": acting("set_master_auth", "name"),
        "/v1/operations/{operationId}": acting("operations_get", "operationId"),
        **other_lists("clusters", "operations", "projects"),
    }
    _, index = built(tmp_path, paths)
    names = {e["name"]: e.get("id", e["name"]) for e in index["tools"]}
    identifiers = Identifiers(index["tools"])
    given = "set the master auth of projects/acme/locations/us-central1/clusters/web."
    assert {names[index["tools"][i]["name"]] for i in identifiers.elsewhere(given)} == {
        "zonal_set_master_auth"
    }
    assert (
        identifiers.elsewhere("set the master auth of projects/acme/zones/a/clusters/web") == set()
    )
    assert identifiers.elsewhere("set the master auth of cluster web in acme/api") == set()
    from adaptgen.evaluation.search import index_for

    _, encoded = index_for(tmp_path / "spec.json", None)
    assert all(entry.get("semantic") for entry in encoded["tools"])
    for searched in (index, encoded):  # by words alone, and fused with the encoder
        engine = SearchEngine(searched)
        assert names[engine.search(given, limit=1)[0].name] == "set_master_auth"
