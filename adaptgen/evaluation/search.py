"""Search scoring: how often `search_tools` puts a scenario's first expected tool first, or
in the top 3 (`adaptgen eval FILE --mode search`).

Every scenario of a file that names a `spec` is a search task: its prompt is the query, the
tool(s) or operationId(s) of its first call the answer (any one of a list counts as the hit).
A search-only file needs nothing else::

    spec: ../specs/github.json        # relative to the file
    scenarios:
      - prompt: "open a bug report on the repo about the broken build"
        calls: [{operation: issues/create}]

The index is built exactly as `adaptgen build` builds it (same planner, hints and keywords), so
the figures are those of the generated server's `search_tools`. `--vs fastmcp` scores FastMCP's
BM25SearchTransform over `FastMCP.from_openapi` on the same tasks, mapping its tools back to
operationIds through the route each was made from.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from adaptgen.errors import InputError, Location
from adaptgen.search.rank import SearchEngine

if TYPE_CHECKING:
    from adaptgen.evaluation.keywords import Advice
    from adaptgen.evaluation.scenarios import ScenarioFile
    from adaptgen.runtime.catalog import Catalog as Api

DEPTH = 10  # ranks looked at for the mean reciprocal rank
Ranker = Callable[[str], list[str]]  # query -> operationIds, best first


@dataclass(frozen=True)
class Task:
    """One query and the operationIds (or, `by_tool`, the tool names) that answer it."""

    query: str
    expect: tuple[str, ...]
    location: Location
    by_tool: bool = False


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


def read_tasks(path: Path) -> TaskFile:
    """The search tasks of a scenario file (every problem an InputError at its file:line)."""
    from adaptgen.evaluation.scenarios import read_scenarios

    return search_tasks(read_scenarios(path))


def search_tasks(scenarios: ScenarioFile) -> TaskFile:
    """One task per scenario: its prompt, and the names its first call gives."""
    if scenarios.spec is None:
        raise InputError(
            "search scoring builds the index from the spec: this file names no `spec`",
            scenarios.location(),
        )
    tasks = tuple(
        Task(
            scenario.prompt.strip(),
            scenario.calls[0].operations or scenario.calls[0].tools,
            scenarios.where(scenario),
            by_tool=not scenario.calls[0].operations,
        )
        for scenario in scenarios.scenarios
    )
    return TaskFile(scenarios.path, scenarios.spec, scenarios.hints, tasks)


def check_expected(task_file: TaskFile, api: Api) -> TaskFile:
    """The tasks with every expected name an operationId the rankers answer: a tool name is
    mapped to its tool's operationId (a chain keeps its name). A name that is no tool of the
    spec is an InputError: a typo must not pass as a miss."""
    from adaptgen.words import did_you_mean

    operation = {t.name: getattr(t, "operation_id", None) or t.name for t in api.listed}
    operations = {t.operation_id for t in api.tools if not t.hidden and t.operation_id}
    tasks = []
    for task in task_file.tasks:
        known = sorted(operation) if task.by_tool else sorted(operations)
        for name in task.expect:
            if name not in known:
                kind = "tool" if task.by_tool else "operationId"
                raise InputError(
                    f"{kind} {name!r} is not a tool of {task_file.spec.name}"
                    f"{did_you_mean(name, known)}",
                    task.location,
                )
        if task.by_tool:
            task = replace(task, expect=tuple(operation[n] for n in task.expect), by_tool=False)
        tasks.append(task)
    return replace(task_file, tasks=tuple(tasks))


def index_for(
    spec: Path,
    hints: Path | None,
    *,
    semantic: bool | None = None,
    meaning: bool | None = None,
) -> tuple[Api, dict[str, Any]]:
    """The IR and the search index `adaptgen build` would write for it (`semantic`: with the
    sentence encoder's vectors; `meaning`: with the static word-meaning vectors, by default only
    without the encoder's; each as the hints say unless given, see `build_index`)."""
    from adaptgen.build import BuildOptions, planned, search_index

    result, loaded = planned(BuildOptions(spec=spec, hints=hints, name="evaluated"))
    if semantic is None:
        semantic = loaded.hints.search.semantic
    if meaning is None:
        meaning = loaded.hints.search.meaning and not semantic
    return result.api, search_index(result, loaded, semantic=semantic, meaning=meaning)


def hints_file(task_file: TaskFile) -> Path:
    """The hints file a build of the task file's spec reads: the file's `hints`, else
    `<spec stem>.hints.yaml` beside the spec (which may not exist yet)."""
    from adaptgen.hints import default_hints_path

    return task_file.hints or default_hints_path(task_file.spec)


def hinted_examples(task_file: TaskFile) -> dict[str, list[str]]:
    """The example requests the hints file gives, by operationId (none without the file)."""
    from adaptgen.hints import load_hints, search_examples

    path = hints_file(task_file)
    return search_examples(load_hints(path)) if path.is_file() else {}


def engine_ranker(api: Api, engine: SearchEngine) -> Ranker:
    """Our search, answering operationIds."""
    # A tool of an operation without an operationId answers as itself, as `check_expected`
    # names it (a task names such a tool by its name).
    operation = {t.name: t.operation_id or t.name for t in api.tools if not t.hidden}

    def rank(query: str) -> list[str]:
        return [operation.get(h.name, h.name) for h in engine.search(query, limit=DEPTH)]

    return rank


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


def evaluate(task_file: TaskFile, vs_fastmcp: bool = False, suggest: bool = False) -> SearchResult:
    """Score our search (and FastMCP's, when asked) over every task of the file; `suggest`:
    also find the hinted keywords that would fix our misses (`evaluation/keywords.py`)."""
    api, index = index_for(task_file.spec, task_file.hints)
    engine = SearchEngine(index)
    task_file = check_expected(task_file, api)
    rankers: list[tuple[str, Ranker]] = [("adaptgen", engine_ranker(api, engine))]
    if vs_fastmcp:
        rankers.append(("fastmcp-bm25", fastmcp_ranker(task_file.spec)))
    scores = [score(name, task_file.tasks, rank) for name, rank in rankers]
    advice = None
    if suggest:
        from adaptgen.evaluation.keywords import suggest as suggested

        advice = suggested(api, index, engine, task_file.tasks, hinted_examples(task_file))
    return SearchResult(task_file, scores, advice)


def score(name: str, tasks: Sequence[Task], rank: Ranker) -> Scores:
    """One ranker's scores over `tasks`."""
    scores = Scores(name)
    for task in tasks:
        scores.add(task, rank(task.query))
    return scores


@dataclass(frozen=True)
class SearchResult:
    """One file's search scores: ours first, then FastMCP's when asked."""

    task_file: TaskFile
    scores: list[Scores]
    advice: Advice | None = None  # the keywords that would fix our misses, when asked

    def as_dict(self) -> dict[str, Any]:
        found = {"keywords": self.advice.as_dict()} if self.advice is not None else {}
        return {
            "file": str(self.task_file.path),
            "spec": self.task_file.spec.name,
            "results": [s.as_dict() for s in self.scores],
            **found,
        }


def as_text(title: str, results: Sequence[SearchResult]) -> str:
    """Per file: the table, then our misses (where the right tool was not in the top 3)."""
    out = io.StringIO()
    print(title, file=out)
    for result in results:
        print_scores(result.task_file, result.scores, out)
        if result.advice is not None:
            print(result.advice.as_text(hints_file(result.task_file)), end="", file=out)
    return out.getvalue()


def as_markdown(title: str, results: Sequence[SearchResult]) -> str:
    """One table row per file and ranker, for a PR comment."""
    lines = [
        f"### {title}",
        "",
        "| file | ranker | tasks | top-1 | top-3 | MRR |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for result in results:
        for scores in result.scores:
            n = max(scores.tasks, 1)
            lines.append(
                f"| {result.task_file.path.name} | {scores.ranker} | {scores.tasks} | "
                f"{scores.top1 / n:.1%} | {scores.top3 / n:.1%} | {scores.reciprocal / n:.3f} |"
            )
    for result in results:
        if result.advice is not None:
            lines += ["", result.advice.as_markdown(result.task_file.path.name)]
    return "\n".join(lines) + "\n"


def as_dict(title: str, results: Sequence[SearchResult]) -> dict[str, Any]:
    return {"title": title, "files": [r.as_dict() for r in results]}


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
