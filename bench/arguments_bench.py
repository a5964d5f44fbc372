"""Tool arguments on real specs: how many an agent would have to say twice, or read badly.

Run `python -m bench.arguments_bench [--specs DIR] [--sample N] [--json FILE]` from the
repository root (or `bench/run`, on the shared specs). Every spec under DIR (searched to any
depth: `make corpus` unpacks 2,639 real specs into .corpus/package/api) is planned with no
hints, nothing written, each in a worker process of its own (two at once; a spec that takes
over 120 s counts as timed out), and every tool's arguments are counted:

- path defaults: body fields that repeat the path parameter ending the path and default to
  it (`Param.default_from`: the agent says the id once);
- said twice: required body fields that still repeat a path parameter's name but for case and
  punctuation (a parent's id named alike, or a type the path's value does not fit);
- numbered: argument names ending in a number a clash added (`body_id_2`);
- long: argument names over 40 characters.

One Markdown table of totals, then up to 10 examples of each kind. Exit 0 either way: it
reports.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
from collections.abc import Iterator
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from bench.build_bench import DEFAULT_SPECS
from bench.corpus_bench import specs_in

TIMEOUT_S = 120
LONG = 40
KINDS = ("path defaults", "said twice", "numbered", "long")
_NUMBERED = re.compile(r"_\d+$")


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _timed_out(*_: Any) -> None:
    raise TimeoutError(f"over {TIMEOUT_S} s")


def measure(spec: str) -> dict[str, Any]:
    """One spec's counts: tools, and the arguments of each kind as `tool.argument` examples."""
    from adaptgen.load import load_spec
    from adaptgen.plan import plan

    signal.signal(signal.SIGALRM, _timed_out)
    signal.alarm(TIMEOUT_S)
    try:
        tools = plan(load_spec(Path(spec)), "api").api.tools
    except Exception as exc:  # a spec adaptgen refuses, or a timeout: counted, not measured
        return {"spec": spec, "error": f"{type(exc).__name__}: {str(exc)[:120]}"}
    finally:
        signal.alarm(0)
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for tool in tools:
        params = tool.params
        required = set(tool.input_schema.get("required") or [])
        paths = {_key(p.api_name) for p in params if p.location == "path" and p.api_name}
        for param in params:
            where = f"{tool.name}.{param.name}"
            if param.default_from:
                found["path defaults"].append(where)
            elif (
                param.location == "body"
                and param.api_name
                and param.name in required
                and _key(param.api_name) in paths
            ):
                found["said twice"].append(where)
            if _NUMBERED.search(param.name) and not _NUMBERED.search(param.api_name):
                found["numbered"].append(where)
            if len(param.name) > LONG:
                found["long"].append(where)
    return {"spec": spec, "tools": len(tools), "found": found}


def measured(specs: list[str]) -> Iterator[dict[str, Any]]:
    with Pool(2, maxtasksperchild=20) as pool:
        yield from pool.imap(measure, specs)


def table(rows: list[dict[str, Any]], root: Path) -> str:
    done = [r for r in rows if "error" not in r]
    totals = {kind: sum(len(r["found"][kind]) for r in done) for kind in KINDS}
    with_kind = {kind: sum(1 for r in done if r["found"][kind]) for kind in KINDS}
    lines = [
        "| specs | not planned | tools | " + " | ".join(KINDS) + " |",
        "|---:|---:|---:|" + "---:|" * len(KINDS),
        f"| {len(rows)} | {len(rows) - len(done)} | {sum(r['tools'] for r in done):,} | "
        + " | ".join(f"{totals[k]:,} in {with_kind[k]:,} specs" for k in KINDS)
        + " |",
    ]
    for kind in KINDS:
        examples = [
            f"{Path(r['spec']).relative_to(root)}: {where}"
            for r in done
            for where in r["found"][kind]
        ]
        if examples:
            lines.append(f"\n{kind}: " + "; ".join(examples[:10]))
    for row in rows:
        if "error" in row:
            lines.append(f"\nnot planned: {Path(row['spec']).relative_to(root)}: {row['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run; no effect")
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of specs")
    parser.add_argument("--sample", type=int, help="this many specs, evenly spread")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write raw numbers here")
    args = parser.parse_args(argv)
    if not args.specs.is_dir():
        print(f"no specs folder at {args.specs}: nothing to measure", file=sys.stderr)
        return 0
    rows = list(measured([str(p) for p in specs_in(args.specs, args.sample)]))
    print("## Tool arguments: said twice, numbered, long\n")
    print(table(rows, args.specs))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
