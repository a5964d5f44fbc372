"""`adaptgen eval convert FILE...`: search task files of earlier versions, rewritten as scenarios.

The one scenario format of `adaptgen eval` took over the search task format (`spec` +
`tasks: [{query, expect}]`). Conversion is mechanical and deterministic: each task becomes a
search-only scenario whose prompt is the query and whose first call names the expected
operationId(s) (a list: any one of them counts, as `expect` did). The file's other keys and its
comments stay as they were, the comments between tasks before the scenario they preceded.
Also runnable as `python -m adaptgen.evaluation.convert FILE...`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from adaptgen.errors import InputError
from adaptgen.load.source import read_source

NOTE = (
    "# Converted from the `tasks:` format by adaptgen/evaluation/convert.py: each task's query is\n"
    "# a scenario's prompt, its `expect` the operation(s) of the first call (any one counts).\n"
)
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")  # a name YAML reads as itself, unquoted


def convert_text(text: str, where: str = "<text>") -> str:
    """The scenario file for the task file `text` (raises InputError when it is not one)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
        raise InputError(f"{where}: not a search task file (no `tasks:` list)")
    lines = text.splitlines()
    tasks_node = _tasks_node(text)
    first_key = next(i for i, line in enumerate(lines) if re.match(r"^[^\s#]", line))
    out = [*lines[:first_key], *NOTE.splitlines()]
    out += _other_keys(lines[first_key:], data)
    out.append("scenarios:")
    task_lines = [item.start_mark.line for item in tasks_node.value]
    previous = tasks_node.start_mark.line
    for task, start in zip(data["tasks"], task_lines, strict=True):
        out += [f"  {c.strip()}" for c in lines[previous:start] if c.strip().startswith("#")]
        out += _scenario(task, where)
        previous = start + 1
    return "\n".join(out) + "\n"


def _tasks_node(text: str) -> yaml.SequenceNode:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode)
    return next(v for k, v in root.value if k.value == "tasks")


def _other_keys(lines: list[str], data: dict) -> list[str]:
    """The top-level keys but `tasks`, each line as written (their trailing comments kept)."""
    kept = []
    for line in lines:
        key = re.match(r"^([A-Za-z_][\w-]*):", line)
        if key and key.group(1) != "tasks" and key.group(1) in data:
            kept.append(line)
    return kept


def _scenario(task: dict, where: str) -> list[str]:
    query, expect = task.get("query"), task.get("expect")
    if isinstance(expect, str):
        expect = [expect]
    if not isinstance(query, str) or not isinstance(expect, list) or not expect:
        raise InputError(f"{where}: a task without `query` and `expect`: {task!r}")
    names = [_name(str(e)) for e in expect]
    operation = names[0] if len(names) == 1 else f"[{', '.join(names)}]"
    prompt = json.dumps(query.strip(), ensure_ascii=False)
    return [f"  - prompt: {prompt}", f"    calls: [{{operation: {operation}}}]"]


def _name(name: str) -> str:
    return name if _PLAIN.match(name) else json.dumps(name, ensure_ascii=False)


def convert_file(path: Path) -> bool:
    """Rewrite `path` in place when it is a task file; False when it is a scenario file already."""
    source = read_source(path)
    if isinstance(source.data, dict) and "scenarios" in source.data:
        return False
    path.write_text(convert_text(source.text, str(path)), encoding="utf-8")
    return True


def parser() -> argparse.ArgumentParser:
    """`adaptgen eval convert FILE...`."""
    parser = argparse.ArgumentParser(
        prog="adaptgen eval convert",
        description="Rewrite search task files (`tasks: [{query, expect}]`) as scenario files, "
        "in place.",
    )
    parser.add_argument("files", nargs="+", type=Path, help="task files (YAML)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Convert every file given; scenario files already are left alone."""
    for path in args.files:
        done = convert_file(path)
        print(f"{path}: {'converted' if done else 'already a scenario file'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m adaptgen.evaluation.convert FILE...`."""
    args = parser().parse_args(argv)
    try:
        return run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
