"""Typos in a request (`search/spelling.py`): a misspelt word is read as the word meant, and
nothing anybody could mean as typed is touched (names, forms of words, compounds, values)."""

from __future__ import annotations

import pytest
from conftest import index_entry

from adaptgen.search import meaning
from adaptgen.search.meaning import encode_tools
from adaptgen.search.rank import MAX_QUERY_CHARS, SearchEngine
from adaptgen.search.spelling import MAX_LENGTH, Speller, edits
from bench.search_bench import VARIANTS

_ENGLISH = """
    delete delta remove show me the a message messages invoice invoices queue read site key
    stop wait off end back front meet please team
"""
ENGLISH = frozenset(_ENGLISH.split())
API = {"delete": 12, "delta": 1, "invoice": 9, "invoices": 9, "message": 7, "webhook": 4}
VERBS = frozenset({"delete", "remove", "show", "cancel", "archive"})


@pytest.fixture
def speller() -> Speller:
    return Speller(API, VERBS, ENGLISH)


def test_edits_are_every_string_one_edit_away():
    near = edits("abc")
    assert {"bac", "acb"} <= set(near)  # swapped
    assert {"ab", "ac", "bc"} <= set(near)  # one left out
    assert {"xabc", "abxc", "abcx"} <= set(near)  # one added
    assert {"xbc", "axc", "abx"} <= set(near)  # one changed
    assert "abc" not in near and "cba" not in near  # two swaps are two edits
    assert near.index("bac") < near.index("ab") < near.index("xbc")  # likelier typos first


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("delte", "delete"),  # a letter left out: the API's delete, not English delta
        ("dleete", "delete"),  # two swapped
        ("deletee", "delete"),  # one typed twice
        ("invoce", "invoice"),
        ("webhok", "webhook"),  # an API word the English table lacks
        ("cancle", "cancel"),  # one of adaptgen's verbs, though the API has no cancel
        ("mesages", "messages"),  # the API's word first, else the English one
    ],
)
def test_a_misspelt_word_becomes_the_word_meant(speller, typed, meant):
    assert speller.word(typed) == meant


def test_the_api_word_most_tools_use_wins_a_tie(speller):
    # `delta` and `delete` are both one edit from `delet`; more tools say delete.
    assert speller.word("delet") == "delete"


@pytest.mark.parametrize(
    "word",
    [
        "queued",  # a form of queue
        "stopped",  # a doubled consonant after one short vowel
        "unread",  # un + read
        "offsite",  # off + site
        "backend",  # back + end
        "invoices",
        "zzzzzzzzzz",  # nothing is one edit away: left as typed
        "rmve",  # four letters: too short to guess
    ],
)
def test_what_someone_could_mean_as_typed_is_left_alone(speller, word):
    assert speller.word(word) is None


def test_a_word_longer_than_any_typo_is_left_as_typed():
    # One edit from an API word, but 31 letters: no one mistypes a word that long, and its
    # edits (54 per letter, each as long) would cost a search time that grows as its square.
    api = {"a" * 30: 1, "b" * 29: 1}
    speller = Speller(api, VERBS, ENGLISH)
    assert speller.word("a" * 31) is None and len("a" * 31) > MAX_LENGTH
    assert speller.word("b" * 30) == "b" * 29  # up to MAX_LENGTH, corrected as any word


def test_a_query_is_read_up_to_its_first_characters():
    tools = [
        index_entry("delete_webhook", "delete", "Delete a webhook"),
        index_entry("list_webhooks", "list", "List webhooks"),
    ]
    engine = SearchEngine({"tools": tools})
    asked = "delete the webhook ".ljust(MAX_QUERY_CHARS)
    assert engine.search(asked + "list webhooks " * 500) == engine.search(asked)
    assert engine.asks_to_change(asked + "list them " * 500)


def test_a_letter_doubled_where_english_never_doubles_it_is_a_typo():
    speller = Speller({"waiting": 3}, VERBS, ENGLISH)
    assert speller.known("waiting")
    assert not speller.known("waitting")  # `wait` has two vowels: no doubled t
    assert speller.word("waitting") == "waiting"


