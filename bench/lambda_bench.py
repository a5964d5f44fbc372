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

`--package` also builds the deployment zip (`adaptgen package generated/crm`) and reports its size.
The target (issue 6): cold start <= 1.2x the bare FastMCP server's.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MARKER = "BENCH_RESULT "
COLD_TARGET = 1.2
KINDS = {
    "hello": "bare FastMCP hello-world",
    "crm": "generated CRM (governance on)",
    "crm-bare": "generated CRM, governance off",
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

    spec = importlib.util.spec_from_file_location("handler", REPO / "generated/crm/handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def child(kind: str, warm_calls: int) -> None:
    handler = _hello_handler() if kind == "hello" else _crm_handler()
    imported = time.time()
    call = (
        {"name": "hello", "arguments": {"name": "Lambda"}}
        if kind == "hello"
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


def run_child(kind: str, warm_calls: int, env: dict[str, str]) -> dict[str, Any]:
    spawned = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "bench.lambda_bench", "--child", kind, "--warm", str(warm_calls)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} child failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(lines[-1][len(MARKER) :])
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def package_size() -> tuple[float, float] | None:
    """(zip MB, unpacked MB) of `adaptgen package generated/crm`, or None if it fails."""
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "crm.zip"
        done = subprocess.run(
            [sys.executable, "-m", "adaptgen", "package", "generated/crm", "--out", str(target)],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not target.is_file():
            print(f"package failed: {done.stderr[-1000:]}", file=sys.stderr)
            return None
        with zipfile.ZipFile(target) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        return target.stat().st_size / 1e6, unpacked / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="3 cold starts per row (default 7)")
    parser.add_argument("--package", action="store_true", help="also build and size the zip")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.warm)
        return 0

    from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running

    runs = 3 if args.quick else 7
    rows: dict[str, dict[str, Any]] = {}
    with running(require_session=True) as crm:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "ADAPTGEN_"))}
        base.update(
            CRM_BASE_URL=crm.url,
            CRM_USERNAME=SANDBOX_USERNAME,
            CRM_PASSWORD=SANDBOX_PASSWORD,
            BENCH_PII_KEY=base64.b64encode(os.urandom(64)).decode(),
        )
        base["CRM_POLICY"], base["BENCH_TOKEN"] = jwt_policy(Path(tempfile.mkdtemp()))
        envs = {"hello": base, "crm": base, "crm-bare": {**base, "ADAPTGEN_GOVERNANCE": "off"}}
        for kind in KINDS:  # one untimed run each: bytecode caches written, as in a package
            run_child(kind, 1, envs[kind])
        results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        for _ in range(runs):  # interleaved, so drift in machine load hits every row alike
            for kind in KINDS:
                results[kind].append(run_child(kind, 0 if _ else args.warm, envs[kind]))
    for kind, measured in results.items():
        warm = measured[0]["warm_ms"]
        rows[kind] = {
            "cold_ms": statistics.median(r["cold_ms"] for r in measured),
            "import_ms": statistics.median(r["import_ms"] for r in measured),
            "first_ms": statistics.median(r["cold_ms"] - r["import_ms"] for r in measured),
            "warm_median_ms": statistics.median(warm),
            "warm_p99_ms": percentile(warm, 0.99),
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in measured),
        }
    bare = rows["hello"]["cold_ms"]
    lines = [
        f"# Lambda benchmark: cold start and warm calls through the handler ({runs} cold starts "
        f"per row, median; {args.warm} warm calls)",
        "",
        "| server | cold start ms | of which import ms | first calls ms | x bare | "
        "warm median ms | warm p99 ms | peak RSS MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for kind, r in rows.items():
        lines.append(
            f"| {KINDS[kind]} | {r['cold_ms']:.0f} | {r['import_ms']:.0f} | {r['first_ms']:.0f} | "
            f"{r['cold_ms'] / bare:.2f} | {r['warm_median_ms']:.2f} | {r['warm_p99_ms']:.2f} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    ratio = rows["crm"]["cold_ms"] / bare
    lines += [
        "",
        "Cold start = fresh interpreter -> handler imported -> initialize + first tools/call "
        "answered (the CRM's first call includes a session login to the sandbox).",
    ]
    sizes = package_size() if args.package else None
    if sizes:
        lines.append(
            f"Deployment zip (generated/crm): {sizes[0]:.1f} MB, {sizes[1]:.1f} MB unpacked."
        )
    lines += [
        "",
        "## Targets",
        "",
        f"- [{'x' if ratio <= COLD_TARGET else ' '}] cold start <= {COLD_TARGET}x the bare "
        f"FastMCP server's: {ratio:.2f}x, **{'met' if ratio <= COLD_TARGET else 'NOT met'}**",
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "package_mb": sizes}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
