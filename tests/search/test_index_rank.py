"""The search index and its ranking, on a small helpdesk spec with the traps real APIs have.

The traps: a resource's sub-resource that shares its words (a customer's cards), read and write
operations of one resource, action paths (`/send`, `/refund`), a synonym the API does not use
("client" for customer) and an operationId that is the only place a word appears.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import result_data

from adaptgen.build import BuildOptions, planned, search_index
from adaptgen.search.index import build_index, index_json, operation_intent
from adaptgen.search.intent import compatibility, query_intent
from adaptgen.search.query import read_query
from adaptgen.search.rank import MAX_CANDIDATES, SearchEngine
from adaptgen.search.text import stem, terms, words

HELPDESK = Path(__file__).parent / "fixtures" / "helpdesk.yaml"


def helpdesk_index(hints: Path | None = None) -> dict:
    result, loaded = planned(BuildOptions(spec=HELPDESK, hints=hints, no_hints=hints is None))
    return search_index(result, loaded)


@pytest.fixture(scope="module")
def engine() -> SearchEngine:
    return SearchEngine(helpdesk_index())


def top(engine: SearchEngine, query: str, n: int = 1, allowed: set[str] | None = None) -> list[str]:
    return [hit.name for hit in engine.search(query, limit=n, allowed=allowed)]


def built(
    tmp_path: Path, paths: dict, *, semantic: bool = False, **extra: dict
) -> tuple[Any, dict]:
    """The plan and search index of an OpenAPI 3 document with these paths (with the sentence
    encoder's vectors when `semantic`)."""
    spec = {"openapi": "3.0.3", "info": {"title": "Test", "version": "1"}, "paths": paths}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({**spec, **extra}))
    result, loaded = planned(BuildOptions(spec=path, no_hints=True))
    return result, search_index(result, loaded, semantic=semantic)


def operation(operation_id: str, summary: str) -> dict:
    """An OpenAPI operation with this operationId and summary, answering 200."""
    return {
        "operationId": operation_id,
        "summary": summary,
        "responses": {"200": {"description": "ok"}},
    }


def other_lists(*names: str) -> dict:
    """Paths that list unrelated things, so a word of the tools under test is a rare word."""
    ok = {"200": {"description": "ok"}}
    return {f"/{name}": {"get": {"operationId": f"{name}_list", "responses": ok}} for name in names}


def test_identifiers_paths_and_prose_split_into_the_same_words():
    assert words("listRepoIssues") == ["list", "repo", "issues"]
    assert words("/repos/{owner}/pull-requests/{pull_number}") == [
        "repos", "owner", "pull", "requests", "pull", "number"
    ]  # fmt: skip
    assert words("chat.postMessage") == ["chat", "post", "message"]
    assert terms("Open the bugs on my repos") == ["open", "bug", "repo"]


@pytest.mark.parametrize(
    "forms",
    [
        ("issue", "issues"),
        ("create", "creates", "created", "creating"),
        ("reply", "replies"),
        ("invoice", "invoices", "invoicing"),
        ("person", "people"),
        ("branch", "branches"),
        ("status", "statuses"),
        ("map", "mapped", "mapping"),
    ],
)
def test_stemming_brings_word_forms_together(forms):
    assert len({stem(f) for f in forms}) == 1, [stem(f) for f in forms]


def test_the_stemmer_keeps_apart_what_apis_keep_apart():
    assert stem("string") == "string"
    assert stem("general") != stem("generate")
    assert stem("status") != stem("state")


@pytest.mark.parametrize(
    ("method", "path", "name", "act", "verb"),
    [
        ("GET", "/customers", "list_customers", "list", "list"),
        ("GET", "/customers/{id}", "get_customer", "get", "get"),
        ("GET", "/projects/{id}/tasks", "get_tasks_for_project", "list", "get"),
        ("POST", "/customers", "create_customer", "create", "creat"),
        ("POST", "/invoices/{id}/send", "send_invoice", "create", "send"),
        ("PUT", "/repos/{o}/{r}/pulls/{n}/merge", "merge_pull", "update", "merg"),
        ("PATCH", "/issues/{id}", "update_issue", "update", "updat"),
        ("DELETE", "/hooks/{id}", "delete_hook", "delete", "delet"),
        ("GET", "/search/code", "search_code", "list", "search"),
        ("GET", "/2010-04-01/Accounts/{Sid}/Calls.json", "list_call", "list", "list"),
        # A PUT, PATCH or DELETE changes, whatever reading verb its name starts with.
        ("PATCH", "/rooms/{id}/events", "check_in_rooms", "update", "check"),
        # A name ending in a plural reads many where the parameter names a collection...
        ("GET", "/crm/v2/{module}", "get_records", "list", "get"),
        ("GET", "/users/{user-id}", "get_user_endpoints", "list", "get"),
        ("GET", "/categories/{category}", "get_sub_categories", "list", "get"),
        ("GET", "/routing-profiles-summary/{InstanceId}", "list_routing_profiles", "list", "list"),
        ("GET", "/posts/{ids}", "get_posts", "list", "get"),
        # ... not on the id of one of the things it names, nor of their details.
        ("GET", "/maintenances/{maintenanceId}", "retrieve_system_maintenances", "get", "retriev"),
        ("GET", "/v1/payments/{paymentUuid}", "get_payment_details", "get", "get"),
        ("GET", "/v1/Policies/{Sid}", "fetch_policies", "get", "fetch"),
        ("GET", "/deviceCategories/{deviceCategory-id}", "get_device_categories", "get", "get"),
    ],
)
def test_an_operations_intent_comes_from_its_name_verb_method_and_path(
    method, path, name, act, verb
):
    intent = operation_intent(method, path, name)
    assert (intent.act, intent.verb) == (act, verb)


def test_a_querys_intent_is_its_first_verb_and_opposite_acts_count_against():
    assert query_intent("get rid of the old webhook").act == "delete"
    assert query_intent("show the open issues").act == "list"
    assert query_intent("show me issue 7").act == "get"
    assert query_intent("please merge the pull request", {"merg"}).verb == "merg"
    assert query_intent("look for documents about the merger").act == "list"
    create = query_intent("create a customer")
    assert compatibility(create, operation_intent("POST", "/customers", "create_customer")) > 0
    assert compatibility(create, operation_intent("GET", "/customers", "list_customers")) < 0
    stop = query_intent("stop the run")
    assert compatibility(stop, operation_intent("POST", "/runs/{id}/cancel", "cancel_run")) > 0.8


def test_the_index_holds_each_fields_words_and_the_intent():
    index = helpdesk_index()
    entry = next(e for e in index["tools"] if e["name"] == "create_customer_card")
    assert entry["act"] == "create" and entry["kind"] == "collection"
    assert entry["fields"]["resource"] == "cards"
    assert entry["fields"]["path"] == "customers"
    assert "create customer card" in entry["fields"]["name"]
    assert entry["fields"]["intent"].startswith("create add new")
    send = next(e for e in index["tools"] if e["name"] == "send_invoice")
    assert (send["verb"], send["kind"], send["fields"]["resource"]) == (
        "send",
        "action",
        "invoices",
    )
    move = next(e for e in index["tools"] if e["name"] == "move_screen_tab")
    assert move["fields"]["resource"] == "tabs" and move["fields"]["path"] == "screens"
    assert {e["toolset"] for e in index["tools"]} == {
        "Customers", "Issues", "Screens", "Billing", "notes"
    }  # fmt: skip


def test_the_index_file_is_deterministic_and_one_tool_per_line():
    first, second = index_json(helpdesk_index()), index_json(helpdesk_index())
    assert first == second
    assert json.loads(first) == helpdesk_index()
    assert len(first.splitlines()) == len(helpdesk_index()["tools"]) + 3  # + associations


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("create a new customer", "create_customer"),  # not the customer's cards
        ("add a card to the customer's account", "create_customer_card"),
        ("remove client 42", "delete_customer"),  # client: a reviewed synonym
        ("show all customers", "list_customers"),
        ("look up one customer", "get_customer"),
        ("refund that payment", "refund_charge"),
        ("email the bill to the customer", "send_invoice"),
        ("open a new ticket", "create_issue"),  # ticket: issue
        ("change the ticket's summary", "edit_issue"),
        ("find tickets assigned to me", "search_issues"),
        ("leave a comment", "add_note"),  # comment: note
    ],
)
def test_ranking_puts_the_right_tool_first(engine, query, expected):
    assert top(engine, query) == [expected], engine.search(query, limit=3)


def test_ranking_is_deterministic_and_respects_the_allowed_tools(engine):
    runs = {tuple(top(engine, "customer", 10)) for _ in range(3)}
    assert len(runs) == 1
    reads = {"list_customers", "get_customer", "list_customer_cards"}
    assert set(top(engine, "delete the customer", 5)) & {"delete_customer"}
    assert set(n.name for n in engine.search("delete the customer", 5, allowed=reads)) <= reads


