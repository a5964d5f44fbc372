"""Soak benchmark: 200 concurrent callers on a generated server, direct and via `adaptgen proxy`.

Run `python -m bench.soak_bench` from the repository root (or `bench/run`); `--quick` for a
smaller run. Everything listens on 127.0.0.1 only, each in its own process: the sandbox CRM,
`adaptgen serve generated/crm --transport http` pointed at it (governance off: it stands for
any MCP server), and `adaptgen proxy --transport http` in front of that server with a policy
that lets every caller through (identity, access, rate limit, PII tokenization, audit to a
file all run). The callers run in a process of their own too (`--load`), started per run, so
the orchestrating process competes for neither CPU nor event loop. Each caller is a
`fastmcp.Client` over streamable HTTP (one MCP session each) making `get_contact` calls.

Two runs per side, because one number cannot say two things:

* **Closed loop, at saturation** (the issue's soak): 200 callers fire back to back, 2,000 calls.
  It shows what breaks under load (lost calls: no answer within the per-call timeout;
  unexpected errors) and each side's capacity (calls/s). Its latencies are queueing, not
  service time: with 200 callers always waiting, latency = callers / throughput (Little's law),
  so its p50 says how much slower the slower side is, not what the proxy adds to one call.
* **Open loop, below capacity**: calls arrive at a fixed rate, half of the direct side's
  closed-loop capacity (the same rate for both sides), 2,000 calls, at most 200 in flight.
  Neither side is saturated, so a call's latency is its service time plus little queueing:
  the proxy's added p50 is read from this run.

Targets: 0 lost and 0 unexpected errors (every run); proxy throughput >= 0.8x direct (closed
loop); proxy added p50 <= 2 ms (open loop). On a 2-core machine the sandbox, the server, the
proxy and the callers share two cores, so the closed-loop ratio measures the proxy's CPU per
call relative to the server's, not what a proxy on its own host would cost.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
import yaml
from fastmcp import Client

from adaptgen.evaluation.processes import free_port, wait_for_port
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME
from bench._stats import median, percentile

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the soak never targets anything else
TOOL, ARGUMENTS = "get_contact", {"contact_id": 1001}
CALL_TIMEOUT = 60.0  # a call with no answer by then is lost
OPEN_LOOP_LOAD = 0.5  # open-loop arrival rate, as a share of the direct closed-loop capacity
MARKER = "SOAK_RESULT "  # the load generator's result line
ADAPTGEN = [sys.executable, "-m", "adaptgen"]
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
    # CPU seconds each server process used during the run: "server", and "proxy" when it ran.
    cpu: dict[str, float] = field(default_factory=dict)

    def cpu_ms_per_call(self, process: str) -> float | None:
        answered = len(self.latencies_ms)
        return self.cpu[process] * 1000 / answered if process in self.cpu and answered else None

    @property
    def calls(self) -> int:
        return len(self.latencies_ms) + self.lost + len(self.errors)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def median(self) -> float:
        """The median latency; NaN with no calls."""
        return median(self.latencies_ms) if self.latencies_ms else float("nan")

    def percentile(self, q: float) -> float:
        """The nearest-rank `q` quantile of the latencies; NaN with no calls."""
        return percentile(self.latencies_ms, q)


@contextlib.contextmanager
def started(
    argv: list[str], port: int, env: dict[str, str], stop: int = signal.SIGTERM
) -> Iterator[psutil.Process]:
    """A child process (`argv`, e.g. `ADAPTGEN + [...]`) listening on `port`, sent `stop` at the
    end (SIGINT for a profiled one: uvicorn re-raises the signal it stopped on, and only a
    KeyboardInterrupt lets cProfile write its stats)."""
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, what=argv[-1])
        yield psutil.Process(process.pid)
    finally:
        process.send_signal(stop)
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


async def closed_loop(url: str, callers: int, calls: int) -> Side:
    """`calls` calls split over `callers` concurrent clients, each firing back to back."""
    side = Side("closed")
    shares = [calls // callers + (i < calls % callers) for i in range(callers)]
    start = asyncio.Event()

    async def caller(share: int) -> None:
        async with Client(url, timeout=CALL_TIMEOUT) as client:
            await start.wait()
            for _ in range(share):
                await one_call(client, side, time.perf_counter())

    tasks = [asyncio.create_task(caller(share)) for share in shares if share]
    await asyncio.sleep(0)
    began = time.perf_counter()
    start.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    side.seconds = time.perf_counter() - began
    note_connect_failures(side, outcomes)
    return side


async def open_loop(url: str, callers: int, calls: int, rate: float) -> Side:
    """`calls` calls arriving every 1/`rate` s, on `callers` connected clients (at most that
    many in flight). A call's latency runs from its arrival, waiting for a free client included."""
    side = Side("open")
    async with contextlib.AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(stack.enter_async_context(Client(url, timeout=CALL_TIMEOUT)) for _ in range(callers))
        )
        idle: asyncio.Queue[Client] = asyncio.Queue()
        for client in clients:
            idle.put_nowait(client)

        async def arrival(at: float) -> None:
            client = await idle.get()
            try:
                await one_call(client, side, at)
            finally:
                idle.put_nowait(client)

        began = time.perf_counter()
        tasks = []
        for i in range(calls):
            at = began + i / rate
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            tasks.append(asyncio.create_task(arrival(at)))
        note_connect_failures(side, await asyncio.gather(*tasks, return_exceptions=True))
        side.seconds = time.perf_counter() - began
    return side


