"""The static word-meaning signal (`search/meaning.py`, on by default): the table format, word
lookup, query and tool vectors, their stored bytes, and fusion in the engine.

A small table is written here in the format scripts/distill_words.py writes, so most tests need
neither the shipped table nor numpy nor the model; one reads the shipped table itself.
"""

from __future__ import annotations

import json
import logging
import struct
from array import array
from pathlib import Path

import pytest
from conftest import index_entry

from adaptgen.search import meaning, rank
from adaptgen.search.meaning import MAGIC, TableError, WordTable, encode_tools, unit
from adaptgen.search.rank import SearchEngine
from adaptgen.search.semantic import LEXICAL_K, fuse
from adaptgen.search.vectors import unpack

# Made-up words, so no synonym rule or stemmer accident can find them: `zorp` means `delete`,
# `quux` means `invoice`, `weather` means nothing near either.
ROWS = {
    "delete": ([127, 0, 0, 0], 0.5),
    "invoice": ([0, 127, 0, 0], 0.5),
    "list": ([0, 0, 127, 0], 0.5),
    "weather": ([0, 0, 0, 127], 0.5),
    "zorp": ([120, 10, 0, 0], 0.5),
    "quux": ([10, 120, 0, 0], 0.25),
}


def table_bytes(rows: dict[str, tuple[list[int], float]] = ROWS, dim: int = 4) -> bytes:
    words = sorted(rows)
    header = {"count": len(words), "dim": dim, "model": "test", "sif": 0.001}
    return b"".join(
        (
            MAGIC,
            json.dumps(header).encode() + b"\n",
            "\n".join(words).encode() + b"\n",
            struct.pack(f"<{len(words)}e", *(rows[w][1] for w in words)),
            array("b", [v for w in words for v in rows[w][0]]).tobytes(),
        )
    )


@pytest.fixture
def table() -> WordTable:
    return WordTable.parse(table_bytes())


def test_the_table_is_read_row_by_row_and_a_broken_one_is_refused(table):
    assert table.dim == 4 and len(table.index) == len(ROWS)
    at = table.index["quux"]
    assert list(table.rows[at * 4 : at * 4 + 4]) == [10, 120, 0, 0]
    assert table.scales[at] == 0.25
    with pytest.raises(TableError, match="not an adaptgen word table"):
        WordTable.parse(b"something else\n")
    with pytest.raises(TableError, match="truncated"):
        WordTable.parse(table_bytes()[:-3])


def test_a_plural_finds_its_singular_and_a_stop_word_finds_nothing(table):
    assert table.row("invoices") == table.index["invoice"]
    assert table.row("zorp") == table.index["zorp"]
    assert table.row("unknownword") is None
    assert table.row("its") is None  # a stop word is not made singular (`it`)


def test_a_query_vector_is_its_known_words_rows_weighted_and_made_unit(table):
    assert table.query_vector("delete") == pytest.approx([1.0, 0.0, 0.0, 0.0])
    # Stop words, numbers and unknown words add nothing.
    assert table.query_vector("please delete the 3 blorps") == pytest.approx([1, 0, 0, 0])
    # Two words: the sum of their rows times their scales (the frequency weight), unit.
    expected = unit([127 * 0.5 + 10 * 0.25, 120 * 0.25, 0, 0])
    assert table.query_vector("delete quux") == pytest.approx(expected)
    # A context clause weighs 0.3 (`read_query`): "weather" says less than "delete".
    vector = table.query_vector("I was away two weeks (weather), please delete the invoice")
    assert vector == pytest.approx(unit([1.0, 1.0, 0.0, 0.3]))
    assert table.query_vector("nothing known here") == [0.0] * 4


def test_tool_vectors_are_the_mean_of_their_renderings_and_stored_the_same_every_time(table):
    vector = table.tool_vector(["Delete an invoice", "delete"])
    assert vector == pytest.approx(unit([1 + 1 / 2**0.5, 1 / 2**0.5, 0, 0]))
    packed = encode_tools([["Delete an invoice", "delete"], ["List invoices"], ["???"]], table)
    assert packed == encode_tools(
        [["Delete an invoice", "delete"], ["List invoices"], ["???"]], table
    )
    # Pinned bytes: int8 of the unit direction, largest value at 127 (`vectors.pack`).
    assert list(array("b", unpack(packed[0]))) == [127, 53, 0, 0]
    assert list(array("b", unpack(packed[1]))) == [0, 127, 127, 0]
    assert packed[2] == ""  # no known word: no vector


