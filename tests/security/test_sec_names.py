"""Name splitting is linear and names are unchanged (issue 12, item 6).

A 40 KB operationId of capitals took 24 s to build: the camel-case regex backtracked
quadratically, and shortening re-joined every word once per word dropped.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from sec_build import run_adaptgen, spec_text, write

from adaptgen.plan.names import MAX_TOOL_NAME, shorten, snake_words
from adaptgen.words import MEMO_CHARS

# The definitions before the fix: the reference every name must still match.
_OLD_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_OLD_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")


def old_snake_words(text: str) -> list[str]:
    text = _OLD_CAMEL_2.sub(r"\1_\2", _OLD_CAMEL_1.sub(r"\1_\2", text))
    return [w for w in re.split(r"[^0-9a-zA-Z]+", text.lower()) if w]


def old_drop_middle(words: list[str], limit: int) -> str:
    words = list(dict.fromkeys(words))
    while len("_".join(words)) > limit and len(words) > 2:
        del words[len(words) // 2]
    return "_".join(words)


PIECES = st.sampled_from(["get", "HTTP", "Response", "ID", "A", "b", "9", "_", "-", "é", "Xy"])
IDENTIFIERS = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(IDENTIFIERS)
def test_words_are_what_they_were(text):
    assert snake_words(text) == old_snake_words(text)


def test_remembered_words_are_a_new_list_each_time():
    # Short texts (names) are split once and remembered: a caller changing its list must not
    # change what the next caller gets. Long ones (30 pieces reach past MEMO_CHARS) are not.
    for text in ("getHTTPResponseID", "getHTTPResponse" * 8):
        first = snake_words(text)
        first.append("changed")
        assert snake_words(text) == old_snake_words(text)
    assert len("getHTTPResponse" * 8) > MEMO_CHARS


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(["a", "bb", "ccc", "list", "organization", "x9"]), min_size=1))
def test_shortened_names_are_what_they_were(words):
    fits = old_drop_middle(words, MAX_TOOL_NAME)
    if len(fits) <= MAX_TOOL_NAME:  # the last-resort cut is the same code on both sides
        assert shorten(list(dict.fromkeys(words)), MAX_TOOL_NAME) == fits


def test_a_huge_operation_id_builds(tmp_path):
    """200 KB of capitals (the old regex: ~10 minutes) and 20,000 distinct words, under the
    time guard of `run_adaptgen`."""
    capitals = "A" * 200_000  # no lower-case letter after them: every start backtracked
    words = "".join(f"Word{i}" for i in range(20_000))
    for n, operation_id in enumerate((capitals, words)):
        spec = write(tmp_path / f"s{n}.yaml", spec_text(operationId=operation_id))
        done = run_adaptgen("build", "-q", spec, "--out", tmp_path / "out", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
