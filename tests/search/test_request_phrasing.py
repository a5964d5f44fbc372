"""Ways of phrasing a request that say the act without its usual verb.

A chat API in the style of Slack's (methods named `area.action`): "unpin" when the API only
has `pins.remove`, a phrasal verb whose particle comes after a long object ("throw the spam
bot out"), the act said as a noun ("deletion"), a named person put into a team (a membership, not a
new team), and "don't send" (cancel what was scheduled).
"""

from __future__ import annotations

import pytest

from adaptgen.build import BuildOptions, planned, search_index
from adaptgen.hints import load_hints
from adaptgen.search.intent import query_intent
from adaptgen.search.query import query_terms, read_query
from adaptgen.search.rank import SearchEngine

_METHODS = {
    "pins.add": "Pins an item to a channel.",
    "pins.remove": "Un-pins an item from a channel.",
    "pins.list": "Lists items pinned to a channel.",
    "conversations.archive": "Archives a conversation.",
    "conversations.unarchive": "Reverses conversation archival.",
    "conversations.kick": "Removes a user from a conversation.",
    "conversations.create": "Initiates a public or private channel-based conversation.",
    "conversations.history": "Fetches a conversation's history of messages and events.",
    "bots.info": "Gets information about a bot user.",
    "teams.create": "Creates a team.",
    "teams.delete": "Deletes a team.",
    "teams.members.add": "Adds a user to a team.",
    "chat.postMessage": "Sends a message to a channel.",
    "chat.scheduleMessage": "Schedules a message to be sent to a channel.",
    "chat.deleteScheduledMessage": "Deletes a pending scheduled message from the queue.",
    "chat.update": "Updates a message.",
}


def _spec() -> str:
    paths = "".join(
        f"  /{method}:\n    post: {{operationId: {method.replace('.', '_')}, "
        f'summary: "{summary}", responses: {{"200": {{description: ok}}}}}}\n'
        for method, summary in _METHODS.items()
    )
    return f'openapi: 3.0.3\ninfo: {{title: Chat, version: "1"}}\npaths:\n{paths}'


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    spec = tmp_path_factory.mktemp("chat") / "chat.yaml"
    spec.write_text(_spec())
    result, _ = planned(BuildOptions(spec=spec, no_hints=True))
    return SearchEngine(search_index(result, load_hints(None)))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("unpin the old rules from #general", "remove_pins"),
        ("throw the spam bot out of #general", "kick_conversations"),
        ("add Ana to the backend team", "add_teams_members"),
        ("don't send the message I queued for tomorrow", "delete_chat_scheduled_message"),
        ("the backend team needs a deletion", "delete_teams"),  # the act said as a noun
    ],
)
def test_the_request_finds_its_tool(engine, query, expected):
    assert engine.search(query, limit=1)[0].name == expected, engine.search(query, limit=3)


def test_a_word_the_api_has_is_not_undone(engine):
    assert engine.search("unarchive #old-project", limit=1)[0].name == "unarchive_conversations"


@pytest.mark.parametrize(
    ("query", "act"),
    [
        ("don't send the reminder", "delete"),
        ("please do not publish the draft", "delete"),
        ("throw the spam bot out", "delete"),
        ("give me the recordings of last week's calls", "get"),  # not a grant
        ("nuke environment 8812, I don't need it", "delete"),  # how people say delete
        ("scrap the draft I started yesterday", "delete"),
        ("ditch the old webhook", "delete"),
    ],
)
def test_negations_and_far_particles_say_the_act(query, act):
    assert query_intent(query).act == act


def test_asking_what_happened_asks_for_events():
    said = dict(query_terms(read_query("what happened in the org today?")))
    assert said.get("event") == 1.0


def test_a_negation_before_a_name_cancels_nothing():
    assert query_intent("do not disturb me for an hour").verb != "cancel"


def test_a_compound_finds_the_word_tools_are_named_by():
    engine = SearchEngine(
        {"tools": [
            {"name": "list_accounts", "act": "list", "verb": "list",
             "fields": {"name": "list accounts", "resource": "accounts"}},
            {"name": "list_calls", "act": "list", "verb": "list",
             "fields": {"name": "list calls", "resource": "calls", "notes": "subaccount sid"}},
        ]}
    )  # fmt: skip
    assert engine.search("show all our subaccounts", limit=1)[0].name == "list_accounts"
