"""Words of identifiers and names, shared by the planner and by search (build and run time).

Kept free of imports beyond the standard library: the runtime's search uses it on every query.
"""

from __future__ import annotations

import difflib
import re

# Before the last capital of a run that starts a word (`HTTPResponse` -> `HTTP_Response`).
# Lookarounds only: `([A-Z]+)([A-Z][a-z])` said the same but backtracked quadratically on a
# long run of capitals (a 40 KB operationId took 24 s).
_CAMEL_1 = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


def snake_words(text: str) -> list[str]:
    """Split any identifier-ish text into lower-case words: `getHTTPResponse` -> get, http, ..."""
    text = _CAMEL_1.sub("_", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    return [w for w in _NON_WORD.split(text.lower()) if w]


def singular(word: str) -> str:
    """An English plural made singular, for resource names (`aliases` -> `alias`)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "uses", "iases")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")) and len(word) > 3:
        return word[:-1]
    return word


def did_you_mean(word: str, choices: list[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close, else empty."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
