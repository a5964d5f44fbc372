"""Ranking: BM25F over the index's fields, then the query's intent and resource weigh in.

1. Every query term (stemmed; its reviewed synonyms at a discount) scores each tool by BM25F:
   a term in the tool's name or summary counts more than one in a parameter name.
2. The act the query asks for ("create", "delete", "merge") against the tool's own act: the
   right resource's list must not beat its create when the user said "create".
3. A tool whose own resource the query names is preferred, and every path noun the query did
   not mention counts against it a little: "create a customer" is the customers' create, not the
   customer's cards'.
Ties are broken by fewer path nouns, then by name, so the same query always ranks the same.
"""

from __future__ import annotations

import bisect
import difflib
import logging
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from adaptgen.search.extent import Siblings, extent
from adaptgen.search.identifiers import Identifiers
from adaptgen.search.intent import (
    ACT_OF_WORD,
    ACTION_ACTS,
    CHANGE,
    GENERIC_VERBS,
    READS,
    SPOKEN_ACTS,
    OperationIntent,
    QueryIntent,
    compatibility,
    query_intent,
)
from adaptgen.search.query import QueryWords, query_terms, read_query
from adaptgen.search.semantic import (
    DENSE_K,
    FUSION_WEIGHT,
    LEXICAL_K,
    Semantic,
    fuse,
    says_channels,
    sure_weight,
)
from adaptgen.search.spelling import Speller
from adaptgen.search.synonyms import SYNONYM_WEIGHT, alternatives
from adaptgen.search.text import stem
from adaptgen.words import VERBS

log = logging.getLogger("adaptgen.search")

MEANING_WEIGHT = 1.0  # fusion weight of the static word-meaning cosine (semantic.fuse)

# Field weight and length normalisation (BM25F). Names and summaries say what a tool does;
# descriptions and parameter names mostly say how. The index's `intent` words are matched as
# intent (`intent.compatibility`), not as text: as text they would count the act twice.
FIELDS: Mapping[str, tuple[float, float]] = {
    "name": (3.0, 0.5),
    "summary": (2.5, 0.5),
    "keywords": (3.0, 0.3),
    "actions": (2.0, 0.3),  # what a generic action endpoint does, said in its body
    "resource": (2.0, 0.3),
    "tags": (1.0, 0.3),
    "path": (0.6, 0.3),
    "description": (1.0, 0.75),
    "params": (0.3, 0.5),
    "values": (0.3, 0.5),
    "notes": (0.2, 0.75),
    # What the spec's schema says the tool's thing is: the words a user may call it by when
    # the API's name for it is not theirs ("container instance" for a Pod).
    "about": (1.0, 0.75),
}
# A read's answer fields (`base_currency`, `month_to_date_usage`) are words of the tool only for
# a request that reads: a question about an attribute asks for the read that answers it, but
# every create and update of a resource answers the same fields.
READ_FIELDS: Mapping[str, tuple[float, float]] = {**FIELDS, "returns": (1.0, 0.5)}
# The mirror for a request that creates or changes something: the field names a create's or an
# update's body sets (`source_ranges`, `po_number`) and their enum values are its words, but
# only there, as every read of the same resource answers the same fields.
SET_FIELDS: Mapping[str, tuple[float, float]] = {**FIELDS, "sets": (1.0, 0.5)}
SETTING_ACTS = frozenset(["create", "update", CHANGE])
K1 = 1.2
# A query is read up to here: a request fits many times over, and a pasted page (100 KB cost
# 0.25 s a search) costs no more than a long request.
MAX_QUERY_CHARS = 2000
INTENT_WEIGHT = 2.0
# The acts a request that says a thing is to be otherwise (`QueryWords.otherwise`) keeps: a
# removal, an update or an action it names; a create, a read or no act is an update.
SAID_CHANGES = frozenset(["update", "delete", "action", "change"])
WARM_REQUEST = "find the latest items"  # what `SearchEngine.warm` searches for, then forgets
RESOURCE_BONUS = 0.7
PARENT_BONUS = 0.2
IDENTIFIED_BONUS = 0.3  # a tool about a thing the request gives the id of
PERSON_BONUS = 0.4  # a tool about people, for a change done to a person ("add her to the team")
# What APIs call a person in a place or a role: a change done to a person is one of these.
_PEOPLE = """user member membership registrant collaborator collaboration participant attendee
assignee follower invitee invitation recipient subscriber panelist guest teammate people person
contact"""
PEOPLE = frozenset(stem(word) for word in _PEOPLE.split())
MIN_FIT = 0.15
PRUNE = 0.1
MAX_CANDIDATES = 200
UNMENTIONED_NOUN_PENALTY = 0.3
VERB_TERM_WEIGHT = 0.15
PARTIAL_WEIGHT = 0.5
ASSOCIATION_WEIGHT = 0.6  # a word of the spec's prose, for the name words it goes with
MIN_PREFIX = 5  # `repo` must not find `report`
MIN_SUFFIX = 4
ACTION_BONUS = 0.5
# A request that says a tool's hinted keyword (`search: {keywords: [...]}`, every word of one)
# lifts the tool by twice what the best word match adds to a fused score: without it the
# encoder, which does not read the hints, outweighed them (docs/DESIGN.md, "Hinted keywords
# that work").
KEYWORD_BONUS = 2.0
# What a request whose verb is one of a tool's own action words (`_said_actions`) adds to the
# tool's fused score: the words ranking's lead for it (`ACTION_BONUS`) is at most 1 there, and
# the encoder reads "archive the repo" as near a delete (docs/DESIGN.md, "An action said").
ACTION_SAID_BONUS = 1.0
# What a tool whose path spells out another resource than a resource name the request gives
# loses in the fusion (`Identifiers.elsewhere`: GKE's zones twin of a `locations/...` name).
ELSEWHERE_PENALTY = 1.0
# A request a tool's hints give as an example (`search: {examples: [...]}`) lifts the tool by
# EXAMPLE_BONUS said word for word (a whole request is surer than a keyword), a request like it
# by the square of how far its cosine stands above EXAMPLE_FLOOR toward 1, nothing below
# (docs/DESIGN.md, "Example requests in hints").
EXAMPLE_BONUS = 4.0
EXAMPLE_FLOOR = 0.6
KIND_WEIGHT = 0.6  # what an id's letters say it is (`INV-0744`)
MIN_KIND_PREFIX = 3
ISSUE = stem("issue")  # what a tracker's `KEY-123` names (`_kind`)
PRIOR = 0.01
MAX_EXTENSION = 5
MIN_COMPOUND = 3  # letters a word ahead of a query term adds, at least
MIN_VERB_STEM = 3  # `payment` -> `pay`
# Noun endings over verb stems, most specific first (`cancellation`: `cancel`, `cancell`).
_NOUN_SUFFIXES = (
    ("ification", "ify"),
    ("llation", "l"),
    ("ation", ""),
    ("ition", ""),
    ("sion", "d"),
    ("ion", ""),
    ("ment", ""),
    ("al", ""),
    ("ance", ""),
    ("ence", ""),
)
COVERAGE_FLOOR = 0.5
_VERB_STEMS = frozenset(stem(v) for v in VERBS | ACTION_ACTS.keys()) | ACT_OF_WORD.keys()
# Verbs in re- that are no other verb done again (`remove` is no move, `review` no view).
_NOT_AGAIN = """
    recall recount remark renew research resign restore review reset repute record report
    react reply
"""
NOT_AGAIN = frozenset(stem(w) for w in _NOT_AGAIN.split())


