"""MCP conformance: the official suite against adaptgen's servers and the reference server.

`make conformance` (or `python scripts/conformance.py [--scenario NAME]...`) starts, each in its
own process on 127.0.0.1:

* the sandbox CRM and the generated CRM server over streamable HTTP (`adaptgen serve
  generated/crm --transport http`, with the tests' operator policy);
* the MCP reference server, adaptgen's own (`tests/conformance_server.py`: every demo tool,
  resource and prompt the suite's server scenarios call, on FastMCP), direct;
* `adaptgen proxy --transport http` in front of the reference server (every caller admitted;
  it relays the reference's logs, progress, sampling and elicitation to the calling session),

runs `conformance server --suite all` (npm's `@modelcontextprotocol/conformance`, on Node 22
from npm's `node` package) against each, and prints one table: scenario x target, pass / FAIL /
n/a. A scenario is n/a for the generated CRM when it needs the reference server's own demo
tools, resources or prompts (`test_image_content`, `test://static-text`, ...):
`conformance-not-applicable.yaml` beside this file lists them with the reason.

Exit 1 when an applicable scenario fails on the generated CRM, or when the proxy passes fewer
scenarios than the reference server does direct.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME  # noqa: E402
from bench.soak_bench import ADAPTGEN, HOST, free_port, started  # noqa: E402

NODE = REPO / "node_modules" / ".bin" / "node"
SUITE = REPO / "node_modules" / ".bin" / "conformance"
REFERENCE = REPO / "tests" / "conformance_server.py"
NOT_APPLICABLE = Path(__file__).with_name("conformance-not-applicable.yaml")
OPERATOR_POLICY = REPO / "tests" / "fixtures" / "policies" / "operator.yaml"
TARGETS = ("generated CRM", "reference direct", "reference via proxy")
SUITE_TIMEOUT = 600  # seconds for one target's whole run
RESULT_DIR = re.compile(r"-\d{4}-\d\d-\d\dT[\d-]+Z$")  # the suite's "-<timestamp>" suffix


@dataclass
class Results:
    """Per target: scenario -> "pass" | "FAIL"."""

    by_target: dict[str, dict[str, str]]
    not_applicable: dict[str, str]  # generated CRM: scenario -> reason

    def cell(self, target: str, scenario: str) -> str:
        if target == TARGETS[0] and scenario in self.not_applicable:
            return "n/a"
        return self.by_target[target].get(scenario, "-")

    def passed(self, target: str) -> int:
        return sum(1 for outcome in self.by_target[target].values() if outcome == "pass")

    def applicable_failures(self) -> list[str]:
        """Scenarios the generated CRM fails that are not in the n/a list."""
        outcomes = self.by_target[TARGETS[0]]
        return [s for s, o in outcomes.items() if o != "pass" and s not in self.not_applicable]

    def stale(self) -> list[str]:
        """n/a scenarios the generated CRM passes after all (the list is out of date)."""
        outcomes = self.by_target[TARGETS[0]]
        return [s for s in self.not_applicable if outcomes.get(s) == "pass"]


def not_applicable() -> dict[str, str]:
    """The generated CRM's n/a scenarios and why (conformance-not-applicable.yaml)."""
    document = yaml.safe_load(NOT_APPLICABLE.read_text(encoding="utf-8"))
    return dict(document["generated-crm"])


def run_suite(url: str, out: Path, scenarios: list[str]) -> dict[str, str]:
    """The suite against `url`: scenario -> "pass" | "FAIL" (from each checks.json)."""
    outcomes: dict[str, str] = {}
    for selected in [["--scenario", s] for s in scenarios] or [["--suite", "all"]]:
        argv = [str(NODE), str(SUITE), "server", "--url", url, *selected, "-o", str(out)]
        subprocess.run(argv, cwd=REPO, capture_output=True, timeout=SUITE_TIMEOUT, check=False)
    for checks in sorted(out.glob("server-*/checks.json")):
        scenario = RESULT_DIR.sub("", checks.parent.name.removeprefix("server-"))
        statuses = {c.get("status") for c in json.loads(checks.read_text(encoding="utf-8"))}
        outcomes[scenario] = "FAIL" if statuses - {"SUCCESS", "INFO", "SKIPPED"} else "pass"
    return outcomes


