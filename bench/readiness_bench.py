"""Readiness benchmark: `adaptgen lint` scores and time, and what `adaptgen suggest` saves agents.

Run `python -m bench.readiness_bench` from the repository root (or `bench/run`). Two tables:

1. every spec in ../shared/specs linted with no hints and with the hints `adaptgen suggest`
   wrote for it (nothing hand-written), with lint's wall time in a fresh process (what a user
   or CI waits for: interpreter start, imports, load, plan, rules, rendering);
2. HubSpot contacts v3 mocked by Prism (dynamic bodies, fixed seed): the list and get calls
   through a real MCP client, as bytes an agent reads, five ways: adaptgen with no hints and
   its lean text turned off (`compact: false`, the default before lean text), with no hints,
   with the suggested hints, with the hand-written bench/hubspot.hints.yaml, and
   FastMCP.from_openapi.
   Raw is the upstream body for exactly the records the result shows (shaping_bench's rule),
   and shaping is measured with the governance layer off, as shaping_bench does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
from fastmcp import FastMCP

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.readiness import context
from adaptgen.readiness.formats import as_json
from adaptgen.readiness.lint import lint, lint_context
from adaptgen.readiness.suggest import suggest
from bench._stats import median
from bench.shaping_bench import (
    HUBSPOT_HINTS,
    PRISM,
    SHARED,
    _list,
    agent_bytes,
    call,
    observed_call,
    prism,
    raw_for_shown,
)

REPO = Path(__file__).resolve().parents[1]
SUGGESTED_TARGET = 0.2  # x raw, with suggest output and nothing hand-written
NO_HINTS_TARGET = 0.4  # x raw, with no hints at all
LINT_SECONDS_TARGET = 2.0


def _specs() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.iterdir() if p.suffix in (".json", ".yaml", ".yml"))


def lint_seconds(spec: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU time of `adaptgen lint SPEC --format json` in a fresh process.

    CPU time (user + system of the child) is what the machine's load does not change: on a
    shared 2-core machine the wall time can be several times the work.
    """
    python = REPO / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), "-m", "adaptgen", "lint"]
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [*command, str(spec), "--no-hints", "--format", "json"],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=REPO,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return median(walls), median(cpus)


def lint_stages(spec: Path) -> dict[str, float]:
    """CPU seconds of each stage of one lint of `spec` (no hints), to see whose time it is.

    Imports (what `adaptgen lint` imports, interpreter start included) are timed in a fresh
    interpreter; the other stages in this process, in the order
    `adaptgen lint` runs them. "positions" is the loader's line:col index, built on the first
    finding that needs a location.
    """
    python = REPO / ".venv" / "bin" / "python"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [
            str(python if python.exists() else sys.executable),
            "-c",
            "import adaptgen.cli, adaptgen.readiness.lint, adaptgen.readiness.formats",
        ],
        check=True,
        cwd=REPO,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stages = {"imports": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime}
    clock = time.process_time()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.process_time()
        stages[name] = now - clock
        clock = now

    loaded = context.load(spec)
    hints = context.hints_for(loaded, spec, None, use_default=False)
    lap("load (parse, validate)")
    ctx = context.analyse(loaded, hints, context.api_name(spec))
    lap("plan + response fields")
    loaded.location("/paths")
    lap("positions (line:col index)")
    linted = lint_context(ctx, str(spec), None)
    lap("rules + scores")
    as_json(linted)
    lap("JSON output")
    return stages


def score_rows(tmp: Path, runs: int) -> list[dict[str, Any]]:
    rows = []
    for spec in _specs():
        print(f"linting {spec.name}", file=sys.stderr)
        hints = tmp / f"{spec.name}.suggested.yaml"
        hints.write_text(suggest(spec))
        bare = lint(spec, use_default_hints=False)
        suggested = lint(spec, hints)
        rows.append(
            {
                "spec": spec.name,
                "operations": len(bare.operations),
                "bare": bare.score,
                "suggested": suggested.score,
                "resolved": len(suggested.resolved),
                "findings_left": len(suggested.findings),
                **dict(zip(("lint_s", "lint_cpu_s"), lint_seconds(spec, runs), strict=True)),
                "size_mb": spec.stat().st_size / 1e6,
            }
        )
    return rows


