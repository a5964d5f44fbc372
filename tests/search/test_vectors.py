"""What the meaning signals share: BERT's WordPiece in pure Python (`wordpiece.py`, the sentence
model's and the word table's tokenizer) and int8 vectors with their pure-Python cosines
(`vectors.py`)."""

from __future__ import annotations

from array import array

import pytest

from adaptgen.search.vectors import VectorMatrix, pack, quantized, unpack
from adaptgen.search.wordpiece import basic_words, pieces

VOCAB = {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "aff": 4, "remove": 5, "delete": 6}


def test_basic_words_lower_case_strip_accents_and_split_punctuation():
    assert basic_words("Créer l'Invoice-Draft, now!") == [
        "creer", "l", "'", "invoice", "-", "draft", ",", "now", "!",
    ]  # fmt: skip
    assert basic_words("a\tb\nc$d") == ["a", "b", "c", "$", "d"]


def test_basic_words_of_ascii_text_are_the_general_loops():
    """ASCII text takes a faster path: every ASCII character, alone and in words, must split
    as the general (Unicode) loop splits it."""
    import random

    rng = random.Random(3)
    alphabet = [chr(code) for code in range(128)]
    texts = ["".join(alphabet), *("".join(rng.choices(alphabet, k=40)) for _ in range(300))]
    for text in texts:  # " é" sends the text down the general loop and adds one word, "e"
        assert basic_words(text) == basic_words(text + " \u00e9")[:-1]


def test_pieces_take_the_longest_match_first_with_continuations():
    assert pieces("unaffable", VOCAB) == ["un", "##aff", "##able"]
    assert pieces("aff", VOCAB) == ["aff"]
    assert pieces("unx", VOCAB) is None  # one unmatched part: the whole word is unknown
    assert pieces("u" * 101, {"u": 1, "##u": 2}) is None


def test_packed_vectors_keep_their_direction_and_all_cosines_are_exact():
    vectors = [unpack(pack(v)) for v in ([3.0, -4.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0])]
    assert list(array("b", vectors[0])) == [95, -127, 0]
    matrix = VectorMatrix([*vectors, unpack(pack([0.0, 0.0, 0.0]))])
    assert matrix.present == [True, True, True, False]
    cosines = matrix.cosines([-127, -127, 127])
    norm = (3 * 127**2) ** 0.5
    expected = (-127 * 95 + 127 * 127) / (norm * (95**2 + 127**2) ** 0.5)
    assert cosines == pytest.approx([expected, 127 / norm, 127 / norm, 0.0])


def test_quantized_puts_the_largest_value_at_127_and_keeps_zeros():
    assert quantized([0.5, -1.0, 0.25]) == [64, -127, 32]
    assert quantized([0.0, 0.0]) == [0, 0]
