"""What people asked other APIs' tools for, read into a build's tool vectors.

The sentence encoder was tuned on 36,408 requests written for 22,214 tools of 360 corpus APIs
(`scripts/tune_encoder.py`); three layers hold only part of what those pairs teach. The memory
(`request-memory.safetensors` beside this file, written by `scripts/request_memory.py`) keeps
them as the shipped encoder reads them: for each of those tools, the vector of the text a build
encodes for it (a key) and the mean vector of the requests written for it (a value).

A build (`blended`, called by `semantic.encode_tools`) reads each of its own tools against the
memory: the `MEMORY_K` tools of other APIs nearest it, the mean of the requests they were asked
by, weighted by a softmax of their cosines at `MEMORY_TEMPERATURE`, and stores the tool's vector
as `(1 - MEMORY_WEIGHT) * itself + MEMORY_WEIGHT * that mean`. A tool thereby also sits where
requests for tools like it were worded ("bounce the box" for a reboot), on an API none of them
was for: no request of an API the task sets or `bench.request_bench --unseen` measure is in the
memory (a test reads the file's list of APIs). A search does nothing more: the query is
encoded and dotted with the stored vectors as before, so a server costs what it did and does not
ship the memory (`ship.contents` leaves it out of the Lambda zip).

To stay small, keys and values are kept as their first `dims` principal components (the mean
and the components beside them, float32), each row int8 with a float32 scale, as the encoder's
weights are. A key's cosine with a tool is, but for a constant the softmax ignores, the dot
product of its components with the tool's. Everything a build does with the memory is float64,
as its encoding is, so another CPU's rounding reaches no stored vector.

The memory is the shipped encoder's: it is used only with the model whose identity its
metadata names (with `ADAPTGEN_SEMANTIC_MODEL` naming another model, a build encodes its tools
with that model alone).
"""

from __future__ import annotations

import json
import struct
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptgen.search.sentence_model import read_safetensors, safetensors_bytes

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "MEMORY",
    "MEMORY_FORMAT",
    "MEMORY_K",
    "MEMORY_TEMPERATURE",
    "MEMORY_WEIGHT",
    "Memory",
    "memory_for",
    "write",
]

MEMORY = Path(__file__).with_name("request-memory.safetensors")
MEMORY_FORMAT = "adaptgen-request-memory 1"
# Chosen on the tuned task set and the 74 unseen corpus APIs (docs/DESIGN.md, "A memory of
# requests, read into the tools").
MEMORY_K = 20  # tools of other APIs read for each tool
MEMORY_TEMPERATURE = 0.05  # of the softmax of their cosines
MEMORY_WEIGHT = 0.2  # of their requests' mean in a tool's stored vector
BLOCK = 32  # a build's tools read against the memory at once (6 MB of cosines)