def test_a_callers_tools_are_ranked_among_themselves_not_cut_by_the_tools_it_cannot_see():
    """Only the best MAX_CANDIDATES tools by words are scored; for a caller, of ITS tools: a
    caller with one invoice tool finds it however many invoice tools rank above it."""
    loud = {
        "name": "invoice invoices",
        "summary": "invoice invoices invoice",
        "resource": "invoices",
    }
    quiet = {"name": "archive record", "summary": "keeps an invoice", "resource": "records"}
    tools = [
        {"name": f"get_invoice_{i:03d}", "act": "get", "fields": loud}
        for i in range(MAX_CANDIDATES + 10)
    ]
    tools.append({"name": "archive_record", "act": "update", "fields": quiet})
    engine = SearchEngine({"tools": tools})
    assert "archive_record" not in top(engine, "invoice", len(tools))  # below the cut
    assert top(engine, "invoice", 5, allowed={"archive_record"}) == ["archive_record"]


def test_what_a_search_keeps_is_the_indexs_own_terms_whatever_is_asked(engine):
    """The postings made into arrays at a term's first use are kept for the index's terms
    only: requests full of words no tool has cannot grow a long-running server's memory."""
    engine.search("list the customers", 5)
    kept = len(engine._columns)  # noqa: SLF001
    for i in range(200):
        engine.search(f"zqx{i:03d} wibble{i:03d} customers", 5)
    assert len(engine._columns) == kept  # noqa: SLF001


def test_nearest_names_for_a_misspelt_tool(engine):
    assert engine.nearest("create_custmer")[0] == "create_customer"
    assert "refund_charge" in engine.nearest("refund")
    assert engine.nearest("create_custmer", allowed={"get_customer"}) == ["get_customer"]


def test_toolsets_are_tags_or_path_groups(engine):
    sets = engine.toolsets()
    assert sets["Billing"] == ["send_invoice", "refund_charge"]
    assert sets["notes"] == ["add_note"]
    assert "Billing" not in engine.toolsets(allowed={"add_note"})


def test_hint_keywords_make_a_tool_findable_by_words_its_spec_lacks(engine, tmp_path):
    assert "refund_charge" not in top(engine, "chargeback", 5)
    hints = tmp_path / "helpdesk.hints.yaml"
    hints.write_text("tools:\n  refundCharge:\n    search: {keywords: [chargeback, dispute]}\n")
    found = SearchEngine(helpdesk_index(hints))
    assert top(found, "chargeback") == ["refund_charge"]


def test_hinted_keywords_outweigh_the_encoder_and_count_whole(tmp_path):
    """On a real API the encoder decides most searches and never reads the hints: a request
    that says a hinted keyword still finds its tool first (`KEYWORD_BONUS`). A keyword of two
    words counts only when both are said: "message" alone lifts nothing."""
    from conftest import shared_spec

    from adaptgen.evaluation.search import index_for

    spec = shared_spec("slack_web_v2_swagger.json")
    hints = tmp_path / "slack.hints.yaml"
    hints.write_text(
        "tools:\n"
        "  stars_add:\n    search: {keywords: [save, bookmark]}\n"
        "  conversations_open:\n    search: {keywords: [DM, direct message]}\n"
    )
    plain = SearchEngine(index_for(spec, None)[1])
    hinted_index = index_for(spec, hints)[1]
    hinted = SearchEngine(hinted_index)
    entry = next(e for e in hinted_index["tools"] if e["name"] == "open_conversations")
    assert entry["keywords"] == ["dm", "direct message"]
    for request, tool in [
        ("bookmark this message", "add_stars"),
        ("start a DM with Alex", "open_conversations"),
    ]:
        assert top(hinted, request) == [tool], request
        assert top(plain, request) != [tool], request  # the encoder alone finds another
    # Where the encoder is surest of another tool the keyword lifts its tool, not above all.
    request = "save that message for later"
    assert "add_stars" in top(hinted, request, 5)
    assert "add_stars" not in top(plain, request, 5)
    assert "open_conversations" in top(plain, request, 5)
    place = top(hinted, request, 10).index("open_conversations")
    assert place >= top(plain, request, 10).index("open_conversations")  # not lifted


def test_a_request_given_as_an_example_finds_its_tool_and_lifts_only_its_likes(tmp_path):
    """Hinted example requests (`search: {examples: [...]}`) are encoded at build time as a
    request is at query time: the example itself finds its tool first, a request like it lifts
    the tool, an unrelated one is ranked as without them. Only the hinted tool's entry changes."""
    from conftest import shared_spec

    from adaptgen.evaluation.search import index_for

    spec = shared_spec("slack_web_v2_swagger.json")
    hints = tmp_path / "slack.hints.yaml"
    hints.write_text(
        "tools:\n  stars_add:\n    search:\n"
        "      examples: ['save that message for later', 'keep this thread where I can find it']\n"
    )
    plain_index, hinted_index = index_for(spec, None)[1], index_for(spec, hints)[1]
    plain, hinted = SearchEngine(plain_index), SearchEngine(hinted_index)
    changed = [
        a["name"]
        for a, b in zip(plain_index["tools"], hinted_index["tools"], strict=True)
        if a != b
    ]
    assert changed == ["add_stars"]
    entry = next(e for e in hinted_index["tools"] if e["name"] == "add_stars")
    assert len(entry["examples"]) == 2 and "keywords" not in entry
    request = "save that message for later"
    assert top(hinted, request) == ["add_stars"]
    assert "add_stars" not in top(plain, request, 5)  # the encoder alone finds posting
    like = "bookmark that message for later"
    assert "add_stars" in top(hinted, like, 3)
    assert "add_stars" not in top(plain, like, 5)
    for unrelated in ("post hello in #general", "archive the #old-project channel"):
        assert top(hinted, unrelated, 5) == top(plain, unrelated, 5), unrelated


def test_examples_need_the_encoder(tmp_path):
    """Without the sentence encoder (hints `search: {semantic: false}`) the examples have
    nothing to be read by: the index is the one without them."""
    hints = tmp_path / "helpdesk.hints.yaml"
    hints.write_text(
        "search: {semantic: false}\n"
        "tools:\n  refundCharge:\n    search: {examples: [give the money back]}\n"
    )
    bare = tmp_path / "bare.hints.yaml"
    bare.write_text("search: {semantic: false}\n")
    assert helpdesk_index(hints) == helpdesk_index(bare)


def test_a_server_built_before_indexes_indexes_its_catalog(tmp_path, monkeypatch):
    """Committed servers from earlier builds have no search_index.json: the same tools, indexed
    from the catalog (hint keywords aside, which catalogs do not keep, and the associations,
    which read the spec's whole descriptions)."""
    import asyncio

    from fastmcp import Client

    from adaptgen.build import build
    from adaptgen.cli import load_server_module
    from adaptgen.runtime.catalog import Catalog
    from adaptgen.search import INDEX_FILE

    hints = tmp_path / "helpdesk.hints.yaml"
    hints.write_text("search: {mode: search}\n")
    report = build(BuildOptions(spec=HELPDESK, out=tmp_path, hints=hints))
    written = json.loads((report.out_dir / INDEX_FILE).read_text())
    rebuilt = build_index(Catalog.read(report.out_dir / "catalog.json"), semantic=True)
    assert rebuilt["tools"] == written["tools"]
    (report.out_dir / INDEX_FILE).unlink()
    monkeypatch.setenv("ADAPTGEN_GOVERNANCE", "off")
    module = load_server_module(report.out_dir)

    async def search():
        async with Client(module.mcp) as client:
            return await client.call_tool("search_tools", {"query": "refund that payment"})

    assert result_data(asyncio.run(search()).content[0].text)[0]["name"] == "refund_charge"


def test_values_in_a_query_weigh_little():
    from adaptgen.search.query import query_terms, read_query

    said = dict(query_terms(read_query("make a channel called #incident-42 in acme/web")))
    assert said["channel"] == 1.0 and "call" not in said and "incident" not in said
    assert said["acme"] < 0.5 and said["web"] < 0.5
    said = dict(query_terms(read_query("post an update: we're on track for 'Launch Day'")))
    assert said["post"] == 1.0 and said["track"] < 0.5 and "launch" not in said
    said = dict(query_terms(read_query("show the texts we sent yesterday")))
    assert said["text"] == 1.0 and said["yesterday"] < 0.5
    assert "batch" in dict(query_terms(read_query("delete these 20 contacts at once")))
    assert "todo" in dict(query_terms(read_query("add a to-do")))
    assert read_query("tell @bob hi").main == ("tell", "user", "hi")
    assert "channel" in read_query("post it in #design").main
    assert "channel" not in read_query("paint the button #FF5500").main  # a colour
    assert "channel" not in read_query("make the links #ABCDEF and #1a2b3c").main


