"""Tool names on every shared real spec: how many an agent would find bad, by kind.

Run `python -m bench.naming_bench [--specs DIR] [--json FILE]` from the repository root (or
`bench/run`). Each spec in ../shared/specs is planned with no hints (read in place, nothing
written) and every tool name is checked against `adaptgen.plan.names.name_flags`:

- verbless: the first word is not one of `names.VERBS` (the REST verbs list, get, create,
  update, delete... and the action verbs real APIs use: send, cancel, merge, archive...);
- numbered: a word is all digits or a version (`get_page_2`, `list_v2_users`);
- versioned: a word is a version (`v1`, `v1beta1`) or date-like (a year: `2026_03`);

plus `long` (over 64 characters) and `duplicate` (a name two tools share). The target is 0 of
each on every spec (tests/realworld/test_rw_naming.py gates it). It prints one Markdown table,
then up to 5 flagged names per spec. Exit 0 either way: it reports, the test gates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from adaptgen.load import load_spec
from adaptgen.plan import plan
from adaptgen.plan.names import MAX_TOOL_NAME, name_flags
from bench.build_bench import DEFAULT_SPECS, find_specs

KINDS = ("verbless", "numbered", "versioned", "long", "duplicate")


@dataclass
class NamingRow:
    """The naming measurements of one spec."""

    spec: str
    operations: int  # tools planned (skipped operations have no name)
    flags: dict[str, int] = field(default_factory=dict)  # kind -> names flagged
    flagged: list[str] = field(default_factory=list)  # `name (kinds)`, every flagged name

    @property
    def total(self) -> int:
        return sum(self.flags.values())


def measure(spec: Path) -> NamingRow:
    """Plan `spec` with no hints and count its bad tool names by kind."""
    tools = plan(load_spec(spec), "api").api.tools
    names = [t.name for t in tools]
    repeated = {n for n, count in Counter(names).items() if count > 1}
    row = NamingRow(spec.name, len(tools), dict.fromkeys(KINDS, 0))
    for tool in tools:
        name = tool.name
        kinds = name_flags(name, tool.method, tool.path)
        if len(name) > MAX_TOOL_NAME:
            kinds.append("long")
        if name in repeated:
            kinds.append("duplicate")
        for kind in kinds:
            row.flags[kind] += 1
        if kinds:
            row.flagged.append(f"{name} ({', '.join(kinds)})")
    return row


def table(rows: list[NamingRow]) -> str:
    """The Markdown report: a row per spec, then a few flagged names per spec."""
    lines = [
        "| Spec | operations | " + " | ".join(KINDS) + " | flagged |",
        "|---|---:|" + "---:|" * len(KINDS) + "---:|",
    ]
    for row in rows:
        counts = " | ".join(str(row.flags[k]) for k in KINDS)
        lines.append(f"| {row.spec} | {row.operations} | {counts} | {row.total} |")
    for row in rows:
        if row.flagged:
            lines.append(f"\n{row.spec}: " + "; ".join(row.flagged[:5]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run; no effect")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write raw numbers here")
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of specs")
    args = parser.parse_args(argv)
    if not args.specs.is_dir():
        print(f"no specs folder at {args.specs}: nothing to measure", file=sys.stderr)
        return 0
    rows = []
    for spec in find_specs(args.specs):
        print(f"naming: {spec.name}", file=sys.stderr)
        rows.append(measure(spec))
    print("## Tool names (issue 13, item 7)\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