class Memory:
    """Keys (other APIs' tools) and values (the mean of the requests each was asked by), both
    reduced; `blended(vectors)` reads a build's tool vectors against them."""

    def __init__(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        import numpy as np

        def rows(name: str) -> np.ndarray:
            scaled = np.asarray(tensors[name], np.float64)
            scaled *= np.asarray(tensors[f"{name}.scale"], np.float64)[:, None]
            return scaled

        # Each key's components (tools, dims), kept negated and transposed, (dims, tools): a
        # block of tools times it is their distances' order as `argpartition` wants it, in one
        # product of contiguous rows (1.2x faster than by `keys.T`, and no pass to negate).
        self._against = np.ascontiguousarray(-rows("keys").T)
        self.key_basis = np.asarray(tensors["keys.basis"], np.float64)  # (dims, 384)
        self.values = rows("values")  # (tools, dims): its requests' mean, centred, components
        self.value_basis = np.asarray(tensors["values.basis"], np.float64)
        self.value_mean = np.asarray(tensors["values.mean"], np.float64)
        self.encoder = str(meta.get("encoder", ""))
        self.apis: tuple[str, ...] = tuple(json.loads(meta.get("apis", "[]")))
        self.requests = int(meta.get("requests", 0))

    @property
    def keys(self) -> np.ndarray:
        """Each key's components, (tools, dims)."""
        return -self._against.T

    @classmethod
    def read(cls, raw: bytes) -> Memory:
        (length,) = struct.unpack("<Q", raw[:8])
        meta = json.loads(raw[8 : 8 + length]).get("__metadata__") or {}
        if meta.get("format") != MEMORY_FORMAT:
            raise ValueError(f"not a request memory of format {MEMORY_FORMAT!r}")
        return cls(read_safetensors(raw), meta)

    def recalled(
        self, vectors: np.ndarray, k: int = MEMORY_K, temperature: float = MEMORY_TEMPERATURE
    ) -> np.ndarray:
        """For each row of `vectors` (the encoder's unit vectors, float64), the unit vector of
        the requests of the `k` keys nearest it, weighted by softmax(cosine / temperature)."""
        import numpy as np

        vectors = np.asarray(vectors, np.float64)
        k = min(k, self._against.shape[1])
        recalled = np.empty_like(vectors)
        # A block of rows at a time: a row's cosines with every key are 180 KB of float64,
        # and its order as many of int64.
        for at in range(0, len(vectors), BLOCK):
            block = vectors[at : at + BLOCK]
            far = (block @ self.key_basis.T) @ self._against  # -cosines, less a constant a row
            top = np.argpartition(far, k - 1, axis=1)[:, :k]
            close = -np.take_along_axis(far, top, axis=1)
            weights = np.exp((close - close.max(axis=1, keepdims=True)) / temperature)
            weights /= weights.sum(axis=1, keepdims=True)
            centred = np.einsum("tk,tkd->td", weights, self.values[top])
            recalled[at : at + BLOCK] = self.value_mean + centred @ self.value_basis
        norms = np.linalg.norm(recalled, axis=1, keepdims=True)
        return recalled / np.where(norms > 0, norms, 1)

    def blended(self, vectors: np.ndarray, weight: float = MEMORY_WEIGHT) -> np.ndarray:
        """`vectors` (float64 rows) moved `weight` of the way to what they recall; a zero row
        (a tool without a text) stays zero."""
        import numpy as np

        vectors = np.asarray(vectors, np.float64)
        if not len(vectors):
            return vectors
        out = (1 - weight) * vectors + weight * self.recalled(vectors)
        out[~np.any(vectors, axis=1)] = 0.0
        return out


@lru_cache(maxsize=1)
def _shipped() -> Memory | None:
    return Memory.read(MEMORY.read_bytes()) if MEMORY.is_file() else None


def memory_for(model: Any) -> Memory | None:
    """The shipped memory when `model` is the encoder it was made with, else None (another
    model's vectors are in another space; a test double has no identity)."""
    running = getattr(model, "identity", None)
    if not running:
        return None
    memory = _shipped()
    return memory if memory is not None and memory.encoder == running else None


def write(out: Path, keys: np.ndarray, values: np.ndarray, dims: int, meta: dict[str, str]) -> None:
    """A memory file: `keys` (tools x 384, the encoder's unit vectors of other APIs' tools) and
    `values` (one row a key: the mean of its requests' vectors), each reduced to its first
    `dims` principal components (float64) and written int8 with a scale a row. `meta`: at least
    `encoder` (the identity of the model that made the rows), `apis` (a JSON list of the specs
    the requests are of) and `requests` (how many)."""
    import numpy as np

    tensors: dict[str, tuple[np.ndarray, str]] = {}
    for name, matrix in (("keys", keys), ("values", values)):
        matrix = np.asarray(matrix, np.float64)
        mean = matrix.mean(axis=0)
        _, _, components = np.linalg.svd(matrix - mean, full_matrices=False)
        basis = components[:dims]
        # A component may come out negated on another machine: each is turned so that its
        # largest entry is positive.
        largest = basis[np.arange(len(basis)), np.abs(basis).argmax(axis=1)]
        basis *= np.where(largest < 0, -1.0, 1.0)[:, None]
        # A key's components are of the key itself (a cosine less a constant); a value's are of
        # its difference from the values' mean, which a recalled vector adds back.
        reduced = (matrix if name == "keys" else matrix - mean) @ basis.T
        peak = np.abs(reduced).max(axis=1)
        scale = np.where(peak > 0, peak / 127, 1.0)
        ints = np.clip(np.rint(reduced / scale[:, None]), -127, 127).astype(np.int8)
        tensors[name] = (ints, "I8")
        tensors[f"{name}.scale"] = (scale.astype(np.float32), "F32")
        tensors[f"{name}.basis"] = (basis.astype(np.float32), "F32")
        if name == "values":
            tensors["values.mean"] = (mean.astype(np.float32), "F32")
    tensors = dict(sorted(tensors.items()))
    out.write_bytes(safetensors_bytes(tensors, {"format": MEMORY_FORMAT, **meta}))