@pytest.mark.parametrize(
    ("query", "main"),
    [
        ("put a 🚀 on PR 88", ("put", "emoji", "on", "pr")),
        ("leave a ❤️ on it", ("leave", "emoji", "on", "it")),  # with its variation selector
        ("👍🏽 that", ("emoji", "that")),  # with its skin tone
        ("react with :tada: to it", ("react", "with", "emoji", "to", "it")),
        (":+1: the plan", ("emoji", "the", "plan")),
        ("meet at 10:30:00 by the lift → left", ("meet", "at", "by", "the", "lift", "left")),
    ],
)
def test_an_emoji_is_read_as_the_word_emoji(query, main):
    # APIs call it an emoji or a reaction (the synonyms join the two); a time is no shortcode
    # and an arrow no emoji.
    assert tuple(w for w in read_query(query).main if w != "a") == main


@pytest.mark.parametrize(
    ("query", "said"),
    [
        (
            "let 203.0.113.10 reach the SIP domain",
            "let 203.0.113.10 IP address reach the SIP domain",
        ),
        ("add backend 192.168.130.14:80 to it", "add backend 192.168.130.14:80 IP address to it"),
        ("only 10.20.0.0/16 may connect", "only 10.20.0.0/16 IP range may connect"),
        ("alert me when our spend passes $500", "alert me when our spend passes $500 amount"),
        ("withdraw $5,000 to the bank", "withdraw $5,000 amount to the bank"),
        ("refund €12.50 of it", "refund €12.50 amount of it"),
        ("a year earlier at $85k", "a year earlier at $85k amount"),
        # a version, a time, a DICOM id and a longer dotted number are no address
        ("ship 1.4.7 at 10.30", "ship 1.4.7 at 10.30"),
        ("remove image 1.2.3.4.5.6 now", "remove image 1.2.3.4.5.6 now"),
        ("roll back to v1.2.3.4-rc1", "roll back to v1.2.3.4-rc1"),
        # a shell variable or a price id is no amount
        ("set $HOME to /srv", "set $HOME to /srv"),
        ("get the price behind price_1Nq8", "get the price behind price_1Nq8"),
    ],
)
def test_an_address_or_an_amount_is_said_to_be_one(query, said):
    """`query.said_values`: to the encoder (`spoken`) and to the words ranking alike."""
    from adaptgen.search.semantic import spoken

    assert spoken(query) == said
    main = read_query(query).main
    for word in ("ip", "address", "range", "amount"):
        assert (word in main) == (word in said.lower().split()), word


def test_the_things_of_an_ip_address_are_found_by_the_address(tmp_path):
    """To the words ranking "149.72.10.5" was only digits: "which pools is 149.72.10.5 in?"
    found every pool and the domain's pools alike; said to be an IP address, it finds the
    pools of an IP."""
    ok = {"200": {"description": "ok"}}

    def listed(operation_id: str, summary: str, name: str) -> dict:
        parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        return {"get": {**operation(operation_id, summary), "parameters": [parameter]}}

    paths = {
        "/pools": {"get": {"operationId": "pools_list", "summary": "List pools", "responses": ok}},
        "/ips/{ip}/pools": listed("ip_pools", "List the pools of an IP", "ip"),
        "/domains/{domain}/pools": listed("domain_pools", "List the pools of a domain", "domain"),
        **other_lists("users", "messages", "templates", "webhooks"),
    }
    _, index = built(tmp_path, paths)
    names = {e["name"]: e.get("id", e["name"]) for e in index["tools"]}
    engine = SearchEngine(index)
    for query in ("which pools is 149.72.10.5 in?", "pools of 149.72.10.5"):
        assert names[engine.search(query, limit=1)[0].name] == "ip_pools"


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("what VMs are in us-central1-a?", "what VMs are in us-central1-a zone?"),
        ("snapshot it (europe-west4-b)", "snapshot it (europe-west4-b zone)"),
        ("fail over to us-east-1b", "fail over to us-east-1b zone"),
        ("the disk that spans us-central1", "the disk that spans us-central1 region"),
        ("copy it to eu-west-2, then", "copy it to eu-west-2 region, then"),
        (
            "in ap-southeast-1 and us-gov-west-1",
            "in ap-southeast-1 region and us-gov-west-1 region",
        ),
        # an ARN, a resource path and a host's name are no place said as a place
        (
            "publish to arn:aws:sns:us-east-1:123:alerts",
            "publish to arn:aws:sns:us-east-1:123:alerts",
        ),
        ("read locations/us-central1/clusters/web", "read locations/us-central1/clusters/web"),
        ("restart sneaker-retro-88 and web-east-2", "restart sneaker-retro-88 and web-east-2"),
    ],
)
def test_a_clouds_zone_or_region_is_said_to_be_one_to_the_words_ranking(query, said):
    """`query.said_areas`: to the words ranking only, where said after "in" it is where, not
    what; the encoder reads the request as typed."""
    from adaptgen.search.query import said_areas
    from adaptgen.search.semantic import spoken

    assert said_areas(query) == said
    assert spoken(query) == query


def test_a_zone_finds_the_zones_tools_and_not_the_zones_themselves(tmp_path):
    """Google's APIs have a tool per scope (`instanceGroupManagers.resize` and
    `regionInstanceGroupManagers.resize`), told apart only by the place the request names."""
    ok = {"200": {"description": "ok"}}

    def resize(operation_id: str, path: str) -> dict:
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in names
        ]
        summary = "Resizes the managed instance group."
        return {path: {"post": {**operation(operation_id, summary), "parameters": parameters}}}

    base = "/projects/{project}"
    paths = {
        **resize("zonal_resize", base + "/zones/{zone}/groupManagers/{manager}/resize"),
        **resize("regional_resize", base + "/regions/{region}/groupManagers/{manager}/resize"),
        base + "/zones": {"get": {"operationId": "zones_list", "responses": ok}},
        base + "/regions": {"get": {"operationId": "regions_list", "responses": ok}},
        **other_lists("users", "messages", "templates", "webhooks"),
    }
    _, index = built(tmp_path, paths)
    names = {e["name"]: e.get("id", e["name"]) for e in index["tools"]}
    engine = SearchEngine(index)
    for query, wanted in (
        ("resize the managed group api-mig in us-central1-a to 8", "zonal_resize"),
        ("resize the managed group api-mig in europe-west1 to 8", "regional_resize"),
    ):
        assert names[engine.search(query, limit=1)[0].name] == wanted, query


@pytest.mark.parametrize(
    ("query", "act", "verb"),
    [
        ("take Alex off the project", "delete", "remov"),
        ("kick off the deploy workflow", "create", "start"),
        ("turn off the contractors group", "update", "disabl"),
        ("what changed in this release?", "get", None),
        ("which phone numbers do we own?", "list", None),
        ("before I merge, show me the reviews", "list", "show"),
    ],
)
def test_phrasal_verbs_questions_and_clauses_say_the_act(query, act, verb):
    intent = query_intent(query, {"merg"})
    assert (intent.act, intent.verb) == (act, verb)


def test_a_noun_said_as_where_is_not_what_is_asked_for():
    from adaptgen.search.query import read_query

    said = read_query("what's inside the Marketing folder?")
    assert said.containers == ("folder",)
    assert ("marketing", 0.3) in said.weighted  # a capitalised name is a value
    assert read_query("who am I signed in as?").self_user


def test_an_operation_named_by_another_verb_is_no_create():
    """Slack POSTs everything: `join` and `archive` are not how a channel is made."""
    join = operation_intent("POST", "/conversations.join", "join_conversations")
    archive = operation_intent("POST", "/conversations.archive", "archive_conversations")
    create = operation_intent("POST", "/conversations.create", "create_conversations")
    assert (join.act, archive.act, create.act) == ("action", "update", "create")
    leave = operation_intent("POST", "/conversations.leave", "leave_conversations")
    assert leave.act == "action"  # "leave a comment" creates; leaving a channel does not
    make = query_intent("make a new channel")
    assert compatibility(make, create) > compatibility(make, join) + 0.5
    assert operation_intent("POST", "/messages/send", "send_message").act == "create"


def test_a_name_ending_in_a_plural_lists_whatever_the_path():
    assert operation_intent("GET", "/crm/v8/{module}", "get_records").act == "list"
    assert operation_intent("GET", "/crm/v8/{module}/{id}", "get_record").act == "get"
    assert operation_intent("GET", "/users/me", "get_users_me").act == "get"


