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
    said: set[str] = set()  # every word read, for the surface forms of the chosen stems
    named = [_stems(entry.get("fields", {}), NAMED, said) for entry in entries]
    prose = [
        _stems(entry.get("fields", {}), ("description",), said)
        | _stems({"said": " ".join(around[index]) if index < len(around) else ""}, ("said",), said)
        for index, entry in enumerate(entries)
    ]
    everywhere_named = set().union(*named) if named else set()
    count = len(entries)
    named_df = Counter(term for terms in named for term in terms)
    holders: dict[str, list[int]] = {}
    for index, terms in enumerate(prose):
        for term in terms - everywhere_named:
            holders.setdefault(term, []).append(index)
    chosen: dict[str, list[tuple[str, float]]] = {}
    for term, tools in holders.items():
        if not MIN_TOOLS <= len(tools) <= MAX_SHARE_OF_TOOLS * count or not _is_candidate(term):
            continue
        targets = _targets(tools, named, named_df, count)
        if targets:
            chosen[term] = targets
    surface = _surface(said, {*chosen, *(t for targets in chosen.values() for t, _ in targets)})
    found = {
        surface[term]: [[surface[t], round(share, 2)] for t, share in targets]
        for term, targets in chosen.items()
    }
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


def _stems(fields: Mapping[str, str], names: Sequence[str], said: set[str]) -> set[str]:
    """The stems of the named fields' words (each word also added to `said`)."""
    found: set[str] = set()
    for name in names:
        words = fields.get(name, "").split()
        said.update(words)
        found.update(map(stem, words))
    return found


def _surface(said: set[str], stems: set[str]) -> dict[str, str]:
    """Each stem's shortest word, which the index shows (`story`, not `stories`)."""
    surface: dict[str, str] = {}
    for word in sorted(said, key=lambda w: (len(w), w)):
        term = stem(word)
        if term in stems and term not in surface:
            surface[term] = word
    return surface