# A short form a request may give a resource by (`RGs`, `VM`, `nsg` of `nsg-web`): two to four
# letters, an `s` after capitals, not inside a word, a path, an address or a name with a dot.
_SHORT_FORM = re.compile(r"(?<![\w/.@:'-])[A-Za-z]{2,5}(?![\w/.@:'])")

# A request's first word undoing an act: `unpin`, `unstar` (after "please" or "can you").
_UNDO = re.compile(r"un(?P<rest>[a-z]{3,})")
_UNDO_ANYWHERE = re.compile(r"\bun[a-z]{3,}", re.I)


def _id_kind_pattern(kinds: Mapping[str, str]) -> re.Pattern[str] | None:
    """An id that starts with the letters of one of `kinds` (`CA77`, `snap-0a1b`): the letters,
    then letters and digits (a digit among them), as a word of its own."""
    if not kinds:
        return None
    letters = "|".join(re.escape(k) for k in sorted(kinds, key=lambda k: (-len(k), k)))
    return re.compile(
        rf"(?<![\w/.@:-])(?P<letters>{letters})(?=[0-9A-Za-z-]*\d)[0-9A-Za-z-]+(?![\w/.@])"
    )


@dataclass(frozen=True)
class _Tool:
    name: str
    intent: OperationIntent
    nouns: frozenset[str]  # stems of its resource and parent path nouns
    resource: frozenset[str]
    parents: frozenset[str]
    named: frozenset[str]  # stems of its name's words
    toolset: str
    actions: frozenset[str] = frozenset()  # what a generic action endpoint does (`reboot`)
    keywords: frozenset[str] = frozenset()  # the words of what the hints say users call it
    phrases: tuple[frozenset[str], ...] = ()  # ... each hinted keyword whole, as stems


class _Features:
    """The tools' words of each kind as arrays, for ranking them all at once: which tools
    have any of some words (`having`), how many of them (`counted`)."""

    def __init__(self, tools: Sequence[_Tool], intent_of: Sequence[int]) -> None:
        import numpy as np

        self.names = [tool.name for tool in tools]
        self.intent_of = np.array(intent_of, np.int64)
        self.nouns = np.array([len(tool.nouns) for tool in tools], np.int64)
        self.people = np.array([not tool.resource.isdisjoint(PEOPLE) for tool in tools], bool)
        rank = {name: i for i, name in enumerate(sorted(set(self.names)))}
        self.name_order = np.array([rank[name] for name in self.names], np.int64)
        self._words: dict[str, dict[str, Any]] = {}
        for kind in ("actions", "named", "resource", "parents", "nouns", "verb", "keywords"):
            owners: dict[str, list[int]] = {}
            for i, tool in enumerate(tools):
                words = [tool.intent.verb] if kind == "verb" else getattr(tool, kind)
                for word in words:
                    owners.setdefault(word, []).append(i)
            self._words[kind] = {w: np.array(docs, np.int64) for w, docs in owners.items()}

    def having(self, kind: str, words: Iterable[str | None]) -> Any:
        """Which tools have any of `words` among their words of `kind`: booleans."""
        import numpy as np

        found = np.zeros(len(self.names), bool)
        for word in words:
            docs = self._words[kind].get(word)  # type: ignore[arg-type]
            if docs is not None:
                found[docs] = True
        return found

    def counted(self, kind: str, words: Iterable[str]) -> Any:
        """How many of `words` each tool has among its words of `kind`."""
        import numpy as np

        count = np.zeros(len(self.names), np.int64)
        for word in words:
            docs = self._words[kind].get(word)
            if docs is not None:
                count[docs] += 1
        return count

    def allowed(self, names: Collection[str]) -> Any:
        """Which tools are among `names`: booleans."""
        import numpy as np

        return np.fromiter((name in names for name in self.names), bool, len(self.names))