def test_a_search_answers_as_many_hits_as_asked_when_the_api_has_them():
    """One tool shares a word with the query: the others still come, ranked by intent."""
    tools = [
        {"name": name, "act": act, "verb": act, "fields": {"name": name.replace("_", " ")}}
        for name, act in [
            ("list_records", "list"),
            ("get_record", "get"),
            ("delete_record", "delete"),
        ]
    ]
    tools[1]["fields"]["params"] = "leads"
    hits = SearchEngine({"tools": tools}).search("show me all our leads", limit=3)
    assert [hit.name for hit in hits] == ["get_record", "list_records", "delete_record"]


@pytest.mark.parametrize(
    ("query", "act", "verb"),
    [
        ("was message SM987 delivered?", "get", None),
        ("have we sent the invoices?", "list", None),
        ("bring back the document I deleted", "update", "restor"),
        ("tick off that reminder", "update", "complet"),
        ("throw away the old drafts", "delete", "delet"),
        ("any new voicemails for me?", "list", None),  # "new" is no create in a question
        ("can you get them back out of the trash", "update", "restor"),
        ("fire off the packet to the new hires", "create", "send"),
        ("any update on ticket 12?", "get", None),
        # Whether any exist is a search, whoever asks it.
        ("is there a scanned receipt on that $89.95 spend?", "list", None),
        ("did anyone flag the holiday email as spam?", "list", None),
        ("is the import job finished yet?", "get", None),
        ("turn this offer letter into a template", "create", "creat"),
        # A word APIs use as a noun is a verb before a pronoun ("DNS records" are not).
        ("Acme paid INV-1023 yesterday, record it please", "create", "record"),
        ("DNS record 3352896 still has the old TTL", None, None),
        # A looking verb no tool is named by is no change ("export the form data").
        ("export what people filled in on the form", None, None),
    ],
)
def test_past_questions_and_more_phrasal_verbs_say_the_act(query, act, verb):
    intent = query_intent(query)
    assert (intent.act, intent.verb) == (act, verb)


def test_how_many_asks_for_a_count():
    from adaptgen.search.query import query_terms, read_query

    assert "count" in dict(query_terms(read_query("how many accounts do we have?")))
    assert "count" in dict(query_terms(read_query("the number of open tasks")))
    assert "count" not in dict(query_terms(read_query("show the open tasks")))


def test_a_specific_verb_that_names_a_tool_picks_it_out():
    """ "disable" is an update, but a tool named by it is what the user asked for."""
    turn_off = query_intent("turn off the contractors group")
    disable = operation_intent("POST", "/usergroups.disable", "disable_usergroups")
    update = operation_intent("POST", "/usergroups.update", "update_usergroups")
    assert compatibility(turn_off, disable) == 1.0
    assert compatibility(turn_off, update) < 0.85
    create = query_intent("add a customer")
    assert compatibility(create, operation_intent("POST", "/customers", "add_customer")) < 1.0


def test_general_nouns_users_say_for_api_words():
    from adaptgen.search.synonyms import alternatives

    assert stem("user") in alternatives(stem("profile"))
    assert stem("media") in alternatives(stem("pictures"))
    assert stem("conversation") in alternatives(stem("dm"))
    assert stem("employee") in alternatives(stem("hire"))
    assert stem("reminder") in alternatives(stem("nag"))  # "nag the signers every 2 days"
    assert stem("restore") in alternatives(stem("recover"))
    assert stem("recipient") in alternatives(stem("signer"))  # e-signature APIs' word
    assert stem("db") in alternatives(stem("databases"))  # "stop the dev database": StopDBInstance


def test_a_longer_form_is_a_compound_not_a_word_a_letter_longer():
    """`link` finds `permalink`; `hang` must not find `change` ("hang up the call")."""
    tools = [
        {"name": "get_permalink", "act": "get", "verb": "get", "fields": {"name": "get permalink"}},
        {"name": "change_status", "act": "update", "verb": "chang", "fields": {"name": "change"}},
    ]
    engine = SearchEngine({"tools": tools})
    assert "permalink" in engine._partial("link")
    assert stem("change") not in engine._partial("hang")


def test_create_and_update_in_one_request_is_an_upsert():
    from adaptgen.search.query import query_terms, read_query

    assert stem("upsert") in dict(query_terms(read_query("insert or refresh customers by email")))
    assert stem("upsert") in dict(query_terms(read_query("add new contacts, update the others")))
    assert stem("upsert") not in dict(query_terms(read_query("add a customer")))


def test_a_past_act_describes_what_was_done_in_the_apis_word():
    """ "what was removed" asks for what an API calls deleted."""
    from adaptgen.search.query import query_terms, read_query

    said = dict(query_terms(read_query("what was removed from the leads last week?")))
    assert 0 < said[stem("deleted")] < 1
    assert stem("deleted") not in dict(query_terms(read_query("remove the lead")))


def test_a_path_word_that_glues_the_names_words_is_those_words(tmp_path):
    """Visma.net's `/customerinvoice`: the resource is "customer invoice", as the operation's
    name says, so "create a customer invoice" is no longer out-ranked by `create_customer`."""

    def post(operation_id: str) -> dict:
        return {"post": {"operationId": operation_id, "responses": {"201": {"description": "ok"}}}}

    paths = {
        "/customer": post("Customer_Post"),
        "/customerinvoice": post("CustomerInvoice_Post"),
        "/supplierinvoice": post("SupplierInvoice_Post"),
        "/customerinvoicex": post("Reminder_Post"),  # no name says its words: kept
    }
    _, index = built(tmp_path, paths)
    resources = {e["name"]: e["fields"]["resource"] for e in index["tools"]}
    assert resources["create_customer_invoice"] == "customer invoice"
    assert resources["create_reminder"] == "customerinvoicex"
    assert top(SearchEngine(index), "create a customer invoice") == ["create_customer_invoice"]


