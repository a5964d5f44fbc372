"""Marked fields (the JSONPaths whose values are PII) as a trie a tokenizing walk follows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adaptgen.runtime.jsonpath import NodePath

# Marked fields as a trie the walk follows: at an object, a member's node is under its key; at
# a list, an item's node is under INDEXES then its index; ANY holds what every member or item
# gets ([*]), already folded into the named and indexed nodes beside it, so each step is one
# `get`. Only objects (dicts) and lists are descended, as `adaptgen.runtime.jsonpath` does.
MARKED = object()  # the node at this path is a marked field
ANY = object()
INDEXES = object()


def concrete_trie(data: Any, paths_: Iterable[NodePath]) -> dict[Any, Any]:
    """The trie of concrete paths into ``data`` (what any JSONPath selected)."""
    root: dict[Any, Any] = {}
    for path in paths_:
        node, at = root, data
        for step in path:
            if isinstance(at, list):
                node = node.setdefault(INDEXES, {})
            node = node.setdefault(step, {})
            at = at[step]
        node[MARKED] = True
    return root


def pattern_trie(expressions: Iterable[tuple[str | int, ...]]) -> dict[Any, Any]:
    """The trie of simple paths (names, ``[n]``, ``[*]``; see `jsonpath._simple_steps`): the
    same for every document, so it is built once per set of fields."""
    root: dict[Any, Any] = {}
    for steps in expressions:
        node = root
        for step in steps:
            if step == "*":
                node = node.setdefault(ANY, {})
            elif isinstance(step, int):
                node = node.setdefault(INDEXES, {}).setdefault(step, {})
            else:
                node = node.setdefault(step, {})
        node[MARKED] = True
    return _fold(root)


def _fold(node: dict[Any, Any]) -> dict[Any, Any]:
    """``node`` with its wildcard's marks added to each named and indexed child (recursively)."""
    every = node.get(ANY)
    if every is not None:
        node[ANY] = every = _fold(every)
    for key, child in list(node.items()):
        if key is INDEXES:
            node[key] = {i: _fold(_union(c, every)) for i, c in child.items()}
        elif key is not ANY and key is not MARKED:
            node[key] = _fold(_union(child, every))
    return node


def _union(a: dict[Any, Any], b: dict[Any, Any] | None) -> dict[Any, Any]:
    """Both tries' marks in a new trie."""
    out = dict(a)
    for key, child in (b or {}).items():
        if key is MARKED:
            out[key] = True
        elif key is INDEXES:
            indexes = dict(out.get(key, {}))
            for i, c in child.items():
                indexes[i] = _union(indexes[i], c) if i in indexes else c
            out[key] = indexes
        else:
            out[key] = _union(out[key], child) if key in out else child
    return out
