"""`adaptgen eval TASKS.yaml`: how often search puts the right tool first, or in the top 3.

A task file names a spec and lists what users ask, each with the operationId(s) that answer it:

    spec: ../specs/github.json        # relative to the task file
    hints: github.hints.yaml          # optional, relative too
    tasks:
      - query: "open a bug report on the repo about the broken build"
        expect: [issues/create]       # any one of them counts as the hit

The index is built exactly as `adaptgen build` builds it (same planner, hints and keywords), so
the figures are those of the generated server's `search_tools`. `--vs fastmcp` scores FastMCP's
BM25SearchTransform over `FastMCP.from_openapi` on the same tasks, mapping its tools back to
operationIds through the route each was made from.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from adaptgen.errors import InputError, Location
from adaptgen.load.source import SourceFile, join_pointer, read_source
from adaptgen.search.rank import SearchEngine

if TYPE_CHECKING:
    from adaptgen.runtime.catalog import Catalog as Api

DEPTH = 10  # ranks looked at for the mean reciprocal rank
Ranker = Callable[[str], list[str]]  # query -> operationIds, best first


@dataclass(frozen=True)
class Task:
    """One query and the operationIds that answer it."""

    query: str
    expect: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class TaskFile:
    """A parsed task file."""

    path: Path
    spec: Path
    hints: Path | None
    tasks: tuple[Task, ...]


@dataclass
class Scores:
    """top-1, top-3 and MRR of one ranker over a task file, and the tasks it missed."""

    ranker: str
    tasks: int = 0
    top1: int = 0
    top3: int = 0
    reciprocal: float = 0.0
    misses: list[tuple[Task, list[str]]] = field(default_factory=list)

    def add(self, task: Task, ranked: list[str]) -> None:
        self.tasks += 1
        rank = next((i for i, op in enumerate(ranked[:DEPTH]) if op in task.expect), None)
        if rank is not None:
            self.reciprocal += 1 / (rank + 1)
            self.top1 += rank == 0
            self.top3 += rank < 3
        if rank is None or rank >= 3:
            self.misses.append((task, ranked[:3]))

    def as_dict(self) -> dict[str, Any]:
        n = max(self.tasks, 1)
        return {
            "ranker": self.ranker,
            "tasks": self.tasks,
            "top1": round(self.top1 / n, 4),
            "top3": round(self.top3 / n, 4),
            "mrr": round(self.reciprocal / n, 4),
            "misses": [
                {"where": str(t.location), "query": t.query, "expect": list(t.expect), "got": got}
                for t, got in self.misses
            ],
        }


def read_tasks(path: Path, spec: Path | None = None, hints: Path | None = None) -> TaskFile:
    """Parse and check a task file (every problem is an InputError at its file:line)."""
    source = read_source(path)
    data = source.data
    if not isinstance(data, dict):
        raise InputError("a task file is a mapping with `spec` and `tasks`", source.location(""))
    unknown = sorted(set(data) - {"spec", "hints", "tasks"})
    if unknown:
        raise InputError(
            f"unknown key {unknown[0]!r} (expected spec, hints, tasks)",
            source.location(join_pointer(unknown[0])),
        )
    spec_path = spec or _relative_file(source, path, data, "spec", required=True)
    hints_path = hints or _relative_file(source, path, data, "hints", required=False)
    raw = data.get("tasks")
    if not isinstance(raw, list) or not raw:
        raise InputError("`tasks` must be a non-empty list", source.location("/tasks"))
    tasks = tuple(_task(source, index, item) for index, item in enumerate(raw))
    assert spec_path is not None
    return TaskFile(path, spec_path, hints_path, tasks)


def _relative_file(
    source: SourceFile, path: Path, data: dict[str, Any], key: str, *, required: bool
) -> Path | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"`{key}` must be a path (relative to the task file)", source.location(f"/{key}")
        )
    resolved = (path.parent / value).resolve()
    if not resolved.is_file():
        raise InputError(f"{key} file not found: {resolved}", source.location(f"/{key}"))
    return resolved


def _task(source: SourceFile, index: int, item: Any) -> Task:
    at = f"/tasks/{index}"
    if not isinstance(item, dict):
        raise InputError("a task is a mapping with `query` and `expect`", source.location(at))
    unknown = sorted(set(item) - {"query", "expect"})
    if unknown:
        raise InputError(
            f"unknown key {unknown[0]!r} in a task (expected query, expect)",
            source.location(f"{at}/{join_pointer(unknown[0])[1:]}"),
        )
    query = item.get("query")
    if not isinstance(query, str) or not query.strip():
        raise InputError("`query` must be a non-empty string", source.location(f"{at}/query"))
    expect = item.get("expect")
    if isinstance(expect, str):
        expect = [expect]
    if not isinstance(expect, list) or not expect or not all(isinstance(e, str) for e in expect):
        raise InputError(
            "`expect` must be a non-empty list of operationIds", source.location(f"{at}/expect")
        )
    return Task(query.strip(), tuple(expect), source.location(at))


def check_expected(task_file: TaskFile, operation_ids: Sequence[str]) -> None:
    """Every expected operationId must be a tool of the spec: a typo must not pass as a miss."""
    from adaptgen.hints import did_you_mean

    known = set(operation_ids)
    for task in task_file.tasks:
        for op in task.expect:
            if op not in known:
                raise InputError(
                    f"operationId {op!r} is not a tool of {task_file.spec.name}"
                    f"{did_you_mean(op, sorted(known))}",
                    task.location,
                )


def index_for(spec: Path, hints: Path | None) -> tuple[Api, SearchEngine]:
    """The IR and our search engine over the index `adaptgen build` would write."""
    from adaptgen.build import BuildOptions, planned
    from adaptgen.hints import search_keywords
    from adaptgen.search.index import build_index

    result, loaded = planned(BuildOptions(spec=spec, hints=hints, name="evaluated"))
    return result.api, SearchEngine(build_index(result.api, search_keywords(loaded)))


def engine_ranker(api: Api, engine: SearchEngine) -> Ranker:
    """Our search, answering operationIds."""
    operation = {t.name: t.operation_id for t in api.tools if not t.hidden}

    def rank(query: str) -> list[str]:
        return [operation.get(h.name, h.name) for h in engine.search(query, limit=DEPTH)]

    return rank


def adaptgen_ranker(spec: Path, hints: Path | None) -> tuple[Ranker, list[str]]:
    """Our search over `spec`, and the operationIds of its tools."""
    api, engine = index_for(spec, hints)
    operations = [t.operation_id for t in api.tools if not t.hidden and t.operation_id]
    return engine_ranker(api, engine), operations


def fastmcp_ranker(spec: Path) -> Ranker:
    """FastMCP's BM25SearchTransform over `FastMCP.from_openapi` of the same (3.x) document."""
    import httpx2
    from fastmcp import FastMCP
    from fastmcp.server.transforms.search import BM25SearchTransform

    from adaptgen.load import load_spec

    document = load_spec(spec).document
    server = FastMCP.from_openapi(document, client=httpx2.AsyncClient(base_url="http://127.0.0.1"))
    tools = asyncio.run(server.list_tools())
    transform = BM25SearchTransform(max_results=DEPTH)

    def operation_of(tool: Any) -> str:
        route = getattr(tool, "_route", None)
        return (route.operation_id if route is not None else None) or tool.name

    def rank(query: str) -> list[str]:
        found = asyncio.run(transform._search(tools, query))
        return [operation_of(tool) for tool in found]

    return rank