def test_a_generic_action_endpoint_is_found_by_the_actions_its_body_names(tmp_path):
    """DigitalOcean's `POST /volumes/{id}/actions {type: attach|detach|resize}`: the action
    types are what the tool does, so "attach volume 77 to droplet 31" finds it, not
    `create_volume`, and they are verbs of the API wherever the request says them ("hard
    power cycle it"); a `type` anywhere else is a kind of thing and says nothing."""

    def body(*alternatives: dict) -> dict:
        schema = {"oneOf": list(alternatives)} if len(alternatives) > 1 else alternatives[0]
        return {"content": {"application/json": {"schema": schema}}}

    def typed(*values: str, **extra: dict) -> dict:
        properties = {"type": {"type": "string", "enum": list(values)}, **extra}
        return {"type": "object", "properties": properties}

    ok = {"200": {"description": "ok"}}
    volume_id = [
        {"name": "volume_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    paths = {
        "/volumes": {
            "post": {
                "operationId": "volumes_create",
                "summary": "Create a new block storage volume",
                "requestBody": body(typed("ext4", "xfs")),
                "responses": ok,
            }
        },
        "/volumes/{volume_id}": {
            "parameters": volume_id,
            "get": {
                "operationId": "volumes_get",
                "summary": "Retrieve an existing block storage volume",
                "responses": ok,
            },
            "delete": {
                "operationId": "volumes_delete",
                "summary": "Delete a block storage volume",
                "responses": ok,
            },
        },
        **other_lists("droplets", "images", "snapshots", "regions", "sizes", "domains"),
        "/volumes/{volume_id}/actions": {
            "parameters": volume_id,
            "post": {
                "operationId": "volumeActions_post_byId",
                "summary": "Initiate a block storage action by volume id",
                "requestBody": body(
                    typed("attach", "detach", droplet_id={"type": "integer"}),
                    typed("resize", size_gigabytes={"type": "integer"}),
                    typed("power_cycle"),
                ),
                "responses": ok,
            },
        },
    }
    _, index = built(tmp_path, paths)
    entries = {e["name"]: e for e in index["tools"]}
    action = next(e for e in index["tools"] if "actions" in e["fields"])
    assert action["fields"]["actions"] == "attach detach resize power cycle"
    assert action["act"] == "action"
    assert sum("actions" in e["fields"] for e in entries.values()) == 1  # not `ext4 xfs`
    engine = SearchEngine(index)
    assert top(engine, "attach volume 7724db7c to droplet 3164494") == [action["name"]]
    assert top(engine, "resize the volume to 100 GB") == [action["name"]]
    assert top(engine, "create a 100 GB volume") != [action["name"]]
    # An action said later in the sentence, in words no tool is named by, is the request's act.
    assert top(engine, "Volume 7724db7c hangs. Can you hard power cycle it?") == [action["name"]]


def test_an_ids_first_letters_say_what_it_is(tmp_path):
    """Document numbers and typed ids say their kind in their first letters (`INV-0744`,
    `PO-0057`, Stripe's `cus_...`): the resource they abbreviate is what the request is about,
    by initials or by the start of its one word; letters two resources could stand for say
    nothing."""
    ok = {"200": {"description": "ok"}}

    def item(name: str, *methods: str) -> dict:
        verbs = {"get": "Get", "put": "Update", "delete": "Delete"}
        return {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            **{m: {"operationId": f"{verbs[m]}{name}", "responses": ok} for m in methods},
        }

    paths = {
        "/invoices/{id}": item("Invoice", "get", "put"),
        "/purchase_orders/{id}": item("PurchaseOrder", "get"),
        "/customers/{id}": item("Customer", "get"),
        "/security_levels/{id}": item("SecurityLevel", "get"),
        "/secrets/{id}": item("Secret", "get"),
        "/payments/{id}": item("Payment", "get"),
        "/payments": {"get": {"operationId": "GetPayments", "responses": ok}},
        "/invoices/{id}/payments": item("InvoicePayments", "get"),
    }
    result, index = built(tmp_path, paths)
    engine = SearchEngine(index)
    name = {t.operation_id: t.name for t in result.api.tools}
    assert top(engine, "pull up PO-0057") == [name["GetPurchaseOrder"]]
    assert top(engine, "look at INV-0744 for me") == [name["GetInvoice"]]
    assert top(engine, "fix the total on INV-0744") == [name["UpdateInvoice"]]
    assert top(engine, "what's the total of INV-2024-0312?") == [name["GetInvoice"]]  # a year
    assert top(engine, "show me cus_NffrFeUfNV2Hib") == [name["GetCustomer"]]
    # the id's kind is the thing it names: a payment of the invoice, not the list of payments
    assert top(engine, "list the payments made on INV-0744") == [name["GetInvoicePayments"]]
    assert engine._kind("sec") == []  # security levels or secrets: no one kind
    assert engine._kind("inv") == ["invoic"]


def test_a_short_form_of_a_resource_is_said_in_words(tmp_path):
    """ "show me the RGs" asks for resource groups: two to four letters that are the initials of
    one resource of two words or more are read with that resource's words before them, also as
    an id's first part (`nsg-web`). Not an English word written in lower case, not a word the
    API says itself, and not letters two resources share."""
    paths = {
        "/resource_groups": {"get": operation("listResourceGroups", "List groups")},
        "/resources": {"get": operation("listResources", "List resources")},
        "/network_security_groups/{name}": {
            "get": {
                **operation("getNetworkSecurityGroup", "Get a group"),
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            }
        },
        "/network_security_groups/{name}/rules": {
            "get": {
                **operation("listRules", "List the rules"),
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            }
        },
        "/access_lists/{name}/rules": {
            "get": {
                **operation("listAccessListRules", "List the rules"),
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            }
        },
        "/route_tables": {"get": operation("listRouteTables", "List tables")},
        "/time_entries": {"get": operation("listTimeEntries", "List time entries")},
        "/tax_exemptions": {"get": operation("listTaxExemptions", "List exemptions")},
        "/virtual_machines": {"get": operation("listVirtualMachines", "List machines")},
        "/vms/{id}": {"get": operation("getVm", "Get a VM")},
        **other_lists("nodes", "events", "secrets", "services"),
    }
    # With the encoder: its word table says which lower-case words are English.
    result, index = built(tmp_path, paths, semantic=True)
    engine = SearchEngine(index)
    name = {t.operation_id: t.name for t in result.api.tools}
    assert engine._spelled_out("show me the RGs we have") == (
        "show me the resource groups RGs we have"
    )
    assert top(engine, "show me the RGs we have") == [name["listResourceGroups"]]
    said = "what rules does nsg-web have?"
    assert engine._spelled_out(said) == "what rules does network security groups nsg-web have?"
    assert top(engine, said) == [name["listRules"]]
    # `te` and `TE`: time entries or tax exemptions; `vm` is the API's own word; `to` English.
    for unchanged in ["list every TE", "what VMs run?", "send it to me", "ping rt.example.io"]:
        assert engine._spelled_out(unchanged) == unchanged, unchanged
    assert engine._spelled_out("and the RTs") == "and the route tables RTs"
    # Without a word table (no encoder) only capitals are read as a short form.
    words_only = SearchEngine(built(tmp_path, paths)[1])
    assert words_only._spelled_out(said) == said
    assert words_only._spelled_out("the RGs") == "the resource groups RGs"


def test_an_id_is_of_what_its_declared_pattern_says(tmp_path):
    """Twilio declares its ids' first letters (`CallSid`: `^CA[0-9a-fA-F]{32}$`): an id a request
    gives with those letters (`CA77`, `RE55`) is of what the parameter identifies, the path's
    noun before it (else the parameter's name), and tools of that thing rank first. Letters two
    nouns share as often say nothing; a pattern's alternatives (`^(SM|MM)...`) each say it."""

    def sid(letters: str) -> dict:
        return {"type": "string", "pattern": f"^{letters}[0-9a-fA-F]{{32}}$"}

    def at(path: str, operation_id: str, summary: str, **params: dict) -> dict:
        listed = [
            {"name": n, "in": "path", "required": True, "schema": p} for n, p in params.items()
        ]
        return {path: {"get": {**operation(operation_id, summary), "parameters": listed}}}

    paths = {
        **at("/Calls/{CallSid}", "FetchCall", "Fetch a call", CallSid=sid("CA")),
        **at(
            "/Transcriptions/{Sid}.json",
            "FetchTranscription",
            "Fetch a transcription",
            Sid=sid("TR"),
        ),
        **at(
            "/Recordings/{RecordingSid}/Transcriptions",
            "ListRecordingTranscriptions",
            "List the transcriptions of a recording",
            RecordingSid=sid("RE"),
        ),
        **at(
            "/Messages/{MessageSid}", "FetchMessage", "Fetch a message", MessageSid=sid("(SM|MM)")
        ),
        **at("/Keys/{Sid}", "FetchKey", "Fetch a key", Sid=sid("SK")),
        **at("/SigningKeys/{Sid}", "FetchSigningKey", "Fetch a signing key", Sid=sid("SK")),
        **other_lists("nodes", "events", "secrets", "services"),
    }
    result, index = built(tmp_path, paths)
    assert index["ids"] == {
        "CA": "call",
        "MM": "message",
        "RE": "recording",
        "SM": "message",
        "TR": "transcription",
    }  # `SK`: a key's or a signing key's
    engine = SearchEngine(index)
    name = {t.operation_id: t.name for t in result.api.tools}
    request = "show me the transcription for RE55"
    assert top(engine, request) == [name["ListRecordingTranscriptions"]]
    assert engine._declared_kinds(request) == ["record"]
    assert engine._declared_kinds("CAncel RE, CA7 and the REST call") == ["call"]
    # Without the declared letters, the request's one thing is a transcription.
    plain = SearchEngine({key: value for key, value in index.items() if key != "ids"})
    assert top(plain, request) == [name["FetchTranscription"]]
    assert index_json(index).startswith('{"format": 1, "ids": {"CA": "call", ')


def test_a_trackers_key_names_an_issue(tmp_path):
    """In an API of issues, `PROJ-31` is an issue's key (Jira's, YouTrack's, Linear's): its
    letters are a project's key, not an abbreviation (`PROJ` is no project, `WEB` no webhook).
    Initials still say their resource; an API without issues reads the letters as before."""
    ok = {"200": {"description": "ok"}}

    def item(name: str, *methods: str) -> dict:
        verbs = {"get": "Get", "put": "Update"}
        return {
            "parameters": [
                {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            **{m: {"operationId": f"{verbs[m]}{name}", "responses": ok} for m in methods},
        }

    tracker = {
        "/issue/{key}": item("Issue", "get", "put"),
        "/project/{key}": item("Project", "get", "put"),
        "/webhook/{key}": item("Webhook", "get"),
        "/code_reviews/{key}": item("CodeReview", "get"),
    }
    (tmp_path / "tracker").mkdir()
    (tmp_path / "plain").mkdir()
    result, index = built(tmp_path / "tracker", tracker)
    engine = SearchEngine(index)
    name = {t.operation_id: t.name for t in result.api.tools}
    assert top(engine, "change the summary of PROJ-31 to 'Checkout fails'") == [name["UpdateIssue"]]
    assert top(engine, "pull up WEB-7 for me") == [name["GetIssue"]]
    assert top(engine, "pull up CR-221 for me") == [name["GetCodeReview"]]  # initials first
    assert engine._kind("proj") == ["project"]  # `proj_...` is no key
    without = {path: methods for path, methods in tracker.items() if "issue" not in path}
    result, index = built(tmp_path / "plain", without)
    name = {t.operation_id: t.name for t in result.api.tools}
    assert top(SearchEngine(index), "change the name of PROJ-31 to Checkout") == [
        name["UpdateProject"]
    ]


def test_a_question_about_an_attribute_finds_the_read_that_answers_it(tmp_path):
    """ "What base currency are we set up in?" is the organisation's read, whose answer has
    `base_currency`, not the list of currencies; the answer's fields are words of the reads
    only and count only for requests that read (every write answers the same fields)."""
    ok = {"description": "ok"}

    def answer(ref: str) -> dict:
        return {"200": {**ok, "content": {"application/json": {"schema": {"$ref": ref}}}}}

    paths = {
        "/organisation": {
            "get": {
                "operationId": "getOrganisation",
                "summary": "Retrieves the organisation",
                "responses": answer("#/components/schemas/Organisation"),
            },
            "put": {
                "operationId": "updateOrganisation",
                "summary": "Updates the organisation",
                "responses": answer("#/components/schemas/Organisation"),
            },
        },
        "/currencies": {
            "get": {
                "operationId": "getCurrencies",
                "summary": "Retrieves currencies",
                "responses": answer("#/components/schemas/Currencies"),
            },
            "post": {
                "operationId": "createCurrency",
                "summary": "Adds a currency",
                "responses": answer("#/components/schemas/Currencies"),
            },
        },
        "/currencies/search": {
            "post": {
                "operationId": "searchCurrencies",
                "summary": "Searches currencies",
                "responses": answer("#/components/schemas/Currencies"),
            }
        },
    }
    components = {
        "schemas": {
            "Organisation": {
                "type": "object",
                "properties": {
                    "Name": {"type": "string"},
                    "BaseCurrency": {"type": "string"},
                    "FinancialYearEndDay": {"type": "integer"},
                    "Parent": {"$ref": "#/components/schemas/Organisation"},
                },
            },
            "Currencies": {
                "type": "object",
                "properties": {
                    "Currencies": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"Code": {}, "Description": {}},
                        },
                    }
                },
            },
        }
    }
    result, index = built(tmp_path, paths, components=components)
    name = {t.operation_id: t.name for t in result.api.tools}
    answers = {e["name"]: e["fields"].get("returns") for e in index["tools"]}
    assert answers[name["getOrganisation"]].split() == [
        "name",
        "base",
        "currency",
        "financial",
        "year",
        "end",
        "day",
        "parent",
    ]  # fmt: skip  (the self-reference followed once: a cycle ends)
    assert answers[name["getCurrencies"]] == "currencies code description"
    assert answers[name["updateOrganisation"]] is None  # a write's answer says no more
    assert answers[name["createCurrency"]] is None
    assert answers[name["searchCurrencies"]] == "currencies code description"  # a POSTed read
    engine = SearchEngine(index)
    question = "What base currency is our account set up in, and when does the year end?"
    assert top(engine, question) == [name["getOrganisation"]]
    assert top(engine, "add the Swiss franc as a currency") == [name["createCurrency"]]
    # Only reads hear the answer: a write's ranking is the same without it.
    plain = json.loads(json.dumps(index))
    for entry in plain["tools"]:
        entry["fields"].pop("returns", None)
    without = SearchEngine(plain)
    change = "change the base currency to EUR"
    assert engine.search(change, limit=4) == without.search(change, limit=4)
    assert engine.search(question, limit=4) != without.search(question, limit=4)


