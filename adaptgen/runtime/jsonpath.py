"""JSONPath, once: compiling expressions and finding, keeping or dropping the nodes they select.

Hints, overlays and the runtime all write JSONPath; this module is where it is understood.
Expressions are read by jsonpath-ng's extended parser (>= 1.16), which takes RFC 9535 filters
(`[?@.x == 'y']`) as well as its older `[?(@.x == 'y')]` form. Overlays add their own RFC
checks on top (adaptgen.load.overlay); the node addressing below is shared.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from jsonpath_ng import DatumInContext, Fields, Index, Root, This
from jsonpath_ng.ext import parse as _parse

Step = str | int
NodePath = tuple[Step, ...]


class JsonPathError(ValueError):
    """An expression jsonpath-ng cannot parse, or a match that is not an addressable node."""


@lru_cache(maxsize=1024)
def compile_path(expression: str) -> Any:
    """Parse an expression once (cached); raises `JsonPathError` with the parser's words."""
    try:
        return _parse(expression.strip())
    except Exception as exc:  # noqa: BLE001 - jsonpath-ng raises several unrelated types
        raise JsonPathError(f"invalid JSONPath {expression!r}: {exc}") from None


def _query(expression: str | Any) -> Any:
    return compile_path(expression) if isinstance(expression, str) else expression


def find(expression: str, data: Any) -> list[Any]:
    """The values an expression selects, in document order."""
    return [m.value for m in compile_path(expression).find(data)]


def first(expression: str, data: Any, default: Any = None) -> Any:
    """The first value an expression selects, or `default`."""
    matches = compile_path(expression).find(data)
    return matches[0].value if matches else default


_SIMPLE_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\*|\d+)\]")
_SIMPLE = re.compile(r"^\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\*\]|\[\d+\])*$")


@lru_cache(maxsize=1024)
def _simple_steps(expression: str) -> tuple[str | int, ...] | None:
    """`$.a[*].b[0]` as ("a", "*", "b", 0); None for anything richer (filters, `..`, unions)."""
    if not _SIMPLE.match(expression):
        return None
    steps: list[str | int] = []
    for name, index in _SIMPLE_STEP.findall(expression):
        steps.append(name if name else ("*" if index == "*" else int(index)))
    return tuple(steps)


def _simple_paths(steps: tuple[str | int, ...], data: Any) -> list[NodePath]:
    # Names, [*] and [n] only: walked directly, in document order, much faster than the
    # general matcher on the hot path (keep/drop and PII fields run on every call).
    current: list[tuple[NodePath, Any]] = [((), data)]
    for step in steps:
        following: list[tuple[NodePath, Any]] = []
        for path, node in current:
            if step == "*":
                if isinstance(node, list):
                    following.extend(((*path, i), v) for i, v in enumerate(node))
                elif isinstance(node, dict):
                    following.extend(((*path, k), v) for k, v in node.items())
            elif isinstance(step, int):
                if isinstance(node, list) and step < len(node):
                    following.append(((*path, step), node[step]))
            elif isinstance(node, dict) and step in node:
                following.append(((*path, step), node[step]))
        current = following
    return [path for path, _ in current]


def paths(expression: str | Any, data: Any) -> list[NodePath]:
    """Concrete key/index paths of the distinct nodes selected, in document order.

    Indexes are normalized (`$.a[-1]` is `("a", 2)` for three items) and a node selected twice
    (`$.a[0,0]`) is listed once, so edits through these paths apply exactly once.
    """
    if isinstance(expression, str):
        simple = _simple_steps(expression.strip())
        if simple is not None:
            return _simple_paths(simple, data)
    result: list[NodePath] = []
    seen: set[NodePath] = set()
    for match in _query(expression).find(data):
        steps = node_path(data, match)
        if steps not in seen:
            seen.add(steps)
            result.append(steps)
    return result


def node_path(document: Any, match: DatumInContext) -> NodePath:
    """The key/index path of one jsonpath-ng match, checked against the document."""
    chain: list[Any] = []
    datum: DatumInContext | None = match
    while datum is not None:
        chain.append(datum.path)
        datum = datum.context
    steps: list[Step] = []
    node = document
    for part in reversed(chain):
        if type(part) in (Root, This):
            continue
        if type(part) is Fields and len(part.fields) == 1 and isinstance(node, dict):
            step: Step = part.fields[0]
            if step not in node:
                break
        elif type(part) is Index and len(part.indices) == 1 and isinstance(node, list):
            position = part.indices[0]
            if not -len(node) <= position < len(node):
                break
            step = position % len(node)
        else:
            break
        steps.append(step)
        node = node[step]
    else:
        if node is match.value:
            return tuple(steps)
    raise JsonPathError(f"cannot address the node selected at {match.full_path}")


def get(document: Any, path: NodePath) -> Any:
    """The node at `path`."""
    for step in path:
        document = document[step]
    return document


def removal_order(path: NodePath) -> tuple[int, tuple[tuple[int, str], ...]]:
    """Sort key (use reverse=True): deepest first, and within a list highest index first, so
    earlier removals never shift the positions of later ones."""
    return len(path), tuple((s, "") if isinstance(s, int) else (-1, s) for s in path)


def drop(data: Any, expressions: list[str] | tuple[str, ...]) -> Any:
    """A copy of `data` without the nodes any expression selects."""
    if not expressions:
        return data
    result = copy.deepcopy(data)
    selected: set[NodePath] = set()
    for expression in expressions:
        selected.update(p for p in paths(expression, result) if p)
    for path in sorted(selected, key=removal_order, reverse=True):
        del get(result, path[:-1])[path[-1]]
    return result


def keep(data: Any, expressions: list[str] | tuple[str, ...]) -> Any:
    """Only the nodes the expressions select, in their places; lists stay in order.

    `$.data[*].id` and `$.data[*].name` keep `{"data": [{"id": .., "name": ..}, ...]}`.
    """
    if not expressions:
        return data
    selected: set[NodePath] = set()
    for expression in expressions:
        selected.update(paths(expression, data))
    if () in selected:
        return data
    return _project(data, selected, ())


def _project(node: Any, selected: set[NodePath], at: NodePath) -> Any:
    depth = len(at)
    below = {p[depth] for p in selected if len(p) > depth and p[:depth] == at}
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            here = (*at, key)
            if here in selected:
                out[key] = value
            elif key in below:
                out[key] = _project(value, selected, here)
        return out
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            here = (*at, index)
            if here in selected:
                items.append(value)
            elif index in below:
                items.append(_project(value, selected, here))
        return items
    return node
