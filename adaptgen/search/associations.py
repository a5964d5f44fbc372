"""Words of the API's own prose that point at the words its tools are named by (build time).

A user says what the spec's prose says, not always what the operation is named: "comment" is
nowhere in Asana's tool names, but the descriptions around its `story` operations say it
("only allows for comment stories to be created"). For every word that no tool is named by,
the index keeps the name words it goes with: the words of the names, summaries and resources
of the tools whose prose holds it, when most of those tools share them and few others do
(lift over chance). Learned from this spec alone, so it is right for this API's vocabulary
and needs no model; written into the index, so a reviewer sees `comment -> story`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from adaptgen.search.intent import ACT_OF_WORD
from adaptgen.search.text import STOP_WORDS, stem
from adaptgen.words import VERBS

# Where a tool says what it is.
NAMED = ("name", "summary", "resource")
MIN_TOOLS = 3  # a word in one or two tools' prose is chance, not this API's vocabulary
MIN_SHARE = 0.5  # at least half the tools whose prose has the word are named by the target
MIN_LIFT = 4.0  # ... and the target is that much more common among them than among all
MAX_TARGETS = 2
MAX_SHARE_OF_TOOLS = 0.25  # a word in the prose of a quarter of the tools is boilerplate


def associations(
    entries: Sequence[Mapping[str, Any]], around: Sequence[Sequence[str]] = ()
) -> dict[str, list[list[Any]]]:
    """word -> [[name word, strength], ...], strongest first, keys sorted (deterministic).

    `around`: more of the spec's words about each entry, in the same order (its whole
    description and its tags' descriptions), beyond the entry's own description.
    """
    named: list[set[str]] = []
    prose: list[set[str]] = []
    surface: dict[str, str] = {}
    for index, entry in enumerate(entries):
        fields = entry.get("fields", {})
        named.append(_stems(fields, NAMED, surface))
        more = {"said": " ".join(around[index])} if index < len(around) else {}
        prose.append(_stems({**fields, **more}, ("description", "said"), surface))
    everywhere_named = set().union(*named) if named else set()
    count = len(entries)
    named_df = Counter(term for terms in named for term in terms)
    holders: dict[str, list[int]] = {}
    for index, terms in enumerate(prose):
        for term in terms - everywhere_named:
            holders.setdefault(term, []).append(index)
    found: dict[str, list[list[Any]]] = {}
    for term, tools in holders.items():
        if not MIN_TOOLS <= len(tools) <= MAX_SHARE_OF_TOOLS * count or not _is_candidate(term):
            continue
        targets = _targets(tools, named, named_df, count)
        if targets:
            found[surface[term]] = [[surface[t], round(s, 2)] for t, s in targets]
    return dict(sorted(found.items()))


def _targets(
    tools: list[int], named: list[set[str]], named_df: Counter[str], count: int
) -> list[tuple[str, float]]:
    together = Counter(term for index in tools for term in named[index])
    scored = []
    for term, both in together.items():
        share = both / len(tools)
        lift = share / (named_df[term] / count)
        if share >= MIN_SHARE and lift >= MIN_LIFT and _is_candidate(term):
            scored.append((-share * math.log(lift), term, share))
    return [(term, share) for _, term, share in sorted(scored)[:MAX_TARGETS]]


_VERB_STEMS = frozenset(stem(verb) for verb in VERBS)


def _is_candidate(term: str) -> bool:
    """Not a verb: intent matches those, not words."""
    return (
        term not in ACT_OF_WORD
        and term not in _VERB_STEMS
        and term not in STOP_WORDS
        and not term.isdigit()
    )


def _stems(fields: Mapping[str, str], names: Sequence[str], surface: dict[str, str]) -> set[str]:
    """The stems of the named fields' words; `surface` keeps each stem's shortest word, which
    the index shows (`story`, not `stories`)."""
    found = set()
    for name in names:
        for word in fields.get(name, "").split():
            term = stem(word)
            found.add(term)
            if term not in surface or (len(word), word) < (len(surface[term]), surface[term]):
                surface[term] = word
    return found
