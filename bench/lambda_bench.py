"""Lambda benchmark: cold start and warm calls through the Lambda handler, vs a bare FastMCP.

Run `python -m bench.lambda_bench [--quick] [--package] [--json FILE]` from the repository root.

Each cold start is a fresh interpreter (`python -m bench.lambda_bench --child KIND`): it imports
the handler, then serves `initialize` and the first `tools/call` from Function URL events, as a
Lambda execution environment's first invocation does. Cold start is measured by the parent from
spawning the process to the first call's answer (interpreter start included, the same for every
row). The same child then serves warm calls through the same handler.

Rows:
- `bare FastMCP hello-world`: one tool returning a string; Mangum + `http_app(stateless_http=True,
  json_response=True)`, the plain Lambda recipe (Mangum's default lifespan per invocation).
- `generated CRM`: generated/crm/handler.py with the governance layer on (identity, access, rate
  limits, PII tokenization, audit to a file, telemetry), calling `get_contact` on
  the sandbox CRM on loopback (so a session login on the first call, a cached token after).
- `generated CRM, governance off`: the same with ADAPTGEN_GOVERNANCE=off, to show what the layer
  costs at cold start.

`--package` also measures both servers as Lambda runs them (issue 18): each from a task folder,
in an interpreter that sees only that folder and the standard library (`-S -s`, PYTHONPATH):
- `bare FastMCP hello-world, installed`: `pip install --target DIR fastmcp mangum` (the versions
  this environment has), as the plain recipe ships it: FastMCP's whole tree, pip's bytecode.
- `generated CRM, from its zip`: `adaptgen package generated/crm` unpacked (its size is reported).

`--instructions` (with `--package`) also runs each packaged row's cold start once under
valgrind's callgrind and prints the instructions it executed: a count that does not move with
the machine's load, for comparing changes on a shared machine (about a minute per row).

Targets: cold start <= 1.2x the bare FastMCP server's in this environment (issue 6), and <= 0.9x
as packaged for Lambda (issue 18).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MARKER = "BENCH_RESULT "
COLD_TARGET = 1.2
PACKAGED_TARGET = 0.9
CALLGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
KINDS = {
    "hello": "bare FastMCP hello-world",
    "crm": "generated CRM (governance on)",
    "crm-bare": "generated CRM, governance off",
}
PACKAGED = {
    "hello-installed": "bare FastMCP hello-world, installed (pip --target)",
    "crm-zip": "generated CRM, from its zip (governance on)",
}


# -- child: one Lambda execution environment ----------------------------------------------------


def _event(body: dict[str, Any]) -> dict[str, Any]:
    host = "abcdefghijklmnop.lambda-url.us-east-1.on.aws"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/mcp",
        "rawQueryString": "",
        "headers": {
            "host": host,
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": "2025-06-18",
            "x-forwarded-proto": "https",
            "authorization": f"Bearer {os.environ.get('BENCH_TOKEN', '')}",
        },
        "requestContext": {
            "domainName": host,
            "http": {
                "method": "POST",
                "path": "/mcp",
                "protocol": "HTTP/1.1",
                "sourceIp": "10.0.0.1",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _hello_handler() -> Any:
    from fastmcp import FastMCP
    from mangum import Mangum

    mcp = FastMCP("hello")

    @mcp.tool
    def hello(name: str) -> str:
        """Say hello."""
        return f"Hello, {name}!"

    return Mangum(mcp.http_app(path="/mcp", stateless_http=True, json_response=True))


def _crm_handler() -> Any:
    import importlib.util

    # In a Lambda task folder (BENCH_TASK), its own handler.py; else the repository's.
    folder = Path(os.environ.get("BENCH_TASK") or REPO / "generated/crm")
    spec = importlib.util.spec_from_file_location("handler", folder / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def child(kind: str, warm_calls: int) -> None:
    handler = _hello_handler() if kind.startswith("hello") else _crm_handler()
    imported = time.time()
    call = (
        {"name": "hello", "arguments": {"name": "Lambda"}}
        if kind.startswith("hello")
        else {"name": "get_contact", "arguments": {"contact_id": 1001}}
    )
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"},
        },
    }

    def invoke(body: dict[str, Any]) -> dict[str, Any]:
        response = handler(_event(body), None)
        raw = response["body"]
        if response.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode()
        answer = json.loads(raw)
        if response["statusCode"] != 200 or answer.get("error") or answer["result"].get("isError"):
            raise SystemExit(f"bad answer: {response['statusCode']} {raw[:300]}")
        return answer

    invoke(initialize)
    invoke({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
    first = time.time()
    warm = []
    for i in range(warm_calls):
        started = time.perf_counter()
        invoke({"jsonrpc": "2.0", "id": 3 + i, "method": "tools/call", "params": call})
        warm.append((time.perf_counter() - started) * 1000)
    import resource

    print(
        MARKER
        + json.dumps(
            {
                "imported": imported,
                "first_call": first,
                "warm_ms": warm,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        ),
        flush=True,
    )


# -- parent --------------------------------------------------------------------------------------


def run_child(
    kind: str,
    warm_calls: int,
    env: dict[str, str],
    task: Path | None = None,
    *,
    wrapper: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One cold start of `kind`; with `task`, from that Lambda task folder alone; `wrapper` is
    a command the interpreter runs under (callgrind)."""
    command = [sys.executable, "-m", "bench.lambda_bench"]
    if task is not None:  # the script by path: the repository must not be on sys.path
        command = [getattr(sys, "_base_executable", sys.executable), "-S", "-s", __file__]
        env = {**env, "PYTHONPATH": str(task), "BENCH_TASK": str(task)}
    command = [*wrapper, *command]
    spawned = time.time()
    done = subprocess.run(
        [*command, "--child", kind, "--warm", str(warm_calls)],
        cwd=task or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900 if wrapper else 300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} child failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(lines[-1][len(MARKER) :])
    collected = re.search(r"Collected : (\d+)", done.stderr)
    result["instructions"] = int(collected.group(1)) if collected else None
    result["import_ms"] = (result["imported"] - spawned) * 1000
    result["cold_ms"] = (result["first_call"] - spawned) * 1000
    return result


