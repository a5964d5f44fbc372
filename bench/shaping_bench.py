"""Shaping benchmark: what an agent reads, against what the upstream sent.

Run `python -m bench.shaping_bench` from the repository root (or `bench/run`). For the sandbox
CRM (served on 127.0.0.1) and HubSpot contacts v3 (mocked by Prism from node_modules, with a
fixed seed), each row calls one tool three ways through a real MCP client: adaptgen with the
default rules (no hints), adaptgen with hints, and FastMCP.from_openapi on the same spec. It
prints a Markdown table of raw upstream body bytes beside MCP result bytes, then tools/list
sizes, a 500-item list against its budget, GitHub's search-mode tools/list, and the targets.

Raw bytes are the upstream's JSON for exactly the records the result shows (plus the page
envelope), so a result that shows fewer records than a page holds is not counted as a saving.

Shaping is measured with the governance layer off, as the shaping targets are about shaping. A
second table shows what the default governance adds to what the agent reads: PII becomes tokens
(longer than the values), and the budget must still hold. Then what a call costs in time: the
CRM's list and get calls, 300 times each (100 with `--quick`) per server through in-memory MCP
clients, round-robin so drift hits all three alike, against the sandbox on 127.0.0.1 (in this
process, so its own work is in every number). `governance_bench` measures the layer's time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import yaml
from fastmcp import Client, FastMCP

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.shape import estimate_tokens
from adaptgen.sandbox import SANDBOX_API_KEY, running
from bench._prism import PRISM, prism

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "specs"
HUBSPOT_HINTS = Path(__file__).with_name("hubspot.hints.yaml")
DEFAULT_RATIO_TARGET = 1 / 2
HINTS_RATIO_TARGET = 1 / 5
SEARCH_LIST_TARGET = 20_000
LATENCY_CALLS = 300


@dataclass
class Row:
    """One tool call measured three ways (bytes are what the agent reads: text + structured)."""

    api: str
    case: str
    raw_bytes: int  # upstream bodies for the default call
    default_shown: str  # "10 of 25" for paginated calls
    default_bytes: int
    default_raw_shown: int  # raw bytes for just the records the default result shows
    hints_bytes: int
    hints_raw_shown: int
    fastmcp_bytes: int | None
    default_tokens: int
    hints_tokens: int
    default_budget: int
    hints_budget: int

    hints_raw_bytes: int = 0  # upstream bodies for the hinted call

    @property
    def default_ratio(self) -> float:
        """Result bytes over the upstream bytes of the call (the issue's measure)."""
        return self.default_bytes / self.raw_bytes

    @property
    def hints_ratio(self) -> float:
        return self.hints_bytes / (self.hints_raw_bytes or self.raw_bytes)

    @property
    def default_per_record(self) -> float:
        """Stricter: against the upstream bytes of just the records shown."""
        return self.default_bytes / self.default_raw_shown

    @property
    def hints_per_record(self) -> float:
        return self.hints_bytes / self.hints_raw_shown


def agent_bytes(result: Any) -> int:
    """What a model reads of a tools/call result: its text content plus structured content."""
    size = sum(len(c.text.encode()) for c in result.content if getattr(c, "text", None))
    if result.structured_content is not None:
        size += len(json.dumps(result.structured_content, separators=(",", ":")).encode())
    return size


async def call(target: Any, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(target) as client:
        return await client.call_tool_mcp(tool, arguments)


async def tools_list_bytes(target: Any) -> int:
    async with Client(target) as client:
        listed = await client.session.list_tools()
        tools = ",".join(t.model_dump_json(by_alias=True, exclude_none=True) for t in listed.tools)
        return len(('{"tools":[' + tools + "]}").encode())


async def observed_call(module: Any, tool: str, arguments: dict[str, Any]) -> tuple[Any, Any]:
    """Call through a real MCP client and capture the runtime's upstream figures."""
    seen: list[Any] = []
    module.api.observers.append(lambda name, outcome: seen.append(outcome))
    try:
        result = await call(module.mcp, tool, arguments)
    finally:
        module.api.observers.pop()
    if result.is_error:
        raise RuntimeError(f"{tool}: {result.content[0].text}")
    return result, seen[-1]


def raw_for_shown(outcome: Any) -> int:
    """Upstream bytes for the records shown: pages are charged in proportion to what shows."""
    if outcome.upstream_items and outcome.shown_items is not None:
        return round(outcome.upstream_bytes * outcome.shown_items / outcome.upstream_items)
    return outcome.upstream_bytes


def build_variants(spec: Path, out: Path, hints: Path | None, name: str) -> tuple[Any, Any]:
    default = build(BuildOptions(spec=spec, out=out / "default", no_hints=True, name=name))
    hinted = build(BuildOptions(spec=spec, out=out / "hints", hints=hints, name=name + "_h"))
    return default, hinted


def budgets(report: Any, tool: str) -> int:
    return next(t.shape.max_tokens for t in report.api.tools if t.name == tool)


async def measure_case(
    api: str,
    case: str,
    default_mod: Any,
    hinted_mod: Any,
    fastmcp: FastMCP,
    adaptgen_call: tuple[str, dict[str, Any]],
    fastmcp_call: tuple[str, dict[str, Any]],
    reports: tuple[Any, Any],
) -> Row:
    """Call one tool three ways through real MCP clients."""
    tool, args = adaptgen_call
    # Hints may rename a tool: find the hinted one by the operation behind it.
    op_id = next(t.operation_id for t in reports[0].api.tools if t.name == tool)
    hinted_tool = next(t.name for t in reports[1].api.tools if t.operation_id == op_id)
    default_result, default_outcome = await observed_call(default_mod, tool, args)
    hinted_result, hinted_outcome = await observed_call(hinted_mod, hinted_tool, args)
    fastmcp_result = await call(fastmcp, *fastmcp_call)
    shown = (
        f"{default_outcome.shown_items} of {default_outcome.upstream_items}"
        if default_outcome.upstream_items is not None
        else "1"
    )
    return Row(
        api=api,
        case=case,
        raw_bytes=default_outcome.upstream_bytes,
        default_shown=shown,
        default_bytes=agent_bytes(default_result),
        default_raw_shown=raw_for_shown(default_outcome),
        hints_bytes=agent_bytes(hinted_result),
        hints_raw_shown=raw_for_shown(hinted_outcome),
        hints_raw_bytes=hinted_outcome.upstream_bytes,
        fastmcp_bytes=None if fastmcp_result.is_error else agent_bytes(fastmcp_result),
        default_tokens=estimate_tokens(default_result.content[0].text),
        hints_tokens=estimate_tokens(hinted_result.content[0].text),
        default_budget=budgets(reports[0], tool),
        hints_budget=budgets(reports[1], hinted_tool),
    )


async def latencies(
    targets: dict[str, tuple[Any, str, dict[str, Any]]], calls: int
) -> dict[str, dict[str, float]]:
    """Median and p99 ms per tools/call for each (server, tool, arguments), round-robin."""
    samples: dict[str, list[float]] = {label: [] for label in targets}
    labels = list(targets)
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            label: await stack.enter_async_context(Client(server))
            for label, (server, _, _) in targets.items()
        }
        for _ in range(10):  # warm: connections, the first page, caches
            for label, (_, tool, args) in targets.items():
                await clients[label].call_tool_mcp(tool, args)
        for i in range(calls):
            for label in labels[i % len(labels) :] + labels[: i % len(labels)]:
                _, tool, args = targets[label]
                started = time.perf_counter()
                result = await clients[label].call_tool_mcp(tool, args)
                samples[label].append((time.perf_counter() - started) * 1000)
                if result.is_error:
                    raise RuntimeError(f"{label} {tool}: {result.content[0].text}")
    return {
        label: {
            "median_ms": statistics.median(values),
            "p99_ms": sorted(values)[min(len(values) - 1, round(0.99 * (len(values) - 1)))],
        }
        for label, values in samples.items()
    }


async def crm_rows(tmp: Path, out: dict[str, Any], calls: int = LATENCY_CALLS) -> list[Row]:
    spec = REPO / "specs" / "crm.yaml"
    rows: list[Row] = []
    with running() as crm:
        for name in ("CRM", "CRM_H"):
            os.environ[f"{name}_BASE_URL"] = crm.url
            os.environ[f"{name}_API_KEY"] = SANDBOX_API_KEY
        reports = build_variants(spec, tmp / "crm", REPO / "specs" / "crm.hints.yaml", "crm")
        default_mod = load_server_module(reports[0].out_dir)
        hinted_mod = load_server_module(reports[1].out_dir)
        doc = yaml.safe_load(spec.read_text())
        doc["servers"] = [{"url": crm.url}]
        client = httpx2.AsyncClient(base_url=crm.url, headers={"X-API-Key": SANDBOX_API_KEY})
        fastmcp = FastMCP.from_openapi(doc, client=client)
        headers = {"X-API-Key": SANDBOX_API_KEY}
        first = httpx.get(f"{crm.url}/contacts?per_page=1", headers=headers).json()["data"][0]
        cases = [
            (
                "list contacts",
                ("list_contacts", {"limit": 25}),
                ("listContacts", {"per_page": 25}),
            ),
            (
                "get contact",
                ("get_contact", {"contact_id": first["id"]}),
                ("getContact", {"contactId": first["id"]}),
            ),
            (
                "list deals",
                ("list_deals", {"limit": 25}),
                ("listDeals", {"per_page": 25}),
            ),
            (
                "get deal",
                ("get_deal", {"deal_id": 5001}),
                ("getDeal", {"dealId": 5001}),
            ),
        ]
        for case, ours, theirs in cases:
            rows.append(
                await measure_case(
                    "CRM sandbox",
                    case,
                    default_mod,
                    hinted_mod,
                    fastmcp,
                    ours,
                    theirs,
                    reports,
                )
            )
        out["tools_list"]["CRM sandbox"] = {
            "adaptgen default": (await tools_list_bytes(default_mod.mcp)),
            "adaptgen hints": (await tools_list_bytes(hinted_mod.mcp)),
            "FastMCP": (await tools_list_bytes(fastmcp)),
        }
        out["big_list"] = await big_list(tmp, crm.url, hinted_mod)
        pii_cases = [*cases[:2], ("list contacts, 100 asked", ("list_contacts", {"limit": 100}))]
        out["pii"] = await pii_rows(tmp, reports, hinted_mod, pii_cases)
        out["latency"] = {}
        for case, (tool, args), theirs in cases[:2]:
            op_id = next(t.operation_id for t in reports[0].api.tools if t.name == tool)
            hinted = next(t.name for t in reports[1].api.tools if t.operation_id == op_id)
            out["latency"][case] = await latencies(
                {
                    "adaptgen hints": (hinted_mod.mcp, hinted, args),
                    "adaptgen default": (default_mod.mcp, tool, args),
                    "FastMCP": (fastmcp, *theirs),
                },
                calls,
            )
    return rows


async def pii_rows(
    tmp: Path, reports: tuple[Any, Any], hinted_mod: Any, cases: list[Any]
) -> list[dict[str, Any]]:
    """The hinted CRM calls again with governance on (the safe default's PII tokenization)."""
    policy = tmp / "policy.yaml"  # the safe default, audit lines kept out of this report
    policy.write_text(
        yaml.safe_dump(
            {
                "identity": {"local": {"subject": "bench", "groups": ["bench"]}},
                "access": {"rules": [{"allow": ["*"]}]},
                "audit": {"sink": "none"},
            }
        )
    )
    os.environ.update(ADAPTGEN_GOVERNANCE="on", CRM_H_POLICY=str(policy))
    try:
        governed = load_server_module(reports[1].out_dir)
    finally:
        os.environ["ADAPTGEN_GOVERNANCE"] = "off"
    results = []
    for case, (tool, args), *_ in cases:
        op_id = next(t.operation_id for t in reports[0].api.tools if t.name == tool)
        hinted = next(t.name for t in reports[1].api.tools if t.operation_id == op_id)
        plain = await call(hinted_mod.mcp, hinted, args)
        result = await call(governed.mcp, hinted, args)
        text = result.content[0].text
        results.append(
            {
                "case": case,
                "off_bytes": agent_bytes(plain),
                "off_shown": len(json.loads(plain.content[0].text).get("items", [None])),
                "on_bytes": agent_bytes(result),
                "tokens": estimate_tokens(text),
                "budget": budgets(reports[1], hinted),
                "pii_tokens": text.count("<pii:"),
                "shown": len(json.loads(text).get("items", [None])),
            }
        )
    return results


async def big_list(tmp: Path, url: str, hinted_mod: Any) -> list[dict[str, Any]]:
    """500-item lists: ids-only search (one upstream answer), and activities across pages."""
    hints = yaml.safe_load((REPO / "specs" / "crm.hints.yaml").read_text())
    hints["tools"]["listActivities"]["paginate"] = {
        "style": "page",
        "page_size": 100,
        "max_items": 500,
    }
    path = tmp / "crm500.hints.yaml"
    path.write_text(yaml.safe_dump(hints))
    report = build(
        BuildOptions(spec=REPO / "specs" / "crm.yaml", out=tmp / "c500", hints=path, name="crm_big")
    )
    os.environ["CRM_BIG_BASE_URL"] = url
    os.environ["CRM_BIG_API_KEY"] = SANDBOX_API_KEY
    module = load_server_module(report.out_dir)
    results = []
    for mod, tool, args in (
        (hinted_mod, "search_records", {"q": "a", "limit": 500}),
        (module, "list_activities", {"limit": 500}),
    ):
        result = await call(mod.mcp, tool, args)
        text = result.content[0].text
        data = json.loads(text)
        shown = len(data.get("items", data.get("ids", [])))
        budget = budgets(report, tool)
        results.append(
            {
                "tool": tool,
                "asked": 500,
                "shown": shown,
                "tokens": estimate_tokens(text),
                "budget": budget,
                "more": "next_cursor" in data or "_note" in data,
            }
        )
    return results


async def hubspot_rows(tmp: Path, out: dict[str, Any]) -> list[Row]:
    spec = SHARED / "hubspot_contacts_v3.json"
    if not spec.is_file() or not PRISM.exists():
        print("HubSpot rows skipped: ../shared/specs or Prism (npm ci) missing", file=sys.stderr)
        return []
    rows: list[Row] = []
    with prism(spec, dynamic=True) as url:
        for name in ("HUBSPOT", "HUBSPOT_H"):
            os.environ[f"{name}_BASE_URL"] = url
            os.environ[f"{name}_OAUTH2_TOKEN"] = "bench-token"
        reports = build_variants(spec, tmp / "hubspot", HUBSPOT_HINTS, "hubspot")
        default_mod = load_server_module(reports[0].out_dir)
        hinted_mod = load_server_module(reports[1].out_dir)
        doc = json.loads(spec.read_text())
        doc["servers"] = [{"url": url}]
        headers = {"Authorization": "Bearer bench-token"}
        fastmcp = FastMCP.from_openapi(
            doc, client=httpx2.AsyncClient(base_url=url, headers=headers)
        )
        tools = reports[0].api.tools
        list_tool = next(t for t in tools if t.path.endswith("/contacts") and t.method == "GET")
        get_tool = next(t for t in tools if t.path.endswith("{contactId}") and t.method == "GET")
        fastmcp_tools = {t.name: t for t in await _list(fastmcp)}
        fm_list = next(n for n in fastmcp_tools if "getPage" in n or "get_page" in n.lower())
        fm_get = next(n for n in fastmcp_tools if "getById" in n or "get_by_id" in n.lower())
        cases = [
            (
                "list contacts",
                (list_tool.name, {"limit": 10}),
                (fm_list, {"limit": 10}),
            ),
            (
                "get contact",
                (get_tool.name, {"contact_id": "1"}),
                (fm_get, {"contactId": "1"}),
            ),
        ]
        for case, ours, theirs in cases:
            rows.append(
                await measure_case(
                    "HubSpot contacts v3 (Prism)",
                    case,
                    default_mod,
                    hinted_mod,
                    fastmcp,
                    ours,
                    theirs,
                    reports,
                )
            )
        out["tools_list"]["HubSpot contacts v3"] = {
            "adaptgen default": (await tools_list_bytes(default_mod.mcp)),
            "adaptgen hints": (await tools_list_bytes(hinted_mod.mcp)),
            "FastMCP": (await tools_list_bytes(fastmcp)),
        }
    return rows


async def _list(server: FastMCP) -> list[Any]:
    async with Client(server) as client:
        return await client.list_tools()


async def github_search(tmp: Path, out: dict[str, Any]) -> None:
    spec = SHARED / "github_api_2020.json"
    if not spec.is_file():
        return
    report = build(BuildOptions(spec=spec, out=tmp / "github", name="github"))
    module = load_server_module(report.out_dir)
    out["tools_list"]["GitHub (search mode)"] = {
        "adaptgen default": (await tools_list_bytes(module.mcp)),
        "adaptgen hints": None,
        "FastMCP": None,
    }


async def _run(tmp: Path, out: dict[str, Any], calls: int = LATENCY_CALLS) -> list[Row]:
    # One event loop for everything: FastMCP's upstream client belongs to the loop it met first.
    rows = await crm_rows(tmp, out, calls) + await hubspot_rows(tmp, out)
    await github_search(tmp, out)
    return rows


def report(rows: list[Row], out: dict[str, Any]) -> str:
    lines = [
        "# Shaping benchmark: what the agent reads vs what the upstream sent",
        "",
        "| API | call | records shown | raw upstream B | adaptgen default B | ratio | "
        "per record* | adaptgen hints B | ratio | per record* | FastMCP B | "
        "tokens default/budget | tokens hints/budget |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        fm = f"{r.fastmcp_bytes:,}" if r.fastmcp_bytes is not None else "error"
        lines.append(
            f"| {r.api} | {r.case} | {r.default_shown} | {r.raw_bytes:,} | {r.default_bytes:,} | "
            f"{r.default_ratio:.2f} | {r.default_per_record:.2f} | {r.hints_bytes:,} | "
            f"{r.hints_ratio:.2f} | {r.hints_per_record:.2f} | {fm} | "
            f"{r.default_tokens}/{r.default_budget} | {r.hints_tokens}/{r.hints_budget} |"
        )
    lines += [
        "",
        "ratio: MCP result bytes over the upstream bytes the call received (the targets' measure).",
        "(*) per record: against the upstream bytes of just the records shown (a page the",
        "budget cut is charged in proportion), so showing fewer records never counts.",
        "",
        "## tools/list bytes",
        "",
        "| API | adaptgen default | adaptgen hints | FastMCP 4.1.2 |",
        "|---|--:|--:|--:|",
    ]
    for api, sizes in out["tools_list"].items():
        cells = [f"{v:,}" if v is not None else "—" for v in sizes.values()]
        lines.append(f"| {api} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## 500-item lists",
        "",
        "| tool | asked | shown | tokens | budget | more? |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for b in out.get("big_list", []):
        lines.append(
            f"| {b['tool']} | {b['asked']} | {b['shown']} | {b['tokens']} | "
            f"{b['budget']} | {'cursor/note' if b['more'] else 'all shown'} |"
        )
    if out.get("pii"):
        lines += [
            "",
            "## With the default governance: PII as tokens (CRM sandbox, hints)",
            "",
            "| call | governance off B | records | PII tokenized B | records | PII tokens | "
            "tokens/budget |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]
        for p in out["pii"]:
            lines.append(
                f"| {p['case']} | {p['off_bytes']:,} | {p['off_shown']} | {p['on_bytes']:,} | "
                f"{p['shown']} | {p['pii_tokens']} | {p['tokens']}/{p['budget']} |"
            )
        lines.append(
            "Records are tokenized before the budget is applied: with tokens, fewer records fit, "
            "and the cursor resumes after the last one shown."
        )
    if out.get("latency"):
        labels = list(next(iter(out["latency"].values())))
        lines += [
            "",
            "## Time per call, CRM sandbox (median ms, p99 in brackets; governance off)",
            "",
            "| call | " + " | ".join(labels) + " |",
            "|---|" + "--:|" * len(labels),
        ]
        for case, by_label in out["latency"].items():
            cells = [
                f"{by_label[label]['median_ms']:.2f} ({by_label[label]['p99_ms']:.2f})"
                for label in labels
            ]
            lines.append(f"| {case} | " + " | ".join(cells) + " |")
        lines.append(
            "adaptgen's list collects 25 records, drops, keeps and denoises each, and adds a "
            "cursor; FastMCP passes the page through."
        )
    targets = []
    worst_default = max((r.default_ratio for r in rows), default=0)
    worst_hints = max((r.hints_ratio for r in rows), default=0)
    over = [
        r for r in rows if r.default_tokens > r.default_budget or r.hints_tokens > r.hints_budget
    ]
    over += [b for b in out.get("big_list", []) if b["tokens"] > b["budget"]]
    over += [p for p in out.get("pii", []) if p["tokens"] > p["budget"]]
    search = (out["tools_list"].get("GitHub (search mode)") or {}).get("adaptgen default")
    targets.append(
        (
            "default denoise <= 1/2 of raw bytes",
            worst_default <= DEFAULT_RATIO_TARGET,
            f"worst {worst_default:.2f}",
        )
    )
    targets.append(
        (
            "with hints <= 1/5 of raw bytes",
            worst_hints <= HINTS_RATIO_TARGET,
            f"worst {worst_hints:.2f}",
        )
    )
    targets.append(
        (
            "no result over its budget (incl. 500-item lists and PII tokens)",
            not over,
            f"{len(over)} over",
        )
    )
    if search is not None:
        targets.append(
            (
                "GitHub search-mode tools/list <= 20 KB",
                search <= SEARCH_LIST_TARGET,
                f"{search:,} B",
            )
        )
    lines += ["", "## Targets", ""]
    for name, met, detail in targets:
        lines.append(
            f"- [{'x' if met else ' '}] {name}: **{'met' if met else 'NOT met'}** ({detail})"
        )
    out["targets"] = [{"target": n, "met": m, "detail": d} for n, m, d in targets]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"100 timed calls per server, not {LATENCY_CALLS}"
    )
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"tools_list": {}}
    # Shaping on its own (see the module docstring); pii_rows turns the layer on for its table.
    os.environ["ADAPTGEN_GOVERNANCE"] = "off"
    tmp = Path(tempfile.mkdtemp(prefix="adaptgen-shaping-"))
    try:
        rows = asyncio.run(_run(tmp, out, 100 if args.quick else LATENCY_CALLS))
        print(report(rows, out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows], **out}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