def test_a_tool_the_query_means_but_does_not_say_is_found_by_fusion(table):
    tools = [
        index_entry("delete_invoice", "delete", "Delete an invoice"),
        index_entry("list_invoices", "list", "List invoices"),
        index_entry("get_weather", "get", "Current weather"),
    ]
    plain = SearchEngine({"tools": tools})
    assert plain.search("zorp the quux") == []  # no tool has either word
    texts = [[t["fields"]["summary"]] for t in tools]
    packed = encode_tools(texts, table)
    index = {"tools": [{**t, "meaning": v} for t, v in zip(tools, packed, strict=True)]}
    engine = SearchEngine(index, words=table)
    assert [h.name for h in engine.search("zorp the quux")][:2] == [
        "delete_invoice",
        "list_invoices",
    ]
    # With words in common, the order is `semantic.fuse` of the lexical ranking and the cosines.
    query = "list the invoices to zorp"
    cosines = engine.meaning.cosines(query)
    lexical = [(h.name, h.score) for h in engine._lexical(query, LEXICAL_K)]
    by_name = dict(zip(engine.names, cosines, strict=True))
    expected = fuse(lexical, by_name, 5, rank.MEANING_WEIGHT)
    assert [(h.name, h.score) for h in engine.search(query)] == expected


def test_without_the_table_search_is_by_words_and_says_why_once(monkeypatch, caplog):
    def missing(path=None):
        raise TableError("meaning.bin is missing")

    monkeypatch.setattr(meaning, "load", missing)
    tools = [index_entry("delete_invoice", "delete", "Delete an invoice")]
    engine = SearchEngine({"tools": [{**tools[0], "meaning": "fwAAAA=="}]})
    with caplog.at_level(logging.WARNING, logger="adaptgen.search"):
        first = engine.search("delete the invoice")
        second = engine.search("delete the invoice")
    assert [h.name for h in first] == [h.name for h in second] == ["delete_invoice"]
    assert first == SearchEngine({"tools": tools}).search("delete the invoice")
    assert sum("no word table" in r.message for r in caplog.records) == 1


def test_the_shipped_table_reads_and_knows_what_words_mean():
    """The real table (adaptgen/search/meaning.bin): words that mean the same are nearer than
    words that do not, including pairs no synonym rule joins."""
    shipped = meaning.load()
    assert shipped.dim == 64 and len(shipped.index) > 30_000

    def cos(a: str, b: str) -> float:
        va, vb = shipped.text_vector(a), shipped.text_vector(b)
        return sum(x * y for x, y in zip(va, vb, strict=True))

    assert cos("purchase", "buy") > cos("purchase", "folder")
    assert cos("absent", "attendance") > cos("absent", "refund")
    assert cos("remove", "eliminate") > cos("remove", "music")
    assert cos("signup", "registration") > cos("signup", "refund")


def test_a_build_ranks_by_the_encoder_or_the_table_or_words_as_the_hints_say(tmp_path):
    from adaptgen.build import BuildOptions, build
    from adaptgen.search import INDEX_FILE

    helpdesk = Path(__file__).parent / "fixtures" / "helpdesk.yaml"
    for setting, stored in (
        ("", "semantic"),  # the default: the shipped sentence encoder
        (", semantic: false", "meaning"),  # the word table, pure Python
        (", semantic: false, meaning: false", None),  # words only
    ):
        hints = tmp_path / "hints.yaml"
        hints.write_text(f"search: {{mode: search{setting}}}\n")
        report = build(BuildOptions(spec=helpdesk, out=tmp_path / "out", hints=hints))
        tools = json.loads((report.out_dir / INDEX_FILE).read_text())["tools"]
        for key in ("semantic", "meaning"):
            assert all((key in tool) is (key == stored) for tool in tools), (setting, key)
        engine = SearchEngine(json.loads((report.out_dir / INDEX_FILE).read_text()))
        assert (engine.meaning is not None) is (stored == "meaning")
        assert (engine.semantic is not None) is (stored == "semantic")