async def hubspot_rows(tmp: Path) -> list[dict[str, Any]]:
    spec = SHARED / "hubspot_contacts_v3.json"
    if not spec.is_file() or not PRISM.exists():
        print("HubSpot rows skipped: ../shared/specs or Prism (npm ci) missing", file=sys.stderr)
        return []
    suggested_hints = tmp / "hubspot.suggested.yaml"
    suggested_hints.write_text(suggest(spec))
    not_lean = tmp / "hubspot.not-lean.yaml"
    not_lean.write_text("defaults:\n  compact: false\n")
    variants = {
        "plain": not_lean,
        "none": None,
        "suggested": suggested_hints,
        "hand": HUBSPOT_HINTS,
    }
    rows = []
    with prism(spec, dynamic=True) as url:
        modules, reports = {}, {}
        for label, hints in variants.items():
            name = f"hubspot_{label}"
            os.environ[f"{name.upper()}_BASE_URL"] = url
            os.environ[f"{name.upper()}_OAUTH2_TOKEN"] = "bench-token"
            options = BuildOptions(
                spec=spec, out=tmp / label, hints=hints, no_hints=hints is None, name=name
            )
            reports[label] = build(options)
            modules[label] = load_server_module(reports[label].out_dir)
        doc = json.loads(spec.read_text())
        doc["servers"] = [{"url": url}]
        received: list[int] = []  # upstream body sizes FastMCP's calls received

        async def count(response: Any) -> None:
            received.append(len(await response.aread()))

        client = httpx2.AsyncClient(
            base_url=url,
            headers={"Authorization": "Bearer bench-token"},
            event_hooks={"response": [count]},
        )
        fastmcp = FastMCP.from_openapi(doc, client=client)
        fm_tools = [t.name for t in await _list(fastmcp)]
        cases = [
            ("list contacts", "get-/crm/v3/objects/contacts_getPage", {"limit": 10}, "getPage"),
            (
                "get contact",
                "get-/crm/v3/objects/contacts/{contactId}_getById",
                {"contact_id": "1"},
                "getById",
            ),
        ]
        for case, op_id, args, fm_key in cases:
            row: dict[str, Any] = {"case": case}
            for label, report in reports.items():
                tool = next(t.name for t in report.api.tools if t.operation_id == op_id)
                result, outcome = await observed_call(modules[label], tool, args)
                row[label] = agent_bytes(result)
                row[f"raw_{label}"] = raw_for_shown(outcome)
            fm_name = next(n for n in fm_tools if fm_key in n)
            fm_args = {"contactId": "1"} if "contact_id" in args else args
            received.clear()
            try:
                fm_result = await call(fastmcp, fm_name, fm_args)
            except Exception:  # noqa: BLE001 - e.g. its client refusing its own server's result
                fm_result = None
            failed = fm_result is None or fm_result.is_error
            row["fastmcp"] = None if failed else agent_bytes(fm_result)
            row["raw_fastmcp"] = sum(received)
            rows.append(row)
    return rows


def report(
    scores: list[dict[str, Any]], calls: list[dict[str, Any]], stages: dict[str, Any]
) -> str:
    out = [
        "## adaptgen lint on every shared spec (no hints, then `adaptgen suggest` hints)",
        "",
        "| spec | MB | operations | score, no hints | score, suggested hints | resolved | "
        "findings left | lint wall s | lint CPU s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in scores:
        out.append(
            f"| {r['spec']} | {r['size_mb']:.2f} | {r['operations']} | {r['bare']} | "
            f"{r['suggested']} | {r['resolved']} | {r['findings_left']} | {r['lint_s']:.2f} | "
            f"{r['lint_cpu_s']:.2f} |"
        )
    if stages:
        out += [
            "",
            f"## Where lint's time goes on the largest spec ({stages['spec']}), CPU s",
            "",
            "| stage | CPU s |",
            "| --- | ---: |",
            *(f"| {k} | {v:.2f} |" for k, v in stages.items() if k != "spec"),
        ]
    if calls:
        out += [
            "",
            "## Bytes an agent reads: HubSpot contacts v3 (Prism), one MCP call each",
            "",
            "| call | raw B | no hints, not lean B (x raw) | no hints B (x raw) "
            "| suggested B (x raw) | hand-written B (x raw) | FastMCP B (x raw) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in calls:
            cells = [
                f"{r[k]:,} ({r[k] / r[f'raw_{k}']:.2f}x)"
                for k in ("plain", "none", "suggested", "hand")
            ]
            fastmcp = "error"
            if r["fastmcp"] is not None:  # FastMCP shows the one page it fetched
                fastmcp = f"{r['fastmcp']:,} ({r['fastmcp'] / r['raw_fastmcp']:.2f}x)"
            out.append(f"| {r['case']} | {r['raw_none']:,} | {' | '.join(cells)} | {fastmcp} |")
    out += ["", "## Targets", ""]
    if calls:
        worst = max(r["none"] / r["raw_none"] for r in calls)
        verdict = "met" if worst <= NO_HINTS_TARGET else "NOT met"
        out.append(f"- no hints <= {NO_HINTS_TARGET}x raw on HubSpot: {worst:.2f}x, {verdict}")
        worst = max(r["suggested"] / r["raw_suggested"] for r in calls)
        verdict = "met" if worst <= SUGGESTED_TARGET else "NOT met"
        out.append(
            f"- suggested hints <= {SUGGESTED_TARGET}x raw on HubSpot: {worst:.2f}x, {verdict}"
        )
    if scores:
        largest = max(scores, key=lambda r: r["size_mb"])
        verdict = "met" if largest["lint_s"] <= LINT_SECONDS_TARGET else "NOT met"
        out.append(
            f"- lint under {LINT_SECONDS_TARGET:g} s on the largest spec ({largest['spec']}): "
            f"{largest['lint_s']:.2f} s wall ({largest['lint_cpu_s']:.2f} s CPU), {verdict}"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one lint timing per spec, not 3")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    if not _specs():
        print("../shared/specs not found: nothing to measure", file=sys.stderr)
        return 0
    os.environ["ADAPTGEN_GOVERNANCE"] = "off"
    tmp = Path(tempfile.mkdtemp(prefix="adaptgen-readiness-"))
    try:
        scores = score_rows(tmp, 1 if args.quick else 3)
        largest = max(_specs(), key=lambda p: p.stat().st_size)
        stages = {"spec": largest.name, **lint_stages(largest)}
        calls = asyncio.run(hubspot_rows(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(scores, calls, stages))
    if args.json:
        args.json.write_text(
            json.dumps({"scores": scores, "calls": calls, "stages": stages}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