def test_a_change_is_found_by_the_field_it_sets(tmp_path):
    """ "Change the source range on allow-ssh" is the firewall's update, whose body sets
    `spec.sourceRanges`: no name, summary or path says so. A create's or an update's body field
    names, two levels in, are its words for requests that change (`sets`); never for a read's
    or a delete's, and a read's ranking does not hear them."""

    def patch(operation_id: str, summary: str, spec: dict) -> dict:
        body = {"type": "object", "properties": {"spec": {"type": "object", "properties": spec}}}
        return {
            **operation(operation_id, summary),
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {"content": {"application/json": {"schema": body}}},
        }

    ranges = {"type": "array", "items": {"type": "object", "properties": {"cidr": {}}}}
    paths = {
        "/accounts/{name}": {
            "patch": patch("patchAccount", "Patch the account", {"displayName": {}}),
        },
        "/firewalls/{name}": {
            "patch": patch(
                "patchFirewall",
                "Patch the firewall",
                {"sourceRanges": ranges, "direction": {"enum": ["INGRESS", "EGRESS"]}},
            ),
            "get": operation("getFirewall", "Get the firewall"),
            "delete": operation("deleteFirewall", "Delete the firewall"),
        },
        "/routes/{name}": {
            "patch": patch("patchRoute", "Patch the route", {"nextHop": {}, "priority": {}}),
        },
        **other_lists("nodes", "events", "secrets", "services"),
    }
    result, index = built(tmp_path, paths)
    name = {t.operation_id: t.name for t in result.api.tools}
    sets = {e["name"]: e["fields"].get("sets") for e in index["tools"]}
    # A list's items are read as its objects (`cidr` is a field of each source range), and a
    # field's enum values follow its name.
    assert sets[name["patchFirewall"]] == "spec source ranges cidr direction ingress egress"
    assert sets[name["patchRoute"]] == "spec next hop priority"
    assert sets[name["getFirewall"]] is None and sets[name["deleteFirewall"]] is None
    engine = SearchEngine(index)
    change = "Change the source range on allow-ssh to 198.51.100.0/24"
    assert top(engine, change) == [name["patchFirewall"]]
    assert top(engine, "Set allow-ssh to egress only") == [name["patchFirewall"]]  # a value
    # Without the field the request's words name no tool: the first of the updates by name.
    plain = json.loads(json.dumps(index))
    for entry in plain["tools"]:
        entry["fields"].pop("sets", None)
    without = SearchEngine(plain)
    assert top(without, change) == [name["patchAccount"]]
    # Only changes hear it: a read's ranking is the same without it.
    question = "which source ranges does allow-ssh let in?"
    assert engine.search(question, limit=4) == without.search(question, limit=4)


def test_a_swagger_2_answer_and_a_reference_elsewhere(tmp_path):
    """A Swagger 2 answer (YAML's int `200`), and one written in another file of the spec:
    the answer is walked as lint walks it, across files."""
    (tmp_path / "other.yaml").write_text("Team:\n  properties:\n    members: {}\n")
    (tmp_path / "spec.yaml").write_text(
        """swagger: "2.0"
info: {title: Team, version: "1"}
paths:
  /users/{id}:
    get:
      operationId: getUser
      parameters: [{name: id, in: path, required: true, type: string}]
      responses:
        200: {description: ok, schema: {$ref: "#/definitions/User"}}
        404: {description: no, schema: {properties: {error_code: {}}}}
  /teams:
    get:
      operationId: listTeams
      responses:
        default: {description: ok, schema: {$ref: "other.yaml#/Team"}}
definitions:
  User: {properties: {presence: {}, tz_label: {}}}
"""
    )
    result, loaded = planned(BuildOptions(spec=tmp_path / "spec.yaml", no_hints=True))
    answers = {e["name"]: e["fields"].get("returns") for e in search_index(result, loaded)["tools"]}
    name = {t.operation_id: t.name for t in result.api.tools}
    assert answers[name["getUser"]] == "presence tz label"
    assert answers[name["listTeams"]] == "members"


def test_a_thing_given_with_its_id_is_what_the_request_is_about(tmp_path):
    """ "the signed PDF of the lease (envelope 2e8b0f4d)": the request names an envelope by
    its id, so an envelope's document is meant, not a template's, whose summary says PDF."""
    ok = {"200": {"description": "ok"}}

    def read(parent: str, summary: str) -> dict:
        ids = [f"{parent}Id", "documentId"]
        parameters = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in ids
        ]
        return {"get": {"summary": summary, "parameters": parameters, "responses": ok}}

    paths = {
        "/envelopes/{envelopeId}/documents/{documentId}": read("envelope", "Gets a document"),
        "/templates/{templateId}/documents/{documentId}": read(
            "template", "Gets the signed PDF of a template document"
        ),
    }
    result, index = built(tmp_path, paths)
    engine = SearchEngine(index)
    envelope = next(t.name for t in result.api.tools if "envelopes" in t.path)
    assert read_query("Grab the signed PDF (envelope 2e8b0f4d-6c91)").identified == ("envelope",)
    assert read_query("texts since 2024-03-01, and add 5 seats").identified == ()
    assert top(engine, "Grab me the signed PDF of the lease (envelope 2e8b0f4d-6c91).") == [
        envelope
    ]


