"""Search by meaning: a contextual sentence encoder fused with the lexical ranking (the default).

The encoder is `sentence_model.py` (adaptgen's three-layer student of all-MiniLM-L6-v2, in
numpy). Here is what search does with it:

- Build time (`build_index(..., semantic=True)`, on unless hints say `search: {semantic:
  false}`): each tool as one text (`encoded_tool`: "<summary>: <act> <resource> of <path>
  (<tags>). <the description's first sentence>", the third rendering of `tool_texts` and what
  the second adds; the static word table reads the three) is encoded in float64 and stored in
  the index as `"semantic": [scale, base64 int8]`, after it is moved a fifth of the way
  toward the requests that tools like it were asked by on other APIs (`request_memory.py`).
- Query time (`Semantic.cosines`): the query is encoded as the agent wrote it (as the encoder
  was tuned on requests, `scripts/tune_encoder.py`), its chat and file notation said in words
  (`spoken`), less its opaque ids (`encoded_text`), and
  dotted with every tool's vector.
- Fusion (`fuse`): the lexical top LEXICAL_K and the dense top DENSE_K compete on lexical score
  / the best lexical score + weight * cosine, the weight FUSION_WEIGHT, raised when the
  encoder's best tool stands clear of its second (`sure_weight`).

The renderings and the fusion were chosen on the tuned task set with the teacher
(bench/semantic_experiment.py); FUSION_WEIGHT was raised from 2 to 3.5 when the student was
tuned on requests (`scripts/tune_encoder.py`): its cosine is worth more than the teacher's;
and to 5 when 840 requests on 28 APIs neither the rules nor the encoder had seen
(`bench.request_bench --unseen`) showed the rules, read off the task sets' APIs, weigh too
much on APIs nobody read; to 7 with the three-layer student, whose cosine is worth more
again; to 9 with sentence encoder 8, which alone outranked the fusion at 7 on the unseen
APIs. docs/DESIGN.md, "Search mode", has the figures. Without numpy a
server searches by words only and says so once.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import weakref
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from adaptgen.search.query import (
    FILE_EXTENSIONS,
    FILE_NAME,
    HASHTAG,
    STATE_SAID,
    said_values,
)
from adaptgen.search.request_memory import memory_for
from adaptgen.search.sentence_model import REQUEST_TOKENS, Unavailable, encoder
from adaptgen.search.text import stem, words
from adaptgen.words import sentences, singular

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("adaptgen.search")

QUANT = 127
FUSION_WEIGHT = 9.0  # chosen on the tuned set with unseen corpus APIs (docs/DESIGN.md)
LEXICAL_K = 50  # the lexical hits fusion reads (30 -> 50 lifted every task set by 0-2 tasks)
DENSE_K = 10
# When the encoder is sure, its cosine weighs more: the fusion weight grows by SURE_GAIN for
# each unit its best tool's cosine stands above the second's, past SURE_MARGIN. Where the two
# are close, the words decide as before (chosen on the tuned set and unseen corpus APIs).
SURE_MARGIN = 0.05
SURE_GAIN = 40.0
_ACT_PHRASE = {
    "create": "create a new",
    "list": "list",
    "get": "get a",
    "update": "update a",
    "delete": "delete a",
}
_ON_ONE = frozenset({"create", "get", "update", "delete"})  # acts on one thing of the resource
_MARKUP = re.compile(r"<[^>]+>|\[([^\]]*)\]\([^)]*\)|[`*_#]")
FIRST_SENTENCE_WORDS = 30
# An opaque id in a request (a UUID, a long number, "79b807d", "R2B3Z8WMVt3EAmzYWLZ15"): to
# the encoder 5-30 WordPiece tokens that mean nothing; `encoded_text` leaves it out.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-", re.IGNORECASE)
_ID_EDGES = ".,;:!?'\"()[]{}<>"
CHANNEL = stem("channel")
MEMO_TEXTS = 20_000  # texts whose float64 vectors a build process remembers (~60 MB)
# Each model's remembered vectors (text -> row), gone with the model (`encoder.cache_clear()`).
_MEMO: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def first_sentence(text: str, limit: int = FIRST_SENTENCE_WORDS) -> str:
    """A description's first sentence, markup removed, at most `limit` words."""
    text = _MARKUP.sub(r"\1", text or "").strip()
    return " ".join(sentences(text.split("\n", 1)[0])[0].split()[:limit])


