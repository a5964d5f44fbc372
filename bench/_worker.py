"""Child-process side of the build benchmark: one measurement per fresh interpreter.

`python -m bench._worker MODE IMPL SPEC [--reps N]` runs one measurement and prints a single
line `BENCH_RESULT {json}` on stdout (anything else on stdout/stderr is ignored by the parent).

- MODE `time`: one untimed warm-up conversion of a tiny inline spec, then REPS timed builds
  (wall and CPU time), each as a first build of the spec (adaptgen's memos of earlier builds
  emptied), then list the tools of the last server through a real MCP client; for adaptgen
  also REPS runs of the command as a user types it, `python -m adaptgen build SPEC --out DIR`,
  each a fresh process (its imports and the report it prints included).
- MODE `rss`: build exactly once (no warm-up) and report the process's peak resident set size.
- IMPL `adaptgen`: the full `adaptgen.build.build()` (load, plan, render, format, write files).
- IMPL `fastmcp`: read + JSON parse + `FastMCP.from_openapi()`; the httpx2 client it requires
  is created before the clock starts.

Heavy imports happen inside the functions so that an `rss` child only pays for the library it
measures, and so that the parent can import this module's constants cheaply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MARKER = "BENCH_RESULT "
MODES = ("time", "rss")
IMPLS = ("adaptgen", "fastmcp")
# FastMCP needs an HTTP client to construct a server; nothing is ever sent (no network here).
DUMMY_BASE_URL = "http://127.0.0.1:9"
SERVER_NAME = "bench_server"
# A minimal OpenAPI 3.0 document for the untimed warm-up run.
WARM_UP_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Warm-up", "version": "1"},
    "servers": [{"url": DUMMY_BASE_URL}],
    "paths": {
        "/items/{id}": {
            "get": {
                "operationId": "getItem",
                "summary": "Get an item",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The item",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        }
    },
}


def _kb_to_mb(kb: float) -> float:
    return kb / 1024.0


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM) in MiB; falls back to ru_maxrss where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return _kb_to_mb(float(line.split()[1]))
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # macOS reports bytes, Linux/BSD kilobytes.
    return maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else _kb_to_mb(maxrss)


def children_peak_rss_mb() -> float:
    """Peak RSS of the largest waited-for child (adaptgen's `ruff format` runs), in MiB."""
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else _kb_to_mb(maxrss)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (adaptgen's `ruff format` runs).

    Beside wall time because the machines these run on are shared: CPU time is what the build
    costs whatever else runs, wall time what a user waits.
    """
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _parse_spec(spec: Path) -> dict[str, Any]:
    """Read and parse the document the way a FastMCP user would before calling from_openapi."""
    raw = spec.read_bytes()
    if spec.suffix.lower() in {".yaml", ".yml"}:
        import yaml

        return yaml.safe_load(raw)
    return json.loads(raw)


def _fastmcp_client() -> Any:
    """The HTTP client FastMCP requires; made outside the timed region (it's an input, ~20 ms)."""
    import httpx2

    return httpx2.AsyncClient(base_url=DUMMY_BASE_URL)


def _fastmcp_server(doc: dict[str, Any], client: Any) -> Any:
    from fastmcp import FastMCP

    return FastMCP.from_openapi(doc, client=client)


def _warm_up(impl: str) -> None:
    """Convert a tiny spec, untimed, so lazy imports and first-call caches (FastMCP imports its
    OpenAPI models on first use, adaptgen its templates and ruff) aren't billed to repetition 1.
    """
    with tempfile.TemporaryDirectory(prefix="adaptgen-bench-warm-") as tmp:
        if impl == "adaptgen":
            from adaptgen.build import BuildOptions, build

            spec = Path(tmp) / "warm.json"
            spec.write_text(json.dumps(WARM_UP_SPEC), encoding="utf-8")
            build(BuildOptions(spec=spec, out=Path(tmp) / "out", name="warm_up"))
        else:
            _fastmcp_server(json.loads(json.dumps(WARM_UP_SPEC)), _fastmcp_client())


async def _list_tools(server: Any) -> tuple[int, int]:
    """Tool count and tools/list payload size as a real MCP client receives it."""
    from fastmcp import Client

    async with Client(server) as client:
        result = await client.session.list_tools()
    return len(result.tools), len(result.model_dump_json(by_alias=True, exclude_none=True))


class _WarningCounter(logging.Handler):
    """Counts WARNING+ records FastMCP logs (e.g. references it cannot resolve)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = record.getMessage()


def _forget_builds() -> None:
    """Empty adaptgen's in-process memos of what it has built (each text's sentence vector, the
    words of each name, ...), so that every repetition costs what a first `adaptgen build` of
    the spec costs, not a rebuild in the same process (`adaptgen check` after a build, which
    finds its encodings remembered). The models stay loaded: their caches hold one entry."""
    from adaptgen.search import semantic

    semantic._MEMO.clear()
    for name, module in list(sys.modules.items()):
        if name == "adaptgen" or name.startswith("adaptgen."):
            for value in list(vars(module).values()):
                info = getattr(value, "cache_info", None)
                own = getattr(value, "__module__", None) == name
                if info is not None and own and info().maxsize != 1:
                    value.cache_clear()


def _time_adaptgen(spec: Path, reps: int) -> dict[str, Any]:
    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    _warm_up("adaptgen")
    times: list[float] = []
    cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="adaptgen-bench-") as tmp:
        report = None
        for rep in range(reps):
            # A fresh output dir per repetition: every run writes a new tree, none replaces one.
            out = Path(tmp) / f"rep{rep}"
            _forget_builds()
            started, cpu_started = time.perf_counter(), cpu_seconds()
            report = build(BuildOptions(spec=spec, out=out, name=SERVER_NAME))
            times.append(time.perf_counter() - started)
            cpu.append(cpu_seconds() - cpu_started)
        assert report is not None
        # The surface every caller could be granted: the governance layer's safe default would
        # list only the read-only tools to this anonymous in-process client.
        os.environ["ADAPTGEN_GOVERNANCE"] = "off"
        module = load_server_module(report.out_dir)
        tools, tools_list_bytes = asyncio.run(_list_tools(module.mcp))
        command_s, command_cpu_s = _time_command(spec, Path(tmp), reps)
        return {
            "times_s": times,
            "cpu_s": cpu,
            "tools": tools,
            "tools_list_bytes": tools_list_bytes,
            "ir_tools": len(report.api.tools),
            "report_tools_list_bytes": report.tools_list_bytes,
            "warnings": len(report.warnings),
            "command_s": command_s,
            "command_cpu_s": command_cpu_s,
        }


def _time_command(spec: Path, tmp: Path, reps: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `python -m adaptgen build SPEC` as a user runs it: a fresh
    process each time, its imports, the build and the report it prints (CPU: the process and
    the `ruff format` it waits for). None measured when the command fails: the build's own
    figures stand, and its failure is the build's to report."""
    wall: list[float] = []
    cpu: list[float] = []
    for rep in range(reps):
        command = [sys.executable, "-m", "adaptgen", "build", str(spec)]
        command += ["--out", str(tmp / f"command{rep}"), "--name", SERVER_NAME]
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        if subprocess.run(command, capture_output=True).returncode != 0:
            return [], []
        wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall, cpu


def _time_fastmcp(spec: Path, reps: int) -> dict[str, Any]:
    _warm_up("fastmcp")
    counter = _WarningCounter()
    # FastMCP's loggers don't propagate to root, so attach to its own top-level logger.
    logging.getLogger("fastmcp").addHandler(counter)
    times: list[float] = []
    cpu: list[float] = []
    warnings: int | None = None
    server = None
    for _ in range(reps):
        client = _fastmcp_client()
        started, cpu_started = time.perf_counter(), cpu_seconds()
        # Timed: read + JSON parse + from_openapi (the client is an input, made above).
        server = _fastmcp_server(_parse_spec(spec), client)
        times.append(time.perf_counter() - started)
        cpu.append(cpu_seconds() - cpu_started)
        if warnings is None:  # every repetition logs the same warnings; report one run's worth
            warnings = counter.count
    tools, tools_list_bytes = asyncio.run(_list_tools(server))
    return {
        "times_s": times,
        "cpu_s": cpu,
        "tools": tools,
        "tools_list_bytes": tools_list_bytes,
        "warnings": warnings,
        "first_warning": counter.first,
    }


def _rss(impl: str, spec: Path) -> dict[str, Any]:
    if impl == "adaptgen":
        from adaptgen.build import BuildOptions, build

        baseline = peak_rss_mb()
        with tempfile.TemporaryDirectory(prefix="adaptgen-bench-") as tmp:
            build(BuildOptions(spec=spec, out=Path(tmp), name=SERVER_NAME))
    else:
        import fastmcp  # noqa: F401 - counted in the baseline, like adaptgen's imports
        import httpx2  # noqa: F401

        baseline = peak_rss_mb()
        _fastmcp_server(_parse_spec(spec), _fastmcp_client())
    return {
        "peak_rss_mb": peak_rss_mb(),
        "import_baseline_mb": baseline,
        "children_peak_rss_mb": children_peak_rss_mb(),
    }


def run(mode: str, impl: str, spec: Path, reps: int) -> dict[str, Any]:
    """One measurement; exceptions become `{"error": ...}` so the parent can tabulate them."""
    try:
        if mode == "rss":
            return _rss(impl, spec)
        if impl == "adaptgen":
            return _time_adaptgen(spec, reps)
        return _time_fastmcp(spec, reps)
    except Exception as exc:  # noqa: BLE001 - any failure is a result to report, not a crash
        return {"error": f"{type(exc).__name__}: {exc}", "error_type": type(exc).__name__}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, measure, print the marker line."""
    parser = argparse.ArgumentParser(prog="python -m bench._worker")
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("impl", choices=IMPLS)
    parser.add_argument("spec", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    result = run(args.mode, args.impl, args.spec, max(1, args.reps))
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