@contextlib.contextmanager
def servers(tmp: Path) -> Iterator[dict[str, str]]:
    """The three targets' MCP URLs while they run."""
    crm, served, reference, proxied = free_port(), free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "ADAPTGEN_"))},
        "CRM_BASE_URL": f"http://{HOST}:{crm}/api/v1",
        "CRM_USERNAME": SANDBOX_USERNAME,
        "CRM_PASSWORD": SANDBOX_PASSWORD,
    }
    policy = tmp / "proxy-policy.yaml"  # the suite calls every demo tool, writing ones too
    policy.write_text(
        yaml.safe_dump(
            {
                "identity": {"allow_anonymous": True, "anonymous_groups": ["conformance"]},
                "access": {
                    "rules": [
                        {
                            "groups": ["conformance"],
                            "allow": ["*"],
                            "writes": True,
                            "destructive": True,
                        }
                    ]
                },
                "audit": {"sink": "none"},
            }
        )
    )
    serve = [*ADAPTGEN, "serve", "generated/crm", "--transport", "http", "--host", HOST]
    serve += ["--port", str(served), "--policy", str(OPERATOR_POLICY)]
    ours = [sys.executable, str(REFERENCE), "http", str(reference)]
    proxy = [*ADAPTGEN, "proxy", "--upstream", f"http://{HOST}:{reference}/mcp"]
    proxy += [
        "--transport",
        "http",
        "--host",
        HOST,
        "--port",
        str(proxied),
        "--policy",
        str(policy),
    ]
    with (
        started([*ADAPTGEN, "sandbox", "--host", HOST, "--port", str(crm)], crm, env),
        started(serve, served, env),
        started(ours, reference, env),
        started(proxy, proxied, env),
    ):
        yield {
            TARGETS[0]: f"http://{HOST}:{served}/mcp",
            TARGETS[1]: f"http://{HOST}:{reference}/mcp",
            TARGETS[2]: f"http://{HOST}:{proxied}/mcp",
        }


def measure(scenarios: list[str], targets: tuple[str, ...] = TARGETS) -> Results:
    """Start the servers and run the suite against each of `targets`."""
    for tool in (NODE, SUITE):
        if not tool.exists():
            raise SystemExit(f"{tool} is missing: run `npm ci` in {REPO}")
    # The policy and the suite's checks.json files are read before the folder goes.
    with (
        tempfile.TemporaryDirectory(prefix="adaptgen-conformance-") as folder,
        servers(Path(folder)) as urls,
        ThreadPoolExecutor(len(targets)) as pool,
    ):
        tmp = Path(folder)
        # The targets are independent servers: their runs overlap (mostly Node start-ups).
        runs = {
            target: pool.submit(run_suite, urls[target], tmp / f"results-{i}", scenarios)
            for i, target in enumerate(targets)
        }
        by_target = {target: run.result() for target, run in runs.items()}
    return Results(by_target, not_applicable())


def report(results: Results) -> str:
    scenarios = sorted({s for outcomes in results.by_target.values() for s in outcomes})
    targets = list(results.by_target)
    lines = [
        "| scenario | " + " | ".join(targets) + " |",
        "| --- |" + " :---: |" * len(targets),
        *(f"| {s} | " + " | ".join(results.cell(t, s) for t in targets) + " |" for s in scenarios),
        "",
    ]
    for target in targets:
        count = f"{results.passed(target)}/{len(results.by_target[target])} pass"
        if target == TARGETS[0]:
            applicable = [s for s in results.by_target[target] if s not in results.not_applicable]
            count += f"; {len(applicable)} applicable, {len(results.applicable_failures())} fail"
        lines.append(f"- {target}: {count}")
    if TARGETS[0] in results.by_target:
        lines.append("")
        lines.append("n/a for the generated CRM (conformance-not-applicable.yaml):")
        lines += [f"- {s}: {reason}" for s, reason in sorted(results.not_applicable.items())]
    return "\n".join(lines)


def verdict(results: Results) -> list[str]:
    """What misses the targets (empty: all met)."""
    problems = []
    if TARGETS[0] in results.by_target:
        problems += [f"generated CRM fails {s}" for s in results.applicable_failures()]
        problems += [f"generated CRM passes {s}, listed n/a" for s in results.stale()]
    if {TARGETS[1], TARGETS[2]} <= results.by_target.keys():
        direct, proxied = results.passed(TARGETS[1]), results.passed(TARGETS[2])
        if proxied < direct:
            problems.append(f"the proxy passes {proxied} scenarios, the reference server {direct}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", default=[], help="run only these")
    args = parser.parse_args(argv)
    results = measure(args.scenario)
    print(report(results))
    problems = verdict(results)
    for problem in problems:
        print(f"target missed: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