def tool_texts(entry: Mapping[str, Any], title: str, description: str) -> tuple[str, str, str]:
    """A tool as three sentences for the model, from its index entry and its IR text: its
    summary; summary and the description's first sentence; summary, act, resource and tags."""
    fields = entry.get("fields", {})
    title = title.strip() or " ".join(words(entry["name"]))
    sentence = first_sentence(_after_title(description, title))
    if sentence and sentence.lower().rstrip(".") != title.lower().rstrip("."):
        described = f"{title}. {sentence}"
    else:
        described = title
    tags = fields.get("tags", "")
    what = _act_phrase(entry)
    shaped = f"{title}: {what}" if what else title
    return title, described, shaped + (f" ({tags})" if tags else "")


def _act_phrase(entry: Mapping[str, Any]) -> str:
    """The phrase "<act> <resource> of <path>", the resource's noun singular where the act is on one
    ("get a deal", not "get a deals": an encoder reads the number, and "show me the deals"
    should find the list); nothing for a tool without a resource (a chain), where the phrase
    would say only "create a new"."""
    fields = entry.get("fields", {})
    resource = fields.get("resource", "").split()
    if not resource:
        return ""
    act = entry.get("act", "")
    if act in _ON_ONE:
        resource[-1] = singular(resource[-1])
    verb = _ACT_PHRASE.get(act, entry.get("verb", "") if act == "action" else act)
    what = f"{verb} {' '.join(resource)}"
    return f"{what} of {fields['path']}" if fields.get("path") else what


def _after_title(description: str, title: str) -> str:
    """A tool's description without the summary it starts with (a tool's description is its
    summary, then what the spec's description adds: `plan.describe.tool_description`)."""
    text = (description or "").strip()
    lead = title.rstrip(".")
    if lead and text.lower().startswith(lead.lower()):
        rest = text[len(lead) :]
        if not rest[:1].isalnum():
            return rest.lstrip(".:;,- \n")
    return text


def encoded_tool(rendered: Sequence[str]) -> str:
    """What the encoder reads of a tool, from its `tool_texts`: the third ("<summary>: <act>
    <resource> of <path> (<tags>)", the text the encoder was tuned on, kept as its start), then
    the description's first sentence when the second has one. A description's first sentence
    often says what the summary leaves out; read this way the tools ranked better than by the
    third alone over every task set (1,879 tasks: 924 -> 957 first, 1,327 -> 1,355 in the top
    3; docs/DESIGN.md, "Search mode")."""
    title, described, shaped = rendered[:3]
    if described == title:  # no sentence beyond the summary
        return shaped
    return f"{shaped}. {described[len(title) + 2 :]}"  # described: "<title>. <sentence>"


def opaque(word: str) -> bool:
    """An id nobody reads as words: a UUID, five digits or more, or eight characters or more
    with two digits and two capitals after the first (not an amount, not `sha256` or
    `ISO8601`)."""
    word = word.strip(_ID_EDGES)
    if word.startswith("$") or len(word) < 6:
        return False
    digits = sum(c.isdigit() for c in word)
    capitals = sum(c.isupper() for c in word[1:])
    return (
        bool(_UUID.match(word)) or digits >= 5 or (digits >= 2 and capitals >= 2 and len(word) >= 8)
    )


def encoded_text(query: str) -> str:
    """What the encoder reads of a request: the request without its opaque ids (the lexical
    ranking still reads them: a thing given with its id), of which it reads the first
    REQUEST_TOKENS tokens. A search gives it the request `spoken` first."""
    kept = [word for word in query.split() if not opaque(word)]
    return " ".join(kept) if kept else query


def spoken(query: str, channels: bool = False) -> str:
    """A request with the notations the words ranking reads also said in words, for the
    encoder, to which `#` and a name, or a name and `.yml`, mean little (docs/DESIGN.md, "A
    channel said as a channel", "A file said as a file"):
    - a file named with a known extension is said to be a file: "commit a CONTRIBUTING.md"
      is "commit a CONTRIBUTING.md file" (not `invoice.paid`, an event, nor `spammer.biz`);
    - for an API of chat `channels` (`says_channels`), a channel as chat apps write it is said
      as one: "let #releases know" is "let the releases channel know";
    - a workflow state something is put into is said to be a status, as the words ranking
      reads it: "move a ticket to Done" is "move a ticket to the Done status" (not "to the
      Done list", a list; docs/DESIGN.md, "A state said as a status");
    - an IP address or range, or an amount of money, is said to be one (`query.said_values`)."""
    query = FILE_NAME.sub(_said_as_file, said_values(query))
    query = STATE_SAID.sub(r"\g<before>the \g<state> status", query, count=1)
    if channels:
        query = HASHTAG.sub(lambda found: f"the {found[1]} channel", query)
    return query


def _said_as_file(found: re.Match[str]) -> str:
    extension = found[0].rsplit(".", 1)[1].lower()
    return f"{found[0]} file" if extension in FILE_EXTENSIONS else found[0]


