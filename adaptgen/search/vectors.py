"""Meaning vectors as the index stores them, and their cosines in pure Python (no numpy).

A vector is kept as its unit direction in int8, base64 (`pack`): the sentence-model vectors
(`semantic.py`) and the static word-meaning vectors (`meaning.py`) of an index's tools alike.
`VectorMatrix` dots a query with every stored vector at once.
"""

from __future__ import annotations

import base64
import math
from array import array
from collections.abc import Iterable, Sequence

__all__ = ["QUANT", "VectorMatrix", "pack", "quantized", "unpack"]

QUANT = 127


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