def test_a_query_is_corrected_word_by_word_and_values_names_and_quotes_are_not(speller):
    assert speller.correct("please delte the invoce") == "please delete the invoice"
    assert speller.correct("Delte the webhok.") == "Delete the webhook."
    # A capital inside a sentence is a name; at its start, only a verb one edit away counts.
    assert speller.correct("show Invoce to Priya") == "show Invoce to Priya"
    assert speller.correct("Mesages to Ana") == "Mesages to Ana"
    untouched = [
        "show the message 'delte me'",  # quoted: a value as the user wrote it
        'show the message "invoce"',
        "show invoce@acme.io",  # an address
        "show /files/invoce.pdf",  # a path and a file name
        "show the invoce_id",  # an identifier
        "show INVOCE",  # an acronym
        "show the invoice",  # nothing misspelt: the same string
    ]
    for query in untouched:
        assert speller.correct(query) == query


def test_a_short_form_is_read_as_the_whole_word_unless_the_api_says_it(speller):
    """ "restart the svc", "the prod DB": the whole word is the API's word (and the encoder's),
    unless the API uses the short form itself, when it matches as typed."""
    said = "restart the svc, rotate the prod DB certs and reboot the vm"
    meant = (
        "restart the service, rotate the prod database certificates and reboot the virtual machine"
    )
    assert speller.correct(said) == meant
    own = Speller({**API, "svc": 3, "db": 2}, VERBS, ENGLISH)
    assert own.correct(said) == (
        "restart the svc, rotate the prod DB certificates and reboot the virtual machine"
    )
    # A value, a quoted word, a word inside an identifier, a Name: as typed; nor a short form
    # of two meanings ("a 3 lb box", "sort by date desc").
    for query in ("ship a 3 lb box", "sort by date desc", "show svc-12", "set the name to 'db'",
                  "show my_db", "ask Db"):  # fmt: skip
        assert speller.correct(query) == query


def test_the_engine_reads_a_typo_as_the_word_meant_when_it_has_the_word_table():
    tools = [
        index_entry("delete_webhook", "delete", "Delete a webhook"),
        index_entry("list_webhooks", "list", "List webhooks"),
        index_entry("create_webhook", "create", "Create a webhook"),
    ]
    table = meaning.load()
    packed = encode_tools([[t["fields"]["summary"]] for t in tools], table)
    engine = SearchEngine(
        {"tools": [{**t, "meaning": v} for t, v in zip(tools, packed, strict=True)]}
    )
    assert engine.search("delte the webhok") == engine.search("delete the webhook")
    assert engine.search("delte the webhok")[0].name == "delete_webhook"
    # Words only (hints `search: {meaning: false}`): no table says what is English, so no word
    # is corrected.
    words_only = SearchEngine({"tools": tools})
    assert words_only._spelled("delte the webhok") == "delte the webhok"


def test_the_shipped_table_corrects_common_typos_and_leaves_real_words():
    """The real table and adaptgen's verbs: typos of everyday request words are read as
    meant; rarer real words (inflected, joined, capitalised names) are not 'corrected'."""
    from adaptgen.search.intent import SPOKEN_ACTS
    from adaptgen.words import VERBS as ALL_VERBS

    speller = Speller(
        {"repository": 5, "contact": 8}, ALL_VERBS | SPOKEN_ACTS, meaning.load().index
    )
    assert speller.correct("archvie the old repositroy") == "archive the old repository"
    assert speller.correct("updaet the contcat") == "update the contact"
    for real in ("keyed", "ramping", "frontend", "offsite", "flaky", "queued"):
        assert speller.word(real) is None, real
    assert speller.correct("Bayside Cafe paid") == "Bayside Cafe paid"


def test_the_bench_typos_one_long_word_the_same_way_every_run():
    swapped = VARIANTS["a typo: two letters swapped"]
    left_out = VARIANTS["a typo: a letter left out"]
    query = "please archive the marketing folder"
    assert swapped(query) == swapped(query) != query
    assert sum(a != b for a, b in zip(swapped(query), query, strict=True)) == 2
    assert len(left_out(query)) == len(query) - 1
    assert swapped("add Ana to it") == "add Ana to it"  # no word of six letters
