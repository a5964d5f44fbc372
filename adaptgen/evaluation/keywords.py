"""Keywords that would make missed tasks findable (`adaptgen eval FILE --suggest-keywords`).

A search misses when a request says a word the spec does not ("add Priya to #design" for
Slack's `conversations_invite`). Hints can add such words to a tool (`search: {keywords:
[...]}`); this finds which, and checks them the way the build would use them:

1. For each task whose tool is not first, the request's plain words that the tool's index does
   not have yet are tried as its keywords, one at a time (then the best two together), each
   trial a fresh `SearchEngine` over the index with the words added exactly as a build adds a
   hinted keyword (the encoder's cosines are reused: keywords change only the words ranking
   and the keyword bonus in the fusion).
2. A word is kept when it puts the tool first (or into the top 3 from below it) and no task of
   the file ranks its tool lower than before. Later tasks are tried with the earlier words in.
3. A miss no word fixes is tried with its request as an example of its tool (`search:
   {examples: [...]}`, encoded as a build encodes it; only where the encoder runs), kept by the
   same rule: a request like it elsewhere in the file must not lose its own tool.

Names, ids, numbers, addresses, `#channels`, `@handles`, quoted values and the commonest English
words are never suggested (`candidate_words`): they name one thing, or nothing, not what a tool
does. What is printed is advice for a reviewer, with the task
each word was found for and how many other tasks it helps: words that fix only the task they
came from fit those tasks, so keep some tasks aside and score them after adding the words.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptgen.evaluation.search import DEPTH, Scores, Task, engine_ranker, score
from adaptgen.search.rank import SearchEngine
from adaptgen.search.semantic import opaque
from adaptgen.search.text import content_words, stem

if TYPE_CHECKING:
    from adaptgen.runtime.catalog import Catalog as Api

PAIRED = 3  # the best single words of a task tried two at a time
COMMON = 0.3  # `rarity` under this: a word too common to name a tool ("get", "people", "who")
UNKNOWN = 0.5  # the rarity of a word the English table lacks
# A request's words as typed: quoted values, then tokens with what precedes them.
_QUOTED = re.compile(r"""(?<!\w)(['"\u2018\u201c])(?:(?!\1).)+?['"\u2019\u201d](?!\w)""")
# Addresses, paths and `owner/repo`: `jane@acme.com`, `https://...`, `src/app.py`, `acme/web`.
_ADDRESS = re.compile(r"\S*\w[@/.:]\w\S*")
_TOKEN = re.compile(r"[#@$]?[\w'-]+")
_SENTENCE_END = re.compile(r"\s*[.!?:;]")


@dataclass(frozen=True)
class Suggestion:
    """Words for one tool, found for one task."""

    operation: str  # the hints key: the operationId
    tool: str
    words: tuple[str, ...]
    task: Task
    before: int | None  # the task's rank of its tool (0 first), None below DEPTH
    after: int
    helps: int  # other tasks of the file whose tool ranks higher with the words
    example: bool = False  # the task's request as an example of the tool (`words` is empty)


@dataclass
class Advice:
    """A file's suggested keywords, its scores before and with them, and the misses no word of
    their own fixed."""

    suggestions: list[Suggestion]
    before: Scores
    after: Scores
    unfixed: list[Task] = field(default_factory=list)
    keywords: dict[str, list[str]] = field(default_factory=dict)  # operationId -> all its words
    # operationId -> its example requests: those the hints give, then the ones found
    examples: dict[str, list[str]] = field(default_factory=dict)
    written: Path | None = None  # the hints file `write` added them to
    examples_tried: bool = True  # False: the encoder does not run, so examples cannot help

    def write(self, hints: Path) -> None:
        """Add the suggestions to the hints file `hints` (made when missing), keeping what it
        says as it says it (`hints.edit`); nothing when there are none."""
        from adaptgen.hints.edit import write_search_hints

        if self.suggestions:
            write_search_hints(hints, self.additions())
            self.written = hints

    def additions(self) -> dict[str, dict[str, list[str]]]:
        """What the suggestions add to the hints, by operationId: `keywords` and `examples`
        not given yet (`hints.edit.add_search_hints` writes them into a hints file)."""
        added: dict[str, dict[str, list[str]]] = {}
        for s in self.suggestions:
            kind, values = ("examples", [s.task.query]) if s.example else ("keywords", s.words)
            listed = added.setdefault(s.operation, {}).setdefault(kind, [])
            listed += [v for v in values if v not in listed]
        return {op: added[op] for op in sorted(added)}

    def hints_yaml(self) -> str:
        """The hints to paste (`tools:` by operationId; a tool's hinted words and examples
        kept first)."""
        lines = ["tools:"]
        for operation in sorted({*self.keywords, *self.examples}):
            lines += [f"  {_key(operation)}:", "    search:"]
            if operation in self.keywords:
                listed = ", ".join(self.keywords[operation])
                lines.append(f"      keywords: [{listed}]")
            if operation in self.examples:
                lines.append("      examples:")
                lines += [f"        - {_quoted(e)}" for e in self.examples[operation]]
        return "\n".join(lines) + "\n"

    def as_text(self, hints: Path) -> str:
        """What `adaptgen eval --suggest-keywords` prints after a file's misses."""
        if not self.suggestions and not self.unfixed:
            return "  keywords that would help (--suggest-keywords): none, every tool is first\n"
        lines = [f"  keywords that would help (--suggest-keywords): {self._counted()}"]
        width = max((len(s.operation) for s in self.suggestions), default=0)
        for s in self.suggestions:
            added = "its example" if s.example else ", ".join(s.words)
            lines.append(
                f"    {s.operation:<{width}}  + {added}: line {s.task.location.line} "
                f"{s.task.query!r}, {_place(s.before)} -> {_place(s.after)}"
                + (f"; helps {s.helps} more" if s.helps else "")
            )
        if self.suggestions:
            lines.append(
                f"  with them: top-1 {_share(self.before.top1, self.before)} -> "
                f"{_share(self.after.top1, self.after)}, top-3 "
                f"{_share(self.before.top3, self.before)} -> {_share(self.after.top3, self.after)}"
                "; no task ranks its tool lower"
            )
        if self.unfixed:
            where = ", ".join(str(t.location.line) for t in self.unfixed)
            lines.append(
                f"  nothing fixes without ranking another task lower: {len(self.unfixed)} "
                f"(lines {where})"
                + (
                    ""
                    if self.examples_tried
                    else "; examples were not tried: they need the sentence encoder "
                    "(hints `search.semantic`)"
                )
            )
        review = [
            "  Review them: a word that fixes only its own task may fit that request more than",
            "  your users; score tasks you kept aside after adding them.",
        ]
        if self.written is not None:
            lines += [*review, f"  Added to {self.written} (--write-hints): review the diff."]
        elif self.keywords or self.examples:
            lines += [
                *review,
                f"  As hints ({hints}{'' if hints.is_file() else ', a new file'}; "
                "--write-hints adds them):",
                *(f"    {line}" for line in self.hints_yaml().splitlines()),
            ]
        return "\n".join(lines) + "\n"

    def as_markdown(self, name: str) -> str:
        """The suggestions as a table, for a PR comment."""
        lines = [
            f"#### Keywords that would help: {name} ({self._counted()})",
            "",
            "| operationId | keywords | task | before | after |",
            "|---|---|---|--:|--:|",
        ]
        for s in self.suggestions:
            query = s.task.query.replace("|", "\\|")
            added = "*the task, as an example*" if s.example else ", ".join(s.words)
            lines.append(
                f"| `{s.operation}` | {added} | {query} | {_place(s.before)} | {_place(s.after)} |"
            )
        return "\n".join(lines)

    def _counted(self) -> str:
        tools = len({s.operation for s in self.suggestions})
        words = sum(len(s.words) for s in self.suggestions)
        examples = sum(s.example for s in self.suggestions)
        said = f"{words} word{'s' * (words != 1)}" + (
            f" and {examples} example{'s' * (examples != 1)}" if examples else ""
        )
        return (
            f"{said} for {tools} tool{'s' * (tools != 1)}, "
            f"{len(self.suggestions)} of {len(self.suggestions) + len(self.unfixed)} tasks "
            "not first"
        )

    def as_dict(self) -> dict[str, Any]:
        def share(scores: Scores, count: int) -> float:
            return round(count / max(scores.tasks, 1), 4)

        return {
            "suggestions": [
                {
                    "operation": s.operation,
                    "tool": s.tool,
                    "keywords": list(s.words),
                    "example": s.example,
                    "where": str(s.task.location),
                    "query": s.task.query,
                    "before": None if s.before is None else s.before + 1,
                    "after": s.after + 1,
                    "helps_other_tasks": s.helps,
                }
                for s in self.suggestions
            ],
            "top1": [share(self.before, self.before.top1), share(self.after, self.after.top1)],
            "top3": [share(self.before, self.before.top3), share(self.after, self.after.top3)],
            "unfixed": [str(t.location) for t in self.unfixed],
            "written": None if self.written is None else str(self.written),
            "hints": {
                op: {
                    "search": {
                        **({"keywords": self.keywords[op]} if op in self.keywords else {}),
                        **({"examples": self.examples[op]} if op in self.examples else {}),
                    }
                }
                for op in sorted({*self.keywords, *self.examples})
            },
        }


def suggest(
    api: Api,
    index: Mapping[str, Any],
    engine: SearchEngine,
    tasks: Sequence[Task],
    hinted_examples: Mapping[str, Sequence[str]] | None = None,
) -> Advice:
    """The keywords (then example requests) that fix `tasks`' misses without ranking any task
    lower (module doc). `engine` is the one over `index`; `tasks` name operationIds
    (`check_expected`); `hinted_examples`: the examples the hints already give, by
    operationId (printed first in the hints to paste)."""
    entries = [dict(entry) for entry in index.get("tools", [])]
    tool_of = {t.operation_id: t.name for t in api.tools if not t.hidden and t.operation_id}
    operation_of = {name: operation for operation, name in tool_of.items()}
    trial = _Trial(api, index, entries, _Remembered(engine))
    ranks = trial.ranks(engine, tasks)
    before = score("adaptgen", tasks, engine_ranker(api, engine))
    added: dict[str, list[str]] = {}  # tool name -> the words found for it
    suggestions: list[Suggestion] = []
    missed: list[int] = []  # the tasks no word fixes
    for number in range(len(tasks)):
        if ranks[number] == 0:
            continue
        found = _best(trial, tasks, ranks, number, tool_of, added)
        if found is None:
            missed.append(number)
            continue
        name, words, new_ranks = found
        suggestions.append(_made(operation_of[name], name, words, tasks, number, ranks, new_ranks))
        added.setdefault(name, []).extend(words)
        ranks = new_ranks
    asked: dict[str, list[tuple[str, list[Any]]]] = {}  # tool name -> (request, its vector)
    unfixed: list[Task] = []
    for number in missed:
        found_example = (
            _best_example(trial, tasks, ranks, number, tool_of, added, asked)
            if trial.reads_examples()
            else None
        )
        if found_example is None:
            unfixed.append(tasks[number])
            continue
        name, example, new_ranks = found_example
        suggestions.append(_made(operation_of[name], name, (), tasks, number, ranks, new_ranks))
        asked.setdefault(name, []).append(example)
        ranks = new_ranks
    after = score("adaptgen", tasks, engine_ranker(api, trial.engine(added, asked)))
    keywords = {
        operation_of[name]: [*trial.hinted(name), *words] for name, words in sorted(added.items())
    }
    examples = {
        operation_of[name]: [
            *(hinted_examples or {}).get(operation_of[name], ()),
            *(request for request, _ in said),
        ]
        for name, said in sorted(asked.items())
    }
    return Advice(
        suggestions,
        before,
        after,
        unfixed,
        keywords,
        examples,
        examples_tried=trial.reads_examples(),
    )


def candidate_words(query: str) -> list[str]:
    """The words of a request a tool could be known by, in the order said: its content words
    of three letters or more (or an acronym: "DM", "PR"), less quoted values, ids, numbers,
    `#channels`, `@handles`, capitalized words inside a sentence (names: "Priya", "Acme") or
    opening one but no English word ("Priya sorted it"), and
    the commonest English words ("get", "people", "sure": `rarity` under COMMON)."""
    text = _ADDRESS.sub(" ", _QUOTED.sub(" ", query))
    kept: list[str] = []
    opens = True  # the next token opens a sentence
    for match in _TOKEN.finditer(text):
        token = match.group()
        first, opens = opens, bool(_SENTENCE_END.match(text, match.end()))
        acronym = token.isupper() and 2 <= len(token) <= 5
        if token[0] in "#@$" or opaque(token) or any(c.isdigit() for c in token):
            continue
        if token[:1].isupper() and not acronym and (not first or not _english(token.lower())):
            continue  # a name: capitalized inside a sentence, or first and no English word
        kept += [w for w in content_words(token) if len(w) >= 3 or acronym]
    return [w for w in dict.fromkeys(kept) if rarity(w) >= COMMON]


def _english(word: str) -> bool:
    """Whether the static word table (English) has `word` (True when it cannot be read)."""
    from adaptgen.search.meaning import TableError, load

    try:
        return load().row(word) is not None
    except (OSError, TableError):
        return True


def rarity(word: str) -> float:
    """How much a word says, by its frequency in English: the length of its row in the static
    word table (`search/meaning.py`, whose rows carry a frequency weight: "the" 0.01, "get"
    0.13, "remove" 0.47, "archive" 0.62); UNKNOWN for a word the table lacks (an API's own
    term: "backend", "webhook")."""
    from adaptgen.search.meaning import TableError, load

    try:
        table = load()
    except (OSError, TableError):
        return UNKNOWN
    found = table.row(word)
    if found is None:
        return UNKNOWN
    row = table.rows[found * table.dim : (found + 1) * table.dim]
    return table.scales[found] * math.sqrt(sum(v * v for v in row))


class _Remembered:
    """The engine's cosines of each request, computed once for every trial engine (keywords
    change only the words)."""

    def __init__(self, engine: SearchEngine) -> None:
        self._semantic = engine.semantic
        self._meaning = engine.meaning
        self._seen: dict[tuple[str, str], Any] = {}

    def encodes(self) -> bool:
        """Whether searches read the encoder's cosines (not the static table's, not none)."""
        return self._semantic is not None and self._semantic.failed is None

    def install(self, engine: SearchEngine) -> SearchEngine:
        if engine.semantic is not None and self._semantic is not None:
            engine.semantic = _Cached(self._semantic, "semantic", self._seen)  # type: ignore[assignment]
        if engine.meaning is not None and self._meaning is not None:
            engine.meaning = _Cached(self._meaning, "meaning", self._seen)  # type: ignore[assignment]
        return engine


class _Examples:
    """A trial's `Semantic`: the tools' cosines as remembered, the example requests' from the
    request's remembered vector and the trial's examples (in the engine's order: by entry)."""

    def __init__(self, cached: Any, entries: Sequence[Mapping[str, Any]]) -> None:
        from adaptgen.search.semantic import unpack_rows

        self._cached = cached
        self._matrix = unpack_rows([v for entry in entries for v in entry.get("examples", ())])

    def scores(self, query: str) -> Any:
        import numpy as np

        tools, _ = self._cached.scores(query)
        asked = self._cached.vector(query)
        if tools is None or asked is None:
            return None, None
        return tools, (self._matrix @ asked).astype(np.float64)

    def cosines(self, query: str) -> Any:
        return self.scores(query)[0]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cached, name)


