"""Build benchmark: adaptgen vs FastMCP.from_openapi on every spec in ../shared/specs.

Run `python -m bench.build_bench [--quick] [--adaptgen-only] [--json FILE]` from the repository
root. It prints a Markdown report on stdout (progress goes to stderr): build time (wall and CPU,
the CPU of `ruff format` children included), peak RSS, tool count and tools/list size for both
converters side by side, then what `adaptgen build SPEC` costs as a user types it (a fresh
process: imports, build, report), then the performance targets and whether the measured
numbers meet them. `--adaptgen-only` leaves FastMCP out (its conversion of GitHub alone
takes ~30 s).

Every measurement runs in its own fresh `python -m bench._worker` subprocess, so one spec's
memory or warm caches never leak into another's numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from adaptgen.runtime.http_methods import OPENAPI_METHODS
from bench._worker import MARKER

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPECS = REPO.parent / "shared" / "specs"
SPEC_SUFFIXES = (".json", ".yaml", ".yml")
DEFAULT_REPS = 3
DEFAULT_TIMEOUT_S = 300.0

# The issues' targets (issue 18: specs of 4 MB and 400+ operations build in <= 1.5 s).
BUILD_TIME_LIMIT_S = 1.5
# Spec-file-name substring -> display name.
BUILD_TIME_SPECS = {"github": "GitHub", "asana": "Asana", "box": "Box", "twilio": "Twilio"}
PEAK_RSS_LIMIT_MB = 400.0
TOOLS_LIST_SPEC = "hubspot_contacts_v3"
TOOLS_LIST_MAX_RATIO = 1 / 5


@dataclass
class SideResult:
    """One converter's numbers on one spec; `None` where a measurement failed."""

    times_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    import_baseline_mb: float | None = None
    children_peak_rss_mb: float | None = None
    tools: int | None = None
    tools_list_bytes: int | None = None
    warnings: int | None = None
    errors: list[str] = field(default_factory=list)
    error_type: str | None = None  # exception class of the first failure
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median_s(self) -> float | None:
        """Median build time over the repetitions."""
        return statistics.median(self.times_s) if self.times_s else None

    @property
    def median_cpu_s(self) -> float | None:
        """Median CPU time over the repetitions (the process and its finished children)."""
        return statistics.median(self.cpu_s) if self.cpu_s else None


HTTP_METHODS = frozenset(OPENAPI_METHODS)


@dataclass
class SpecInfo:
    """What the parent reads from a document itself, to label and explain the numbers."""

    version: str = "?"
    operations: int | None = None
    deprecated: int | None = None


@dataclass
class SpecResult:
    """Both converters on one spec."""

    file: str
    size_bytes: int
    info: SpecInfo
    adaptgen: SideResult
    fastmcp: SideResult

    @property
    def bytes_ratio(self) -> float | None:
        """adaptgen tools/list bytes divided by FastMCP's."""
        ours, theirs = self.adaptgen.tools_list_bytes, self.fastmcp.tools_list_bytes
        if ours is None or not theirs:
            return None
        return ours / theirs


@dataclass
class Target:
    """One target from the issue, evaluated against the measurements."""

    description: str
    met: bool | None  # None: could not be measured
    detail: str


def find_specs(folder: Path) -> list[Path]:
    """Every OpenAPI/Swagger document in `folder`, in a stable order."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SPEC_SUFFIXES)


def read_spec_info(spec: Path) -> SpecInfo:
    """`swagger`/`openapi` version and operation counts; `?`/None if the file can't be read."""
    try:
        raw = spec.read_bytes()
        if spec.suffix.lower() == ".json":
            doc = json.loads(raw)
        else:
            import yaml

            doc = yaml.safe_load(raw)
    except (OSError, ValueError, ImportError):
        return SpecInfo()
    if not isinstance(doc, dict):
        return SpecInfo()
    version = str(doc.get("openapi") or doc.get("swagger") or "?")
    paths = doc.get("paths")
    operations = [
        op
        for item in (paths.values() if isinstance(paths, dict) else [])
        if isinstance(item, dict)
        for method, op in item.items()
        if method in HTTP_METHODS and isinstance(op, dict)
    ]
    deprecated = sum(1 for op in operations if op.get("deprecated") is True)
    return SpecInfo(version, len(operations), deprecated)


