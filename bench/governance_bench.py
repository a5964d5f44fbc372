"""Governance benchmark: what the full stack adds to a tool call, and 50 callers at once.

Run `python -m bench.governance_bench` from the repository root (or `bench/run`). The generated
CRM server is loaded twice in one process, once with `ADAPTGEN_GOVERNANCE=off` and once with the
full stack (identity, access rules, a rate limit, PII tokenization with recognizers, audit lines
to a file, OpenTelemetry spans into an SDK provider with a batch processor, metrics), and both
call the same tool against the sandbox CRM on 127.0.0.1 through in-memory MCP clients. Calls
alternate between the two servers so drift (GC, CPU frequency, the sandbox) hits both equally;
the added latency is the difference of the medians and of the 99th percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from fastmcp import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running

REPO = Path(__file__).resolve().parents[1]
MEDIAN_TARGET_MS = 1.0
P99_TARGET_MS = 5.0


def load(tag: str) -> Any:
    name = f"crm_bench_{tag}_{uuid.uuid4().hex[:6]}"
    spec = importlib.util.spec_from_file_location(name, REPO / "generated" / "crm" / "server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def write_policy(tmp: Path) -> Path:
    policy = {
        "identity": {"local": {"subject": "bench", "groups": ["sales"]}},
        "access": {"rules": [{"groups": ["sales"], "allow": ["*"], "writes": True}]},
        "rate_limits": {
            "groups": {"sales": {"per_minute": 1_000_000, "burst": 100_000}},
            "per_user": {"per_minute": 1_000_000, "burst": 100_000},
        },
        "pii": {"key": "${env:BENCH_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
    }
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


async def timed_calls(
    bare: Any, full: Any, tool: str, args: dict[str, Any], n: int
) -> tuple[list[float], list[float]]:
    none_ms: list[float] = []
    full_ms: list[float] = []
    async with Client(bare.mcp) as plain, Client(full.mcp) as governed:
        for _ in range(20):  # warm both (connections, caches, the session login)
            await plain.call_tool(tool, args)
            await governed.call_tool(tool, args)
        for _ in range(n):
            for client, sink in ((plain, none_ms), (governed, full_ms)):
                started = time.perf_counter()
                await client.call_tool(tool, args)
                sink.append((time.perf_counter() - started) * 1000)
    return none_ms, full_ms


async def concurrent(full: Any, callers: int, calls_each: int) -> tuple[int, int, float]:
    failures = 0

    async def caller(index: int) -> None:
        nonlocal failures
        async with Client(full.mcp) as client:
            for call in range(calls_each):
                result = await client.call_tool(
                    "get_contact", {"contact_id": 1001 + (index + call) % 50}, raise_on_error=False
                )
                failures += int(result.is_error)

    started = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(callers)))
    return callers * calls_each, failures, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 calls per side (default 2,000)")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    n = 1000 if args.quick else 2000
    provider = TracerProvider()
    # As in production: spans are batched and exported off the request path.
    provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    trace.set_tracer_provider(provider)
    tmp = Path(tempfile.mkdtemp(prefix="adaptgen-gov-bench-"))
    rows = []
    with running(require_session=True) as crm:
        for key in [k for k in os.environ if k.startswith("CRM_")]:
            os.environ.pop(key)
        os.environ.update(
            CRM_BASE_URL=crm.url,
            CRM_USERNAME=SANDBOX_USERNAME,
            CRM_PASSWORD=SANDBOX_PASSWORD,
            BENCH_PII_KEY=base64.b64encode(os.urandom(64)).decode(),
        )
        os.environ["ADAPTGEN_GOVERNANCE"] = "off"
        bare = load("bare")
        os.environ["ADAPTGEN_GOVERNANCE"] = "on"
        os.environ["CRM_POLICY"] = str(write_policy(tmp))
        full = load("full")
        for tool, arguments in (
            ("get_contact", {"contact_id": 1001}),
            ("list_contacts", {"limit": 25}),
        ):
            none_ms, full_ms = asyncio.run(timed_calls(bare, full, tool, arguments, n))
            paired = [f - b for f, b in zip(full_ms, none_ms, strict=True)]
            rows.append(
                {
                    "tool": tool,
                    "calls": n,
                    "paired_median": statistics.median(paired),
                    "none_median": statistics.median(none_ms),
                    "full_median": statistics.median(full_ms),
                    "none_p99": percentile(none_ms, 0.99),
                    "full_p99": percentile(full_ms, 0.99),
                }
            )
        total, failures, seconds = asyncio.run(concurrent(full, 50, 20))
    lines = [
        "# Governance benchmark: added latency per tool call (in-process, loopback sandbox)",
        "",
        "| tool | calls per side | median none ms | median full ms | added median ms | "
        "median of paired differences ms | p99 none ms | p99 full ms | added p99 ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['tool']} | {r['calls']} | {r['none_median']:.2f} | {r['full_median']:.2f} | "
            f"{r['full_median'] - r['none_median']:.2f} | {r['paired_median']:.2f} | "
            f"{r['none_p99']:.2f} | "
            f"{r['full_p99']:.2f} | {r['full_p99'] - r['none_p99']:.2f} |"
        )
    median_ok = all(r["full_median"] - r["none_median"] <= MEDIAN_TARGET_MS for r in rows)
    p99_ok = all(r["full_p99"] - r["none_p99"] <= P99_TARGET_MS for r in rows)
    lines += [
        "",
        f"50 concurrent callers x 20 calls (full stack): {total} calls, {failures} failures, "
        f"{seconds:.2f} s ({total / seconds:.0f} calls/s)",
        "",
        "## Targets",
        "",
        f"- [{'x' if median_ok else ' '}] added median <= {MEDIAN_TARGET_MS} ms: "
        f"**{'met' if median_ok else 'NOT met'}**",
        f"- [{'x' if p99_ok else ' '}] added p99 <= {P99_TARGET_MS} ms: "
        f"**{'met' if p99_ok else 'NOT met'}**",
        f"- [{'x' if failures == 0 else ' '}] 50 concurrent callers, zero failures: "
        f"**{'met' if failures == 0 else 'NOT met'}**",
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": rows,
                    "concurrent": {"calls": total, "failures": failures, "seconds": seconds},
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
