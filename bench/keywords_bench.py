"""Hinted keywords: how many misses `adaptgen eval --suggest-keywords` fixes, and whether the
words it finds help requests that other people wrote.

Run `python -m bench.keywords_bench [--json FILE]` from the repository root (or `bench/run`).
For every shared spec with a task file in both `bench/tasks/search/` (tuned: ours) and
`bench/tasks/search-heldout/` (written by others, blind to the ranker):

- **fit**: the keywords (and, for misses no word fixes, example requests) suggested from the
  tuned tasks, written into a hints file by `--write-hints`' writer and built as `adaptgen
  build` builds it, and the tuned tasks' top-1 and top-3 without and with them (by
  construction no task ranks its tool lower);
- **others' requests**: the held-out tasks of the same API scored without and with those same
  hints, as a platform team's users would meet them (chosen on the tuned tasks alone);
- **half and half**: the tuned tasks split in two (odd and even lines), keywords suggested on
  one half and the other half scored with them, both ways round: the same check within one
  author's tasks, where the two halves mostly want different tools, so it shows harm more
  than help.

Then the same for example requests (hints `search: {examples: [...]}`): every tuned request
given as an example of the tool it wants, built as `adaptgen build` would with such a hints
file, the held-out tasks scored without and with them, and half against half (the examples of
one half, the other half scored).

Exit 0 either way: it reports.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from adaptgen.evaluation.keywords import suggest
from adaptgen.evaluation.search import (
    Task,
    check_expected,
    engine_ranker,
    index_for,
    read_tasks,
    score,
)
from adaptgen.search.rank import SearchEngine

REPO = Path(__file__).resolve().parents[1]
TUNED = REPO / "bench" / "tasks" / "search"
HELDOUT = REPO / "bench" / "tasks" / "search-heldout"


@dataclass
class Row:
    spec: str
    tasks: int
    not_first: int
    words: int
    examples: int  # requests no word fixed, given as examples of their tools
    tools: int
    fit_top1: tuple[int, int]
    fit_top3: tuple[int, int]
    others: int
    others_top1: tuple[int, int]
    others_top3: tuple[int, int]
    halves_top1: tuple[int, int]
    halves_top3: tuple[int, int]
    seconds: float  # of the suggestion on the tuned tasks


def measure(name: str) -> Row | None:
    """One spec's row, or None when its spec is absent."""
    tuned = read_tasks(TUNED / name)
    heldout = read_tasks(HELDOUT / name)
    if not tuned.spec.is_file():
        print(f"{name}: {tuned.spec} not found, skipped", file=sys.stderr)
        return None
    api, index = index_for(tuned.spec, tuned.hints)
    engine = SearchEngine(index)
    tasks = check_expected(tuned, api).tasks
    others = check_expected(heldout, api).tasks
    start = time.perf_counter()
    advice = suggest(api, index, engine, tasks)
    seconds = time.perf_counter() - start
    with_them = _written(tuned, advice)
    fit = _scores(api, with_them, tasks)
    before, after = _scores(api, engine, others), _scores(api, with_them, others)
    halves = _halves(
        tasks,
        lambda found_on, check: (
            _scores(api, engine, check),
            _scores(api, _written(tuned, suggest(api, index, engine, found_on)), check),
        ),
    )
    return Row(
        spec=tuned.spec.name,
        tasks=len(tasks),
        not_first=len(tasks) - advice.before.top1,
        words=sum(len(s.words) for s in advice.suggestions),
        examples=sum(s.example for s in advice.suggestions),
        tools=len({s.operation for s in advice.suggestions}),
        fit_top1=(advice.before.top1, fit[0]),
        fit_top3=(advice.before.top3, fit[1]),
        others=len(others),
        others_top1=(before[0], after[0]),
        others_top3=(before[1], after[1]),
        halves_top1=halves[0],
        halves_top3=halves[1],
        seconds=seconds,
    )


def _written(tuned: Any, advice: Any) -> SearchEngine:
    """The engine of a build whose hints file (a copy of the task file's, if it names one) has
    `advice` added by `--write-hints`' writer: what a team gets from the command."""
    with tempfile.TemporaryDirectory() as folder:
        hints = Path(folder) / "suggested.hints.yaml"
        if tuned.hints is not None:
            hints.write_bytes(tuned.hints.read_bytes())
        advice.write(hints)
        return SearchEngine(index_for(tuned.spec, hints if hints.is_file() else None)[1])


@dataclass
class ExampleRow:
    spec: str
    examples: int
    tools: int
    others: int
    others_top1: tuple[int, int]
    others_top3: tuple[int, int]
    halves: int
    halves_top1: tuple[int, int]
    halves_top3: tuple[int, int]


def measure_examples(name: str) -> ExampleRow | None:
    """One spec's example-request row, or None when its spec is absent."""
    tuned = read_tasks(TUNED / name)
    if not tuned.spec.is_file():
        return None
    api, index = index_for(tuned.spec, tuned.hints)
    plain = SearchEngine(index)
    tasks = check_expected(tuned, api).tasks
    others = check_expected(read_tasks(HELDOUT / name), api).tasks
    with tempfile.TemporaryDirectory() as folder:
        hints = Path(folder) / "examples.hints.yaml"

        def built(asked: Sequence[Task]) -> tuple[SearchEngine, int]:
            examples: dict[str, list[str]] = {}
            for task in asked:
                examples.setdefault(task.expect[0], []).append(task.query)
            tools = {op: {"search": {"examples": said}} for op, said in examples.items()}
            hints.write_text(json.dumps({"tools": tools}, ensure_ascii=False))
            return SearchEngine(index_for(tuned.spec, hints)[1]), len(examples)

        hinted, tools = built(tasks)
        before, after = _scores(api, plain, others), _scores(api, hinted, others)
        halves = _halves(
            tasks,
            lambda fit, check: (_scores(api, plain, check), _scores(api, built(fit)[0], check)),
        )
    return ExampleRow(
        spec=tuned.spec.name,
        examples=len(tasks),
        tools=tools,
        others=len(others),
        others_top1=(before[0], after[0]),
        others_top3=(before[1], after[1]),
        halves=len(tasks),
        halves_top1=halves[0],
        halves_top3=halves[1],
    )


