"""Static word meaning: one small vector per English word, for search without a model.

`meaning.bin` is made by `scripts/distill_words.py`: each word of a general English vocabulary
(wordfreq's most frequent words and the sentence model's whole-word tokens) passed ALONE through
all-MiniLM-L6-v2 (Apache-2.0), all its WordPiece pieces in context, mean-pooled, centred, reduced
by PCA and stored as int8 with a float16 scale per row, which also carries the word's frequency
weight (SIF, a / (a + p(word)): frequent words weigh less). A text's vector is the weighted sum
of its words' rows, a query's context clauses weighing what `read_query` says. Only additions,
multiplications and square roots: the same bits on every machine. Pure Python:
neither the build nor the runtime needs numpy or the model.

On by default (hints `search: {meaning: false}` turns it off): on three sets of tasks nobody
tuned it on it adds 3 points of top-3 (docs/DESIGN.md, "Search mode"). The table is 2.3 MB,
read at a server's first search (~15 ms), and ships only with servers whose index uses it.
Its words and their frequency weights come from wordfreq's data (CC BY-SA 4.0), its vectors
from all-MiniLM-L6-v2 (Apache-2.0): `adaptgen/search/MEANING-LICENSE.md` says so in full.
"""

from __future__ import annotations

import json
import logging
import math
import struct
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from adaptgen.search.query import read_query
from adaptgen.search.text import STOP_WORDS, words
from adaptgen.words import singular

log = logging.getLogger("adaptgen.search")

TABLE = Path(__file__).with_name("meaning.bin")
MAGIC = b"ADAPTGEN-WORDS 1\n"


class TableError(ValueError):
    """The file is not one `scripts/distill_words.py` writes."""


@dataclass(frozen=True)
class WordTable:
    """Words, per-row scales (frequency weight included) and int8 rows."""

    index: dict[str, int]
    dim: int
    scales: tuple[float, ...]
    rows: array  # int8, `dim` per word

    @classmethod
    def parse(cls, data: bytes) -> WordTable:
        if not data.startswith(MAGIC):
            raise TableError("not an adaptgen word table")
        at = data.index(b"\n", len(MAGIC))
        header = json.loads(data[len(MAGIC) : at])
        count, dim = int(header["count"]), int(header["dim"])
        start = at + 1
        end = start
        for _ in range(count):
            end = data.index(b"\n", end) + 1
        listed = data[start : end - 1].decode().split("\n")
        start = end
        scales = struct.unpack_from(f"<{count}e", data, start)
        start += 2 * count
        rows = array("b", data[start : start + count * dim])
        if len(listed) != count or len(rows) != count * dim:
            raise TableError(f"table truncated: {len(rows)} of {count * dim} values")
        return cls({w: i for i, w in enumerate(listed)}, dim, scales, rows)

    def row(self, word: str) -> int | None:
        """The word's row (its singular's when only that is known), or None."""
        found = self.index.get(word)
        if found is None and word not in STOP_WORDS:
            found = self.index.get(singular(word))
        return found

    def vector(self, weighted: Iterable[tuple[str, float]]) -> list[float]:
        """The weighted mean direction of the words' rows (stop words and unknown words left
        out; a zero vector when none is known). Not normalised: callers compare by cosine."""
        total = [0.0] * self.dim
        dim = self.dim
        for word, weight in weighted:
            if word in STOP_WORDS or word.isdigit():
                continue
            found = self.row(word)
            if found is None:
                continue
            factor = weight * self.scales[found]
            if not factor:
                continue
            values = self.rows[found * dim : found * dim + dim]
            total = [t + factor * v for t, v in zip(total, values, strict=True)]
        return total

    def text_vector(self, text: str) -> list[float]:
        """A text's unit vector (every word weighing 1 before its frequency weight)."""
        return unit(self.vector((w, 1.0) for w in words(text)))

    def query_vector(self, query: str) -> list[float]:
        """A query's unit vector: its words weighted by clause (`read_query`)."""
        return unit(self.vector(read_query(query).weighted))

    def tool_vector(self, texts: Sequence[str]) -> list[float]:
        """A tool's vector: the mean of its renderings' unit vectors, made unit."""
        total = [0.0] * self.dim
        for text in texts:
            total = [t + v for t, v in zip(total, self.text_vector(text), strict=True)]
        return unit(total)


def unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else list(vector)


@lru_cache(maxsize=1)
def load(path: Path = TABLE) -> WordTable:
    """The table, read once per process (shipped with adaptgen; made by
    scripts/distill_words.py)."""
    if not path.is_file():
        raise TableError(f"{path} is missing: make it with scripts/distill_words.py")
    return WordTable.parse(path.read_bytes())


def tool_texts(entry: Mapping[str, Any], title: str, description: str) -> tuple[str, ...]:
    """A tool's renderings (as the sentence model's, `semantic.tool_texts`)."""
    from adaptgen.search.semantic import tool_texts as renderings

    return renderings(entry, title, description)


# --- tool vectors in the index, and the query-time signal -----------------------------------


def encode_tools(texts: Sequence[Sequence[str]], table: WordTable | None = None) -> list[str]:
    """Build time: each tool's renderings (`tool_texts`) to its packed vector (base64 int8,
    `vectors.pack`; empty when none of its words is known). Pure Python: the same bytes on
    every machine."""
    from adaptgen.search.vectors import pack

    table = table or load()
    return [pack(table.tool_vector(group)) for group in texts]


class Meaning:
    """The index's tool vectors and the word table for queries (loaded at the first search):
    every tool's cosine with a query, in pure Python (`vectors.VectorMatrix`)."""

    def __init__(self, packed: Sequence[str | None], table: WordTable | None = None) -> None:
        from adaptgen.search.vectors import VectorMatrix, unpack

        self._matrix = VectorMatrix([unpack(p or "") for p in packed])
        self._table = table
        self.failed: str | None = None

    def table(self) -> WordTable | None:
        """The word table, read at the first call; None when it cannot be read (said once in
        the log)."""
        if self.failed is not None:
            return None
        if self._table is None:
            try:
                self._table = load()
            except (OSError, TableError) as error:
                self.failed = str(error)
                log.warning("search: no word table (%s); searching by words only", error)
                return None
        return self._table

    def cosines(self, query: str) -> list[float] | None:
        """Every tool's cosine with the query (0 without a vector), None when the query has no
        known word or the table cannot be read (then said once in the log)."""
        from adaptgen.search.vectors import quantized

        table = self.table()
        if table is None:
            return None
        asked = quantized(table.query_vector(query))
        if not any(asked):
            return None
        return self._matrix.cosines(asked)
