"""JSONPath, once: compiling expressions and keeping or dropping what they select.

Hints and the runtime write JSONPath; this module is where it is understood. Expressions follow
jsonpath-ng's extended parser (>= 1.16), which reads RFC 9535 filters (`[?@.x == 'y']`) as well
as its older `[?(@.x == 'y')]` form.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from jsonpath_ng import Child, Fields, Index, Root, This
from jsonpath_ng.ext import parse as _parse

Step = str | int


class JsonPathError(ValueError):
    """An expression jsonpath-ng cannot parse."""


@lru_cache(maxsize=1024)
def compile_path(expression: str) -> Any:
    """Parse an expression once (cached); raises `JsonPathError` with the parser's words."""
    try:
        return _parse(expression.strip())
    except Exception as exc:  # noqa: BLE001 - jsonpath-ng raises several unrelated types
        raise JsonPathError(f"invalid JSONPath {expression!r}: {exc}") from None


def find(expression: str, data: Any) -> list[Any]:
    """The values an expression selects, in document order."""
    return [m.value for m in compile_path(expression).find(data)]


def first(expression: str, data: Any, default: Any = None) -> Any:
    """The first value an expression selects, or `default`."""
    matches = compile_path(expression).find(data)
    return matches[0].value if matches else default


def paths(expression: str, data: Any) -> list[tuple[Step, ...]]:
    """Concrete key/index paths of every node an expression selects (indexes non-negative)."""
    return [_normalized(_steps(m.full_path), data) for m in compile_path(expression).find(data)]


def _normalized(steps: tuple[Step, ...], data: Any) -> tuple[Step, ...]:
    out: list[Step] = []
    node = data
    for step in steps:
        if isinstance(step, int) and isinstance(node, list) and step < 0:
            step = len(node) + step
        out.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    return tuple(out)


def _steps(path: Any) -> tuple[Step, ...]:
    if isinstance(path, Child):
        return _steps(path.left) + _steps(path.right)
    if isinstance(path, Fields):
        return tuple(path.fields)
    if isinstance(path, Index):
        return (path.index,) if hasattr(path, "index") else tuple(path.indices)
    if isinstance(path, Root | This):
        return ()
    raise JsonPathError(f"cannot address {path!s} for keep/drop")


def drop(data: Any, expressions: list[str] | tuple[str, ...]) -> Any:
    """A copy of `data` without the nodes any expression selects."""
    if not expressions:
        return data
    result = copy.deepcopy(data)
    selected: list[tuple[Step, ...]] = []
    for expression in expressions:
        selected.extend(p for p in paths(expression, result) if p)
    # Deepest first and, within a list, highest index first, so earlier removals don't shift
    # the positions of later ones.
    for path in sorted(set(selected), key=_removal_order, reverse=True):
        parent = _get(result, path[:-1])
        key = path[-1]
        present = key in parent if isinstance(parent, dict) else key < len(parent)
        if present:
            del parent[key]
    return result


def keep(data: Any, expressions: list[str] | tuple[str, ...]) -> Any:
    """Only the nodes the expressions select, in their places; lists stay in order.

    `$.data[*].id` and `$.data[*].name` keep `{"data": [{"id": .., "name": ..}, ...]}`.
    """
    if not expressions:
        return data
    selected: set[tuple[Step, ...]] = set()
    for expression in expressions:
        selected.update(paths(expression, data))
    if () in selected:
        return data
    return _project(data, selected, ())


def _project(node: Any, selected: set[tuple[Step, ...]], at: tuple[Step, ...]) -> Any:
    depth = len(at)
    below = [p for p in selected if len(p) > depth and p[:depth] == at]
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            here = (*at, key)
            if here in selected:
                out[key] = value
            elif any(p[depth] == key for p in below):
                out[key] = _project(value, selected, here)
        return out
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            here = (*at, index)
            if here in selected:
                items.append(value)
            elif any(p[depth] == index for p in below):
                items.append(_project(value, selected, here))
        return items
    return node


def _get(data: Any, path: tuple[Step, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _removal_order(path: tuple[Step, ...]) -> tuple[int, tuple[tuple[int, str], ...]]:
    return len(path), tuple((s, "") if isinstance(s, int) else (-1, s) for s in path)