def jwt_policy(tmp: Path) -> tuple[str, str]:
    """A policy verifying RS256 JWTs from a test issuer, and a caller's token: (path, token)."""
    import jwt
    import yaml
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    issuer, audience = "https://idp.bench/", "crm-mcp"
    policy = {
        "identity": {
            "jwt": {
                "issuer": issuer,
                "audience": audience,
                "keys": [public.decode()],
                "algorithms": ["RS256"],
                "groups_claim": "cognito:groups",
            }
        },
        "access": {"rules": [{"groups": ["sales"], "allow": ["*"], "writes": True}]},
        "rate_limits": {"per_user": {"per_minute": 1_000_000, "burst": 100_000}},
        "pii": {"key": "${env:BENCH_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
    }
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": "bench", "cognito:groups": ["sales"]}
    token = jwt.encode({**claims, "iat": now, "exp": now + 3600}, key, algorithm="RS256")
    return str(path), token


def task_folders(tmp: Path) -> tuple[dict[str, Path], tuple[float, float]]:
    """Lambda task folders for the packaged rows, and the CRM zip's (zipped, unpacked) MiB."""
    import zipfile
    from importlib.metadata import version

    hello = tmp / "hello"
    install = ["install", "--quiet", "--disable-pip-version-check", "--target", str(hello)]
    pins = [f"fastmcp=={version('fastmcp')}", f"mangum=={version('mangum')}"]
    _quietly([sys.executable, "-m", "pip", *install, *pins])
    target = tmp / "crm.zip"
    _quietly([sys.executable, "-m", "adaptgen", "package", "generated/crm", "--out", str(target)])
    with zipfile.ZipFile(target) as archive:
        archive.extractall(tmp / "crm")
        unpacked = sum(info.file_size for info in archive.infolist())
    sizes = (target.stat().st_size / 2**20, unpacked / 2**20)
    return {"hello-installed": hello, "crm-zip": tmp / "crm"}, sizes


def _quietly(command: list[str]) -> None:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:5])} failed: {done.stderr[-2000:]}")


def summarize(measured: list[dict[str, Any]]) -> dict[str, float]:
    """Medians of the cold starts; warm figures from the first run (the one with warm calls)."""
    # Here, not at the top: a packaged child runs this file with only its task folder and the
    # standard library on its path (`-S -s`), where `bench` is no package.
    from bench._stats import median, percentile

    warm = measured[0]["warm_ms"]
    return {
        "cold_ms": median(r["cold_ms"] for r in measured),
        "import_ms": median(r["import_ms"] for r in measured),
        "first_ms": median(r["cold_ms"] - r["import_ms"] for r in measured),
        "warm_median_ms": median(warm),
        "warm_p99_ms": percentile(warm, 0.99),
        "peak_rss_mb": median(r["peak_rss_mb"] for r in measured),
    }


