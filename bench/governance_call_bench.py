"""What the governance stack itself costs per call: `Governance.run_call` around a tool that
does nothing, so the number is the layers' own work (no upstream, no MCP transport).

Run `python -m bench.governance_call_bench [--quick] [--calls N]` from the repository root.
The policy turns every layer on (local identity, an access rule, a rate limit that never
refuses, PII with the recognizers on a small JSON result, audit lines to a file); telemetry
has no exporter.
The first 2,000 calls warm up and are not counted. `bench/governance_bench.py` measures the
stack inside a real server against the sandbox; this one isolates it, so a refactor of the
layers shows up here first.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastmcp.tools.base import ToolResult
from mcp.types import TextContent

from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.policy import Policy
from bench._stats import median, percentile

WARM_UP = 2_000
RESULT = '{"id":1001,"name":"Ada Lovelace","email":"ada@example.com","stage":"lead"}'


def governance(audit: Path) -> Governance:
    policy = Policy.model_validate(
        {
            "identity": {"local": {"subject": "ops", "groups": ["support"]}},
            "access": {"rules": [{"allow": ["*"]}]},
            "rate_limits": {"per_user": {"per_minute": 10**9, "burst": 10**9}},
            "audit": {"sink": "file", "path": str(audit)},
        }
    )
    return Governance(policy, name="bench")


async def tool(_: Any) -> ToolResult:
    return ToolResult(content=[TextContent(type="text", text=RESULT)])


async def lookup(name: str) -> Any:
    annotations = SimpleNamespace(read_only_hint=True, destructive_hint=False)
    return SimpleNamespace(name=name, annotations=annotations)


async def timed(gov: Governance, calls: int) -> list[float]:
    where = SimpleNamespace(fastmcp=SimpleNamespace(get_tool=lookup))  # access looks tools up here
    samples = []
    for _ in range(WARM_UP + calls):
        started = time.perf_counter()
        await gov.run_call("get_contact", {"contact_id": 1001}, tool, fastmcp_context=where)
        samples.append((time.perf_counter() - started) * 1e6)
    return samples[WARM_UP:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="5,000 calls")
    args = parser.parse_args()
    calls = 5_000 if args.quick else args.calls
    with tempfile.TemporaryDirectory() as tmp:
        samples = asyncio.run(timed(governance(Path(tmp) / "audit.jsonl"), calls))
    print("| calls | median us | p90 us | p99 us |\n|--:|--:|--:|--:|")
    print(
        f"| {len(samples)} | {median(samples):.1f} "
        f"| {percentile(samples, 0.9):.1f} | {percentile(samples, 0.99):.1f} |"
    )


if __name__ == "__main__":
    main()
