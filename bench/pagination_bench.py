"""Pagination benchmark: how many list operations of real APIs page with no hints at all.

Run `python -m bench.pagination_bench [--specs DIR] [--json FILE]` from the repository root (or
`bench/run`). For every spec in ../shared/specs it plans the server exactly as `adaptgen build`
does (no hints file, no overlays) and prints one row per spec:

- **operations**: the tools the build makes (deprecated operations are skipped, as by default);
- **list ops**: GET/HEAD tools whose success response's *main content* is an array, as the
  planner decides it (`adaptgen.plan.pagination.items_path`): the body is an array, or an object
  whose one array sits beside nothing but paging and meta fields (counts, next cursors/links,
  `has_more`, `ok`, ...). A single record that holds an array (Slack's `files.info`), or two
  lists side by side, is not a list;
- **paged**: list ops with a detected pagination style (the style column counts them);
- **unpaged**: list ops that show no paging mechanism at all: no page/offset/cursor/token/
  `starting_after` parameter, no next cursor/URL/page or `has_more` field, no `Link`-like header.
  A page-size parameter alone only caps the answer, so it does not make a list paged. These
  return one upstream page, correctly;
- **unknown**: list ops that do show such a parameter or field but no style explains it. They
  get a build warning (and fail `adaptgen build --strict`). **unknown %** = unknown / list ops;
  the target is <= 2% per spec;
- **paging, no list**: GET/HEAD tools that take a paging parameter but whose response schema
  declares no list (an opaque `{ok: true}`, a union with no array branch, a record with several
  lists). Not counted as list operations: there is nothing the planner could page; shown so that
  the definition above hides nothing.

The numbers describe what the specs *declare*: a real API may page where its spec is silent.
The command exits 0 either way: it reports, it doesn't gate (tests/realworld/test_rw_pagination.py
does).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.plan.pagination import items_path, paging_signals, unknown_paging_warnings
from adaptgen.plan.schemas import SchemaInliner
from adaptgen.runtime.catalog import Tool

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPECS = REPO.parent / "shared" / "specs"
SPEC_SUFFIXES = (".json", ".yaml", ".yml")
UNKNOWN_TARGET = 0.02
READS = ("GET", "HEAD")


@dataclass
class SpecRow:
    """One spec's counts (see the module docstring for each definition)."""

    spec: str
    operations: int = 0
    lists: int = 0
    paged: int = 0
    unpaged: int = 0
    unknown: int = 0
    paging_no_list: int = 0
    styles: dict[str, int] = field(default_factory=dict)
    unknown_operations: list[str] = field(default_factory=list)

    @property
    def unknown_share(self) -> float:
        """unknown / list ops (0 when there are no list ops)."""
        return self.unknown / self.lists if self.lists else 0.0


def measure(spec_path: Path) -> SpecRow:
    """Plan one spec as `adaptgen build` would, and count its list operations."""
    spec = load_spec(spec_path)
    result = plan(spec, "bench", PlanOptions())
    row = SpecRow(spec_path.name, operations=len(result.api.tools))
    unknown_at = {w.location.pointer for w in unknown_paging_warnings(result.warnings)}
    styles: Counter[str] = Counter()
    for tool in result.api.tools:
        if tool.method not in READS:
            continue
        response = _response_schema(spec, tool)
        if tool.pagination is None and items_path(response) is None:
            if paging_signals(list(tool.params), None, []):
                row.paging_no_list += 1
            continue
        row.lists += 1
        if tool.pagination is not None:
            row.paged += 1
            styles[tool.pagination.style] += 1
        elif tool.pointer in unknown_at:
            row.unknown += 1
            row.unknown_operations.append(tool.operation_id or f"{tool.method} {tool.path}")
        else:
            row.unpaged += 1
    row.styles = dict(sorted(styles.items()))
    return row


def _response_schema(spec: Any, tool: Tool) -> dict[str, Any] | None:
    """The first 2xx JSON response schema of the tool's operation, inlined as the planner does."""
    op = _at(spec.document, tool.pointer)
    for code in sorted(str(c) for c in (op.get("responses") or {})):
        if not code.startswith("2"):
            continue
        pointer = f"{tool.pointer}/responses/{code}"
        raw = op["responses"].get(code, op["responses"].get(int(code) if code.isdigit() else code))
        source = spec.source
        if isinstance(raw, dict) and "$ref" in raw:
            resolved = spec.resolver.resolve(raw["$ref"], spec.source, pointer)
            if resolved is None:
                return None
            raw, source, pointer = resolved.value, resolved.source, resolved.pointer
        for media, media_obj in (raw.get("content") or {}).items() if isinstance(raw, dict) else ():
            if "json" in media and isinstance(media_obj, dict) and "schema" in media_obj:
                inliner = SchemaInliner(spec.resolver, for_input=False, max_depth=5)
                where = f"{pointer}/content/{media.replace('/', '~1')}/schema"
                return inliner.inline(media_obj["schema"], source, where)
        return None
    return None


def _at(document: Any, pointer: str) -> dict[str, Any]:
    node = document
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def table(rows: list[SpecRow]) -> str:
    """The Markdown table of the report."""
    lines = [
        "| spec | operations | list ops | paged | unpaged | unknown | unknown % | "
        "paging, no list | styles |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        styles = ", ".join(f"{k} {v}" for k, v in row.styles.items()) or "-"
        verdict = "" if row.unknown_share <= UNKNOWN_TARGET else " (over target)"
        lines.append(
            f"| {row.spec} | {row.operations} | {row.lists} | {row.paged} | {row.unpaged} | "
            f"{row.unknown} | {row.unknown_share:.1%}{verdict} | {row.paging_no_list} | {styles} |"
        )
    total = SpecRow("all", *(sum(getattr(r, k) for r in rows) for k in _COUNTS))
    lines.append(
        f"| **all** | {total.operations} | {total.lists} | {total.paged} | {total.unpaged} | "
        f"{total.unknown} | {total.unknown_share:.1%} | {total.paging_no_list} | |"
    )
    return "\n".join(lines)


_COUNTS = ("operations", "lists", "paged", "unpaged", "unknown", "paging_no_list")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run; no effect")
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of specs")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    if not args.specs.is_dir():
        print(f"{args.specs} not found: nothing to measure", file=sys.stderr)
        return 0
    paths = sorted(p for p in args.specs.iterdir() if p.suffix in SPEC_SUFFIXES)
    rows = []
    for path in paths:
        print(f"planning {path.name}", file=sys.stderr)
        try:
            rows.append(measure(path))
        except Exception as exc:  # noqa: BLE001 - one spec the build refuses must not hide the rest
            print(f"  skipped {path.name}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
    print("## Pagination: list operations of real specs, no hints\n")
    print(table(rows))
    unknown = [(r.spec, op) for r in rows for op in r.unknown_operations]
    if unknown:
        print("\nUnknown paging (each is a build warning):\n")
        for spec, op in unknown:
            print(f"- {spec}: {op}")
    over = [r.spec for r in rows if r.unknown_share > UNKNOWN_TARGET]
    print(f"\nTarget: unknown <= {UNKNOWN_TARGET:.0%} of list ops per spec: ", end="")
    print("met" if not over else f"NOT met for {', '.join(over)}")
    if args.json:
        data = [{**asdict(r), "unknown_share": r.unknown_share} for r in rows]
        args.json.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