def table(rows: dict[str, dict[str, float]], labels: dict[str, str], bare: str) -> list[str]:
    lines = [
        "| server | cold start ms | of which import ms | first calls ms | x bare | "
        "warm median ms | warm p99 ms | peak RSS MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for kind, r in rows.items():
        lines.append(
            f"| {labels[kind]} | {r['cold_ms']:.0f} | {r['import_ms']:.0f} | "
            f"{r['first_ms']:.0f} | {r['cold_ms'] / rows[bare]['cold_ms']:.2f} | "
            f"{r['warm_median_ms']:.2f} | {r['warm_p99_ms']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    return lines


def verdict(what: str, ratio: float, target: float) -> str:
    met = ratio <= target
    return (
        f"- [{'x' if met else ' '}] {what} <= {target}x the bare FastMCP server's: {ratio:.2f}x, "
        f"**{'met' if met else 'NOT met'}**"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted({*KINDS, *PACKAGED}), help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="3 cold starts per row (default 7)")
    parser.add_argument(
        "--package",
        action="store_true",
        help="also measure both servers as packaged for Lambda (builds the zip)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="with --package: also count each packaged cold start's instructions (callgrind)",
    )
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.warm)
        return 0

    from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running

    runs = 3 if args.quick else 7
    tmp = Path(tempfile.mkdtemp(prefix="lambda-bench-"))
    tasks: dict[str, Path] = {}
    sizes = None
    if args.package:
        print("installing the hello-world and packaging generated/crm ...", file=sys.stderr)
        tasks, sizes = task_folders(tmp)
    with running(require_session=True) as crm:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "ADAPTGEN_"))}
        base.update(
            CRM_BASE_URL=crm.url,
            CRM_USERNAME=SANDBOX_USERNAME,
            CRM_PASSWORD=SANDBOX_PASSWORD,
            BENCH_PII_KEY=base64.b64encode(os.urandom(64)).decode(),
        )
        base["CRM_POLICY"], base["BENCH_TOKEN"] = jwt_policy(tmp)
        envs = {
            "hello": base,
            "crm": base,
            "crm-bare": {**base, "ADAPTGEN_GOVERNANCE": "off", "CRM_ALLOW_ANONYMOUS": "1"},
            "hello-installed": base,
            "crm-zip": base,
        }
        kinds = [*KINDS, *tasks]
        for kind in kinds:  # one untimed run each: bytecode caches written, as in a package
            run_child(kind, 1, envs[kind], tasks.get(kind))
        counted = {
            kind: run_child(kind, 0, envs[kind], tasks[kind], wrapper=CALLGRIND)["instructions"]
            for kind in tasks
            if args.instructions
        }
        results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        for _ in range(runs):  # interleaved, so drift in machine load hits every row alike
            for kind in kinds:
                warm = 0 if _ else args.warm
                results[kind].append(run_child(kind, warm, envs[kind], tasks.get(kind)))
    rows = {kind: summarize(results[kind]) for kind in KINDS}
    packaged = {kind: summarize(results[kind]) for kind in tasks}
    ratio = rows["crm"]["cold_ms"] / rows["hello"]["cold_ms"]
    lines = [
        f"# Lambda benchmark: cold start and warm calls through the handler ({runs} cold starts "
        f"per row, median; {args.warm} warm calls; load average {os.getloadavg()[0]:.2f})",
        "",
        "## In this environment (the repository's virtualenv)",
        "",
        *table(rows, KINDS, "hello"),
        "",
        "Cold start = fresh interpreter -> handler imported -> initialize + first tools/call "
        "answered (the CRM's first call includes a session login to the sandbox).",
    ]
    targets = [verdict("cold start in this environment", ratio, COLD_TARGET)]
    if packaged and sizes:
        packaged_ratio = packaged["crm-zip"]["cold_ms"] / packaged["hello-installed"]["cold_ms"]
        lines += [
            "",
            "## As packaged for Lambda (a clean interpreter that sees only the task folder)",
            "",
            *table(packaged, PACKAGED, "hello-installed"),
            "",
            f"Deployment zip (generated/crm): {sizes[0]:.1f} MB, {sizes[1]:.1f} MB unpacked "
            "(MiB, as `adaptgen package` prints them).",
        ]
        targets.append(verdict("cold start as packaged", packaged_ratio, PACKAGED_TARGET))
        if counted:
            bare = counted["hello-installed"]
            lines += ["", "Instructions of one packaged cold start (callgrind):", ""]
            lines += [
                f"- {PACKAGED[kind]}: {n / 1e6:,.0f} M ({n / bare:.2f}x)"
                for kind, n in counted.items()
            ]
    lines += ["", "## Targets", "", *targets]
    print("\n".join(lines))
    if args.json:
        document = {"rows": rows, "packaged": packaged, "package_mb": sizes}
        document["instructions"] = counted
        args.json.write_text(json.dumps(document, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
