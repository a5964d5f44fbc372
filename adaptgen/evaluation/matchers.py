"""Argument matchers: how an expected argument is compared, and what replay sends for it.

A plain value matches by equality (numbers by value: `5` matches `"5"`, as a tool's arguments
arrive as JSON and models often quote ids). A mapping whose keys all start with `$` is a
matcher: `$regex` (search in the value's text), `$one_of` (any listed value), `$any` (present),
each with an optional `$replay` value; `$env` names an environment variable (replay only).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

MATCHER_KEYS = frozenset({"$regex", "$one_of", "$any", "$replay", "$env"})


class MatcherError(ValueError):
    """A matcher that cannot work: unknown key, wrong operand, a regex that does not compile."""


def is_matcher(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(str(k).startswith("$") for k in value)


def check_matcher(value: Any) -> None:
    """Raise MatcherError when `value` is a malformed matcher."""
    if not is_matcher(value):
        return
    unknown = sorted(set(value) - MATCHER_KEYS)
    if unknown:
        raise MatcherError(
            f"unknown matcher {unknown[0]!r} (expected one of {sorted(MATCHER_KEYS)})"
        )
    kinds = [k for k in ("$regex", "$one_of", "$any", "$env") if k in value]
    if len(kinds) != 1:
        raise MatcherError("a matcher has exactly one of $regex, $one_of, $any, $env")
    if "$regex" in value:
        try:
            re.compile(str(value["$regex"]))
        except re.error as exc:
            raise MatcherError(f"$regex does not compile: {exc}") from None
    if "$one_of" in value and (not isinstance(value["$one_of"], list) or not value["$one_of"]):
        raise MatcherError("$one_of is a non-empty list")
    if "$env" in value and not isinstance(value["$env"], str):
        raise MatcherError("$env is an environment variable's name")


def matches(expected: Any, actual: Any) -> bool:
    """Whether `actual` (what a call sent) satisfies `expected` (a value or a matcher)."""
    if is_matcher(expected):
        if "$any" in expected:
            return actual is not None
        if "$regex" in expected:
            return actual is not None and re.search(expected["$regex"], _text(actual)) is not None
        if "$one_of" in expected:
            return any(matches(option, actual) for option in expected["$one_of"])
        if "$env" in expected:
            return actual == os.environ.get(expected["$env"])
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return all(matches(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(matches, expected, actual))
    return _same(expected, actual)


def _same(expected: Any, actual: Any) -> bool:
    if expected == actual and type(expected) is not bool and type(actual) is not bool:
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or _text(expected).lower() == _text(actual).lower()
    if isinstance(expected, int | float) or isinstance(actual, int | float):
        return _text(expected) == _text(actual)
    return False


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def replay_value(expected: Any, env: Mapping[str, str] | None = None) -> Any:
    """The value replay mode sends for `expected` (matchers resolved, `$env` read from `env`,
    by default the process environment)."""
    env = os.environ if env is None else env
    if is_matcher(expected):
        if "$env" in expected:
            name = expected["$env"]
            if name not in env:
                raise MatcherError(f"environment variable {name} is not set")
            return env[name]
        if "$replay" in expected:
            return expected["$replay"]
        if "$one_of" in expected:
            return replay_value(expected["$one_of"][0], env)
        raise MatcherError("a $regex or $any matcher needs a `$replay` value to be replayed")
    if isinstance(expected, Mapping):
        return {k: replay_value(v, env) for k, v in expected.items()}
    if isinstance(expected, list):
        return [replay_value(v, env) for v in expected]
    return expected
