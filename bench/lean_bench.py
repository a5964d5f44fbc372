"""Lean results benchmark: where the bytes of a no-hints result go, and what is left to cut.

Run `python -m bench.lean_bench [--spec NAME]... [--json FILE]` from the repository root (or
`bench/run`). Three tables:

1. HubSpot contacts v3 mocked by Prism (dynamic bodies, fixed seed, as readiness_bench): the
   list and get calls through a real MCP client with no hints, the upstream bodies beside the
   text the agent reads, each split into byte categories (below);
2. every shared spec, every GET operation whose path Prism answers with a JSON 2xx body (static
   Prism, then dynamic), called directly (no MCP server: Prism's bodies are the input); each body
   put through the default shaping (`shape.select` with no hints, no token budget) and `lean`,
   the same functions a no-hints server runs, and split into the same categories;
3. the sandbox CRM's own records (`adaptgen sandbox`: realistic legacy data, not generated
   from a schema), each list and get body through the same default shaping and `lean`.

Categories: values (strings, timestamps, numbers, booleans), keys the spec declares as
properties, keys it does not (map keys: `additionalProperties`, which Prism fills with invented
names), and JSON syntax (braces, brackets, commas, colons, quotes of keys). "Floor" is the values
plus map keys of the lean result: the bytes any encoding needs that keeps every value and map key
the default keeps, so no lossless change gets a result below it.

"Default-valued" (issue 16, item 3): the bytes of `"key":value,` pairs whose value equals the
default the response schema declares for that field, i.e. what dropping them would save at most.
Static Prism answers with a field's default wherever the spec gives no example, so its figure is
the upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.readiness import context
from adaptgen.readiness.fields import ITEMS, FieldWalker, success_response
from adaptgen.runtime.catalog import Shape
from adaptgen.runtime.lean import COLUMNS, ROWS, lean
from adaptgen.runtime.shape import select
from bench._prism import PRISM, offline_spec, prism
from bench.realworld_bench import NotSynthesizable, synthesize
from bench.shaping_bench import SHARED, observed_call

CATEGORIES = (
    "strings",
    "timestamps",
    "numbers",
    "booleans/null",
    "map keys",
    "declared keys",
    "syntax",
)
VALUES = ("strings", "timestamps", "numbers", "booleans/null", "map keys")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$")


def size(value: Any) -> int:
    """Bytes of `value` as the compact JSON an agent reads."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def declared_names(document: Any) -> frozenset[str]:
    """Every property name any schema of the spec declares."""
    names: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                names.update(str(k) for k in properties)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(names)


def categorize(data: Any, declared: frozenset[str]) -> Counter[str]:
    """Bytes of `data` (compact JSON) by category; they sum to `size(data)`."""
    out: Counter[str] = Counter()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out["syntax"] += 2 + 2 * len(node) - (1 if node else 0)  # {} , :
            for key, value in node.items():
                known = key in declared or key in (COLUMNS, ROWS)
                out["declared keys" if known else "map keys"] += size(key)
                stack.append(value)
        elif isinstance(node, list):
            out["syntax"] += 2 + max(len(node) - 1, 0)
            stack.extend(node)
        elif isinstance(node, str):
            out["timestamps" if _TIMESTAMP.match(node) else "strings"] += size(node)
        elif isinstance(node, bool) or node is None:
            out["booleans/null"] += size(node)
        else:
            out["numbers"] += size(node)
    return out