def test_an_answer_schema_that_fans_out_is_read_only_so_far(tmp_path):
    """Schemas that all refer to each other through `oneOf` (real specs have such webs) are
    read only so far (`readiness.fields.FieldWalker`: a shared schema once per depth, at most
    MAX_FIELDS fields), not along every path through the web, which would never end."""
    from adaptgen.search.prose import MAX_ANSWER_WORDS

    def field(i: int) -> str:
        return "x" + "".join(chr(ord("a") + int(d)) for d in str(i))  # 12 -> xbc: one word

    def schema(i: int) -> dict:
        others = [{"$ref": f"#/components/schemas/S{j}"} for j in range(31)]
        inner = {"$ref": f"#/components/schemas/S{(i + 1) % 31}"}
        return {"oneOf": others, "properties": {field(i): inner}}

    answer = {"content": {"application/json": {"schema": schema(0)}}, "description": "ok"}
    paths = {"/things": {"get": {"operationId": "listThings", "responses": {"200": answer}}}}
    components = {"schemas": {f"S{i}": schema(i) for i in range(31)}}
    result, index = built(tmp_path, paths, components=components)
    found = index["tools"][0]["fields"]["returns"].split()
    assert 0 < len(found) <= MAX_ANSWER_WORDS
    assert set(found) <= {field(i) for i in range(31)}


def test_a_change_done_to_a_person_is_about_people(tmp_path):
    """ "add her to the team", "invite ana@x.io to the board": what is made or changed is a
    person's place (members, users, collaborations), not the place itself; an address the act
    is done for ("send it to qa@x.io") says no such thing."""
    ok = {"200": {"description": "ok"}}
    team_id = [{"name": "team_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    body = {
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}}
            }
        }
    }
    paths = {
        "/teams": {
            "post": {
                "operationId": "createTeam",
                "summary": "Create a team",
                "requestBody": body,
                "responses": ok,
            },
            "get": {"operationId": "getTeams", "summary": "Get teams", "responses": ok},
        },
        "/teams/{team_id}": {
            "parameters": team_id,
            "put": {"operationId": "updateTeam", "summary": "Update a team", "responses": ok},
        },
        "/teams/{team_id}/addUser": {
            "parameters": team_id,
            "post": {
                "operationId": "addUserForTeam",
                "summary": "Add a user to a team",
                "responses": ok,
            },
        },
        **other_lists("projects", "tags", "goals", "portfolios", "workspaces", "webhooks"),
    }
    _, index = built(tmp_path, paths)
    engine = SearchEngine(index)
    said = read_query("Priya needs to be in the Design team, can you add her (priya@acme.io)")
    assert said.person
    assert not read_query("send the team's report to qa@acme.io").person
    assert not read_query("Dana uses dana@acme.io too, add that address to her account").person
    assert top(engine, "Priya needs to be in the Design team, can you add her (priya@acme.io)") == [
        "add_user_for_team"
    ]
    assert top(engine, "set up a new team called Design") == ["create_team"]


ODATA = Path(__file__).parents[1] / "fixtures" / "odata" / "business_partner.json"


def test_odata_key_predicates_index_one_of_a_collection():
    """SAP's OData: one entity by its key predicate (`/A_BusinessPartner('{BusinessPartner}')`)
    is an item of the set, its nouns the set's (`business partner`, not `a business partner`);
    a navigation's parent is its owner. Search then tells the list from the read."""
    result, loaded = planned(BuildOptions(spec=ODATA, no_hints=True))
    index = search_index(result, loaded)
    entries = {e["name"]: e for e in index["tools"]}
    one = entries["get_business_partner"]
    assert (one["act"], one["kind"], one["fields"]["resource"]) == (
        "get",
        "item",
        "business partner",
    )
    many = entries["list_business_partners"]
    assert (many["act"], many["kind"]) == ("list", "collection")
    owned = entries["list_customer_sales_areas_for_customer"]
    assert (owned["fields"]["resource"], owned["fields"]["path"]) == (
        "customer sales area",
        "customer",
    )
    composite = entries["update_customer_sales_area"]
    assert (composite["act"], composite["kind"]) == ("update", "item")
    engine = SearchEngine(index)
    assert top(engine, "show me business partner 1000042") == ["get_business_partner"]
    assert top(engine, "every business partner we have") == ["list_business_partners"]
    assert top(engine, "remove customer 17") == ["delete_customer"]


