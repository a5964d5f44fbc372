"""Experiment (issue 15), TUNED set only: lexical vs dense (all-MiniLM-L6-v2) vs fused.

    python -m bench.semantic_experiment /tmp/minilm [--cache FILE]

For every task file of bench/tasks/search (never the held-out set): the lexical ranker as the
bench scores it, the sentence model alone over 3 renderings of each tool, and fusions
(reciprocal-rank, and normalised lexical score + w * cosine over the union of both top-K), with
top-1/top-3/MRR per spec and in all. Needs numpy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adaptgen.evaluation.search import DEPTH, Task, index_for, read_tasks
from adaptgen.search.rank import SearchEngine
from bench.semantic import CachedEncoder, Encoder, ask, render

TUNED = Path(__file__).resolve().parent / "tasks" / "search"
LEX_K = 30


@dataclass
class Spec:
    name: str
    tasks: list[Task]
    names: list[str]  # the index's tool names, in order
    operation: dict[str, str]
    lexical: list[list[tuple[str, float]]]  # per task: (tool, score), best first
    cosines: dict[str, np.ndarray]  # per rendering: tasks x tools


def prepare(path: Path, encoder: CachedEncoder, modes: list[str]) -> Spec:
    task_file = read_tasks(path)
    api, index = index_for(task_file.spec, task_file.hints)
    engine = SearchEngine(index)
    by_name = {t.name: t for t in api.tools}
    entries = index["tools"]
    names = [e["name"] for e in entries]
    operation = {t.name: t.operation_id for t in api.tools if not t.hidden}
    tasks = list(task_file.tasks)
    lexical = [[(h.name, h.score) for h in engine.search(t.query, limit=LEX_K)] for t in tasks]
    queries = encoder.encode([t.query for t in tasks])
    asks = encoder.encode([ask(t.query) for t in tasks])
    cosines = {}
    for mode in modes:
        texts = [render(mode, e, by_name.get(e["name"])) for e in entries]
        cosines[mode] = queries @ encoder.encode(texts).T
        cosines[mode + " ask"] = asks @ encoder.encode(texts).T
    views = np.stack([cosines[m] for m in modes])
    cosines["max"] = views.max(axis=0)
    cosines["mean"] = views.mean(axis=0)
    asked = np.stack([cosines[m + " ask"] for m in modes])
    cosines["mean ask"] = asked.mean(axis=0)
    cosines["mean both"] = (asked.mean(axis=0) + views.mean(axis=0)) / 2
    return Spec(task_file.spec.name, tasks, names, operation, lexical, cosines)


Fuser = Callable[[Spec, int], list[str]]  # spec, task number -> tool names, best first


def lexical_only(spec: Spec, i: int) -> list[str]:
    return [name for name, _ in spec.lexical[i]]


def dense_only(mode: str) -> Fuser:
    def rank(spec: Spec, i: int) -> list[str]:
        cos = spec.cosines[mode][i]
        return [spec.names[j] for j in np.argsort(-cos, kind="stable")[:DEPTH]]

    return rank


def rrf(mode: str, k: float, w: float, dense_k: int = LEX_K) -> Fuser:
    def rank(spec: Spec, i: int) -> list[str]:
        fused: dict[str, float] = {}
        for r, (name, _) in enumerate(spec.lexical[i]):
            fused[name] = 1 / (k + r + 1)
        cos = spec.cosines[mode][i]
        for r, j in enumerate(np.argsort(-cos, kind="stable")[:dense_k]):
            name = spec.names[j]
            fused[name] = fused.get(name, 0.0) + w / (k + r + 1)
        return sorted(fused, key=lambda n: -fused[n])[:DEPTH]

    return rank


def linear(
    mode: str, w: float, dense_k: int = 10, floor: float = 0.0, relative: bool = False
) -> Fuser:
    """Lexical score / best lexical score + w * cosine, over both top lists."""

    def rank(spec: Spec, i: int) -> list[str]:
        cos = spec.cosines[mode][i]
        position = {n: j for j, n in enumerate(spec.names)}
        lexical = dict(spec.lexical[i])
        best = max(lexical.values(), default=1.0) or 1.0
        if relative:  # the query's best cosine counts 1
            cos = cos / max(float(cos.max()), 1e-6)
        pool = set(lexical) | {spec.names[j] for j in np.argsort(-cos)[:dense_k]}
        fused = {
            n: lexical.get(n, 0.0) / best + w * max(float(cos[position[n]]) - floor, 0.0)
            for n in pool
        }
        return sorted(fused, key=lambda n: (-fused[n], n))[:DEPTH]

    return rank


def scores(spec: Spec, fuser: Fuser) -> tuple[int, int, float]:
    top1 = top3 = 0
    reciprocal = 0.0
    for i, task in enumerate(spec.tasks):
        ranked = [spec.operation.get(n, n) for n in fuser(spec, i)]
        rank = next((r for r, op in enumerate(ranked[:DEPTH]) if op in task.expect), None)
        if rank is not None:
            reciprocal += 1 / (rank + 1)
            top1 += rank == 0
            top3 += rank < 3
    return top1, top3, reciprocal


def report(specs: list[Spec], variants: dict[str, Fuser], per_spec: bool) -> None:
    head = "| variant | " + (
        " | ".join(s.name.split("_")[0] for s in specs) + " | " if per_spec else ""
    )
    print(head + "all top-1 | all top-3 | all MRR |")
    print("|" + " --- |" * (head.count("|") + 2))
    total = sum(len(s.tasks) for s in specs)
    for label, fuser in variants.items():
        cells, t1, t3, rr = [], 0, 0, 0.0
        for spec in specs:
            a, b, c = scores(spec, fuser)
            n = len(spec.tasks)
            cells.append(f"{a / n:.0%}/{b / n:.0%}/{c / n:.3f}")
            t1, t3, rr = t1 + a, t3 + b, rr + c
        shown = " | ".join(cells) + " | " if per_spec else ""
        print(f"| {label} | {shown}{t1 / total:.1%} | {t3 / total:.1%} | {rr / total:.3f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sem/vectors.npz"))
    parser.add_argument("--sweep", action="store_true", help="the fusion grids too")
    args = parser.parse_args(argv)
    encoder = CachedEncoder(Encoder(args.model), args.cache)
    modes = ["summary", "summary+desc", "sentence"]
    specs = []
    for path in sorted(TUNED.glob("*.yaml")):
        spec = prepare(path, encoder, modes)
        specs.append(spec)
        print(f"{spec.name}: {len(spec.names)} tools, {len(spec.tasks)} tasks", file=sys.stderr)
    variants: dict[str, Fuser] = {"lexical": lexical_only}
    variants |= {f"dense {m}": dense_only(m) for m in modes}
    variants |= {f"rrf {m} k=60 w=1": rrf(m, 60, 1.0) for m in modes}
    variants |= {f"linear {m} w=0.5": linear(m, 0.5) for m in modes}
    views = [*modes, "max", "mean"]
    variants |= {f"dense {m}": dense_only(m) for m in ("max", "mean")}
    variants |= {f"linear {m} w=2": linear(m, 2.0) for m in views}
    variants |= {f"dense {m}": dense_only(m) for m in ("mean ask", "mean both")}
    variants |= {f"linear {m} w=2": linear(m, 2.0) for m in ("mean ask", "mean both")}
    report(specs, variants, per_spec=True)
    if args.sweep:
        grid: dict[str, Fuser] = {}
        for m in (*views, "mean ask", "mean both"):
            for w in (1.0, 1.5, 2.0, 3.0, 4.0):
                for floor in (0.0, 0.2, 0.3):
                    grid[f"linear {m} w={w} floor={floor}"] = linear(m, w, 10, floor)
                grid[f"linear {m} w={w} relative"] = linear(m, w, 10, 0.0, True)
        for m in ():
            for k in (5, 10, 20, 60):
                for w in (0.5, 0.75, 1.0, 1.5):
                    grid[f"rrf {m} k={k} w={w}"] = rrf(m, k, w)
            for w in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0):
                for dk in (5, 10, 20):
                    grid[f"linear {m} w={w} dk={dk}"] = linear(m, w, dk)
        report(specs, grid, per_spec=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