def run_worker(mode: str, impl: str, spec: Path, reps: int, timeout_s: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its JSON result (or an error)."""
    env = dict(os.environ)
    # `-m bench._worker` must resolve to this checkout, wherever the command is started from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "bench._worker", mode, impl, str(spec), "--reps", str(reps)]
    try:
        proc = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s:g} s", "error_type": "timeout"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    tail = " ".join(proc.stderr.strip().splitlines()[-3:])
    return {
        "error": f"worker exited with status {proc.returncode}: {tail}",
        "error_type": "worker crash",
    }


def _merge(side: SideResult, result: dict[str, Any], label: str) -> None:
    known = {
        f for f in SideResult.__dataclass_fields__ if f not in {"errors", "error_type", "extra"}
    }
    if "error" in result:
        side.errors.append(f"{label}: {result['error']}")
        side.error_type = side.error_type or result.get("error_type")
        return
    for key, value in result.items():
        if key in known:
            setattr(side, key, value)
        else:
            side.extra[key] = value


def measure_spec(
    spec: Path,
    reps: int,
    timeout_s: float,
    log: Callable[[str], None],
    impls: Sequence[str] = ("adaptgen", "fastmcp"),
) -> SpecResult:
    """The measurements (time and RSS) of one spec for each of `impls`, sequentially.

    Sequential on purpose: running workers side by side would make them compete for the CPU
    and skew the timings.
    """
    sides = {"adaptgen": SideResult(), "fastmcp": SideResult()}
    for impl in impls:
        side = sides[impl]
        for mode in ("time", "rss"):
            log(f"  {impl:<8} {mode}")
            _merge(side, run_worker(mode, impl, spec, reps, timeout_s), mode)
    return SpecResult(
        file=spec.name,
        size_bytes=spec.stat().st_size,
        info=read_spec_info(spec),
        adaptgen=sides["adaptgen"],
        fastmcp=sides["fastmcp"],
    )


def _find(results: Sequence[SpecResult], needle: str) -> SpecResult | None:
    return next((r for r in results if needle in r.file.lower()), None)


def evaluate_targets(results: Sequence[SpecResult]) -> list[Target]:
    """The issue's targets, computed from the measurements."""
    targets: list[Target] = []
    for needle, label in BUILD_TIME_SPECS.items():
        description = f"{label} adaptgen build ≤ {BUILD_TIME_LIMIT_S:g} s"
        found = _find(results, needle)
        median = found.adaptgen.median_s if found else None
        if found is None:
            targets.append(Target(description, None, f"no spec file matching `*{needle}*`"))
        elif median is None:
            targets.append(Target(description, None, f"build failed ({found.file}, see Errors)"))
        else:
            cpu = found.adaptgen.median_cpu_s
            detail = f"{median:.3f} s median, {_fmt(cpu, '.3f')} s CPU ({found.file})"
            targets.append(Target(description, median <= BUILD_TIME_LIMIT_S, detail))

    description = f"No spec above {PEAK_RSS_LIMIT_MB:g} MB peak RSS (adaptgen)"
    measured = [r for r in results if r.adaptgen.peak_rss_mb is not None]
    missing = [r.file for r in results if r.adaptgen.peak_rss_mb is None]
    if not measured:
        targets.append(Target(description, None, "no successful adaptgen build"))
    else:
        worst = max(measured, key=lambda r: r.adaptgen.peak_rss_mb or 0.0)
        peak = worst.adaptgen.peak_rss_mb or 0.0
        detail = f"max {peak:.1f} MB ({worst.file})"
        if missing:
            detail += f"; not measured: {', '.join(missing)}"
        # An over-limit spec fails the target outright; a gap only makes it unknown.
        met = False if peak > PEAK_RSS_LIMIT_MB else (None if missing else True)
        targets.append(Target(description, met, detail))

    description = (
        f"HubSpot contacts v3 tools/list ≤ 1/{round(1 / TOOLS_LIST_MAX_RATIO)} of FastMCP's"
    )
    found = _find(results, TOOLS_LIST_SPEC)
    ratio = found.bytes_ratio if found else None
    if found is None:
        targets.append(Target(description, None, f"no spec file matching `*{TOOLS_LIST_SPEC}*`"))
    elif ratio is None:
        detail = f"a tools/list size is missing ({found.file}, see Errors)"
        targets.append(Target(description, None, detail))
    else:
        detail = (
            f"{found.adaptgen.tools_list_bytes:,} B vs {found.fastmcp.tools_list_bytes:,} B "
            f"= {ratio:.3f} (limit {TOOLS_LIST_MAX_RATIO:.3f})"
        )
        targets.append(Target(description, ratio <= TOOLS_LIST_MAX_RATIO, detail))
    return targets


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": cpus,
        "usable_cpus": usable,
        "platform": f"{platform.system()} {platform.machine()}",
        "adaptgen": _version("adaptgen"),
        "fastmcp": _version("fastmcp"),
    }


