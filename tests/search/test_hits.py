"""A search hit's one line: the description's leading sentence, not its repetition."""

from __future__ import annotations

import pytest

from adaptgen.search.hits import DESCRIPTION_CHARS, line


@pytest.mark.parametrize(
    ("description", "one_line"),
    [
        (
            "Gets information about a signing group. Retrieves information, including group "
            "member information, for the specified signing group.",
            "Gets information about a signing group.",
        ),
        # A short first sentence takes the next one along; an abbreviation ends none.
        (
            "Gets a user. Returns the user with its id, e.g. Bob. More.",
            "Gets a user. Returns the user with its id, e.g. Bob.",
        ),
        (
            "Send an SMS to a U.S. number now. Then more words follow here.",
            "Send an SMS to a U.S. number now.",
        ),
        ("Create a meeting", "Create a meeting"),
        ("First paragraph only.\n\nSecond paragraph.", "First paragraph only."),
    ],
)
def test_a_hit_keeps_whole_leading_sentences(description, one_line):
    assert line({"name": "tool", "description": description})["description"] == one_line


def test_a_long_first_sentence_is_cut_at_a_word():
    text = " ".join(["word"] * 60) + ". Next."
    said = line({"name": "tool", "description": text})["description"]
    assert said.endswith("…") and len(said) <= DESCRIPTION_CHARS
    assert said[:-1].split(" ") == ["word"] * len(said[:-1].split(" "))


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        (
            "Gets a user. Returns it, e.g. Bob. More.",
            ["Gets a user.", "Returns it, e.g. Bob.", "More."],
        ),
        ('He said "go." Then left.', ['He said "go."', "Then left."]),  # the quote stays
        ("Use No. 5 here. Next.", ["Use No. 5 here.", "Next."]),
        ("Answer yes or no. The end.", ["Answer yes or no.", "The end."]),
        ("Returns an ID. Then more.", ["Returns an ID.", "Then more."]),
        (
            "Version v1.2 is out. Ship to the U.S. today.",
            ["Version v1.2 is out.", "Ship to the U.S. today."],
        ),
        ("One sentence", ["One sentence"]),
        (  # markdown's emphasis or link before the capital (242 in Zuora's spec)
            "Create a credit memo. **Note:** Only with Settlement. [See](x) more.",
            ["Create a credit memo.", "**Note:** Only with Settlement.", "[See](x) more."],
        ),
        ("Lists items. *not* a sentence", ["Lists items. *not* a sentence"]),
    ],
)
def test_one_sentence_splitter_for_hits_descriptions_and_suggestions(text, cut):
    """`words.sentences` is the one place sentences end, for search hits, generated tool
    descriptions (`plan.describe.brief`) and `adaptgen suggest`'s description comments."""
    from adaptgen.plan.describe import brief
    from adaptgen.words import sentences

    assert sentences(text) == cut
    assert brief(text, len(cut[0]) + 1) == cut[0]