async def one_call(client: Client, side: Side, began: float) -> None:
    """One `get_contact` call, counted in `side` as answered (with its latency), lost or failed."""
    try:
        async with asyncio.timeout(CALL_TIMEOUT):
            result = await client.call_tool(TOOL, ARGUMENTS, raise_on_error=False)
    except TimeoutError:
        side.lost += 1
        return
    except Exception as exc:  # noqa: BLE001 - counted and shown, the soak goes on
        side.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        return
    if result.is_error:
        side.errors.append(str(result.content[0].text)[:200])
        return
    side.latencies_ms.append((time.perf_counter() - began) * 1000)


def note_connect_failures(side: Side, outcomes: list[object]) -> None:
    for outcome in outcomes:
        if isinstance(outcome, BaseException):  # a caller that could not even connect
            side.errors.append(f"connect: {type(outcome).__name__}: {outcome}"[:200])


def run_load(
    name: str,
    url: str,
    callers: int,
    calls: int,
    rate: float | None = None,
    watch: dict[str, psutil.Process] | None = None,
) -> Side:
    """One run in a fresh load-generator process (`--load`): closed loop, or open at `rate`;
    the CPU time the `watch`ed processes used meanwhile goes into the result."""
    watch = watch or {}
    before = {name: cpu_seconds(process) for name, process in watch.items()}
    argv = [sys.executable, "-m", "bench.soak_bench", "--load", url]
    argv += ["--callers", str(callers), "--calls", str(calls)]
    if rate is not None:
        argv += ["--rate", f"{rate:.3f}"]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"the load generator failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(line.removeprefix(MARKER))
    cpu = {name: cpu_seconds(process) - before[name] for name, process in watch.items()}
    return Side(
        name, result["latencies_ms"], result["lost"], result["errors"], result["seconds"], cpu
    )


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def load(url: str, callers: int, calls: int, rate: float | None) -> None:
    """The load generator's side of `run_load`: one run, its result as one JSON line."""
    if rate is None:
        side = asyncio.run(closed_loop(url, callers, calls))
    else:
        side = asyncio.run(open_loop(url, callers, calls, rate))
    print(MARKER + json.dumps(asdict(side)))


