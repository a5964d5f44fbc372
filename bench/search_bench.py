"""Search quality, result size and latency on every shared spec that has a task file.

Run `python -m bench.search_bench [--set tuned|heldout|blind|all] [--tasks DIR] [--quick]
[--json FILE] [--table | --words-only] [--semantic-experiment MODEL_DIR] [--meaning-v2 CACHE]
[--meaning-table FILE] [--meaning-weight W] [--variants] [--no-named]` from the repository
root (or `bench/run`; by default the shipped sentence encoder ranks by meaning, as a build
does; `--table`: the static word table instead (hints `search.semantic: false`);
`--words-only`: neither (hints `search: {semantic: false, meaning: false}`); `--meaning-v2`:
experiment, static query vectors against the sentence model's tool vectors projected with the
distiller's PCA, CACHE being its --cache file; needs the teacher model). Two sets of task files,
one table each: `tuned` (`bench/tasks/search/`, the tasks the ranking was tuned on) and
`heldout` (`bench/tasks/search-heldout/`, written blind to the ranker and never tuned on) and
`blind` (`bench/tasks/search-blind/`: blind tasks on sixteen real APIs of 200-500 operations
that are not shared specs, from `make corpus`); `--set` picks one or all (default: tuned). For
each task file whose spec is present (../shared/specs, .corpus/):

- top-1, top-3 and MRR of our search (`adaptgen eval`'s ranking) and of FastMCP's
  BM25SearchTransform over `FastMCP.from_openapi`, on the same tasks;
- the median size of a `search_tools` result for the file's queries: the compact JSON the
  runtime sends (5 hits, the top hit's schema when small), in bytes.

Then requests that name their tool (unless `--no-named`): every tool of each of those specs
asked for by its name, its operationId, `METHOD /path` and its path alone, top-1 of ours and
FastMCP's side by side (`search/identifiers.py`).

Then latency: one engine over the first 1,000 tools of the task files' specs together (every
query of every file, repeated), p50 and p99 in milliseconds, wall clock and CPU time of the
searching thread (on a shared machine the wall clock also counts waiting for a core), and
how much of it is the request's encoding by the sentence encoder alone (timed apart, after each
search), the part no change to the ranking can cut.
Targets (issue 15): top-3 >= 90%, top-1 >= 75% (the maintainers measure on held-out APIs),
median result <= 1.5 KB, p99 <= 5 ms.
Exit 0 either way: it reports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from adaptgen.build import _listed
from adaptgen.evaluation.search import (
    Scores,
    TaskFile,
    engine_ranker,
    fastmcp_ranker,
    index_for,
    read_tasks,
    score,
)
from adaptgen.search.hits import INLINE_SCHEMA_BYTES, compact
from adaptgen.search.intent import ACT_OF_WORD, REQUEST_VERBS
from adaptgen.search.rank import SearchEngine
from adaptgen.search.text import stem
from adaptgen.words import VERBS
from bench._stats import median, percentile
from bench.build_bench import machine_info

REPO = Path(__file__).resolve().parents[1]
SETS = {
    "tuned": REPO / "bench" / "tasks" / "search",
    "heldout": REPO / "bench" / "tasks" / "search-heldout",
    "blind": REPO / "bench" / "tasks" / "search-blind",
}
HITS = 5
LATENCY_TOOLS = 1000
# The sentence encoder's largest product for a twelve-token request, (out, in, tokens): timed
# alone, it says how fast a machine is at what most of a search's time is (`machine`).
YARDSTICK = (1152, 384, 12)
# The same tasks as users also type them (`--variants`): a stop at the end, a greeting first,
# thanks last; a request that starts with its verb framed ("I need you to ...", "Quick one:
# ..."); one word misspelt. A request means the same either way, so the figures should not
# move.
VARIANTS: dict[str, Callable[[str], str]] = {
    "as written": lambda q: q,
    "with a stop": lambda q: q if q.rstrip()[-1:] in (".", "?", "!") else f"{q.rstrip()}.",
    '"Hey, " first': lambda q: f"Hey, {q[:1].lower()}{q[1:]}",
    '" Thanks!" last': lambda q: f"{q.rstrip()} Thanks!",
    '"I need you to " first (requests)': lambda q: _framed("I need you to ", q),
    '"Quick one: " first (requests)': lambda q: _framed("Quick one: ", q),
    '"How do I " first (requests)': lambda q: _framed("How do I ", q),
    "a typo: two letters swapped": lambda q: _typo(q, "swapped"),
    "a typo: a letter left out": lambda q: _typo(q, "left out"),
}
_LONG_WORD = re.compile(r"\b[a-z]{6,}\b")


def _typo(query: str, kind: str) -> str:
    """`query` with one typo in one of its lower-case words of six letters or more (the same
    word every run, picked by the query's hash): the middle two letters swapped, or the middle
    one left out."""
    found = list(_LONG_WORD.finditer(query))
    if not found:
        return query
    word = found[int(hashlib.sha256(query.encode()).hexdigest(), 16) % len(found)]
    text, middle = word[0], len(word[0]) // 2
    if kind == "swapped":
        typed = text[: middle - 1] + text[middle] + text[middle - 1] + text[middle + 1 :]
    else:
        typed = text[:middle] + text[middle + 1 :]
    return query[: word.start()] + typed + query[word.end() :]


def _framed(frame: str, query: str) -> str:
    """`query` after `frame` when it is a request that starts with its verb, else as it is."""
    first = query.split()[0].lower().strip(",") if query.split() else ""
    if first in VERBS or first in REQUEST_VERBS or stem(first) in ACT_OF_WORD:
        return f"{frame}{query[:1].lower()}{query[1:]}"
    return query


ROUNDS = 20


@dataclass
class SearchRow:
    """One task file's measurements."""

    spec: str
    tools: int
    tasks: int
    top1: float
    top3: float
    mrr: float
    fastmcp_top1: float
    fastmcp_top3: float
    fastmcp_mrr: float
    median_result_bytes: int


def measure(
    task_file: TaskFile,
    experiment: Any = None,
    semantic: bool | None = None,
    meaning: bool | None = None,
    v2: Path | None = None,
    variants: bool = False,
) -> tuple[SearchRow, list[str], dict[str, Any], dict[str, SearchRow]]:
    """Quality of both rankers, our result size; the queries and the index (for latency);
    with `experiment` (an encoder, bench/semantic.py) the rows of its dense and fused rankers;
    `semantic`: our search with the sentence encoder's signal or not, `meaning`: with the
    static word table's (each as the hints say unless given: the encoder);
    `variants`: also our figures on the tasks as `VARIANTS` rewrite them (rows keyed
    "variant: <name>", FastMCP's columns not run: zero)."""
    api, index = index_for(
        task_file.spec,
        task_file.hints,
        semantic=True if v2 else semantic,
        meaning=False if v2 else meaning,
    )
    if v2:
        index = _projected(index, v2)
    engine = SearchEngine(index)
    ours = score("adaptgen", task_file.tasks, engine_ranker(api, engine))
    theirs = score("fastmcp-bm25", task_file.tasks, _fastmcp(task_file.spec))
    listed = {t.name: _listed(t.model_dump(mode="json", by_alias=True)) for t in api.listed}
    sizes = [
        len(json.dumps(_result(engine, listed, t.query), separators=(",", ":")).encode())
        for t in task_file.tasks
    ]
    row = SearchRow(
        task_file.spec.name,
        len(listed),
        ours.tasks,
        *_rates(ours),
        *_rates(theirs),
        round(median(sizes)),
    )
    extra = {}
    if experiment is not None:
        from bench.semantic import rankers

        for label, ranker in zip(
            ("dense", "fused"), rankers(experiment, api, index, engine), strict=True
        ):
            scored = score(label, task_file.tasks, ranker)
            extra[label] = SearchRow(
                row.spec, row.tools, scored.tasks, *_rates(scored), *_rates(theirs),
                row.median_result_bytes,
            )  # fmt: skip
    if variants:
        ranker = engine_ranker(api, engine)
        for name, rewrite in VARIANTS.items():
            tasks = [replace(t, query=rewrite(t.query)) for t in task_file.tasks]
            scored = score(name, tasks, ranker)
            extra[f"variant: {name}"] = SearchRow(
                row.spec, row.tools, scored.tasks, *_rates(scored), 0.0, 0.0, 0.0, 0
            )
    return row, [t.query for t in task_file.tasks], index, extra


@cache
def _fastmcp(spec: Path) -> Callable[[str], list[str]]:
    """FastMCP's ranker of a spec, made once a run (GitHub's conversion takes ~30 s): the
    tuned and held-out tasks are of the same specs, and `named` asks them again."""
    return fastmcp_ranker(spec)


NAMED_FORMS: dict[str, Callable[[Any], str]] = {
    "tool name": lambda tool: tool.name,
    "operationId": lambda tool: tool.operation_id,
    "METHOD /path": lambda tool: f"{tool.method.upper()} {tool.path}",
    "/path alone": lambda tool: tool.path,
}


def named(spec: Path, hints: Path | None) -> dict[str, tuple[float, float | None]]:
    """Requests that name their tool: every tool of the spec asked for by each of
    `NAMED_FORMS` (its operationId only where it has one), top-1 (ours, FastMCP's; None for
    our tool names, which are not FastMCP's). A path alone names every operation on it, so
    its top-1 is one of them by the ranking."""
    api, index = index_for(spec, hints)
    ours, theirs = engine_ranker(api, SearchEngine(index)), _fastmcp(spec)
    rates: dict[str, tuple[float, float | None]] = {}
    for form, said in NAMED_FORMS.items():
        tools = [t for t in api.tools if not t.hidden and said(t)]
        # FastMCP names its tools by their operationIds: ours are not names of its tools.
        rankers = (ours,) if form == "tool name" else (ours, theirs)
        found = [0, 0]
        for tool in tools:
            wanted = tool.operation_id or tool.name
            for side, ranker in enumerate(rankers):
                found[side] += ranker(said(tool))[:1] == [wanted]
        n = max(len(tools), 1)
        rates[form] = (found[0] / n, found[1] / n if len(rankers) == 2 else None)
    return rates


def print_named(
    rows: dict[str, dict[str, tuple[float, float | None]]], out: Any = sys.stdout
) -> None:
    """The named-tool table: top-1 per form, ours / FastMCP's."""
    print(
        "\n### requests that name their tool: each tool asked for by its name, operationId, "
        "method and path (top-1, ours / FastMCP; its tool names are the operationIds)\n",
        file=out,
    )
    print(f"| spec | {' | '.join(NAMED_FORMS)} |", file=out)
    print("|" + " --- |" * (len(NAMED_FORMS) + 1), file=out)
    for spec, rates in rows.items():
        cells = [
            f"{ours:.0%} / " + ("-" if theirs is None else f"{theirs:.0%}")
            for ours, theirs in rates.values()
        ]
        print(f"| {spec} | {' | '.join(cells)} |", file=out)


def print_variants(label: str, rows: dict[str, list[SearchRow]], out: Any = sys.stdout) -> None:
    """One set's figures per way of typing its tasks, task-weighted over its specs."""
    print(f"\n### {label}: the same tasks typed otherwise (ours)\n", file=out)
    print(
        "| tasks typed | tasks | top-1 | top-3 | MRR |\n| --- | --- | --- | --- | --- |", file=out
    )
    for name, variant_rows in rows.items():
        n = sum(r.tasks for r in variant_rows) or 1
        top1, top3, mrr = (
            sum(getattr(r, k) * r.tasks for r in variant_rows) / n for k in ("top1", "top3", "mrr")
        )
        print(f"| {name} | {n} | {top1:.1%} | {top3:.1%} | {mrr:.3f} |", file=out)


def _projected(index: dict[str, Any], cache: Path) -> dict[str, Any]:
    """V2 (experiment): each tool's sentence-model vector centred and projected as the word
    table was (the distiller's mean and PCA basis), stored as its static meaning vector."""
    import numpy as np

    from adaptgen.search.meaning import load
    from adaptgen.search.semantic import unpack
    from adaptgen.search.vectors import pack

    with np.load(cache) as data:
        mean, basis = data["mean"], data["basis"][: load().dim]
    tools = []
    for entry in index["tools"]:
        entry = dict(entry)
        vector = (np.asarray(unpack(entry.pop("semantic")), np.float32) - mean) @ basis.T
        tools.append({**entry, "meaning": pack(vector.tolist())})
    return {**index, "tools": tools}


def _rates(scores: Scores) -> tuple[float, float, float]:
    n = max(scores.tasks, 1)
    return scores.top1 / n, scores.top3 / n, scores.reciprocal / n


def _result(engine: SearchEngine, listed: dict[str, Any], query: str) -> list[dict[str, Any]]:
    """What search_tools answers (as `adaptgen.runtime.search` makes it)."""
    hits = engine.search(query, limit=HITS)
    return [
        compact(listed[h.name], INLINE_SCHEMA_BYTES if i == 0 else 0) for i, h in enumerate(hits)
    ]


def latency(indexes: list[dict[str, Any]], queries: list[str], rounds: int) -> dict[str, float]:
    """p50/p99 of one search over the first 1,000 tools of the given indexes, in ms."""
    tools = []
    for number, index in enumerate(indexes):
        tools += [{**t, "name": f"{number}_{t['name']}"} for t in index["tools"]]
    engine = SearchEngine({"tools": tools[:LATENCY_TOOLS]})
    wall, cpu, encoding = [], [], []
    for _ in range(rounds):
        for query in queries:
            start, start_cpu = time.perf_counter(), time.thread_time()
            engine.search(query, limit=HITS)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
            if engine.semantic is not None:  # the encoding alone (and its cosines)
                start = time.perf_counter()
                if engine.semantic.cosines(query) is not None:  # else searched by words
                    encoding.append((time.perf_counter() - start) * 1000)
    timing = {
        "tools": len(engine.tools),
        "searches": len(wall),
        "p50_ms": median(wall),
        "p99_ms": percentile(wall, 0.99),
        "cpu_p50_ms": median(cpu),
        "cpu_p99_ms": percentile(cpu, 0.99),
    }
    if encoding:
        timing |= {
            "encoding_p50_ms": median(encoding),
            "encoding_p99_ms": percentile(encoding, 0.99),
        }
    return timing


def machine(repetitions: int = 2000) -> dict[str, Any]:
    """What a latency figure was measured on: `build_bench.machine_info` (Python, the cores this
    process may use, the platform, versions), the CPU and its clock as the kernel reports them,
    numpy and its BLAS, and a yardstick: the p50 of the
    encoder's largest product for a twelve-token request (`YARDSTICK`, float32, in us). The
    same search is about twice as slow on some two-core machines as on others (docs/DESIGN.md,
    "The same search on a slower machine"): with the yardstick beside it, two machines'
    figures can be set side by side."""
    import numpy as np

    try:  # Linux says the CPU's model and clock here; elsewhere the platform's name will do
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    said = {}
    for line in lines:
        key, _, value = line.partition(":")
        said.setdefault(key.strip(), value.strip())  # the first CPU's
    info = machine_info()
    info |= {
        "cpu": said.get("model name") or platform.processor() or platform.machine(),
        "mhz": round(float(said["cpu MHz"])) if said.get("cpu MHz") else None,
        "cpus": info["usable_cpus"],
        "numpy": np.__version__,
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - numpy before 1.26 has no dicts mode; the figure is optional
        info["blas"] = "?"
    rows, inner, tokens = YARDSTICK
    generator = np.random.default_rng(0)
    weight = generator.standard_normal((rows, inner)).astype(np.float32)
    hidden = generator.standard_normal((inner, tokens)).astype(np.float32)
    for _ in range(repetitions // 10):  # warm-up: the BLAS's threads and caches
        weight @ hidden
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        weight @ hidden
        times.append((time.perf_counter() - start) * 1e6)
    info["yardstick_us"] = median(times)
    return info


def print_table(rows: list[SearchRow], out: Any = sys.stdout) -> None:
    """One set's Markdown table, a task-weighted row last."""
    print(
        "| spec | tools | tasks | top-1 ours | top-3 ours | MRR ours | top-1 FastMCP | "
        "top-3 FastMCP | MRR FastMCP | median result B |",
        file=out,
    )
    print("|" + " --- |" * 10, file=out)
    for r in rows:
        print(
            f"| {r.spec} | {r.tools} | {r.tasks} | {r.top1:.0%} | {r.top3:.0%} | {r.mrr:.3f} | "
            f"{r.fastmcp_top1:.0%} | {r.fastmcp_top3:.0%} | {r.fastmcp_mrr:.3f} | "
            f"{r.median_result_bytes:,} |",
            file=out,
        )
    if rows:
        n = sum(r.tasks for r in rows)
        mean = {k: sum(getattr(r, k) * r.tasks for r in rows) / n for k in ("top1", "top3", "mrr")}
        theirs = {
            k: sum(getattr(r, f"fastmcp_{k}") * r.tasks for r in rows) / n
            for k in ("top1", "top3", "mrr")
        }
        print(
            f"| all (task-weighted) | | {n} | {mean['top1']:.0%} | {mean['top3']:.0%} | "
            f"{mean['mrr']:.3f} | {theirs['top1']:.0%} | {theirs['top3']:.0%} | "
            f"{theirs['mrr']:.3f} | |",
            file=out,
        )


def print_latency(timing: dict[str, Any], out: Any = sys.stdout) -> None:
    """The latency line."""
    print(
        f"\nsearch latency, {timing['tools']:.0f} tools, {timing['searches']:.0f} searches: "
        f"wall p50 {timing['p50_ms']:.2f} ms, p99 {timing['p99_ms']:.2f} ms; "
        f"CPU p50 {timing['cpu_p50_ms']:.2f} ms, p99 {timing['cpu_p99_ms']:.2f} ms "
        "(wall includes waiting for a core on a busy machine)",
        file=out,
    )
    if "encoding_p50_ms" in timing:
        print(
            f"the request's encoding alone (timed apart): p50 {timing['encoding_p50_ms']:.2f} "
            f"ms, p99 {timing['encoding_p99_ms']:.2f} ms",
            file=out,
        )
    if "machine" in timing:
        box = timing["machine"]
        clock = f" at {box['mhz']:,} MHz" if box.get("mhz") else ""
        rows, inner, tokens = YARDSTICK
        print(
            f"measured on: {box['cpu']}, {box['cpus']} usable cores{clock}; numpy "
            f"{box['numpy']}, {box['blas']}; yardstick ({rows:,} x {inner} by {inner} x "
            f"{tokens}, float32) p50 {box['yardstick_us']:.0f} us",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set", choices=[*SETS, "all"], default="tuned", help="which task files (default: tuned)"
    )
    parser.add_argument("--tasks", type=Path, help="a folder of task files instead of a set")
    parser.add_argument("--quick", action="store_true", help="fewer latency rounds")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument(
        "--table",
        action="store_true",
        help="the static word table instead of the sentence encoder (hints search.semantic: false)",
    )
    parser.add_argument(
        "--semantic-experiment",
        type=Path,
        metavar="MODEL",
        help="also tables of bench/semantic.py's sentence model alone and fused (the unzipped "
        "all-MiniLM-L6-v2; needs numpy)",
    )
    parser.add_argument(
        "--words-only",
        action="store_true",
        help="words only: neither the encoder nor the table (hints semantic and meaning false)",
    )
    parser.add_argument(
        "--meaning-v2",
        type=Path,
        metavar="CACHE",
        help="experiment: static query vectors, sentence-model tool vectors (needs numpy)",
    )
    parser.add_argument(
        "--meaning-table", type=Path, metavar="FILE", help="another word table (experiments)"
    )
    parser.add_argument(
        "--meaning-weight", type=float, help="the meaning signal's fusion weight (experiments)"
    )
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also our figures with a stop, a greeting, thanks added to every task",
    )
    parser.add_argument(
        "--no-named",
        dest="named",
        action="store_false",
        help="leave out the table of requests that name their tool (name, operationId, path)",
    )
    args = parser.parse_args(argv)
    if args.meaning_table:
        from adaptgen.search import meaning as static

        table = static.WordTable.parse(args.meaning_table.read_bytes())
        static.load = lambda path=None: table  # type: ignore[assignment]
    if args.meaning_weight is not None:
        from adaptgen.search import rank

        rank.MEANING_WEIGHT = args.meaning_weight
    semantic = False if args.words_only or args.table else None
    meaning = True if args.table else False if args.words_only else None
    experiment = None
    if args.semantic_experiment:
        from bench.semantic import Encoder

        experiment = Encoder(args.semantic_experiment)
    if args.tasks:
        folders = {args.tasks.name: args.tasks}
    else:
        folders = SETS if args.set == "all" else {args.set: SETS[args.set]}
    tables, queries, indexes = {}, [], []
    named_specs: list[tuple[Path, Path | None]] = []
    typed: dict[str, dict[str, list[SearchRow]]] = {}
    for label, folder in folders.items():
        rows = []
        for path in sorted(folder.glob("*.yaml")):
            task_file = read_tasks(path)
            if not task_file.spec.is_file():
                print(f"skipped {path.name}: {task_file.spec} not found", file=sys.stderr)
                continue
            row, asked, index, extra = measure(
                task_file, experiment, semantic, meaning, args.meaning_v2, args.variants
            )
            rows.append(row)
            named_specs.append((task_file.spec, task_file.hints))
            for variant, extra_row in extra.items():
                if variant.startswith("variant: "):
                    typed.setdefault(label, {}).setdefault(variant[9:], []).append(extra_row)
                else:
                    tables.setdefault(f"{label} ({variant})", []).append(extra_row)
            queries += asked
            indexes.append(index)
        if not rows:
            print(f"no task files with their spec in {folder}", file=sys.stderr)
        tables[label] = rows
    tables = dict(
        sorted(tables.items(), key=lambda i: (i[0].split(" ")[0] != "tuned", len(i[0]), i[0]))
    )
    indexes.sort(key=lambda index: -len(index["tools"]))  # the largest APIs fill the 1,000
    for label, rows in tables.items():
        folder = folders[label.split(" ")[0]]
        shown = folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder
        print(f"\n### {label}: {shown}\n")
        print_table(rows)
        if label in typed:
            print_variants(label, typed[label])
    named_rows = (
        {spec.name: named(spec, hints) for spec, hints in dict.fromkeys(named_specs)}
        if args.named
        else {}
    )
    if named_rows:
        print_named(named_rows)
    timing: dict[str, Any] = (
        latency(indexes, queries, 3 if args.quick else ROUNDS) if indexes else {}
    )
    if timing:
        timing["machine"] = machine()
        print_latency(timing)
    if args.json:
        figures = {label: [asdict(r) for r in rows] for label, rows in tables.items()}
        for label, variants in typed.items():
            for name, variant_rows in variants.items():
                figures[f"{label} (typed {name})"] = [asdict(r) for r in variant_rows]
        named_figures = {
            spec: {f: list(r) for f, r in rates.items()} for spec, rates in named_rows.items()
        }
        args.json.write_text(
            json.dumps({"sets": figures, "named": named_figures, "latency": timing})
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
