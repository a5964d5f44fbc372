"""JSONPath, once: compiling expressions and finding, keeping or dropping the nodes they select.

Hints, overlays and the runtime all write JSONPath; this module is where it is understood.
Expressions are read by jsonpath-ng's extended parser (>= 1.16), which takes RFC 9535 filters
(`[?@.x == 'y']`) as well as its older `[?(@.x == 'y')]` form. Overlays add their own RFC
checks on top (adaptgen.load.overlay); the node addressing below is shared.

Simple expressions (names, `[*]`, `[n]`, `..name`) are walked here without jsonpath-ng, in its
order; `find` and `first` of plain names (`$.session.token`, what login flows and paging read)
never reach it, so a server whose paths are all simple does not import jsonpath-ng (its parser
tables cost a cold start about 1% of its instructions).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonpath_ng import DatumInContext

Step = str | int
NodePath = tuple[Step, ...]


class JsonPathError(ValueError):
    """An expression jsonpath-ng cannot parse, or a match that is not an addressable node."""


@lru_cache(maxsize=1024)
def compile_path(expression: str) -> Any:
    """Parse an expression once (cached); raises `JsonPathError` with the parser's words."""
    from jsonpath_ng.ext import parse

    try:
        return parse(expression.strip())
    except Exception as exc:  # noqa: BLE001 - jsonpath-ng raises several unrelated types
        raise JsonPathError(f"invalid JSONPath {expression!r}: {exc}") from None


def _query(expression: str | Any) -> Any:
    return compile_path(expression) if isinstance(expression, str) else expression


def find(expression: str, data: Any) -> list[Any]:
    """The values an expression selects, in document order."""
    names = _field_names(expression)
    if names is not None:
        return list(_field(names, data))
    return [m.value for m in compile_path(expression).find(data)]


def first(expression: str, data: Any, default: Any = None) -> Any:
    """The first value an expression selects, or `default`."""
    names = _field_names(expression)
    if names is not None:
        return next(iter(_field(names, data)), default)
    matches = compile_path(expression).find(data)
    return matches[0].value if matches else default


# Words jsonpath-ng's extended lexer reads as more than a field name.
_KEYWORDS = frozenset({"where", "wherenot", "true", "false", "null"})


@lru_cache(maxsize=1024)
def _field_names(expression: str) -> tuple[str, ...] | None:
    """`$.a.b` as ("a", "b"); None for anything but plain field names."""
    steps = _simple_steps(expression.strip())
    if steps is None or any(type(s) is not str or s == "*" or s in _KEYWORDS for s in steps):
        return None
    return steps  # type: ignore[return-value]


def _field(names: tuple[str, ...], data: Any) -> tuple[Any, ...]:
    """The node at `names` (a tuple of one) or nothing, as jsonpath-ng's field steps go: into
    objects only, a missing name selecting nothing."""
    node = data
    for name in names:
        if not isinstance(node, dict) or name not in node:
            return ()
        node = node[name]
    return (node,)


_STEP = re.compile(r"(\.\.|\.)([A-Za-z_][A-Za-z0-9_]*)|\[(\*|\d+)\]")
_STEPS = re.compile(r"^\$(?:\.\.?[A-Za-z_][A-Za-z0-9_]*|\[\*\]|\[\d+\])*$")


class _Descendant(str):
    """A `..name` step: the field `name` of the node and of every node below it."""

    __slots__ = ()


@lru_cache(maxsize=1024)
def _fast_steps(expression: str) -> tuple[str | int, ...] | None:
    """`$.a[*]..b[0]` as ("a", "*", _Descendant("b"), 0); None for anything richer (filters,
    unions, slices, `..*`), which jsonpath-ng's general matcher handles."""
    if not _STEPS.match(expression):
        return None
    steps: list[str | int] = []
    for dots, name, index in _STEP.findall(expression):
        if dots == "..":
            steps.append(_Descendant(name))
        else:
            steps.append(name if name else ("*" if index == "*" else int(index)))
    return tuple(steps)