def says_channels(entries: Iterable[Mapping[str, Any]]) -> bool:
    """Whether an API has chat channels: a tool whose name, resource or path says `channel`
    (Slack's `conversations_invite` does not, its `admin_usergroups_addChannels` does)."""
    return any(
        stem(word) == CHANNEL
        for entry in entries
        for field in ("name", "resource", "path")
        for word in entry.get("fields", {}).get(field, "").split()
    )


def pack(vector: Iterable[float]) -> list[Any]:
    """A vector as the index stores it: `[scale, base64 int8]`, value = int8 * scale."""
    values = [float(v) for v in vector]
    peak = max((abs(v) for v in values), default=0.0)
    if peak == 0:
        return [0.0, ""]
    scale = float(f"{peak / QUANT:.6g}")
    ints = array("b", (max(-QUANT, min(QUANT, round(v / scale))) for v in values))
    return [scale, base64.b64encode(ints.tobytes()).decode()]


def pack_rows(rows: np.ndarray) -> list[list[Any]]:
    """`pack` of each row of a float matrix, at numpy's speed (a build packs ~1,000 rows of
    384): the same scale and the same half-to-even rounding, so the same bytes."""
    import numpy as np

    peaks = np.abs(rows).max(axis=1) if len(rows) else np.zeros(0)
    scales = np.array([float(f"{peak / QUANT:.6g}") if peak else 1.0 for peak in peaks.tolist()])
    ints = np.clip(np.rint(rows / scales[:, None]), -QUANT, QUANT).astype(np.int8)
    return [
        [scale, base64.b64encode(row.tobytes()).decode()] if peak else [0.0, ""]
        for scale, row, peak in zip(scales.tolist(), ints, peaks.tolist(), strict=True)
    ]


def unpack(packed: Sequence[Any] | None) -> list[float] | None:
    """A stored vector's values (None when absent)."""
    if not packed or not packed[1]:
        return None
    scale = float(packed[0])
    return [v * scale for v in array("b", base64.b64decode(packed[1]))]


def unpack_rows(packed: Sequence[Sequence[Any] | None]) -> np.ndarray:
    """`unpack` of many vectors as one float32 matrix, a zero row where one is absent: the same
    values (int8 * scale in float64, then float32), 20x faster (Microsoft Graph's 21,807
    vectors: 0.7 s of a first search)."""
    import numpy as np

    present = [(i, p) for i, p in enumerate(packed) if p and p[1]]
    rows = [np.frombuffer(base64.b64decode(p[1]), np.int8) for _, p in present]
    matrix = np.zeros((len(packed), len(rows[0]) if rows else 0), np.float32)
    for (i, p), ints in zip(present, rows, strict=True):
        matrix[i] = ints * float(p[0])
    return matrix


def fuse(
    lexical: Sequence[tuple[str, float]],
    cosines: Mapping[str, float],
    limit: int,
    weight: float = FUSION_WEIGHT,
    dense_k: int = DENSE_K,
    bonus: Mapping[str, float] | None = None,
) -> list[tuple[str, float]]:
    """The lexical hits (name, score; best first) and every tool's cosine (by name) as one
    ranking: lexical score / best lexical score + weight * max(cosine, 0), plus the tool's
    `bonus` (a hinted keyword said, a request like a hinted example; below 0, a penalty: a path
    that spells another resource than the one named), over the lexical hits,
    the `dense_k` tools of highest cosine and those with a bonus. Ties go by name."""
    best = max((score for _, score in lexical), default=0.0) or 1.0
    scores = {name: score / best for name, score in lexical}
    nearest = sorted(cosines, key=lambda name: (-cosines[name], name))[:dense_k]
    for name in nearest:
        scores.setdefault(name, 0.0)
    for name in bonus or {}:
        scores.setdefault(name, 0.0)
    fused = {name: s + weight * max(cosines.get(name, 0.0), 0.0) for name, s in scores.items()}
    for name, extra in (bonus or {}).items():
        fused[name] += extra
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:limit]


def sure_weight(cosines: np.ndarray, weight: float = FUSION_WEIGHT) -> float:
    """The fusion weight for a search whose tools have these `cosines` (-inf for a tool the
    caller may not see): `weight`, raised as the best stands above the second (`SURE_GAIN`)."""
    import numpy as np

    if len(cosines) < 2:
        return weight
    second, best = np.partition(cosines, len(cosines) - 2)[-2:]
    if not np.isfinite(second):
        return weight  # one tool (or none) to choose from: no margin to read
    return weight + SURE_GAIN * max(0.0, float(best - second) - SURE_MARGIN)