def evaluate(task_file: TaskFile, vs_fastmcp: bool = False) -> list[Scores]:
    """Score our search (and FastMCP's, when asked) over every task of the file."""
    ours, operation_ids = adaptgen_ranker(task_file.spec, task_file.hints)
    check_expected(task_file, operation_ids)
    rankers: list[tuple[str, Ranker]] = [("adaptgen", ours)]
    if vs_fastmcp:
        rankers.append(("fastmcp-bm25", fastmcp_ranker(task_file.spec)))
    return [score(name, task_file.tasks, rank) for name, rank in rankers]


def score(name: str, tasks: Sequence[Task], rank: Ranker) -> Scores:
    """One ranker's scores over `tasks`."""
    scores = Scores(name)
    for task in tasks:
        scores.add(task, rank(task.query))
    return scores


def add_eval_parser(commands: Any) -> None:
    """Register `adaptgen eval` on the CLI's subcommands."""
    parser = commands.add_parser(
        "eval", help="score search on a task file: top-1, top-3, MRR, the misses"
    )
    parser.add_argument("tasks", type=Path, help="task file (YAML): spec + tasks")
    parser.add_argument("--spec", type=Path, help="the spec (default: the task file's `spec`)")
    parser.add_argument("--hints", type=Path, help="hints file (default: the task file's)")
    parser.add_argument("--min-top3", type=float, help="exit 1 when top-3 is below this (0-1)")
    parser.add_argument(
        "--vs", choices=["fastmcp"], help="also score FastMCP's BM25 search on the same tasks"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The `adaptgen eval` command: 0, or 1 when top-3 is under `--min-top3`."""
    out = out or sys.stdout
    task_file = read_tasks(args.tasks, args.spec, args.hints)
    results = evaluate(task_file, vs_fastmcp=args.vs == "fastmcp")
    if args.format == "json":
        payload = {"tasks_file": str(args.tasks), "spec": task_file.spec.name}
        json.dump({**payload, "results": [s.as_dict() for s in results]}, out, indent=2)
        out.write("\n")
    else:
        print_scores(task_file, results, out)
    ours = results[0]
    if args.min_top3 is not None and ours.top3 / max(ours.tasks, 1) < args.min_top3:
        print(
            f"top-3 {ours.top3 / ours.tasks:.1%} is under --min-top3 {args.min_top3:.1%}",
            file=sys.stderr,
        )
        return 1
    return 0


def print_scores(task_file: TaskFile, results: list[Scores], out: TextIO) -> None:
    """The table, then our misses (where the right tool was not in the top 3)."""
    print(f"{task_file.spec.name}: {len(task_file.tasks)} tasks ({task_file.path})", file=out)
    print(f"  {'ranker':<14} {'top-1':>7} {'top-3':>7} {'MRR':>6}", file=out)
    for scores in results:
        n = max(scores.tasks, 1)
        print(
            f"  {scores.ranker:<14} {scores.top1 / n:>7.1%} {scores.top3 / n:>7.1%} "
            f"{scores.reciprocal / n:>6.3f}",
            file=out,
        )
    misses = results[0].misses
    if misses:
        print(f"  misses ({results[0].ranker}, not in the top 3): {len(misses)}", file=out)
        for task, got in misses:
            print(f"    {task.location}: {task.query!r}", file=out)
            print(
                f"      expected {', '.join(task.expect)}; got {', '.join(got) or 'nothing'}",
                file=out,
            )