def measure(callers: int, calls: int, profile: Path | None = None) -> list[Side]:
    """Closed loop direct and via the proxy, then open loop on both at half the direct
    closed-loop capacity (`profile`: the proxy runs under cProfile, its stats written there
    when it stops)."""
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
    serve = [*ADAPTGEN, "serve", "generated/crm", "--transport", "http", "--host", HOST]
    profiler = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "adaptgen"]
    proxy = [*(profiler if profile else ADAPTGEN), "proxy"]
    proxy += ["--upstream", f"http://{HOST}:{server_port}/mcp"]
    proxy += ["--transport", "http"]
    proxy += ["--host", HOST, "--port", str(proxy_port), "--policy", str(write_policy(tmp))]
    with (
        started([*ADAPTGEN, "sandbox", "--host", HOST, "--port", str(crm_port)], crm_port, env),
        started([*serve, "--port", str(server_port)], server_port, env) as server,
        started(proxy, proxy_port, env, signal.SIGINT) as proxy_process,
    ):
        direct_url = f"http://{HOST}:{server_port}/mcp"
        proxy_url = f"http://{HOST}:{proxy_port}/mcp"
        warm = max(20, callers // 10)  # sessions, logins and caches warm on both sides first
        run_load("warm-up", direct_url, warm, warm)
        run_load("warm-up", proxy_url, warm, warm)
        alone = {"server": server}
        both = {"server": server, "proxy": proxy_process}
        direct = run_load("closed loop, direct", direct_url, callers, calls, watch=alone)
        proxied = run_load("closed loop, via proxy", proxy_url, callers, calls, watch=both)
        rate = OPEN_LOOP_LOAD * direct.throughput
        sides = [direct, proxied]
        for name, url, watch in (
            ("open loop, direct", direct_url, alone),
            ("open loop, via proxy", proxy_url, both),
        ):
            sides.append(run_load(name, url, callers, calls, rate, watch))
    return sides


def report(sides: list[Side], callers: int) -> str:
    direct, proxied, open_direct, open_proxied = sides

    def row(side: Side) -> str:
        cpu = [side.cpu_ms_per_call(p) for p in ("server", "proxy")]
        server_cpu, proxy_cpu = (f"{c:.1f}" if c is not None else "-" for c in cpu)
        return (
            f"| {side.name} | {side.calls} | {side.lost} | {len(side.errors)} | "
            f"{side.throughput:.1f} | {side.median():.1f} | {side.percentile(0.99):.1f} "
            f"| {server_cpu} | {proxy_cpu} |"
        )

    ratio = proxied.throughput / direct.throughput if direct.throughput else 0.0
    added = open_proxied.median() - open_direct.median()
    queueing = proxied.median() - direct.median()
    clean = not any(side.lost or side.errors for side in sides)
    rate = open_direct.calls / open_direct.seconds if open_direct.seconds else 0.0
    lines = [
        f"# Soak: `{TOOL}` on the generated CRM (loopback), direct and via `adaptgen proxy`",
        "",
        f"Closed loop: {callers} callers back to back (saturation). Open loop: arrivals at "
        f"{rate:.1f}/s ({OPEN_LOOP_LOAD:.0%} of the direct capacity), at most {callers} "
        "in flight.",
        "",
        "| run | calls | lost | unexpected errors | calls/s | p50 ms | p99 ms "
        "| server CPU ms/call | proxy CPU ms/call |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(row(side) for side in sides),
        "",
        f"- lost and unexpected errors: {'0 (target met)' if clean else 'NOT 0 (target missed)'}",
        f"- proxy throughput (closed loop): {ratio:.2f}x direct "
        f"(target >= {THROUGHPUT_RATIO_TARGET}x): "
        + ("met" if ratio >= THROUGHPUT_RATIO_TARGET else "missed"),
        f"- proxy added p50 (open loop: service time): {added:+.1f} ms "
        f"(target <= {ADDED_P50_TARGET_MS:g} ms): "
        + ("met" if added <= ADDED_P50_TARGET_MS else "missed"),
        f"- closed-loop p50 difference {queueing:+.1f} ms is queueing (callers / throughput), "
        "not the proxy's service time",
    ]
    for side in sides:
        for error in sorted(set(side.errors))[:3]:
            lines.append(f"- {side.name} error: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 callers, 500 calls per run")
    parser.add_argument("--callers", type=int, help="concurrent callers (default 200)")
    parser.add_argument("--calls", type=int, help="calls per run (default 2,000)")
    parser.add_argument(
        "--profile-proxy",
        type=Path,
        metavar="FILE",
        help="run the proxy under cProfile, stats to FILE",
    )
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # the load generator
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)  # open loop: arrivals/s
    args = parser.parse_args(argv)
    callers = args.callers or (50 if args.quick else 200)
    calls = args.calls or (500 if args.quick else 2000)
    if args.load:
        load(args.load, callers, calls, args.rate)
        return 0
    print(report(measure(callers, calls, args.profile_proxy), callers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