def example_table(rows: list[ExampleRow]) -> str:
    lines = [
        "## Example requests (hints `search: {examples: [...]}`)",
        "",
        "| spec | examples (tools) | others' tasks | others' top-1 | others' top-3 | "
        "halves top-1 | halves top-3 |",
        "| --- | --: | --: | --- | --- | --- | --- |",
    ]
    total = _summed(ExampleRow("all", 0, 0, 0, (0, 0), (0, 0), 0, (0, 0), (0, 0)), rows)
    for row in [*rows, *([total] if len(rows) > 1 else [])]:
        lines.append(
            f"| {row.spec} | {row.examples} ({row.tools}) | {row.others} | "
            f"{_moved(row.others_top1, row.others)} | {_moved(row.others_top3, row.others)} | "
            f"{_moved(row.halves_top1, row.halves)} | {_moved(row.halves_top3, row.halves)} |"
        )
    lines += [
        "",
        "Examples: every tuned request, as an example of the tool it wants. Others': the held-out",
        "tasks of the same API scored without and with them. Halves: one half's requests as",
        "examples, the other half scored (both ways round).",
    ]
    return "\n".join(lines) + "\n"


def _moved(pair: tuple[int, int], n: int) -> str:
    """A count before and after, as shares of `n`."""
    return f"{pair[0] / max(n, 1):.1%} -> {pair[1] / max(n, 1):.1%}"


def _halves(tasks: Sequence[Task], scored: Any) -> list[tuple[int, int]]:
    """Top-1 and top-3 (each without and with) of the tuned tasks split in two, odd and even,
    both ways round: `scored(found_on, check)` scores `check` plainly and with what was found
    on `found_on`, as two (top-1, top-3) pairs."""
    halves = [(0, 0), (0, 0)]
    for found_on, check in ((tasks[0::2], tasks[1::2]), (tasks[1::2], tasks[0::2])):
        plain, hinted = scored(found_on, check)
        halves = [
            (halves[0][0] + plain[0], halves[0][1] + hinted[0]),
            (halves[1][0] + plain[1], halves[1][1] + hinted[1]),
        ]
    return halves


def _scores(api, engine: SearchEngine, tasks: Sequence[Task]) -> tuple[int, int]:
    scores = score("adaptgen", tasks, engine_ranker(api, engine))
    return scores.top1, scores.top3


def table(rows: list[Row]) -> str:
    lines = [
        "## Hinted keywords and examples (`adaptgen eval --suggest-keywords --write-hints`)",
        "",
        "| spec | tuned tasks | not first | words, examples (tools) | tuned top-1 | tuned top-3 | "
        "others' tasks | others' top-1 | others' top-3 | halves top-1 | halves top-3 | s |",
        "| --- | --: | --: | --: | --- | --- | --: | --- | --- | --- | --- | --: |",
    ]
    total = _summed(
        Row("all", 0, 0, 0, 0, 0, (0, 0), (0, 0), 0, (0, 0), (0, 0), (0, 0), (0, 0), 0.0), rows
    )
    for row in rows:
        lines.append(_line(row))
    if len(rows) > 1:
        lines.append(_line(total))
    lines += [
        "",
        "Words and examples: what `--suggest-keywords` finds on the tuned tasks, written into a",
        "hints file by `--write-hints`' writer and built. Tuned: the tasks they were found on.",
        "Others': the held-out tasks of the same API (written by others), scored without and",
        "with them. Halves: found on half the tuned tasks, the other half scored (both ways).",
    ]
    return "\n".join(lines) + "\n"


def _summed(total, rows: Sequence) -> Any:
    """`total` with every row's numbers added in (pairs pairwise)."""
    for row in rows:
        for key, value in asdict(row).items():
            if key == "spec":
                continue
            old = getattr(total, key)
            if isinstance(value, tuple):
                value = tuple(a + b for a, b in zip(old, value, strict=True))
            else:
                value = old + value
            setattr(total, key, value)
    return total


def _line(row: Row) -> str:
    return (
        f"| {row.spec} | {row.tasks} | {row.not_first} | "
        f"{row.words}, {row.examples} ({row.tools}) | "
        f"{_moved(row.fit_top1, row.tasks)} | {_moved(row.fit_top3, row.tasks)} | {row.others} | "
        f"{_moved(row.others_top1, row.others)} | {_moved(row.others_top3, row.others)} | "
        f"{_moved(row.halves_top1, row.tasks)} | {_moved(row.halves_top3, row.tasks)} | "
        f"{row.seconds:.1f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run; no effect")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    names = sorted(p.name for p in TUNED.glob("*.yaml") if (HELDOUT / p.name).is_file())
    rows = [row for name in names if (row := measure(name)) is not None]
    if not rows:
        print("no shared specs found: nothing to measure", file=sys.stderr)
        return 0
    print(table(rows))
    examples = [row for name in names if (row := measure_examples(name)) is not None]
    print(example_table(examples))
    if args.json:
        found = {"keywords": [asdict(r) for r in rows], "examples": [asdict(r) for r in examples]}
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
