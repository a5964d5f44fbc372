"""Memory benchmark: a generated server's RSS while its upstream sends 4 huge bodies at once.

Run `python -m bench.memory_bench` from the repository root (or `bench/run`). The fault upstream
(`tests/fault_upstream.py`, its own process) makes each 100 MB body on the fly; the server
generated from its spec runs as `adaptgen serve --transport http` in another process, with the
default `<NAME>_MAX_RESPONSE_BYTES` (10 MB) and governance off (this measures the upstream
client). A real MCP client (`fastmcp.Client` over streamable HTTP) makes 4 concurrent calls to
the tool of the huge-body route, and the server process's RSS is sampled with psutil every
5 ms from before the calls until they all returned:

- idle: the median of 20 samples after one warm-up call (a 1 MB body, read and shaped), so
  the imports and code paths of a call are already in memory;
- peak: the largest sample during the 4 calls; delta = peak - idle;
- after: RSS 1 s after the calls returned (what stayed resident);
- refused: calls that came back with the size error rather than data.

Rows: 100 MB bodies with a Content-Length (refused before a byte is read) and sent chunked
(read up to the cap, then the connection is dropped); then, for scale, 4 bodies of 8 MB,
under the cap, which are read, parsed and shaped (`--quick` leaves this row out).
Target (issue 12): RSS under 4 concurrent 100 MB upstream bodies stays <= 200 MB above idle.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.evaluation.processes import free_port, stop, wait_for_port

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
TARGET_DELTA_MB = 200
CONCURRENT = 4
SAMPLE_EVERY = 0.005  # seconds
SIZE_ERROR = "upstream response is larger than the"
SCENARIOS = (
    ("4 × 100 MB, Content-Length declared", 100, 1, True),
    ("4 × 100 MB, chunked (no length)", 100, 0, True),
    ("4 × 8 MB, under the cap (read, parsed, shaped)", 8, 1, False),
)


@dataclass
class Row:
    """One scenario's numbers (MiB)."""

    scenario: str
    idle_mb: float
    peak_mb: float
    delta_mb: float
    after_mb: float
    refused: int
    calls: int
    target: bool  # whether the target applies to this row


def _tests_module(name: str) -> ModuleType:
    # tests/ is not a package: the fault upstream (and its spec) is loaded by path.
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Sampler:
    """Samples a process's RSS in a thread until stopped; keeps the largest."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(SAMPLE_EVERY)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def idle_rss(pid: int) -> int:
    samples = []
    for _ in range(20):
        samples.append(rss(pid))
        time.sleep(0.05)
    return int(statistics.median(samples))


async def _call(url: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    async with Client(url) as client:
        result = await client.call_tool("get_huge", arguments, raise_on_error=False)
        return result.is_error, result.content[0].text if result.content else ""


async def _concurrent(url: str, mb: int, length: int, tag: str) -> list[tuple[bool, str]]:
    calls = [
        _call(url, {"mb": mb, "length": length, "key": f"{tag}-{i}"}) for i in range(CONCURRENT)
    ]
    return await asyncio.gather(*calls)


def scenario(
    mcp_url: str, pid: int, name: str, mb: int, length: int, target: bool, tag: str
) -> Row:
    failed, text = asyncio.run(_call(mcp_url, {"mb": 1, "key": f"{tag}-warm"}))
    if failed:
        raise RuntimeError(f"warm-up call failed: {text}")
    idle = idle_rss(pid)
    with Sampler(pid) as sampler:
        results = asyncio.run(_concurrent(mcp_url, mb, length, tag))
    time.sleep(1)
    after = rss(pid)
    refused = sum(1 for failed, text in results if failed and SIZE_ERROR in text)
    other = [text for failed, text in results if failed and SIZE_ERROR not in text]
    if other:
        print(f"  {name}: unexpected errors: {other}", file=sys.stderr)
    return Row(
        name,
        idle / MB,
        sampler.peak / MB,
        (sampler.peak - idle) / MB,
        after / MB,
        refused,
        len(results),
        target,
    )


def run(quick: bool) -> list[Row]:
    fault = _tests_module("fault_upstream")
    upstream_port, server_port = free_port(), free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "fault_upstream.py"), "--port", str(upstream_port)],
        cwd=REPO,
    )
    server = None
    try:
        wait_for_port(upstream_port, upstream)
        base_url = f"http://127.0.0.1:{upstream_port}"
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "fault.json"
            spec.write_text(json.dumps(fault.spec(base_url)))
            report = build(BuildOptions(spec=spec, out=Path(tmp) / "generated"))
            env = {
                **os.environ,
                "FAULT_BASE_URL": base_url,
                "ADAPTGEN_GOVERNANCE": "off",
                "FAULT_TIMEOUT": "120",
                "FAULT_CALL_TIMEOUT": "300",
            }
            env.pop("FAULT_MAX_RESPONSE_BYTES", None)  # the default cap is what is measured
            command = [sys.executable, "-m", "adaptgen.cli", "serve", str(report.out_dir)]
            command += ["--transport", "http", "--port", str(server_port)]
            server = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            wait_for_port(server_port, server)
            mcp_url = f"http://127.0.0.1:{server_port}/mcp"
            rows = []
            for index, (name, mb, length, target) in enumerate(SCENARIOS):
                if quick and not target:
                    continue
                print(f"  {name} ...", file=sys.stderr)
                rows.append(scenario(mcp_url, server.pid, name, mb, length, target, f"s{index}"))
            return rows
    finally:
        if server is not None:
            stop(server)
        stop(upstream)


def markdown(rows: list[Row]) -> str:
    lines = [
        "## Memory: server RSS under 4 concurrent huge upstream bodies",
        "",
        "| scenario | idle RSS (MB) | peak RSS (MB) | delta (MB) | RSS 1 s after (MB) "
        "| refused with the size error |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.scenario} | {row.idle_mb:.0f} | {row.peak_mb:.0f} | {row.delta_mb:.0f} "
            f"| {row.after_mb:.0f} | {row.refused} of {row.calls} |"
        )
    lines += ["", f"Target: peak <= {TARGET_DELTA_MB} MB above idle under 4 × 100 MB bodies."]
    for row in rows:
        if row.target:
            verdict = "met" if row.delta_mb <= TARGET_DELTA_MB else "NOT met"
            lines.append(f"- {row.scenario}: +{row.delta_mb:.0f} MB, {verdict}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the rows the target is about")
    parser.add_argument("--json", type=Path, help="write the raw numbers here too")
    args, _ = parser.parse_known_args()  # bench/run passes every benchmark's options through
    rows = run(args.quick)
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    met = all(r.delta_mb <= TARGET_DELTA_MB for r in rows if r.target)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
