"""Bounds on what a parsed document may cost, checked before and right after parsing.

Parsers recurse (Python's `json` raises RecursionError near 1,000 levels; the YAML composer
crashes the interpreter near 50,000) and YAML aliases share nodes that any later copy expands
(a "billion laughs" document is a few hundred bytes). So JSON text is pre-scanned, linearly and
without recursion, for nesting depth before the real parser sees it; YAML is checked for depth
and for the node count aliases expand to while its events are read (`yaml_events`), before
anything recurses; and strings that no output file could hold (lone UTF-16 surrogates) are
found right after parsing.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 256  # real specs nest < 40 levels
MAX_ALIAS_NODES = 1_000_000  # nodes YAML aliases may add once expanded; a 3 MB spec has ~100k
MAX_INT_DIGITS = 4_300  # Python's own int/str conversion limit


class LimitExceeded(Exception):
    """The document is over a limit; `line`/`col` (1-based) say where, when known."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


# A string, or an unterminated one running to the end: never fails, so the scan is linear.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_JSON_BRACKET = re.compile(r'[\[\]{}]|"(?:[^"\\]++|\\.)*+"?', re.DOTALL)


def check_json_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON text nesting deeper than `limit`, without parsing it."""
    # Fast path, all in C but the last loop: drop strings (their brackets do not count), then
    # everything that is not a bracket.
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if _max_depth(brackets) <= limit:
        return
    depth = 0  # over the limit: walk again, keeping offsets, to say where
    for match in _JSON_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                raise LimitExceeded(too_deep(limit), *_line_col(text, match.start()))
        elif token in ("]", "}"):
            depth -= 1


def _max_depth(brackets: str) -> int:
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_text(data: Any) -> tuple[str, ...] | None:
    """The path (keys and indexes) to the first string that is not valid Unicode text, if any.

    JSON's `\\ud800` escape parses into a lone surrogate, which no UTF-8 file can hold: the
    build would crash writing it. Called only when the text has such an escape (it is rare).
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if not _is_text(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and not _is_text(key):
                    return (*where, key)
                stack.append((item, (*where, str(key))))
        elif isinstance(value, list):
            stack.extend((item, (*where, str(i))) for i, item in enumerate(value))
    return None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def may_hold_surrogates(text: str) -> bool:
    """True when JSON text has a `\\uD800`-`\\uDFFF` escape (then `check_text` is worth a walk)."""
    return _SURROGATE_ESCAPE.search(text) is not None


_LONG_INT = re.compile(rf"\d{{{MAX_INT_DIGITS + 1},}}")


def long_number_at(text: str) -> tuple[int, int] | None:
    """Line and column of the first run of digits longer than Python converts to an int."""
    match = _LONG_INT.search(text)
    return None if match is None else _line_col(text, match.start())


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def too_deep(limit: int) -> str:
    """The message for a document nested deeper than `limit`."""
    return f"nested deeper than {limit} levels (the limit for spec files)"


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