def _fmt(value: float | int | None, spec: str, missing: str = "—") -> str:
    return missing if value is None else format(value, spec)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


def _failure_cell(result: SpecResult, side: SideResult, note: int) -> str:
    # FastMCP only has OpenAPI 3.x models; say so when it rejects a 2.0 document.
    if side is result.fastmcp and result.info.version.startswith("2"):
        return f"n/a (2.0 rejected: {side.error_type}) [{note}]"
    return f"error: {side.error_type} [{note}]"


def render_markdown(
    results: Sequence[SpecResult],
    targets: Sequence[Target],
    info: dict[str, Any],
    reps: int,
    specs_dir: Path,
    elapsed_s: float,
) -> str:
    """The whole report as Markdown."""
    lines = [
        "# adaptgen vs FastMCP.from_openapi: build benchmark",
        "",
        f"Python {info['python']} ({info['implementation']}) · {info['cpu_count']} CPUs "
        f"({info['usable_cpus']} usable) · {info['platform']} · adaptgen {info['adaptgen']} · "
        f"fastmcp {info['fastmcp']} · time = median of {reps} · specs: `{specs_dir}`",
        "",
        "| Spec | Version | Size | adaptgen time (s) | adaptgen CPU (s) | adaptgen peak RSS (MB) "
        "| adaptgen tools | adaptgen tools/list (B) | FastMCP time (s) | FastMCP CPU (s) "
        "| FastMCP peak RSS (MB) | FastMCP tools | FastMCP tools/list (B) | tools/list ratio a/F |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    errors: list[str] = []  # referenced from the table as [n]
    for r in results:
        cells = [f"`{r.file}`", r.info.version, _size(r.size_bytes)]
        for label, side in (("adaptgen", r.adaptgen), ("FastMCP", r.fastmcp)):
            if side.errors:
                errors.append(f"`{r.file}` ({label}): {_join_errors(side.errors)}")
            if side.errors and side.tools is None and side.peak_rss_mb is None:
                # Nothing measured at all: one explanatory cell, the rest blank.
                cells += [_failure_cell(r, side, len(errors)), "—", "—", "—", "—"]
                continue
            cells += [
                _fmt(side.median_s, ".3f"),
                _fmt(side.median_cpu_s, ".3f"),
                _fmt(side.peak_rss_mb, ".1f"),
                _fmt(side.tools, "d"),
                _fmt(side.tools_list_bytes, ",d"),
            ]
        cells.append(_fmt(r.bytes_ratio, ".3f"))
        lines.append("| " + " | ".join(cells) + " |")

    lines += _command_table(results)
    lines += ["", "## Targets", ""]
    for t in targets:
        status = "not measured" if t.met is None else ("**met**" if t.met else "**NOT met**")
        box = "x" if t.met else " "
        lines.append(f"- [{box}] {t.description}: {status} — {t.detail}")

    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"{i}. {_truncate(error, 400)}" for i, error in enumerate(errors, 1)]
    lines += ["", "## Notes", "", *_observations(results)]
    lines += ["", f"Total benchmark wall time: {elapsed_s:.1f} s."]
    return "\n".join(lines) + "\n"


def _command_table(results: Sequence[SpecResult]) -> list[str]:
    """What a user waits for: `adaptgen build SPEC` typed at a prompt, a fresh process each run
    (imports, the build, the report it prints), beside the build alone (the table above)."""
    rows = []
    for r in results:
        wall, cpu = r.adaptgen.extra.get("command_s"), r.adaptgen.extra.get("command_cpu_s")
        if wall and cpu:
            rows.append(
                f"| `{r.file}` | {statistics.median(wall):.3f} | {statistics.median(cpu):.3f} "
                f"| {_fmt(r.adaptgen.median_s, '.3f')} |"
            )
    if not rows:
        return []
    return [
        "",
        "## `adaptgen build` as typed",
        "",
        "| Spec | command time (s) | command CPU (s) | of which the build (s) |",
        "|---|--:|--:|--:|",
        *rows,
    ]