def default_valued(body: Any, defaults: dict[tuple[str, ...], Any]) -> int:
    """Bytes of the `"key":value,` pairs of `body` whose value is the schema's default."""
    saved = 0
    stack: list[tuple[Any, tuple[str, ...]]] = [(body, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                at = (*path, str(key))
                default = defaults.get(at, _MISSING)
                if value == default and type(value) is type(default):
                    saved += size(key) + size(value) + 2
                else:
                    stack.append((value, at))
        elif isinstance(node, list):
            stack.extend((item, (*path, ITEMS)) for item in node)
    return saved


_MISSING = object()


def get_operations(spec: Path) -> tuple[list[tuple[str, dict[tuple[str, ...], Any]]], Any]:
    """Each GET operation's request path (path parameters synthesized from their schemas) and
    the defaults its success response declares, by field path; and the loaded spec."""
    loaded = context.load(spec)
    walker = FieldWalker(loaded.resolver)
    found = []
    for path, method, op, pointer in context._spec_operations(loaded):
        if method != "get":
            continue
        schema, source, at = success_response(loaded, op, pointer)
        if schema is None:
            continue
        fields = walker.fields(schema, source, at)
        defaults = {f.path: f.schema["default"] for f in fields if "default" in f.schema}
        item = loaded.document["paths"].get(path) or {}
        url = path
        for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            if isinstance(param, dict) and isinstance(param.get("$ref"), str):
                resolved = loaded.resolver.resolve(param["$ref"], loaded.source, pointer)
                param = resolved.value if resolved else {}
            if not isinstance(param, dict) or param.get("in") != "path":
                continue
            try:
                value = synthesize(param.get("schema") or {"type": "string"})
            except NotSynthesizable:
                value = "1"
            url = url.replace("{" + str(param.get("name")) + "}", str(value))
        found.append((url, defaults))
    return found, loaded


def spec_row(spec: Path, dynamic: bool, tmp: Path) -> dict[str, Any]:
    """One spec's GET bodies from Prism, raw and as the no-hints default shapes them."""
    operations, loaded = get_operations(spec)
    mocked, _ = offline_spec(spec, tmp)  # Prism must not fetch remote $refs (no network)
    declared = declared_names(loaded.document)
    raw: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    totals = Counter()
    # Prism checks that some credential is sent, not which: one that fits each scheme kind.
    auth = "Basic dXNlcjpwYXNz" if "twilio" in spec.name else "Bearer bench-token"
    with prism(mocked, dynamic=dynamic) as url, httpx.Client(base_url=url, timeout=30) as client:
        for path, defaults in operations:
            try:
                response = client.get(path, headers={"Authorization": auth, "api_key": "x"})
                body = response.json() if response.is_success else None
            except (httpx.HTTPError, ValueError):
                continue
            if body is None:
                continue
            shaped = lean(select(body, Shape(), whole_response=True))
            totals["bodies"] += 1
            totals["raw"] += size(body)
            totals["lean"] += size(shaped)
            totals["default_valued"] += default_valued(body, defaults)
            raw += categorize(body, declared)
            kept += categorize(shaped, declared)
    return {
        "spec": spec.name,
        "mode": "dynamic" if dynamic else "static",
        **totals,
        "raw_categories": dict(raw),
        "lean_categories": dict(kept),
    }


SANDBOX_CALLS = (
    "/contacts?per_page=25",
    "/companies?per_page=25",
    "/deals?per_page=25",
    "/activities?per_page=25",
    "/contacts/1001",
    "/deals/5001",
)


def sandbox_rows() -> list[dict[str, Any]]:
    """The sandbox CRM's own records (a legacy API's noise: nested owners and addresses, audit
    blocks, links, histories), not Prism's: each list and get body, raw and as the no-hints
    default shapes it."""
    from adaptgen.sandbox import SANDBOX_API_KEY, running

    rows = []
    with running() as crm, httpx.Client(base_url=crm.url, timeout=30) as client:
        for call in SANDBOX_CALLS:
            body = client.get(call, headers={"X-API-Key": SANDBOX_API_KEY}).json()
            shaped = lean(select(body, Shape(), whole_response=True))
            rows.append({"call": f"GET {call}", "raw": size(body), "lean": size(shaped)})
    return rows


async def hubspot_rows(tmp: Path) -> list[dict[str, Any]]:
    """HubSpot's list and get through a real MCP client, no hints, by byte category."""
    spec = SHARED / "hubspot_contacts_v3.json"
    declared = declared_names(json.loads(spec.read_text()))
    rows = []
    with prism(spec, dynamic=True) as url:
        os.environ["HUBSPOT_LEAN_BASE_URL"] = url
        os.environ["HUBSPOT_LEAN_OAUTH2_TOKEN"] = "bench-token"
        report = build(BuildOptions(spec=spec, out=tmp, no_hints=True, name="hubspot_lean"))
        module = load_server_module(report.out_dir)
        bodies: list[Any] = []
        send = module.api.upstream.send

        async def recording(*args: Any, **kwargs: Any) -> Any:
            response = await send(*args, **kwargs)
            bodies.append(response.data)
            return response

        module.api.upstream.send = recording
        tools = report.api.tools
        get_by_id = "get-/crm/v3/objects/contacts/{contactId}_getById"
        cases = [
            ("list contacts", "get-/crm/v3/objects/contacts_getPage", {"limit": 10}),
            ("get contact", get_by_id, {"contact_id": "1"}),
        ]
        for case, op_id, arguments in cases:
            tool = next(t.name for t in tools if t.operation_id == op_id)
            bodies.clear()
            result, outcome = await observed_call(module, tool, arguments)
            text = result.content[0].text
            raw = bodies[0] if len(bodies) == 1 else bodies
            rows.append(
                {
                    "case": case,
                    "raw": outcome.upstream_bytes,
                    "lean": len(text.encode()),
                    "raw_categories": dict(categorize(raw, declared)),
                    "lean_categories": dict(categorize(json.loads(text), declared)),
                }
            )
    return rows


def _share(part: int, whole: int) -> str:
    return f"{part:,} ({part / whole:.2f}x)" if whole else "0"


def report(
    hubspot: list[dict[str, Any]], specs: list[dict[str, Any]], sandbox: list[dict[str, Any]]
) -> str:
    out: list[str] = []
    if hubspot:
        out += [
            "## HubSpot contacts v3 (dynamic Prism), no hints, through MCP: bytes by category",
            "",
            "x = share of the raw upstream bytes of the call.",
            "",
            "| category | "
            + " | ".join(f"{r['case']}: raw | {r['case']}: agent reads" for r in hubspot)
            + " |",
            "| --- |" + " ---: | ---: |" * len(hubspot),
        ]
        for category in CATEGORIES:
            cells = []
            for r in hubspot:
                cells.append(_share(r["raw_categories"].get(category, 0), r["raw"]))
                cells.append(_share(r["lean_categories"].get(category, 0), r["raw"]))
            out.append(f"| {category} | {' | '.join(cells)} |")
        totals = []
        floors = []
        for r in hubspot:
            totals += [_share(r["raw"], r["raw"]), _share(r["lean"], r["raw"])]
            floor = sum(r["lean_categories"].get(c, 0) for c in VALUES)
            floors += ["", _share(floor, r["raw"])]
        out.append(f"| **total** | {' | '.join(totals)} |")
        out.append(f"| floor (values + map keys kept) | {' | '.join(floors)} |")
    if specs:
        out += [
            "",
            "## Every shared spec: GET bodies from Prism, default shaping + lean (no budget)",
            "",
            "| spec | Prism | bodies | raw B | lean B (x raw) | floor B (x raw) "
            "| map keys B (x raw) | syntax + declared keys B (x raw) | default-valued B (x raw) |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in specs:
            if not r.get("bodies"):
                out.append(f"| {r['spec']} | {r['mode']} | 0 | | | | | | |")
                continue
            lean_c = r["lean_categories"]
            floor = sum(lean_c.get(c, 0) for c in VALUES)
            overhead = lean_c.get("syntax", 0) + lean_c.get("declared keys", 0)
            out.append(
                f"| {r['spec']} | {r['mode']} | {r['bodies']} | {r['raw']:,} | "
                f"{_share(r['lean'], r['raw'])} | {_share(floor, r['raw'])} | "
                f"{_share(lean_c.get('map keys', 0), r['raw'])} | {_share(overhead, r['raw'])} | "
                f"{_share(r['default_valued'], r['raw'])} |"
            )
    if sandbox:
        out += [
            "",
            "## The sandbox CRM's own records (no Prism), default shaping + lean (no budget)",
            "",
            "| call | raw B | lean B (x raw) |",
            "| --- | ---: | ---: |",
        ]
        out += [f"| {r['call']} | {r['raw']:,} | {_share(r['lean'], r['raw'])} |" for r in sandbox]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", action="append", help="only this shared spec (repeatable)")
    parser.add_argument("--quick", action="store_true", help="static Prism only")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    if not SHARED.is_dir() or not PRISM.exists():
        print("../shared/specs or Prism (npm ci) missing: nothing to measure", file=sys.stderr)
        return 0
    os.environ["ADAPTGEN_GOVERNANCE"] = "off"
    names = args.spec or sorted(
        p.name for p in SHARED.iterdir() if p.suffix in (".json", ".yaml", ".yml")
    )
    tmp = Path(tempfile.mkdtemp(prefix="adaptgen-lean-"))
    try:
        hubspot = []
        if "hubspot_contacts_v3.json" in names:
            hubspot = asyncio.run(hubspot_rows(tmp / "hubspot"))
        specs = []
        for name in names:
            for dynamic in (False,) if args.quick else (False, True):
                print(f"{name} ({'dynamic' if dynamic else 'static'} Prism)", file=sys.stderr)
                specs.append(spec_row(SHARED / name, dynamic, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sandbox = sandbox_rows()
    print(report(hubspot, specs, sandbox))
    if args.json:
        payload = {"hubspot": hubspot, "specs": specs, "sandbox": sandbox}
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
