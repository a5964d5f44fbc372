"""Words of operations and of queries: split, lower-cased, stop words out, stemmed.

One tokenizer for both sides, so `listRepoIssues`, `/repos/{owner}/issues`, "issues of a repo"
and "listing issues" meet on the same terms. The stemmer is deliberately light (plurals, -ed,
-ing, a final -e): heavy stemmers merge words an API keeps apart (`general`/`generate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from adaptgen.words import singular, snake_words

# Words that say nothing about which operation is meant, in queries or in spec prose.
_STOP_WORDS = """
    a an the of for to in on at by with from into onto as and or but is are be been being was
    were this that these those it its i me my mine we us our you your yours they them their
    he she his her him what which whose where when how why please can could would should
    will shall may might must do does did done have has had having there here then than so such
    some any each every very just also only via per about up out over under again further once
    want need like let lets etc using use used able thing things one ones s t id ids
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

# Irregular plurals APIs use; everything else goes through the suffix rules.
_IRREGULAR = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "indices": "index",
    "indexes": "index",
    "statuses": "status",
    "aliases": "alias",
    "analyses": "analysis",
    "data": "data",
    "media": "media",
    "criteria": "criterion",
    "news": "news",
    "series": "series",
    "metadata": "metadata",
}
IRREGULAR_PLURALS = frozenset(word for word, one in _IRREGULAR.items() if word != one)
_VOWEL = re.compile(r"[aeiouy]")
_DOUBLE = re.compile(r"([bdfgmnprt])\1$")
_WORD = re.compile(r"[0-9a-z]+")


def words(text: str) -> list[str]:
    """Lower-case words of any text or identifier (`getHTTPResponse`, `a/b_c-d`, prose)."""
    return [w for w in snake_words(text) if _WORD.fullmatch(w)]


def content_words(text: str) -> list[str]:
    """`words` without stop words and without bare numbers."""
    return [w for w in words(text) if w not in STOP_WORDS and not w.isdigit()]


def field_words(names: Iterable[str]) -> list[str]:
    """The distinct words of field names (`month_to_date_usage`, `spec`), stop words (`id`
    among them) and numbers left out: what an answer holds or a change sets, as the index
    keeps it."""
    return list(dict.fromkeys(w for name in names for w in content_words(name)))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem: `issues`/`issue`, `creating`/`created`/`create`, `replies`/`reply` agree."""
    word = word.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3:
        return word
    word = singular(word)
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and _VOWEL.search(word[: -len(suffix)]):
            base = word[: -len(suffix)]
            if len(base) < 3:
                break
            if _DOUBLE.search(base):  # `mapped` -> map, `setting` -> set
                base = base[:-1]
            return _without_e(base)
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return _without_e(word)


def _without_e(word: str) -> str:
    # `create`, `creat(ing)`: both end as `creat`; `use`-like short words keep their e.
    if word.endswith("e") and len(word) > 4:
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The stemmed content words of `text`, in order (repeats kept: they are term frequency)."""
    return [stem(w) for w in content_words(text)]
