"""Soak benchmark: 200 concurrent callers on a generated server, direct and via `adaptgen proxy`.

Run `python -m bench.soak_bench` from the repository root (or `bench/run`); `--quick` for a
smaller run. Everything listens on 127.0.0.1 only, each in its own process: the sandbox CRM,
`adaptgen serve generated/crm --transport http` pointed at it (governance off: it stands for
any MCP server), and `adaptgen proxy --transport http` in front of that server with a policy
that lets every caller through (identity, access, rate limit, PII tokenization, audit to a
file all run). This process is the callers: each caller is a `fastmcp.Client` over streamable
HTTP making its share of `get_contact` calls, all callers at once.

Reported per side: calls, lost (no answer within the per-call timeout), unexpected errors,
throughput and the p50/p99 latency of a call. Targets: 0 lost, 0 unexpected errors, proxy
throughput >= 0.8x direct, proxy added p50 <= 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from fastmcp import Client

from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the soak never targets anything else
TOOL, ARGUMENTS = "get_contact", {"contact_id": 1001}
CALL_TIMEOUT = 60.0  # a call with no answer by then is lost
THROUGHPUT_RATIO_TARGET = 0.8
ADDED_P50_TARGET_MS = 2.0


@dataclass
class Side:
    """One side's results."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    lost: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def calls(self) -> int:
        return len(self.latencies_ms) + self.lost + len(self.errors)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout:g} s")


@contextlib.contextmanager
def started(argv: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    """A child process (`python -m adaptgen ...`) listening on `port`, stopped at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "adaptgen", *argv],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def write_policy(tmp: Path) -> Path:
    """Every caller may call every tool; the limits are far above the soak's rate."""
    policy = {
        "identity": {"allow_anonymous": True, "anonymous_groups": ["soak"]},
        "access": {"rules": [{"groups": ["soak"], "allow": ["*"], "writes": True}]},
        "rate_limits": {"per_user": {"per_minute": 10_000_000, "burst": 1_000_000}},
        "pii": {"key": "${env:SOAK_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
    }
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


async def soak(name: str, url: str, callers: int, calls: int) -> Side:
    """`calls` calls split over `callers` concurrent clients (one MCP session each)."""
    side = Side(name)
    shares = [calls // callers + (i < calls % callers) for i in range(callers)]
    start = asyncio.Event()

    async def caller(share: int) -> None:
        async with Client(url, timeout=CALL_TIMEOUT) as client:
            await start.wait()
            for _ in range(share):
                began = time.perf_counter()
                try:
                    async with asyncio.timeout(CALL_TIMEOUT):
                        result = await client.call_tool(TOOL, ARGUMENTS, raise_on_error=False)
                except TimeoutError:
                    side.lost += 1
                    continue
                except Exception as exc:  # noqa: BLE001 - counted and shown, the soak goes on
                    side.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                if result.is_error:
                    side.errors.append(str(result.content[0].text)[:200])
                    continue
                side.latencies_ms.append((time.perf_counter() - began) * 1000)

    tasks = [asyncio.create_task(caller(share)) for share in shares if share]
    await asyncio.sleep(0)
    began = time.perf_counter()
    start.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    side.seconds = time.perf_counter() - began
    for outcome in outcomes:
        if isinstance(outcome, BaseException):  # a caller that could not even connect
            side.errors.append(f"connect: {type(outcome).__name__}: {outcome}"[:200])
    return side


def measure(callers: int, calls: int) -> tuple[Side, Side]:
    tmp = Path(tempfile.mkdtemp(prefix="adaptgen-soak-"))
    crm_port, server_port, proxy_port = free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "ADAPTGEN_"))},
        "CRM_BASE_URL": f"http://{HOST}:{crm_port}/api/v1",
        "CRM_USERNAME": SANDBOX_USERNAME,
        "CRM_PASSWORD": SANDBOX_PASSWORD,
        "ADAPTGEN_GOVERNANCE": "off",
        "SOAK_PII_KEY": base64.b64encode(os.urandom(64)).decode(),
    }
    serve = ["serve", "generated/crm", "--transport", "http", "--host", HOST]
    proxy = ["proxy", "--upstream", f"http://{HOST}:{server_port}/mcp", "--transport", "http"]
    proxy += ["--host", HOST, "--port", str(proxy_port), "--policy", str(write_policy(tmp))]
    with (
        started(["sandbox", "--host", HOST, "--port", str(crm_port)], crm_port, env),
        started([*serve, "--port", str(server_port)], server_port, env),
        started(proxy, proxy_port, env),
    ):
        direct_url = f"http://{HOST}:{server_port}/mcp"
        proxy_url = f"http://{HOST}:{proxy_port}/mcp"
        warm = max(20, callers // 10)  # sessions, logins and caches warm on both sides first
        asyncio.run(soak("warm-up", direct_url, warm, warm))
        asyncio.run(soak("warm-up", proxy_url, warm, warm))
        direct = asyncio.run(soak("direct", direct_url, callers, calls))
        proxied = asyncio.run(soak("through adaptgen proxy", proxy_url, callers, calls))
    return direct, proxied


def report(direct: Side, proxied: Side, callers: int) -> str:
    def row(side: Side) -> str:
        return (
            f"| {side.name} | {side.calls} | {side.lost} | {len(side.errors)} | "
            f"{side.throughput:.1f} | {side.percentile(0.5):.1f} | {side.percentile(0.99):.1f} |"
        )

    ratio = proxied.throughput / direct.throughput if direct.throughput else 0.0
    added = proxied.percentile(0.5) - direct.percentile(0.5)
    clean = not (direct.lost or proxied.lost or direct.errors or proxied.errors)
    lines = [
        f"# Soak: {callers} concurrent callers, `{TOOL}` on the generated CRM (loopback)",
        "",
        "| side | calls | lost | unexpected errors | calls/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        row(direct),
        row(proxied),
        "",
        f"- lost and unexpected errors: {'0 (target met)' if clean else 'NOT 0 (target missed)'}",
        f"- proxy throughput: {ratio:.2f}x direct (target >= {THROUGHPUT_RATIO_TARGET}x): "
        + ("met" if ratio >= THROUGHPUT_RATIO_TARGET else "missed"),
        f"- proxy added p50: {added:+.1f} ms (target <= {ADDED_P50_TARGET_MS:g} ms): "
        + ("met" if added <= ADDED_P50_TARGET_MS else "missed"),
    ]
    for side in (direct, proxied):
        for error in sorted(set(side.errors))[:3]:
            lines.append(f"- {side.name} error: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 callers, 500 calls per side")
    parser.add_argument("--callers", type=int, help="concurrent callers (default 200)")
    parser.add_argument("--calls", type=int, help="calls per side (default 2,000)")
    args = parser.parse_args(argv)
    callers = args.callers or (50 if args.quick else 200)
    calls = args.calls or (500 if args.quick else 2000)
    direct, proxied = measure(callers, calls)
    print(report(direct, proxied, callers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
