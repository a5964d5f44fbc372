"""The embedding signal: BERT's WordPiece in pure Python, the table format, and its fusion into
the ranking (on a hand-made table, so each test says what it needs)."""

from __future__ import annotations

import json
import struct
from array import array

import pytest

from adaptgen.search.embedding import (
    MAGIC,
    TABLE,
    TableError,
    VectorMatrix,
    WordVectors,
    load,
    pack,
    quantized,
    unpack,
)
from adaptgen.search.rank import SearchEngine
from adaptgen.search.wordpiece import basic_words, pieces

VOCAB = {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "aff": 4, "remove": 5, "delete": 6}


def table_bytes(rows: dict[str, list[int]], scales: list[float] | None = None) -> bytes:
    """A table in the format `scripts/distill_embeddings.py` writes."""
    tokens = list(rows)
    dim = len(next(iter(rows.values())))
    scales = scales or [1.0] * len(tokens)
    return (
        MAGIC
        + json.dumps({"count": len(tokens), "dim": dim}).encode()
        + b"\n"
        + "\n".join(tokens).encode()
        + b"\n"
        + struct.pack(f"<{len(tokens)}e", *scales)
        + array("b", [v for row in rows.values() for v in row]).tobytes()
    )


def test_basic_words_lower_case_strip_accents_and_split_punctuation():
    assert basic_words("Créer l'Invoice-Draft, now!") == [
        "creer", "l", "'", "invoice", "-", "draft", ",", "now", "!",
    ]  # fmt: skip
    assert basic_words("a\tb\nc$d") == ["a", "b", "c", "$", "d"]


def test_pieces_take_the_longest_match_first_with_continuations():
    assert pieces("unaffable", VOCAB) == ["un", "##aff", "##able"]
    assert pieces("aff", VOCAB) == ["aff"]
    assert pieces("unx", VOCAB) is None  # one unmatched part: the whole word is unknown
    assert pieces("u" * 101, {"u": 1, "##u": 2}) is None


def test_the_table_loads_rows_and_scales_and_sums_a_text():
    table = WordVectors.parse(
        table_bytes({"[UNK]": [0, 0], "remove": [127, 0], "delete": [0, -64]}, [1.0, 0.5, 2.0])
    )
    assert table.dim == 2 and table.vocab["delete"] == 2
    assert table.vector("Remove the delete") == [63.5, -128.0]  # `the` is a stop word
    assert table.vector("nothing known") == [0.0, 0.0]


def test_a_table_that_is_not_one_or_is_cut_short_is_refused():
    with pytest.raises(TableError, match="not an adaptgen"):
        WordVectors.parse(b"PK\x03\x04")
    with pytest.raises(TableError, match="truncated"):
        WordVectors.parse(table_bytes({"a": [1, 2], "b": [3, 4]})[:-1])


def test_packed_vectors_keep_their_direction_and_all_cosines_are_exact():
    vectors = [unpack(pack(v)) for v in ([3.0, -4.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0])]
    assert list(array("b", vectors[0])) == [95, -127, 0]
    matrix = VectorMatrix([*vectors, unpack(pack([0.0, 0.0, 0.0]))])
    assert matrix.present == [True, True, True, False]
    cosines = matrix.cosines([-127, -127, 127])
    norm = (3 * 127**2) ** 0.5
    expected = (-127 * 95 + 127 * 127) / (norm * (95**2 + 127**2) ** 0.5)
    assert cosines == pytest.approx([expected, 127 / norm, 127 / norm, 0.0])


@pytest.mark.skipif(not TABLE.is_file(), reason="embeddings.bin not distilled")
def test_the_shipped_table_puts_synonyms_nearer_than_unrelated_words():
    table = load()

    def cosine(a: str, b: str) -> float:
        return VectorMatrix([unpack(pack(table.vector(b)))]).cosines(quantized(table.vector(a)))[0]

    assert table.dim == 64 and len(table.vocab) == 30522
    # Whole-token words only: split words ("delete" is del ##ete) are the table's weak spot.
    assert cosine("remove", "eliminate") > cosine("remove", "music")
    assert cosine("customer", "client") > cosine("customer", "song")


def entry(name: str, words: str, vector: list[float] | None) -> dict:
    found = {"name": name, "act": "get", "verb": "get", "fields": {"name": words}}
    return {**found, "vector": pack(vector)} if vector else found


def test_a_tool_near_the_query_in_meaning_is_found_without_sharing_its_words():
    table = WordVectors.parse(
        table_bytes({"[UNK]": [0, 0], "purge": [127, 0], "archive": [0, 127], "records": [0, 0]})
    )
    tools = [
        entry("get_records", "get records", [0.0, 1.0]),
        entry("wipe_all", "wipe all", [1.0, 0.1]),
        entry("list_records", "list records", [-1.0, 0.2]),
    ]
    plain = [{k: v for k, v in t.items() if k != "vector"} for t in tools]
    assert SearchEngine({"tools": plain}).search("purge", limit=3) == []
    ranked = SearchEngine({"tools": tools}, table=table).search("purge", limit=3)
    assert ranked[0].name == "wipe_all"
    # Words still decide when the query has them: meaning only adds candidates.
    records = SearchEngine({"tools": tools}, table=table).search("purge records", limit=3)
    assert [h.name for h in records][:2] == ["get_records", "list_records"]