def _join_errors(errors: Sequence[str]) -> str:
    """`time: E; rss: E` -> `time, rss: E`: both workers usually fail the same way."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        label, _, message = error.partition(": ")
        grouped.setdefault(message, []).append(label)
    return "; ".join(f"{', '.join(labels)}: {message}" for message, labels in grouped.items())


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _observations(results: Sequence[SpecResult]) -> list[str]:
    """Facts a reader needs to interpret the table, derived from the data."""
    out: list[str] = []
    for r in results:
        a, f = r.adaptgen, r.fastmcp
        if a.tools is not None and f.tools is not None and a.tools != f.tools:
            why = ""
            ops, deprecated = r.info.operations, r.info.deprecated
            if ops is not None and deprecated and a.tools == ops - deprecated:
                why = (
                    f"; the spec has {ops} operations, {deprecated} deprecated, which adaptgen "
                    "skips by default (`--include-deprecated`)"
                )
            out.append(f"- `{r.file}`: tool counts differ ({a.tools} vs {f.tools}){why}.")
        if f.tools is not None and r.info.version.startswith("2"):
            out.append(
                f"- `{r.file}`: FastMCP has no Swagger 2.0 support; it read this 2.0 document with "
                "its OpenAPI 3.1 models, so its schemas are not like-for-like."
            )
        if a.warnings:
            out.append(f"- `{r.file}`: adaptgen reported {a.warnings} build warning(s).")
        if f.warnings:
            first = f.extra.get("first_warning")
            example = f", first: “{_truncate(first, 160)}”" if first else ""
            out.append(
                f"- `{r.file}`: FastMCP logged {f.warnings} warning(s) while converting{example}."
            )
    parts = []
    for name, attr in (("adaptgen", "adaptgen"), ("FastMCP", "fastmcp")):
        values = [getattr(r, attr).import_baseline_mb for r in results]
        measured = [v for v in values if v is not None]
        if measured:
            parts.append(f"{name} {min(measured):.0f} MB")
    if parts:
        out.append(
            "- Peak RSS includes the interpreter and top-level imports "
            f"(RSS right after them: {', '.join(parts)})."
        )
    ruff_peaks = [r.adaptgen.children_peak_rss_mb or 0.0 for r in results]
    if any(ruff_peaks):
        out.append(
            f"- adaptgen's `ruff format` subprocesses (not included above) peaked at "
            f"{max(ruff_peaks):.0f} MB."
        )
    return out


def write_json(
    path: Path,
    results: Sequence[SpecResult],
    targets: Sequence[Target],
    info: dict[str, Any],
    reps: int,
) -> None:
    """The raw numbers, every repetition included."""
    payload = {
        "machine": info,
        "repetitions": reps,
        "specs": [
            {
                **asdict(r),
                "bytes_ratio": r.bytes_ratio,
                "adaptgen_median_s": r.adaptgen.median_s,
                "fastmcp_median_s": r.fastmcp.median_s,
            }
            for r in results
        ],
        "targets": [asdict(t) for t in targets],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m bench.build_bench`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.build_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="1 repetition instead of 3")
    parser.add_argument(
        "--adaptgen-only", action="store_true", help="measure adaptgen only, not FastMCP"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write raw numbers here")
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of specs")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="per-measurement timeout (s)"
    )
    args = parser.parse_args(argv)
    reps = 1 if args.quick else DEFAULT_REPS

    specs = find_specs(args.specs) if args.specs.is_dir() else []
    if not specs:
        # Not an error: the shared specs are optional on developer machines.
        print(f"No specs found in {args.specs}; nothing to benchmark.")
        return 0

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: list[SpecResult] = []
    for i, spec in enumerate(specs, 1):
        log(f"[{i}/{len(specs)}] {spec.name}")
        impls = ("adaptgen",) if args.adaptgen_only else ("adaptgen", "fastmcp")
        results.append(measure_spec(spec, reps, args.timeout, log, impls))
    elapsed = time.perf_counter() - started

    info = machine_info()
    targets = evaluate_targets(results)
    sys.stdout.write(render_markdown(results, targets, info, reps, args.specs, elapsed))
    if args.json:
        write_json(args.json, results, targets, info, reps)
        log(f"raw numbers written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
