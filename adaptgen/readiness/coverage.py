"""Which response fields a tool's hints remove or mark: the hints' JSONPaths against field paths.

Lint needs to know, without calling anything, whether `keep`, `drop` and `pii` paths reach a
field it found in the schema. The paths hints write (names, `[*]`, `[n]`, `..name`, quoted
names) are matched against the field's path; anything else (filters, slices) is taken to match
nothing, so a finding stays open rather than being closed by a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from adaptgen.readiness.fields import ITEMS

_STEP = re.compile(
    r"\.\.(?P<desc>[A-Za-z0-9_@$-]+|\*)|\.(?P<child>[A-Za-z0-9_@$-]+|\*)"
    r"|\[(?P<index>\*|\d+)\]|\[['\"](?P<quoted>[^'\"]+)['\"]\]"
)
Step = tuple[str, str]  # ("child" | "desc", name or "*" or ITEMS)


@lru_cache(maxsize=4096)
def parse(expression: str) -> tuple[Step, ...] | None:
    """The steps of a simple JSONPath, or None for one this module does not read."""
    if not expression.startswith("$"):
        return None
    steps: list[Step] = []
    at = 1
    while at < len(expression):
        found = _STEP.match(expression, at)
        if found is None:
            return None
        if found["desc"] is not None:
            steps.append(("desc", found["desc"]))
        elif found["index"] is not None:
            steps.append(("child", ITEMS))
        else:
            steps.append(("child", found["child"] or found["quoted"]))
        at = found.end()
    return tuple(steps)


def matches(steps: tuple[Step, ...], path: tuple[str, ...]) -> bool:
    """Whether the JSONPath steps select exactly the node at `path`."""
    if not steps:
        return not path
    kind, name = steps[0]
    if kind == "child":
        return bool(path) and _same(name, path[0]) and matches(steps[1:], path[1:])
    return any(_same(name, path[i]) and matches(steps[1:], path[i + 1 :]) for i in range(len(path)))


def _same(name: str, segment: str) -> bool:
    if name == ITEMS:
        return segment == ITEMS
    return name == "*" or name == segment


@dataclass(frozen=True)
class Coverage:
    """A tool's effective keep/drop/pii paths (its own, else the API's defaults)."""

    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()

    def _any(self, expressions: Sequence[str], path: tuple[str, ...], prefixes: bool) -> bool:
        for expression in expressions:
            steps = parse(expression)
            if steps is None:
                continue
            ends = range(len(path) + 1) if prefixes else (len(path),)
            if any(matches(steps, path[:end]) for end in ends):
                return True
        return False

    def removes(self, path: tuple[str, ...]) -> bool:
        """The field never reaches the agent: dropped, or not under anything kept."""
        if self._any(self.drop, path, prefixes=True):
            return True
        if not self.keep:
            return False
        if self._any(self.keep, path, prefixes=True):
            return False
        # Keeping something below the field keeps part of it.
        return not any(_below(steps, path) for steps in map(parse, self.keep) if steps)

    def marks_pii(self, path: tuple[str, ...]) -> bool:
        """A `pii` path covers the field or a record holding it."""
        return self._any(self.pii, path, prefixes=True)


def _below(steps: tuple[Step, ...], path: tuple[str, ...]) -> bool:
    """Whether the JSONPath selects something under `path` (a strict descendant)."""
    return any(matches(steps[:n], path) for n in range(1, len(steps)))