@dataclass(frozen=True)
class Hit:
    """One ranked tool."""

    name: str
    score: float


class SearchEngine:
    """An index loaded for querying: postings per stem, BM25F weights precomputed."""

    def __init__(
        self,
        index: Mapping[str, Any],
        model: Any = None,
        words: Any = None,
    ) -> None:
        """`model`: the sentence encoder for queries when the index has semantic vectors
        (default: the shipped one, loaded at the first search); `words`: the word-meaning
        table (`meaning.WordTable`) for queries when the index has static meaning vectors, and
        the English words of spelling either way (default: `meaning.load()`, at the first
        search)."""
        entries = list(index.get("tools", []))
        # The letters a parameter's pattern starts its ids with, and what they identify.
        self._id_kinds: dict[str, str] = dict(index.get("ids") or {})
        self._id_kind = _id_kind_pattern(self._id_kinds)
        made_by = index.get("encoder")  # the model that made the semantic vectors
        self._associated = {
            stem(word): [(stem(target), strength) for target, strength in targets]
            for word, targets in index.get("associations", {}).items()
        }
        self.tools = [_tool(entry) for entry in entries]
        self._by_name = {tool.name: i for i, tool in enumerate(self.tools)}
        self._identifiers = Identifiers(entries)
        self._siblings = Siblings(entries)  # the PUT and the PATCH of one path (`extent`)
        self.changes = any(tool.intent.act not in READS for tool in self.tools)  # any not a read
        self._named = frozenset().union(*(tool.named | tool.resource for tool in self.tools))
        # The API's verbs: those its tools are named by, and what its generic action endpoints
        # do ("power cycle" a droplet) save the words that are also its nouns (`snapshot`).
        said_by_actions = frozenset().union(*(tool.actions for tool in self.tools))
        nouns = self._named.union(*(tool.nouns for tool in self.tools))
        self._verbs = frozenset(tool.intent.verb for tool in self.tools) | (said_by_actions - nouns)
        # Tools share a few intents: their fit is computed once per query.
        self._intents = list(dict.fromkeys(tool.intent for tool in self.tools))
        position = {kind: i for i, kind in enumerate(self._intents)}
        self._intent_of = [position[tool.intent] for tool in self.tools]
        self._by_act: dict[str | None, list[int]] = {}
        for index, tool in enumerate(self.tools):
            self._by_act.setdefault(tool.intent.act, []).append(index)
            if tool.intent.verb != tool.intent.act:
                self._by_act.setdefault(tool.intent.verb, []).append(index)
        self._postings = _postings(entries, FIELDS)
        # What reads answer and what changes set only change the terms they hold: those
        # terms' postings are made twice, once with the field.
        read = _with_field(self._postings, _postings(entries, {"returns": READ_FIELDS["returns"]}))
        set_ = _with_field(self._postings, _postings(entries, {"sets": SET_FIELDS["sets"]}))
        self._entries = entries  # their words are spelling's, read at the first search
        self._speller: Speller | None = None
        self._words = words
        self._resources: list[tuple[str, ...]] | None = None  # for ids' kinds, at first use
        self._by_initials: dict[str, list[tuple[str, ...]]] = {}  # those of 2+ words (with them)
        self._tracks_issues = False  # an issue is one of `_resources` (set with them)
        packed = [entry.get("semantic") for entry in entries]
        # Example requests (hints), read with the tools' vectors: their owners, in order.
        self._asked_of = [i for i, entry in enumerate(entries) for _ in entry.get("examples", ())]
        asked = [vector for entry in entries for vector in entry.get("examples", ())]
        self.semantic = (
            Semantic(packed, model, made_by, asked, channels=says_channels(entries))
            if any(packed)
            else None
        )
        meant = [entry.get("meaning") for entry in entries]
        self.meaning = None
        if any(meant):
            from adaptgen.search.meaning import Meaning

            self.meaning = Meaning(meant, words)
        count = len(entries)
        self._vocabulary = sorted(self._postings)
        self._reversed = sorted(t[::-1] for t in self._postings)
        for docs in [*self._postings.values(), *read.values(), *set_.values()]:
            idf = math.log(1 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            for doc, tf in docs.items():
                docs[doc] = idf * tf / (K1 + tf)  # each term's BM25F share, ready to add
        self._read_postings = {**self._postings, **read} if read else self._postings
        self._set_postings = {**self._postings, **set_} if set_ else self._postings
        self._columns: dict[tuple[int, str], tuple[Any, Any]] = {}  # `_column`'s
        self._arrays: _Features | None = None
        # The last request read (`_read`): a search reads it for the words and for the actions
        # it says; one pair, replaced whole, so a search in another thread reads its own.
        self._last_read: tuple[str, tuple[QueryWords, QueryIntent]] | None = None
        self._keyworded = any(tool.phrases for tool in self.tools)

    @property
    def names(self) -> list[str]:
        return [tool.name for tool in self.tools]

    def warm(self) -> None:
        """Make now what the first search would make, by making one (its answer forgotten):
        the sentence encoder loaded and the tools' vectors unpacked, the word table and the
        speller, the tools' arrays, BLAS's threads (0.1-0.25 s on a big API, paid by whichever
        caller searched first). A long-running server calls it before it serves
        (`runtime.network.ready_to_serve`)."""
        self.search(WARM_REQUEST, limit=1)

    def search(
        self, query: str, limit: int = 5, allowed: Collection[str] | None = None
    ) -> list[Hit]:
        """The best `limit` tools for `query`, among `allowed` names when given: first those
        it names (a tool name, an operationId, a method and path: `search/identifiers.py`),
        then by words, and by meaning too when the index has semantic vectors and the model can
        run, else when it has static meaning vectors (`search/meaning.py`). Misspelt words are
        read as the words meant first (`search/spelling.py`); only the first MAX_QUERY_CHARS
        are read."""
        query = query[:MAX_QUERY_CHARS]
        named = {
            self.tools[index].name: quality
            for index, quality in self._identifiers.named(query).items()
            if allowed is None or self.tools[index].name in allowed
        }
        # PUT or PATCH, when the API has both on a path and the request says which (a sibling
        # just below the cut can still move up).
        method = extent(query) if self._siblings else None
        more = 1 if method else 0
        if not named:
            return self._in_extent_order(self._ranked(query, limit + more, allowed), method)[:limit]
        ranked = self._ranked(query, limit + len(named) + more, allowed)
        position = {hit.name: i for i, hit in enumerate(ranked)}
        first = sorted(named, key=lambda n: (-named[n], position.get(n, len(ranked)), n))
        top = max((hit.score for hit in ranked), default=0.0)
        hits = [Hit(name, top + len(first) - i) for i, name in enumerate(first)]
        rest = self._in_extent_order([hit for hit in ranked if hit.name not in named], method)
        return [*hits, *rest][:limit]

    def _in_extent_order(self, hits: list[Hit], method: str | None) -> list[Hit]:
        """`hits` with each PUT/PATCH pair in the order `method` wants (`Siblings.ordered`),
        each keeping the other's place and score; `hits` themselves when no method is said."""
        if method is None:
            return hits
        names = self._siblings.ordered([hit.name for hit in hits], method)
        return [Hit(name, hit.score) for name, hit in zip(names, hits, strict=True)]

    def _ranked(self, query: str, limit: int, allowed: Collection[str] | None) -> list[Hit]:
        """`search` by words and meaning."""
        query = self._spelled(self._spelled_out(query))
        cosines, asked = (None, None) if self.semantic is None else self.semantic.scores(query)
        weight = FUSION_WEIGHT
        encoded = cosines is not None  # the encoder's cosines, not the static table's
        if cosines is None and self.meaning is not None:
            cosines, weight = self.meaning.cosines(query), MEANING_WEIGHT
        if cosines is None:
            return self._words_only(query, limit, allowed)
        # Which tools the caller may see, worked out once for the words and the cosines.
        visible = self._features().allowed(allowed) if allowed is not None else None
        lexical = self._lexical(query, max(limit, LEXICAL_K), allowed, visible=visible)
        values = self._visible(cosines, visible)
        if encoded:
            weight = sure_weight(values, weight)
        # Hinted words and requests, which the encoder does not read, against its weight (with
        # the static table, whose weight is the words', the words ranking reads the keywords).
        bonus = self._keyword_bonus(query, visible) if encoded else {}
        if encoded:  # a tool's own action, said: the encoder may not read it so
            for name in self._said_actions(query, visible):
                bonus[name] = max(bonus.get(name, 0.0), ACTION_SAID_BONUS)
        if asked is not None:
            for name, lift in self._example_bonus(asked, visible).items():
                bonus[name] = max(bonus.get(name, 0.0), lift)
        by_name = self._cosines_for_fusion(values, {hit.name for hit in lexical} | bonus.keys())
        for name in self._elsewhere(query):
            if name in by_name:  # a candidate already: the penalty brings in no other tool
                bonus[name] = bonus.get(name, 0.0) - ELSEWHERE_PENALTY
        fused = fuse(
            [(hit.name, hit.score) for hit in lexical], by_name, limit, weight, bonus=bonus
        )
        return [Hit(name, score) for name, score in fused]

    def _words_only(self, query: str, limit: int, allowed: Collection[str] | None) -> list[Hit]:
        """`search` by words alone, a tool whose path spells another resource than a resource
        name the request gives down by ELSEWHERE_PENALTY of the best score, as in the fusion."""
        elsewhere = self._elsewhere(query)
        hits = self._lexical(query, limit + len(elsewhere), allowed)
        if not elsewhere or not hits:
            return hits[:limit]
        lowered = ELSEWHERE_PENALTY * max(hit.score for hit in hits)
        moved = [Hit(h.name, h.score - lowered if h.name in elsewhere else h.score) for h in hits]
        return sorted(moved, key=lambda hit: (-hit.score, hit.name))[:limit]

    def _elsewhere(self, query: str) -> set[str]:
        """The names of `Identifiers.elsewhere`'s tools."""
        return {self.tools[index].name for index in self._identifiers.elsewhere(query)}

    def _keyword_bonus(self, query: str, visible: Any) -> dict[str, float]:
        """What a request that says a tool's hinted keyword (every word of one) adds to the
        tool's fused score, by name."""
        if not self._keyworded:
            return {}
        said, _ = self._read(query)
        terms = {term for term, _ in query_terms(said)}
        return {
            tool.name: KEYWORD_BONUS
            for i, tool in enumerate(self.tools)
            if any(phrase <= terms for phrase in tool.phrases) and (visible is None or visible[i])
        }

    def _said_actions(self, query: str, visible: Any) -> list[str]:
        """The tools whose own action words the request's verb says: the actions a generic
        action endpoint's body names ("hard power cycle it": `POST .../actions {type:
        power_cycle}`) and the states a change sets ("close issue 45": `PATCH .../issues/{n}
        {state: closed}`). A verb that says only an act (create, update, ...) names none, nor
        one a tool is named by: that tool is how the API does it."""
        import numpy as np

        verb = self._read(query)[1].verb
        if verb is None or verb in GENERIC_VERBS:
            return []
        tools = self._features()
        if tools.having("verb", [verb]).any():
            return []  # a tool named for it (Logic Apps' `disable_workflow`) is the API's own way
        does = tools.having("actions", [verb])
        return [
            self.tools[i].name
            for i in np.flatnonzero(does).tolist()
            if visible is None or visible[i]
        ]

    def _example_bonus(self, asked: Any, visible: Any) -> dict[str, float]:
        """What a request like a tool's hinted example adds to the tool's fused score, by name:
        EXAMPLE_BONUS for the example itself, falling with the square of the cosine's distance
        from it, none at or below EXAMPLE_FLOOR (the best of the tool's examples counts)."""
        import numpy as np

        bonus: dict[str, float] = {}
        for at in np.flatnonzero(asked > EXAMPLE_FLOOR).tolist():  # most requests: none
            owner, cosine = self._asked_of[at], float(asked[at])
            if visible is None or visible[owner]:
                lift = EXAMPLE_BONUS * ((cosine - EXAMPLE_FLOOR) / (1 - EXAMPLE_FLOOR)) ** 2
                name = self.tools[owner].name
                bonus[name] = max(bonus.get(name, 0.0), lift)
        return bonus

    def asks_to_change(self, query: str) -> bool:
        """Whether `query` asks to change something (create, update, delete, an action) rather
        than to look (the act the ranking reads from it)."""
        act = self._read(self._spelled(query[:MAX_QUERY_CHARS]))[1].act
        return act is not None and act not in READS

    def _read(self, query: str) -> tuple[QueryWords, QueryIntent]:
        """The query's weighted words and the act they ask for (an `un-` verb undone first)."""
        last = self._last_read
        if last is not None and last[0] == query:
            return last[1]
        said = read_query(self._undone(query))
        intent = query_intent(said.main, self._verbs)
        if said.otherwise and intent.act not in SAID_CHANGES:
            # "send calls on our line to https://... instead": what is, changed (not a new
            # call); "the group should now be just dana and li" says no act at all.
            intent = replace(intent, act="update")
        self._last_read = (query, (said, intent))
        return said, intent

    def _visible(self, cosines: Sequence[float], visible: Any) -> Any:
        """Every tool's cosine as an array, -inf for a tool the caller may not see (`visible`:
        `_Features.allowed`'s booleans, or None: every tool)."""
        import numpy as np

        values = np.asarray(cosines, np.float64)
        if visible is not None:
            values = np.where(visible, values, -np.inf)
        return values

    def _cosines_for_fusion(self, values: Any, named: set[str]) -> dict[str, float]:
        """The cosines `fuse` reads, by name: the `named` (lexical) hits' and those of the
        visible tools (`_visible`'s `values`) at or above the DENSE_K-th highest cosine (ties
        included, so `fuse` breaks them by name as over every tool). A search reads ~40 of
        1,000, not all."""
        import numpy as np

        chosen = set(self._by_name[name] for name in named)
        if len(values) and values.max() > -np.inf:
            cut = max(len(values) - DENSE_K, 0)
            floor = np.partition(values, cut)[cut]
            chosen.update(np.flatnonzero((values >= floor) & (values > -np.inf)).tolist())
        return {self.tools[i].name: float(values[i]) for i in chosen}

    def _lexical(
        self,
        query: str,
        limit: int,
        allowed: Collection[str] | None = None,
        *,
        visible: Any = None,
    ) -> list[Hit]:
        """The best `limit` tools by words, intent and resource, among `allowed` names when
        given (`visible`: the same as `_Features.allowed`'s booleans, when already known)."""
        import numpy as np

        said, intent = self._read(query)
        terms = query_terms(said)
        kinds = [  # `INV-0744`, `cus_NffrFeUfNV2Hib`: initials, a resource's first letters
            t for letters in said.kinds for t in self._kind(letters, letters in said.keyed)
        ]
        kinds += self._declared_kinds(query)  # `CA77` by the pattern of Twilio's `CallSid`
        terms += [(t, KIND_WEIGHT) for t in dict.fromkeys(kinds) if t not in dict(terms)]
        groups = self._query_groups(terms, intent.verb)
        if not groups:
            return []
        # The act's verb is matched by intent: coverage counts the other words.
        counted = [g for g in groups if g[0][0] != intent.verb] or groups
        postings = self._postings
        if intent.act in READS:
            postings = self._read_postings
        elif intent.act in SETTING_ACTS:
            postings = self._set_postings
        relevance, matched = self._relevance(groups, counted, postings)
        # A tool far below the best by words cannot climb back by intent and resource.
        chosen = relevance >= relevance.max(initial=0.0) * PRUNE
        chosen &= relevance > 0.0
        relevance[~chosen] = 0.0
        if chosen.sum() < limit:
            # Too few tools share a word with the query: those of its act compete on intent.
            for doc in self._by_act.get(intent.verb, []) + self._by_act.get(intent.act, []):
                if not chosen[doc]:
                    chosen[doc], relevance[doc] = True, PRIOR
        if 0 < chosen.sum() < limit:
            # Some tool has the query's words, too few: every tool, ranked by intent.
            relevance[~chosen] = PRIOR / 2
            chosen[:] = True
        if allowed is not None:
            chosen &= visible if visible is not None else self._features().allowed(allowed)
        docs = np.flatnonzero(chosen)
        if len(docs) > MAX_CANDIDATES:  # the highest, of equals the last tools
            docs = docs[np.lexsort((docs, relevance[docs]))[-MAX_CANDIDATES:]]
        mentioned = {term for group in groups for term, _ in group}
        # Nouns said only as where ("in the folder") are no tool's own resource here.
        where = _expanded(stem(w) for w in said.containers)
        said_as_what = _expanded(
            stem(w) for w, weight in said.weighted if weight == 1.0 and w not in said.containers
        )
        objects = mentioned - (where - said_as_what)
        # Things given with their id: "droplet 3164494", and an id that says its kind.
        identified = _expanded([*(stem(w) for w in said.identified), *kinds])
        action = intent.verb is not None and intent.verb not in GENERIC_VERBS
        people = said.person and intent.act in ("create", "update", "delete")
        tools = self._features()
        kind_of = tools.intent_of[docs]
        fit = np.zeros(len(self._intents))
        for kind in set(kind_of.tolist()):
            intended = compatibility(intent, self._intents[kind])
            fit[kind] = max(MIN_FIT, 1 + INTENT_WEIGHT * intended)
        # "reboot" on `.../actions`
        does = tools.having("actions", [intent.verb] if action else [])[docs]
        score = relevance[docs] * np.where(does, 1 + INTENT_WEIGHT, fit[kind_of])
        if action:  # "merge", "star", "fork": the verb names the tool
            said_verbs = {intent.verb, *alternatives(intent.verb or "")}
            named = tools.having("verb", said_verbs) | tools.having("named", [intent.verb])
            named |= tools.having("keywords", said_verbs)  # what users call it, in the hints
            score[named[docs] | does] *= 1 + ACTION_BONUS
        score *= COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * matched[docs] / len(counted)
        # A thing the request names, as the tool's resource or as a hinted keyword.
        named_thing = tools.having("resource", objects) | tools.having("keywords", objects)
        score[named_thing[docs]] *= 1 + RESOURCE_BONUS
        score[tools.having("parents", where)[docs]] *= 1 + PARENT_BONUS
        score[tools.having("nouns", identified)[docs]] *= 1 + IDENTIFIED_BONUS
        if people:
            score[tools.people[docs]] *= 1 + PERSON_BONUS
        unmentioned = tools.nouns[docs] - tools.counted("nouns", mentioned)[docs]
        score /= 1 + UNMENTIONED_NOUN_PENALTY * unmentioned
        # Best first; of equals, the one of fewer nouns, then by name.
        order = np.lexsort((tools.name_order[docs], tools.nouns[docs], -score))[:limit]
        return [
            Hit(self.tools[doc].name, value)
            for doc, value in zip(docs[order].tolist(), score[order].tolist(), strict=True)
        ]

    def _features(self) -> _Features:
        """What the ranking reads of every tool, as arrays (made at the first search)."""
        if self._arrays is None:
            self._arrays = _Features(self.tools, self._intent_of)
        return self._arrays

    def _kind(self, letters: str, key: bool = False) -> list[str]:
        """The resource an id's first letters abbreviate, when one does: its initials (`PO`:
        purchase orders, `pi`: payment intents) or the start of its one word (`INV`: invoices,
        `cus`: customers, three letters at least). Nothing when two resources could be meant.

        A `key` (LETTERS-number) in an API of issues is an issue's key, whatever its letters
        (Jira's `PROJ-31`, `WEB-7`: the project's key, not a project or a webhook)."""
        found = {tuple(stem(w) for w in words) for words in self._initialled(letters)}
        if not found and key and self._tracks_issues:
            return [ISSUE]
        if not found and len(letters) >= MIN_KIND_PREFIX:
            found = {
                (stem(w),)
                for words in self._resource_words()
                for w in words
                if w.startswith(letters) and w != letters
            }
        return list(found.pop()) if len(found) == 1 else []

    def _resource_words(self) -> list[tuple[str, ...]]:
        """The words of every tool's resource (`purchase orders`), each resource once."""
        if self._resources is None:
            self._resources = sorted(
                {tuple(e.get("fields", {}).get("resource", "").split()) for e in self._entries}
                - {()}
            )
            self._tracks_issues = any(stem(w) == ISSUE for r in self._resources for w in r)
            for words in self._resources:
                if len(words) > 1:
                    initials = "".join(w[0] for w in words)
                    self._by_initials.setdefault(initials, []).append(words)
        return self._resources

    def _initialled(self, letters: str) -> list[tuple[str, ...]]:
        """The resources of two words or more whose initials are `letters` (`po`: purchase
        orders)."""
        self._resource_words()
        return self._by_initials.get(letters, [])

    def _spelled_out(self, query: str) -> str:
        """The query with each short form of one resource's name said in words before it:
        "show me the RGs" as "... the resource groups RGs", "rules of nsg-web" as "... network
        security groups nsg-web". A short form is two to four letters (and an `s` after
        capitals) that are the initials of one resource of two words or more, and neither a
        word of the API's own (Mist says `ap`, which its resources do not spell) nor, unless
        written in capitals, an English word (`to`, `me`)."""
        table = self._word_table()

        def spelled(match: re.Match[str]) -> str:
            short = match[0]
            if short.endswith("s") and short[:-1].isupper():
                short = short[:-1]  # `RGs`
            if len(short) > 4:
                return match[0]
            letters = short.lower()
            if stem(letters) in self._postings:
                return match[0]
            if not short.isupper() and (table is None or table.index.get(letters) is not None):
                return match[0]
            found = self._initialled(letters)
            return f"{' '.join(found[0])} {match[0]}" if len(found) == 1 else match[0]

        return _SHORT_FORM.sub(spelled, query)

    def _declared_kinds(self, query: str) -> list[str]:
        """The stems of what the query's ids identify by the letters a path parameter's
        declared pattern starts them with (`index.id_kinds`: Twilio's `CA77` a call's)."""
        if self._id_kind is None:
            return []
        return [
            stem(word)
            for match in self._id_kind.finditer(query)
            for word in self._id_kinds[match["letters"]].split()
        ]

    def _spelled(self, query: str) -> str:
        """The query with its typos corrected, when the index ranks by meaning (the word table
        says what is English); as it is otherwise."""
        if self._speller is None:
            table = self._word_table()
            if table is None:
                return query
            self._speller = Speller(_api_words(self._entries), VERBS | SPOKEN_ACTS, table.index)
        return self._speller.correct(query)

    def _word_table(self) -> Any:
        """The word table of the index's static meaning, else (an index with the sentence
        encoder's vectors) the shipped table for its English words; None without either."""
        if self.meaning is not None:
            return self.meaning.table()
        if self.semantic is None:
            return None
        if self._words is None:
            from adaptgen.search.meaning import TableError, load

            try:
                self._words = load()
            except (TableError, OSError, ValueError) as error:
                log.warning("search: no word table for spelling (%s)", error)
                self._words = False
        return self._words or None

    def _undone(self, query: str) -> str:
        """ "unpin the rules" as "remove pin the rules" when no tool is named by `unpin` but
        some by `pin` (an API that has `unstar` keeps it). Only the request's first word (after
        a greeting or "can you"): an adjective later on (`unread`) undoes nothing."""
        if _UNDO_ANYWHERE.search(query) is None:
            return query  # the common case: no `un-` word at all, nothing to read twice
        said = read_query(query).main
        match = _UNDO.fullmatch(said[0]) if said else None
        if match is None:
            return query
        whole, rest = stem(match[0]), stem(match["rest"])
        if whole in self._postings or rest not in self._postings:
            return query
        return re.sub(rf"\b{match[0]}\b", f"remove {match['rest']}", query, count=1, flags=re.I)

    def _relevance(
        self,
        groups: list[list[tuple[str, float]]],
        counted: list[list[tuple[str, float]]],
        postings: Mapping[str, Mapping[int, float]],
    ) -> tuple[Any, Any]:
        """BM25F per tool over `postings` (a group counts its best-matching term), and how
        many of the `counted` groups matched each tool: two arrays, 0 where none matched."""
        import numpy as np

        relevance = np.zeros(len(self.tools))
        matched = np.zeros(len(self.tools), np.int64)
        for group in groups:
            best = np.zeros(len(self.tools))
            for term, weight in group:
                column = self._column(postings, term)
                if column is not None:
                    docs, values = column
                    best[docs] = np.maximum(best[docs], values * weight)
            relevance += best
            if group in counted:
                matched += best > 0.0
        return relevance, matched

    def _column(
        self, postings: Mapping[str, Mapping[int, float]], term: str
    ) -> tuple[Any, Any] | None:
        """A term's postings as two arrays, tools and values (made at the term's first use;
        kept for the index's own terms only, so requests cannot grow the memory), or None."""
        docs = postings.get(term)
        if not docs:
            return None
        which = 0 if postings is self._postings else 1 if postings is self._read_postings else 2
        key = (which, term)
        column = self._columns.get(key)
        if column is None:
            import numpy as np

            column = (np.fromiter(docs, np.int64, len(docs)), np.fromiter(docs.values(), float))
            self._columns[key] = column
        return column

    def _query_groups(
        self, said: list[tuple[str, float]], verb: str | None
    ) -> list[list[tuple[str, float]]]:
        """One group per distinct query term: the term, its synonyms and its longer forms.

        A verb that says a generic act (create, list, ...) weighs little here: intent matches
        it already, and every tool of that act has it in its name.
        """
        groups = []
        for term, weight in said:
            if term == verb and term in ACT_OF_WORD:
                weight *= VERB_TERM_WEIGHT
            group = [(term, weight)]
            group += [(alt, weight * SYNONYM_WEIGHT) for alt in alternatives(term)]
            group += [(alt, weight * PARTIAL_WEIGHT) for alt in self._partial(term)]
            group += [
                (alt, weight * ASSOCIATION_WEIGHT * strength)
                for alt, strength in self._associated.get(term, ())
            ]
            groups.append(group)
        return groups

    def _partial(self, term: str) -> list[str]:
        """Indexed stems that extend `term` a little, either way (`react` -> `reaction`,
        `link` -> `permalink`)."""
        found = _extensions(self._vocabulary, term) if len(term) >= MIN_PREFIX else []
        if len(term) >= MIN_SUFFIX:
            # A word before it makes a compound (`permalink`); a letter or two another word
            # (`hang` is no `change`).
            found += [t[::-1] for t in _extensions(self._reversed, term[::-1], MIN_COMPOUND)]
        found += [base for base in _verb_forms(term) if base in self._postings]
        again = term.removeprefix("re")  # `resend`, `reschedule`: the act done again
        if again != term and again in _VERB_STEMS and _said_again(term, self._postings):
            found.append(again)
        if term not in self._named:
            found += self._compound_head(term)
        return [t for t in dict.fromkeys(found) if t != term]

    def _compound_head(self, term: str) -> list[str]:
        """The longest word tools are named by that a compound ends in (`subaccount` ->
        `account`), when no tool is named by the compound itself."""
        for start in range(MIN_COMPOUND, len(term) - MIN_SUFFIX + 1):
            if term[start:] in self._named:
                return [term[start:]]
        return []

    def nearest(self, name: str, allowed: Collection[str] | None = None, n: int = 3) -> list[str]:
        """Names close to a misspelt or guessed one: by spelling, then by its words."""
        names = [t.name for t in self.tools if allowed is None or t.name in allowed]
        named = self._identifiers.named(name)  # an operationId, a method and path
        close = [self.tools[i].name for i in named if self.tools[i].name in names]
        for found in difflib.get_close_matches(name, names, n=n, cutoff=0.6):
            if found not in close:
                close.append(found)
        for hit in self.search(name.replace("_", " "), limit=n, allowed=allowed):
            if hit.name not in close:
                close.append(hit.name)
        return close[:n]

    def toolsets(self, allowed: Collection[str] | None = None) -> dict[str, list[str]]:
        """Toolset -> its tools, in catalog order (only `allowed` ones when given)."""
        sets: dict[str, list[str]] = {}
        for tool in self.tools:
            if allowed is None or tool.name in allowed:
                sets.setdefault(tool.toolset, []).append(tool.name)
        return sets


def _expanded(terms: Iterable[str]) -> set[str]:
    """Terms with their synonyms."""
    found = set()
    for term in terms:
        found.add(term)
        found.update(alternatives(term))
    return found


def _said_again(term: str, postings: Collection[str]) -> bool:
    """`resend` is `send` again when no tool says `resend` itself and it is no verb of its own
    (`remove`, `review`, `reset`)."""
    return term not in postings and term not in ACT_OF_WORD and term not in NOT_AGAIN


def _verb_forms(term: str) -> list[str]:
    """The verb stems a noun may be made from (`deletion` -> `delet`, `approval` -> `approv`,
    `verification` -> `verify`, `cancellation` -> `cancel`): users name the act, APIs the verb,
    or the other way round (a verb finds its noun by `_extensions`)."""
    found = []
    for suffix, replacement in _NOUN_SUFFIXES:
        base = term[: -len(suffix)] + replacement
        if term.endswith(suffix) and len(base) >= MIN_VERB_STEM:
            found.append(base)
    return found


def _extensions(sorted_terms: list[str], prefix: str, least: int = 1) -> list[str]:
    """The terms of a sorted list that start with `prefix` and are `least` to a few letters
    longer."""
    found = []
    at = bisect.bisect_left(sorted_terms, prefix)
    while at < len(sorted_terms) and sorted_terms[at].startswith(prefix):
        if least <= len(sorted_terms[at]) - len(prefix) <= MAX_EXTENSION:
            found.append(sorted_terms[at])
        at += 1
    return found


def _tool(entry: Mapping[str, Any]) -> _Tool:
    fields = entry.get("fields", {})
    resource = frozenset(stem(w) for w in fields.get("resource", "").split())
    parents = frozenset(stem(w) for w in fields.get("path", "").split())
    return _Tool(
        name=entry["name"],
        intent=OperationIntent(entry.get("act", "get"), entry.get("verb", "")),
        nouns=resource | parents,
        resource=resource,
        parents=parents,
        named=frozenset(stem(w) for w in fields.get("name", "").split()),
        toolset=entry.get("toolset", "other"),
        actions=frozenset(stem(w) for w in fields.get("actions", "").split()),
        keywords=frozenset(stem(w) for w in fields.get("keywords", "").split()),
        phrases=tuple(frozenset(map(stem, k.split())) for k in entry.get("keywords", ())),
    )


def _with_field(
    postings: Mapping[str, Mapping[int, float]], field: Mapping[str, Mapping[int, float]]
) -> dict[str, dict[int, float]]:
    """The postings of `field`'s terms, with those terms' postings of every other field added."""
    merged = {term: dict(postings.get(term, {})) for term in field}
    for term, docs in field.items():
        for doc, tf in docs.items():
            merged[term][doc] = merged[term].get(doc, 0.0) + tf
    return merged


def _postings(
    entries: list[Mapping[str, Any]], weights: Mapping[str, tuple[float, float]]
) -> dict[str, dict[int, float]]:
    """stem -> {tool index: BM25F pseudo term frequency} over the fields `weights` names."""
    lengths: dict[str, list[int]] = {f: [] for f in weights}
    stemmed: list[dict[str, list[str]]] = []
    for entry in entries:
        fields = entry.get("fields", {})
        doc = {f: [stem(w) for w in fields.get(f, "").split()] for f in weights}
        stemmed.append(doc)
        for f in weights:
            lengths[f].append(len(doc[f]))
    average = {f: (sum(v) / len(v) if v and sum(v) else 1.0) for f, v in lengths.items()}
    postings: dict[str, dict[int, float]] = {}
    for index, doc in enumerate(stemmed):
        for f, found in doc.items():
            if not found:
                continue
            weight, b = weights[f]
            norm = 1 - b + b * len(found) / average[f]
            for term in found:
                docs = postings.setdefault(term, {})
                docs[index] = docs.get(index, 0.0) + weight / norm
    return postings


def _api_words(entries: list[Mapping[str, Any]]) -> dict[str, int]:
    """Every word of the index's fields, and how many tools have it (spelling's candidates)."""
    counts: dict[str, int] = {}
    for entry in entries:
        for word in {w for text in entry.get("fields", {}).values() for w in text.split()}:
            counts[word] = counts.get(word, 0) + 1
    return counts
