"""Experiment (issue 15), TUNED set only: static per-word meaning vs the sentence model.

    python -m bench.static_experiment [--cache /tmp/static] [--words words-pieces.npz] [--sweep]

For every task file of bench/tasks/search (never the held-out set), lexical (words only) and
fusions with `semantic.fuse` (lexical / best + w * cosine over the lexical top 30 and the dense
top 10) of:

- V1: query AND tool vectors from the static word table (`search/meaning.py`), no model;
- V2: query vectors from the table, tool vectors from the sentence model (centred and projected
  with the table's PCA basis);
- V3: the sentence model on both sides (the opt-in `semantic` signal).

Tables are made in memory from scripts/distill_words.py's cache (`--cache`/words.npz), so dims,
vocabulary size and weights can be swept. Needs numpy and the model (dev time).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adaptgen.evaluation.search import DEPTH, read_tasks
from adaptgen.search.meaning import WordTable
from adaptgen.search.semantic import LEXICAL_K, fuse, tool_texts, unpack

REPO = Path(__file__).resolve().parents[1]
TUNED = REPO / "bench" / "tasks" / "search"


def distiller() -> Any:
    path = REPO / "scripts" / "distill_words.py"
    spec = importlib.util.spec_from_file_location("distill_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Spec:
    name: str
    queries: list[str]
    expect: list[frozenset[str]]
    names: list[str]
    operation: dict[str, str]
    lexical: list[list[tuple[str, float]]]
    texts: list[tuple[str, ...]]  # each tool's renderings
    fields: list[dict[str, str]]
    tool_ctx: np.ndarray  # tools x 384 (the index's semantic vectors)
    query_ctx: np.ndarray  # queries x 384 (mean of whole and asking clause)


def prepare(path: Path, cache: Path) -> Spec:
    stored = cache / f"spec-{path.stem}.pkl"
    if stored.is_file():
        return pickle.loads(stored.read_bytes())
    from adaptgen.evaluation.search import index_for
    from adaptgen.search.rank import SearchEngine
    from adaptgen.search.sentence_model import encoder

    task_file = read_tasks(path)
    api, index = index_for(task_file.spec, task_file.hints, semantic=True, meaning=False)
    entries = index["tools"]
    lexical_index = {
        **index,
        "tools": [{k: v for k, v in e.items() if k != "semantic"} for e in entries],
    }
    engine = SearchEngine(lexical_index)
    tools = {t.name: t for t in api.tools}
    texts = []
    for e in entries:
        tool = tools.get(e["name"])
        title = (tool.title or "") if tool else ""
        description = tool.description if tool else ""
        if tool is None:
            chain = next(c for c in api.chains if c.name == e["name"])
            description = chain.description
        texts.append(tool_texts(e, title, description))
    queries = [t.query for t in task_file.tasks]
    model = encoder()
    query_ctx = np.asarray(model.encode(queries))  # each query as written, as search does
    spec = Spec(
        task_file.spec.name,
        queries,
        [frozenset(t.expect) for t in task_file.tasks],
        [e["name"] for e in entries],
        {t.name: t.operation_id for t in api.tools if not t.hidden},
        [[(h.name, h.score) for h in engine.search(q, limit=LEXICAL_K)] for q in queries],
        texts,
        [e.get("fields", {}) for e in entries],
        np.array([unpack(e["semantic"]) for e in entries], np.float32),
        query_ctx,
    )
    stored.write_bytes(pickle.dumps(spec))
    return spec


def rates(spec: Spec, ranked: list[list[str]]) -> tuple[int, int, float]:
    top1 = top3 = 0
    reciprocal = 0.0
    for names, expect in zip(ranked, spec.expect, strict=True):
        ops = [spec.operation.get(n, n) for n in names[:DEPTH]]
        rank = next((r for r, op in enumerate(ops) if op in expect), None)
        if rank is not None:
            reciprocal += 1 / (rank + 1)
            top1 += rank == 0
            top3 += rank < 3
    return top1, top3, reciprocal


Cos = Callable[[Spec], np.ndarray]  # queries x tools cosines


def fused(spec: Spec, cosines: np.ndarray | None, w: float) -> list[list[str]]:
    if cosines is None:
        return [[n for n, _ in lex] for lex in spec.lexical]
    out = []
    for i, lex in enumerate(spec.lexical):
        by_name = dict(zip(spec.names, cosines[i].tolist(), strict=True))
        out.append([n for n, _ in fuse(lex, by_name, DEPTH, w)])
    return out


def normed(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def static_queries(table: WordTable, spec: Spec) -> np.ndarray:
    return np.array([table.query_vector(q) for q in spec.queries], np.float32)


def static_tools(table: WordTable, spec: Spec, mode: str) -> np.ndarray:
    if mode == "renderings":
        return np.array([table.tool_vector(t) for t in spec.texts], np.float32)
    if mode == "title":
        return np.array([table.text_vector(t[0]) for t in spec.texts], np.float32)
    if mode == "joined":
        return np.array([table.text_vector(" ".join(t)) for t in spec.texts], np.float32)
    raise ValueError(mode)


def report(specs: list[Spec], rows: dict[str, list[list[list[str]]]], per_spec: bool) -> None:
    names = " | ".join(s.name.split("_")[0].split(".")[0] for s in specs)
    print(f"| variant | {names + ' | ' if per_spec else ''}all top-1 | all top-3 | all MRR |")
    print("|" + " --- |" * ((len(specs) if per_spec else 0) + 4))
    total = sum(len(s.queries) for s in specs)
    for label, ranked in rows.items():
        cells, t1, t3, rr = [], 0, 0, 0.0
        for spec, r in zip(specs, ranked, strict=True):
            a, b, c = rates(spec, r)
            n = len(spec.queries)
            cells.append(f"{a / n:.0%}/{b / n:.0%}/{c / n:.3f}")
            t1, t3, rr = t1 + a, t3 + b, rr + c
        shown = " | ".join(cells) + " | " if per_spec else ""
        print(f"| {label} | {shown}{t1 / total:.1%} | {t3 / total:.1%} | {rr / total:.3f} |")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    # The experiment compares with all-MiniLM-L6-v2 itself (V2, V3), not the shipped student.
    from adaptgen.search import sentence_model

    os.environ.setdefault(sentence_model.MODEL_ENV, str(sentence_model.teacher_source()))
    sentence_model.encoder.cache_clear()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/static"))
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument(
        "--words", default="words-pieces.npz", help="the distiller's cache, in --cache"
    )
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    specs = [prepare(p, args.cache) for p in sorted(TUNED.glob("*.yaml"))]
    d = distiller()
    data = d.cached(args.cache / args.words)
    rows: dict[str, list[list[list[str]]]] = {"lexical": [fused(s, None, 0) for s in specs]}
    rows["V3 contextual w=2"] = [fused(s, normed(s.query_ctx) @ s.tool_ctx.T, 2.0) for s in specs]
    grid = [(30000, 64, 1e-3), (30000, 128, 1e-3)]
    if args.sweep:
        grid = [(t, dim, a) for t in (30000, 60000) for dim in (64, 128) for a in (1e-3, 1e-4, 0)]
    for top, dim, sif in grid:
        chosen = d.chosen_rows(data, top)
        table = WordTable.parse(d.table(data, chosen, dim, sif))
        basis = data["basis"][:dim]
        for spec in specs:
            spec.sq = static_queries(table, spec)  # type: ignore[attr-defined]
        tag = f"{len(chosen) // 1000}k d={dim} a={sif:g}"
        print(tag, len(chosen), file=sys.stderr)
        for mode in ("renderings",) if not args.sweep else ("renderings", "title", "joined"):
            tools = {s.name: static_tools(table, s, mode) for s in specs}
            for w in (1.0, 2.0, 3.0):
                rows[f"V1 {tag} {mode} w={w}"] = [
                    fused(s, s.sq @ tools[s.name].T, w) for s in specs
                ]
            rows[f"V1 {tag} {mode} dense"] = [
                fused(s, 100 * (s.sq @ tools[s.name].T), 1.0) for s in specs
            ]
        for w in (1.0, 2.0, 3.0):
            rows[f"V2 {tag} w={w}"] = [
                fused(s, s.sq @ normed((s.tool_ctx - data["mean"]) @ basis.T).T, w) for s in specs
            ]
    report(specs, rows, per_spec=not args.sweep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