@lru_cache(maxsize=1024)
def _simple_steps(expression: str) -> tuple[str | int, ...] | None:
    """`$.a[*].b[0]` as ("a", "*", "b", 0); None for anything richer (`..` included)."""
    steps = _fast_steps(expression)
    if steps is None or any(type(step) is _Descendant for step in steps):
        return None
    return steps


def _descendants(name: str, path: NodePath, node: Any, out: list[tuple[NodePath, Any]]) -> None:
    # jsonpath-ng's order for `..name`: the node's own field first, then each child in turn.
    if isinstance(node, dict):
        if name in node:
            out.append(((*path, name), node[name]))
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                _descendants(name, (*path, key), value, out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                _descendants(name, (*path, index), value, out)


def _named_descendants(
    names: frozenset[str], path: NodePath, node: Any, out: list[NodePath]
) -> None:
    # The paths of `$..n` for every n in names at once (in no particular order).
    if isinstance(node, dict):
        for key, value in node.items():
            if key in names:
                out.append((*path, key))  # what is below goes with it
            elif isinstance(value, (dict, list)):
                _named_descendants(names, (*path, key), value, out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                _named_descendants(names, (*path, index), value, out)


def _simple_paths(steps: tuple[str | int, ...], data: Any) -> list[NodePath]:
    # Names, [*], [n] and ..name only: walked directly, in jsonpath-ng's order, far faster than
    # the general matcher on the hot path (keep/drop and PII fields run on every call).
    current: list[tuple[NodePath, Any]] = [((), data)]
    for step in steps:
        following: list[tuple[NodePath, Any]] = []
        for path, node in current:
            if type(step) is _Descendant:
                _descendants(step, path, node, following)
            elif step == "*":
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
    if any(type(step) is _Descendant for step in steps):  # `$..a..b` can reach a node twice
        seen: set[NodePath] = set()
        return [path for path, _ in current if not (path in seen or seen.add(path))]
    return [path for path, _ in current]


def paths(expression: str | Any, data: Any) -> list[NodePath]:
    """Concrete key/index paths of the distinct nodes selected, in document order.

    Indexes are normalized (`$.a[-1]` is `("a", 2)` for three items) and a node selected twice
    (`$.a[0,0]`) is listed once, so edits through these paths apply exactly once.
    """
    if isinstance(expression, str):
        simple = _fast_steps(expression.strip())
        if simple is not None:
            return _simple_paths(simple, data)
    return _matched_paths(expression, data)


def _matched_paths(expression: str | Any, data: Any) -> list[NodePath]:
    """`paths` through jsonpath-ng's general matcher (any expression it parses)."""
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
    from jsonpath_ng import Fields, Index, Root, This

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
    """`data` without the nodes any expression selects; `data` itself is not changed.

    Only the objects and lists on the way to a dropped node are copied; the rest is shared
    with `data` (shaping builds new values and never edits one in place).
    """
    removed: dict[Step, Any] = {}
    names: set[str] = set()  # `$..name` expressions (most drops): one walk for all of them
    found: list[NodePath] = []
    for expression in expressions:
        steps = _fast_steps(expression.strip())
        if steps is not None and len(steps) == 1 and type(steps[0]) is _Descendant:
            names.add(str(steps[0]))
        else:
            found.extend(paths(expression, data))
    if names:
        _named_descendants(frozenset(names), (), data, found)
    for path in found:
        if not path:
            continue
        node = removed
        for step in path[:-1]:
            child = node.setdefault(step, {})
            if child is _GONE:
                break  # an ancestor is dropped already
            node = child
        else:
            node[path[-1]] = _GONE
    return _without(data, removed) if removed else data


_GONE: Any = object()


def _without(node: Any, removed: dict[Step, Any]) -> Any:
    if isinstance(node, dict):
        return {
            key: value if key not in removed else _without(value, removed[key])
            for key, value in node.items()
            if removed.get(key) is not _GONE
        }
    return [
        value if index not in removed else _without(value, removed[index])
        for index, value in enumerate(node)
        if removed.get(index) is not _GONE
    ]


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