def test_a_change_is_found_by_the_state_it_sets(tmp_path):
    """GitHub's `PATCH .../issues/{n} {state: open|closed}` is how an issue is closed and
    reopened: "close issue 45" finds it, not `PUT .../lock` (a lock is no close). The states
    said are those of a change of one thing, by verbs that are no generic act."""

    def state(*values: str) -> dict:
        return {"type": "string", "enum": list(values)}

    def changed(operation_id: str, summary: str, **properties: dict) -> dict:
        schema = {"type": "object", "properties": properties}
        return {
            **operation(operation_id, summary),
            "requestBody": {"content": {"application/json": {"schema": schema}}},
        }

    number = [{"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}]
    paths = {
        "/issues": {
            "get": operation("issues_list", "List issues"),
            # a PUT on a collection creates (Xero's `PUT /Accounts`): its states say nothing
            "put": changed("issues_create", "Create an issue", status=state("archived")),
        },
        "/issues/{number}": {
            "parameters": number,
            "get": operation("issues_get", "Get an issue"),
            "patch": changed(
                "issues_update",
                "Update an issue",
                title={"type": "string"},
                state=state("open", "closed"),
            ),
        },  # fmt: skip
        "/issues/{number}/lock": {
            "parameters": number,
            "put": changed("issues_lock", "Lock an issue", lock_reason=state("resolved", "spam")),
        },
        "/jobs/{number}": {
            "parameters": number,
            "patch": changed(
                "jobs_update",
                "Update a job",
                status=state("running", "deleted", "POST", "paused", "in_progress"),
            ),
        },
        # flags named by the state they set, also inside an envelope (Asana's `data`)
        "/projects/{number}": {
            "parameters": number,
            "put": changed(
                "projects_update",
                "Update a project",
                data={
                    "type": "object",
                    "properties": {
                        "archived": {"type": "boolean"},
                        "is_locked": {"type": "boolean"},
                        "deleted": {"type": "boolean"},
                        "owned": {"type": "string"},
                    },
                },
            ),
            "post": changed("projects_disable", "Disable a project"),
        },
        **other_lists("repos", "users", "labels", "milestones", "teams", "projects"),
    }
    _, index = built(tmp_path, paths)
    entries = {e["id"] if "id" in e else e["name"]: e for e in index["tools"]}
    said = {name: e["fields"].get("actions") for name, e in entries.items()}
    assert said["issues_update"] == "closed reopen"
    assert said["jobs_update"] == "paused"  # not running, deleted, a method, in_progress
    assert said["issues_create"] is None and said["issues_lock"] is None
    assert said["projects_update"] == "archived locked"  # not a generic act, nor a string
    assert entries["issues_update"]["act"] == "update"  # how it is called is unchanged
    engine = SearchEngine(index)
    close = engine.search("close issue 45", limit=1)[0].name
    reopen = engine.search("reopen issue 12, it came back", limit=1)[0].name
    assert close == reopen == entries["issues_update"]["name"]
    # Said, a tool's own action lifts it in the fusion with the encoder; not where a tool is
    # named for the verb (`projects_disable`): that tool is the API's own way to do it.
    assert engine._said_actions("archive project 7", None) == [entries["projects_update"]["name"]]
    assert engine._said_actions("update issue 45", None) == []  # a generic act
    assert engine._said_actions("disable project 7", None) == []


@pytest.fixture(scope="module")
def github() -> tuple[Any, SearchEngine]:
    """GitHub's shared spec (572 tools) as `adaptgen build` indexes it, with the encoder."""
    from conftest import shared_spec

    from adaptgen.evaluation.search import index_for

    api, index = index_for(shared_spec("github_api_2020.json"), None)
    assert index["encoder"]
    return api, SearchEngine(index)


def tool_of(api: Any, operation_id: str) -> str:
    return next(t.name for t in api.tools if t.operation_id == operation_id)


def test_closing_a_github_issue_finds_its_update_not_its_lock(github):
    """On GitHub's own spec the encoder put `issues/lock` first for "close issue 45": the
    update's `state: closed` is what says it closes (the words ranking read it, too weakly)."""
    api, engine = github
    assert top(engine, "close issue 45 in acme/api") == [tool_of(api, "issues/update")]


@pytest.mark.parametrize(
    ("query", "otherwise"),
    [
        ("send calls on our support line to https://example.com/voice instead", True),
        ("send the live call CA7 to a different TwiML URL", True),
        ("@oncall-payments should now be just dana and li", True),
        ("Only allow access from our office range from now on.", True),
        ("make the add-on cost $1.25 rather than $1", True),
        # doing a thing now, or another way: not a change of what is
        ("Fire the trigger right now instead of waiting for midnight.", False),
        ("rerun it from the failed step rather than starting over", False),
        ("post 'we use a different vendor instead' in #general", False),  # what is said
        ("send the invoice to ana@x.io", False),
    ],
)
def test_a_thing_said_to_be_otherwise_is_a_change_of_what_is(query, otherwise, github):
    """ "send calls on our line to a URL instead" changes the number's settings (its verb says
    create); "... should now be ..." says no act at all."""
    assert read_query(query).otherwise is otherwise
    _, engine = github
    act = engine._read(query)[1].act
    assert (act == "update") is otherwise or act in ("delete", "action", "change")


@pytest.mark.parametrize(
    ("query", "operation_id"),
    [
        ("archive the acme/old-site repo", "repos/update"),  # `archived: true`, not the delete
        ("reopen issue 12 in acme/api, it came back", "issues/update"),  # not the unlock
    ],
)
def test_an_action_a_tool_sets_wins_over_what_the_encoder_reads_near_it(
    query, operation_id, github
):
    api, engine = github
    assert top(engine, query) == [tool_of(api, operation_id)]


def test_a_webhook_to_post_elsewhere_is_its_update(github):
    api, engine = github
    found = top(engine, "post the webhook 12 payloads to https://hooks.acme.io/gh instead")
    assert found == [tool_of(api, "repos/update-webhook")]


def test_the_states_of_one_things_change_whatever_its_path_looks_like():
    """Twilio's `POST .../Calls/{Sid}.json {Status: canceled|completed}` is a change of one
    call; Google's `POST /v1/{name}:setLegacyAbac {enabled}` is an action of its own, and an
    object argument other than an envelope is a part of the thing (its flags are the part's)."""
    from adaptgen.search.index import _state_changes

    status = {"type": "string", "enum": ["queued", "canceled", "completed"]}
    flag = {"type": "boolean"}
    part = {"type": "object", "properties": {"enabled": flag}}
    envelope = {"type": "object", "properties": {"archived": flag}}
    assert _state_changes("POST", "/Accounts/{A}/Calls/{Sid}.json", ["Status"], [status]) == (
        "canceled",
        "completed",
    )
    assert _state_changes("POST", "/v1/{name}:setLegacyAbac", ["enabled"], [flag]) == ()
    assert _state_changes("PUT", "/v1/{name}", ["networkPolicy"], [part]) == ()
    assert _state_changes("PUT", "/projects/{gid}", ["data"], [envelope]) == ("archived",)


def test_an_argument_named_for_the_thing_holds_its_states():
    """Rails' `PUT /tickets/{id}.json {ticket: {status: ...}}` and Xero's `POST
    /Invoices/{InvoiceID} {Invoices: [{Status: VOIDED, ...}]}` hold the thing's own fields
    under its name; another thing's object does not (`customer` of an invoice)."""
    from adaptgen.search.index import _state_changes

    status = {"type": "string", "enum": ["DRAFT", "SUBMITTED", "DELETED", "PAID", "VOIDED"]}
    held = {"type": "object", "properties": {"Status": status, "Reference": {"type": "string"}}}
    listed = {"type": "array", "items": held}
    assert _state_changes("POST", "/Invoices/{InvoiceID}", ["invoices"], [listed]) == (
        "submitted",
        "voided",
    )
    assert _state_changes("PUT", "/tickets/{id}.json", ["ticket"], [held]) == (
        "submitted",
        "voided",
    )
    assert _state_changes("PUT", "/invoices/{id}", ["customer"], [held]) == ()
    assert _state_changes("POST", "/Invoices", ["invoices"], [listed]) == ()  # no one thing


def test_an_amount_of_money_brings_the_tools_of_amounts_nearer():
    """Twilio's usage triggers fire when usage passes an amount: "notify me once we've spent
    $1,000 on calls" put `CreateUsageTrigger` third, below a recording, while "$1,000" was
    only digits; said as an amount, it is second (the first, a message subscription, still
    reads "notify me")."""
    from conftest import shared_spec

    from adaptgen.evaluation.search import index_for

    api, index = index_for(shared_spec("twilio_api_v2010.json"), None)
    engine = SearchEngine(index)
    ranked = [hit.name for hit in engine.search("notify me once we've spent $1,000 on calls", 3)]
    assert tool_of(api, "CreateUsageTrigger") in ranked[:2]
    assert tool_of(api, "CreateCallRecording") not in ranked[:2]


def test_an_open_enums_values_are_read_as_a_closed_ones_are():
    """Azure's enums it may add to are planned as strings with `examples`
    (`schemas._open_enum`): search reads those values as it reads an enum's (`standard_lrs`
    still says what a storage account's SKU tool takes); other examples are not read."""
    from adaptgen.search.index import _enum_values

    closed = {"type": "string", "enum": ["Standard_LRS", "Premium_LRS"]}
    opened = {"type": "string", "examples": ["Standard_LRS", "Premium_LRS"]}
    listed = {"type": "array", "items": opened}
    assert _enum_values([closed]) == _enum_values([opened]) == _enum_values([listed])
    assert _enum_values([opened]) == ("Standard_LRS", "Premium_LRS")
    assert _enum_values([{"type": "integer", "examples": [1, 2]}, {"examples": ["x"]}]) == ()


def test_a_thing_is_found_by_what_its_schema_says_it_is(tmp_path):
    """ "Nuke the container instance web-7d9" is Kubernetes' Pod: only its schema says what a
    pod is ("a collection of containers"). The description of the named schema a tool sends (a
    create's body) or answers (a list's items, through a wrapper; the thing in `{"data": ...}`;
    an `allOf`'s named part) is words of the tool (`about`). A text said of more than two
    resources (`Status`, what every delete answers; Asana's generic line, copied into each
    compact schema) says what the API answers, and one that only says its name (`Admin`) says
    nothing: neither is kept."""

    def named(name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    def answering(operation_id: str, summary: str, schema: dict) -> dict:
        content = {"application/json": {"schema": schema}}
        return {
            **operation(operation_id, summary),
            "responses": {"200": {"description": "ok", "content": content}},
        }

    def thing(description: str) -> dict:
        return {"type": "object", "description": description, "properties": {"name": {}}}

    schemas = {
        "Pod": thing("Pod is a collection of containers that can run on a host. It is scheduled."),
        "Job": thing("Job represents the configuration of a single job."),
        "Status": thing("Status is a return value for calls that don't return other objects."),
        "Admin": thing("Admin"),
        "JobSpec": thing("A job spec says what a job runs and how often."),
        "Section": {"allOf": [named("SectionCompact"), {"properties": {"project": {}}}]},
        "SectionCompact": thing("A section is a subdivision of a project that groups tasks."),
        "Call": thing("A call is a connection between a phone and the network."),
        **{
            f"{noun}Compact": thing("A generic resource, containing a globally unique identifier.")
            for noun in ("Tag", "Team", "Goal")
        },
    }
    page = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": named("Pod")}, "next": {}},
    }
    paths = {
        "/pods": {"get": answering("listPods", "List pods", page)},
        "/pods/{name}": {"delete": answering("deletePod", "Delete a pod", named("Pod"))},
        "/jobs/{name}": {"delete": answering("deleteJob", "Delete a job", named("Job"))},
        **{
            f"/{noun}s/{{name}}": {
                "delete": answering(f"delete{noun.title()}", f"Delete a {noun}", named("Status"))
            }
            for noun in ("service", "route", "gateway")
        },
        "/admins/{name}": {"get": answering("getAdmin", "Get an admin", named("Admin"))},
        # One resource in three formats (Twilio's `.json`): a format suffix names no resource.
        "/Calls.json": {"get": answering("listCalls", "List calls", named("Call"))},
        "/Calls/{Sid}.json": {"get": answering("getCall", "Get a call", named("Call"))},
        "/Calls.csv": {"get": answering("exportCalls", "Export calls", named("Call"))},
        "/jobs": {
            "post": {
                **answering("createJob", "Create a job", named("Job")),
                "requestBody": {"content": {"application/json": {"schema": named("JobSpec")}}},
            }
        },
        "/sections/{gid}": {
            "get": answering(
                "getSection",
                "Get a section",
                {"type": "object", "properties": {"data": named("Section")}},
            )
        },
        **{
            f"/{noun.lower()}s/{{gid}}": {
                "get": answering(f"get{noun}", f"Get a {noun.lower()}", named(f"{noun}Compact"))
            }
            for noun in ("Tag", "Team", "Goal")
        },
    }
    result, index = built(tmp_path, paths, components={"schemas": schemas})
    name = {t.operation_id: t.name for t in result.api.tools}
    about = {e["name"]: e["fields"]["about"] for e in index["tools"] if "about" in e["fields"]}
    assert about == {
        name["listPods"]: "pod collection containers run host",
        name["deletePod"]: "pod collection containers run host",
        name["deleteJob"]: "job represents configuration single",
        name["createJob"]: "job spec says runs often",
        name["getSection"]: "section subdivision project groups tasks",
        **{
            name[call]: "call connection between phone network"
            for call in ("listCalls", "getCall", "exportCalls")
        },
    }
    engine = SearchEngine(index)
    assert top(engine, "nuke the container instance web-7d9") == [name["deletePod"]]
    assert top(engine, "which containers run on our hosts?") == [name["listPods"]]