class _Cached:
    """A `Semantic` or `Meaning` whose cosines are remembered by request."""

    def __init__(self, source: Any, kind: str, seen: dict[tuple[str, str], Any]) -> None:
        self._source, self._kind, self._seen = source, kind, seen

    def cosines(self, query: str) -> Any:
        key = (self._kind, query)
        if key not in self._seen:
            self._seen[key] = self._source.cosines(query)
        return self._seen[key]

    def scores(self, query: str) -> Any:
        key = (f"{self._kind} scores", query)
        if key not in self._seen:
            self._seen[key] = self._source.scores(query)
        return self._seen[key]

    def vector(self, query: str) -> Any:
        key = (f"{self._kind} vector", query)
        if key not in self._seen:
            self._seen[key] = self._source.vector(query)
        return self._seen[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


class _Trial:
    """Engines over the index with words added to tools, as a build adds hinted keywords."""

    def __init__(
        self,
        api: Api,
        index: Mapping[str, Any],
        entries: list[dict[str, Any]],
        cosines: _Remembered,
    ) -> None:
        self._api, self._index, self._entries, self._cosines = api, index, entries, cosines
        self._position = {entry["name"]: i for i, entry in enumerate(entries)}
        self._asked: dict[str, list[Any]] = {}

    def engine(
        self,
        added: Mapping[str, Sequence[str]],
        asked: Mapping[str, Sequence[tuple[str, list[Any]]]] | None = None,
    ) -> SearchEngine:
        """An engine with `added` keywords and `asked` example requests (with their packed
        vectors) by tool name."""
        entries = list(self._entries)
        for name, words in added.items():
            at = self._position[name]
            entries[at] = with_keywords(entries[at], words)
        for name, said in (asked or {}).items():
            at = self._position[name]
            vectors = [*entries[at].get("examples", ()), *(vector for _, vector in said)]
            entries[at] = {**entries[at], "examples": vectors}
        engine = self._cosines.install(SearchEngine({**self._index, "tools": entries}))
        if asked and engine.semantic is not None:
            engine.semantic = _Examples(engine.semantic, entries)  # type: ignore[assignment]
        return engine

    def reads_examples(self) -> bool:
        """Whether the index's searches run the encoder (examples need it)."""
        return self._cosines.encodes()

    def example(self, request: str) -> list[Any]:
        """`request`'s packed vector, as a build encodes a hinted example (remembered)."""
        if request not in self._asked:
            from adaptgen.search.semantic import encode_requests, says_channels

            channels = says_channels(self._entries)
            (self._asked[request],) = encode_requests([request], channels)
        return self._asked[request]

    def hinted(self, name: str) -> list[str]:
        """The keywords the hints already give the tool."""
        return _hinted(self._entries[self._position[name]])

    def known(self, name: str, added: Iterable[str]) -> set[str]:
        """The stems a tool's index entry has, in any field, and of `added`."""
        fields = self._entries[self._position[name]].get("fields", {})
        return {stem(w) for text in fields.values() for w in text.split()} | {
            stem(w) for w in added
        }

    def rank(self, task: Task, added: Mapping[str, Sequence[str]]) -> int | None:
        """`task`'s rank of its tool with `added` words."""
        return _rank_of(task, engine_ranker(self._api, self.engine(added))(task.query))

    def ranks(self, engine: SearchEngine, tasks: Sequence[Task]) -> list[int | None]:
        rank = engine_ranker(self._api, engine)
        return [_rank_of(task, rank(task.query)) for task in tasks]


def with_keywords(entry: Mapping[str, Any], words: Iterable[str]) -> dict[str, Any]:
    """An index entry with `words` among its hinted keywords, as `build_index` would make it
    from hints that list them after the entry's own (`index._tool_entry`)."""
    from adaptgen.search.index import keyword_phrases

    phrases = keyword_phrases([*_hinted(entry), *words])
    fields = dict(entry.get("fields", {}))
    fields["keywords"] = " ".join(dict.fromkeys(w for k in phrases for w in k.split()))
    return {**entry, "fields": fields, "keywords": phrases}


def _best(
    trial: _Trial,
    tasks: Sequence[Task],
    ranks: list[int | None],
    number: int,
    tool_of: Mapping[str, str],
    added: Mapping[str, list[str]],
) -> tuple[str, tuple[str, ...], list[int | None]] | None:
    """The fewest words (one, else two) that fix task `number` and rank no task lower: the
    tool, the words and every task's rank with them; None when there are none."""
    task, rank = tasks[number], ranks[number]
    targets = [tool_of[op] for op in task.expect if op in tool_of]  # chains take no hints
    # The rank they reach, then the first said (a request says its act first).
    fixing: list[tuple[tuple[int, int, int], str, tuple[str, ...]]] = []
    raising: dict[str, list[tuple[int, int, str]]] = {}  # words that raise the tool at all
    for order, name in enumerate(targets):
        known = trial.known(name, added.get(name, ()))
        words = [w for w in candidate_words(task.query) if stem(w) not in known]
        for said, word in enumerate(words):
            new = trial.rank(task, _plus(added, name, [word]))
            if _fixes(rank, new):
                fixing.append(((new or 0, order, said), name, (word,)))
            elif _above(new, rank):
                raising.setdefault(name, []).append((DEPTH if new is None else new, said, word))
    if not fixing:  # two words together, of those that raise the tool most
        for order, name in enumerate(targets):
            best = [word for _, _, word in sorted(raising.get(name, []))[:PAIRED]]
            for said, pair in enumerate(combinations(best, 2)):
                new = trial.rank(task, _plus(added, name, pair))
                if _fixes(rank, new):
                    fixing.append(((new or 0, order, said), name, pair))
    for _, name, chosen in sorted(fixing, key=lambda found: found[0]):
        new_ranks = trial.ranks(trial.engine(_plus(added, name, chosen)), tasks)
        if _kept(ranks, new_ranks, number):
            return name, chosen, new_ranks
    return None


def _made(
    operation: str,
    name: str,
    words: tuple[str, ...],
    tasks: Sequence[Task],
    number: int,
    ranks: Sequence[int | None],
    new_ranks: Sequence[int | None],
) -> Suggestion:
    """The suggestion of `words` (none: task `number`'s request as an example) for tool
    `name`, which moved every task from `ranks` to `new_ranks`."""
    helps = sum(
        1
        for other, (old, new) in enumerate(zip(ranks, new_ranks, strict=True))
        if other != number and _above(new, old)
    )
    now = new_ranks[number]
    assert now is not None  # only what fixes the task is suggested
    return Suggestion(
        operation, name, words, tasks[number], ranks[number], now, helps, example=not words
    )


def _best_example(
    trial: _Trial,
    tasks: Sequence[Task],
    ranks: list[int | None],
    number: int,
    tool_of: Mapping[str, str],
    added: Mapping[str, Sequence[str]],
    asked: Mapping[str, Sequence[tuple[str, list[Any]]]],
) -> tuple[str, tuple[str, list[Any]], list[int | None]] | None:
    """Task `number`'s request as an example of its tool (the first expected tool it fixes
    without ranking any task lower): the tool, the example and every task's rank with it."""
    task = tasks[number]
    example = (task.query, trial.example(task.query))
    for name in [tool_of[op] for op in task.expect if op in tool_of]:
        more = {**{k: list(v) for k, v in asked.items()}, name: [*asked.get(name, ()), example]}
        new_ranks = trial.ranks(trial.engine(added, more), tasks)
        if _kept(ranks, new_ranks, number):
            return name, example, new_ranks
    return None


def _kept(ranks: Sequence[int | None], new_ranks: Sequence[int | None], number: int) -> bool:
    """The rule a suggestion is kept by: task `number` is fixed (`_fixes`) and no task of the
    file ranks its tool lower than before."""
    return _fixes(ranks[number], new_ranks[number]) and not any(
        _above(old, new) for old, new in zip(ranks, new_ranks, strict=True)
    )


def _plus(
    added: Mapping[str, Sequence[str]], name: str, words: Iterable[str]
) -> dict[str, list[str]]:
    return {**{k: list(v) for k, v in added.items()}, name: [*added.get(name, []), *words]}


def _rank_of(task: Task, ranked: Sequence[str]) -> int | None:
    return next((i for i, op in enumerate(ranked[:DEPTH]) if op in task.expect), None)


def _fixes(before: int | None, after: int | None) -> bool:
    """Whether a task's tool moved first, or into the top 3 from below it."""
    if after is None:
        return False
    return after == 0 or (after < 3 and (before is None or before >= 3))


def _above(rank: int | None, other: int | None) -> bool:
    """Whether `rank` is above `other` (None: below DEPTH)."""
    return (DEPTH if rank is None else rank) < (DEPTH if other is None else other)


def _hinted(entry: Mapping[str, Any]) -> list[str]:
    """The keywords the hints gave the tool, whole."""
    return list(entry.get("keywords", ()))


def _place(rank: int | None) -> str:
    """A 0-based rank as people say it: "1st", "12th"; "below 10th" past DEPTH."""
    if rank is None:
        return f"below {_place(DEPTH - 1)}"
    n = rank + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _share(count: int, scores: Scores) -> str:
    return f"{count / max(scores.tasks, 1):.1%}"


def _quoted(text: str) -> str:
    """A string as a YAML double-quoted scalar (JSON's, with the two Unicode line breaks that
    YAML would read as breaks escaped)."""
    return (
        json.dumps(text, ensure_ascii=False)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _key(operation: str) -> str:
    """An operationId as a YAML key (quoted unless plain)."""
    return operation if re.fullmatch(r"[A-Za-z_][\w./-]*", operation) else f'"{operation}"'
