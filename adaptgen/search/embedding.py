"""Static word vectors: the meaning of a query and of a tool as one small vector each.

`embeddings.bin` is distilled from a sentence model (all-MiniLM-L6-v2, Apache-2.0) by
`scripts/distill_embeddings.py`: one int8 row (and a float16 scale) per WordPiece token. A text's
vector is the sum of its tokens' rows (the rows carry a frequency weight, so frequent tokens weigh
less); "remove" lands near "delete" without a synonym rule. Pure Python: the runtime has no numpy.
Tool vectors are made at build time and stored in the index, unit length, int8, base64.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from adaptgen.search.text import STOP_WORDS
from adaptgen.search.wordpiece import basic_words, pieces

TABLE = Path(__file__).with_name("embeddings.bin")
MAGIC = b"ADAPTGEN-EMBEDDINGS 1\n"
QUANT = 127


class TableError(ValueError):
    """The table file is not one `scripts/distill_embeddings.py` writes."""


@dataclass(frozen=True)
class WordVectors:
    """The token table: vocabulary, per-row scales and int8 rows."""

    vocab: dict[str, int]
    dim: int
    scales: tuple[float, ...]
    rows: array  # int8, `dim` per token

    @classmethod
    def parse(cls, data: bytes) -> WordVectors:
        """Read the format `scripts/distill_embeddings.py` writes (header, tokens, scales, rows)."""
        if not data.startswith(MAGIC):
            raise TableError("not an adaptgen embeddings table")
        at = data.index(b"\n", len(MAGIC))
        header = json.loads(data[len(MAGIC) : at])
        count, dim = int(header["count"]), int(header["dim"])
        start = at + 1
        tokens: list[str] = []
        for _ in range(count):
            end = data.index(b"\n", start)
            tokens.append(data[start:end].decode())
            start = end + 1
        scales = struct.unpack_from(f"<{count}e", data, start)
        start += 2 * count
        rows = array("b", data[start : start + count * dim])
        if len(rows) != count * dim:
            raise TableError(f"table truncated: {len(rows)} of {count * dim} values")
        return cls({t: i for i, t in enumerate(tokens)}, dim, scales, rows)

    def vector(self, text: str) -> list[float]:
        """The sum of the rows of `text`'s tokens, stop words and unknown words left out."""
        total = [0.0] * self.dim
        for word in basic_words(text):
            if word in STOP_WORDS or not word.isalnum():
                continue
            for piece in pieces(word, self.vocab) or ():
                row = self.vocab[piece] * self.dim
                scale = self.scales[self.vocab[piece]]
                values = self.rows[row : row + self.dim]
                total = [t + scale * v for t, v in zip(total, values, strict=True)]
        return total


@lru_cache(maxsize=1)
def load(path: Path = TABLE) -> WordVectors:
    """The shipped table, read once per process."""
    return WordVectors.parse(path.read_bytes())


def pack(vector: Sequence[float]) -> str:
    """A vector as the index stores it: unit direction, int8, base64 (empty for a zero vector)."""
    peak = max((abs(v) for v in vector), default=0.0)
    if peak == 0:
        return ""
    values = array("b", (round(v * QUANT / peak) for v in vector))
    return base64.b64encode(values.tobytes()).decode()


def unpack(packed: str) -> bytes:
    """A stored vector's int8 values (empty when the tool had no known words)."""
    return base64.b64decode(packed)


class VectorMatrix:
    """Many int8 vectors, dotted with a query all at once in pure Python.

    A plain loop costs ~4 ms for 1,000 tools of 64 values. Here each dimension is one big
    integer holding every tool's value (offset by 128 to be non-negative) in its own 32-bit slot:
    64 big-integer multiply-adds by the query's values compute all the dot products in C, and
    the slots never carry into each other (64 * 255 * 255 < 2**32). The offsets come back out
    with each tool's and the query's value sums.
    """

    def __init__(self, vectors: Sequence[bytes]) -> None:
        self.count = len(vectors)
        self.dim = max((len(v) for v in vectors), default=0)
        rows = [array("b", v) if v and len(v) == self.dim else None for v in vectors]
        self.present = [row is not None for row in rows]
        zero = array("b", bytes(self.dim))
        rows = [row or zero for row in rows]
        self._sums = [sum(row) for row in rows]
        self._norms = [math.sqrt(sum(v * v for v in row)) for row in rows]
        self._columns = [_packed(row[d] + _OFFSET for row in rows) for d in range(self.dim)]

    def cosines(self, query: Sequence[int]) -> list[float]:
        """Cosine of `query` (int8 values) with every vector (0 for a missing one)."""
        norm = math.sqrt(sum(v * v for v in query))
        if not norm or not self.count:
            return [0.0] * self.count
        total = 0
        for value, column in zip(query, self._columns, strict=True):
            total += (value + _OFFSET) * column
        slots = array("I", total.to_bytes(4 * self.count, "little"))
        if slots.itemsize != 4:
            raise RuntimeError("array('I') is not 32-bit on this platform")
        query_sum = sum(query) + _OFFSET * len(query)
        shift = _OFFSET * _OFFSET * len(query)
        return [
            (slot - _OFFSET * (own + _OFFSET * len(query)) - _OFFSET * query_sum + shift)
            / (norm * own_norm)
            if own_norm
            else 0.0
            for slot, own, own_norm in zip(slots, self._sums, self._norms, strict=True)
        ]


_OFFSET = 128


def _packed(values: Iterable[int]) -> int:
    """Non-negative values below 2**8 in consecutive 32-bit slots, the first lowest."""
    return int.from_bytes(array("I", values).tobytes(), "little")


def quantized(vector: Sequence[float]) -> list[int]:
    """`vector` as int8 values, its largest at +-127 (zeros stay zeros)."""
    peak = max((abs(v) for v in vector), default=0.0)
    return [round(v * QUANT / peak) for v in vector] if peak else [0] * len(vector)