def encode_tools(texts: Sequence[Sequence[str]]) -> list[list[Any]]:
    """Build time: each tool's renderings (`tool_texts`) to its packed mean vector, read
    against the requests of other APIs (`request_memory.Memory.blended`). Each
    distinct text is encoded once per process (`MEMO_TEXTS` at most are remembered): a
    process that builds a spec again (`adaptgen check`, lint after build, the tests) pays
    only for what changed."""
    model = encoder().precise()  # first: without numpy it says what to install
    import numpy as np

    memo = _MEMO.setdefault(model, {})
    flat = [text for group in texts for text in group]
    new = [text for text in dict.fromkeys(flat) if text not in memo]
    if len(memo) + len(new) > MEMO_TEXTS:
        memo.clear()
        new = list(dict.fromkeys(flat))
    if new:
        memo.update(zip(new, model.encode(new), strict=True))
    means = np.zeros((len(texts), model.dim))
    at = 0
    for i, group in enumerate(texts):
        means[i] = np.mean([memo[text] for text in flat[at : at + len(group)]], axis=0)
        at += len(group)
    memory = memory_for(model)
    return pack_rows(means if memory is None else memory.blended(means))


def encode_requests(texts: Sequence[str], channels: bool = False) -> list[list[Any]]:
    """Build time: example requests (hints `search: {examples: [...]}`) to packed vectors, each
    read as a request is at query time (`spoken`, `channels` as the API's), in float64
    like the tools' vectors (the same bytes on every machine, but for `check`'s one int8 step)."""
    model = encoder().precise()
    said = [encoded_text(spoken(text, channels)) for text in texts]
    return pack_rows(model.encode(said, longest=REQUEST_TOKENS))


class Semantic:
    """The index's tool vectors, and the model for queries, both loaded on first use; when
    numpy or the model is missing, `cosines` answers None (and the reason is logged once)."""

    def __init__(
        self,
        vectors: Sequence[Sequence[Any] | None],
        model: Any = None,
        made_by: str | None = None,
        examples: Sequence[Sequence[Any]] = (),
        channels: bool = False,
    ) -> None:
        """`vectors`: each tool's packed vector, in index order; `examples`: packed vectors of
        example requests (hints), read against each query with the tools; `model`: an object with
        `encode(texts, longest=...) -> rows`, each text read to its first `longest` tokens
        (default: the model, loaded at the first query); `made_by`: the
        identity of the model that made the vectors (the index's `encoder`), when known: a model
        of another identity is not used (another model's vectors are in another space);
        `channels`: the API has chat channels (`spoken`)."""
        self._packed = list(vectors)
        self._channels = channels
        self._examples = list(examples)
        self._model = model
        self._made_by = made_by
        self._matrix: Any = None
        self._failed: str | None = None
        self._lock = threading.Lock()

    @property
    def failed(self) -> str | None:
        """Why the signal is off (None while it works or was not needed yet)."""
        return self._failed

    def cosines(self, query: str) -> np.ndarray | None:
        """Every tool's cosine with the query (0 for a tool without a vector), or None: an
        array of float64 (whose items are floats)."""
        return self.scores(query)[0]

    def scores(self, query: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """`cosines`, and the query's cosine with each example request (the `examples` given,
        in their order; None when there are none), from one product."""
        asked = self.vector(query)
        if asked is None:
            return None, None
        import numpy as np

        both = (self._matrix @ asked).astype(np.float64)
        tools = len(self._packed)
        return both[:tools], (both[tools:] if self._examples else None)

    def vector(self, query: str) -> np.ndarray | None:
        """The query's unit vector (float32) as `scores` reads it, or None (`failed`)."""
        if self._failed is not None or not self._ready():
            return None
        import numpy as np

        text = encoded_text(spoken(query, self._channels))
        (asked,) = np.asarray(self._model.encode([text], longest=REQUEST_TOKENS), np.float32)
        return asked

    def _ready(self) -> bool:
        if self._matrix is not None:
            return True
        with self._lock:
            if self._matrix is not None:
                return True
            try:
                if self._model is None:
                    self._model = encoder()
                running = getattr(self._model, "identity", None)
                if self._made_by and running and running != self._made_by:
                    raise Unavailable(
                        f"the index's vectors were made by the sentence encoder {self._made_by}"
                        f" and this adaptgen runs {running}: build the server again with it"
                    )
                self._matrix = unpack_rows([*self._packed, *self._examples])
            except (Unavailable, ImportError, OSError, KeyError, ValueError) as error:
                self._failed = str(error)
                log.warning(
                    "search: the index has semantic vectors but the model cannot run (%s); "
                    "searching by words only",
                    error,
                )
                return False
        return True
