"""Argument matchers: how an expected argument is compared, and what replay sends for it.

A plain value matches by equality (numbers by value: `5` matches `"5"`, as a tool's arguments
arrive as JSON and models often quote ids). A mapping whose keys all start with `$` is a
matcher: `$regex` (search in the value's text), `$one_of` (any listed value), `$any` (present),
each with an optional `$replay` value; `$env` names an environment variable (replay only);
`$from` names a value an earlier call captured from its result (`capture:`): replay sends it,
and agent mode compares the model's argument with what that call's result actually held.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

MATCHER_KEYS = frozenset({"$regex", "$one_of", "$any", "$replay", "$env", "$from"})
KINDS = ("$regex", "$one_of", "$any", "$env", "$from")


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
    kinds = [k for k in KINDS if k in value]
    if len(kinds) != 1:
        raise MatcherError(f"a matcher has exactly one of {', '.join(KINDS)}")
    if "$regex" in value:
        try:
            re.compile(str(value["$regex"]))
        except re.error as exc:
            raise MatcherError(f"$regex does not compile: {exc}") from None
    if "$one_of" in value and (not isinstance(value["$one_of"], list) or not value["$one_of"]):
        raise MatcherError("$one_of is a non-empty list")
    if "$env" in value and not isinstance(value["$env"], str):
        raise MatcherError("$env is an environment variable's name")
    if "$from" in value and not isinstance(value["$from"], str):
        raise MatcherError("$from is the name of an earlier call's capture")


def from_names(value: Any) -> list[str]:
    """The capture names `value` reads with `$from`, nested values included."""
    if is_matcher(value):
        return [value["$from"]] if isinstance(value.get("$from"), str) else []
    if isinstance(value, Mapping):
        return [name for v in value.values() for name in from_names(v)]
    if isinstance(value, list):
        return [name for v in value for name in from_names(v)]
    return []


def matches(expected: Any, actual: Any, captured: Mapping[str, Any] | None = None) -> bool:
    """Whether `actual` (what a call sent) satisfies `expected` (a value or a matcher);
    `captured` holds the values `$from` reads (a name not captured matches nothing)."""
    captured = captured or {}
    if is_matcher(expected):
        if "$from" in expected:
            name = expected["$from"]
            return name in captured and matches(captured[name], actual)
        if "$any" in expected:
            return actual is not None
        if "$regex" in expected:
            return actual is not None and re.search(expected["$regex"], _text(actual)) is not None
        if "$one_of" in expected:
            return any(matches(option, actual, captured) for option in expected["$one_of"])
        if "$env" in expected:
            return actual == os.environ.get(expected["$env"])
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return all(matches(v, actual.get(k), captured) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            matches(e, a, captured) for e, a in zip(expected, actual, strict=True)
        )
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


def replay_value(
    expected: Any,
    env: Mapping[str, str] | None = None,
    captured: Mapping[str, Any] | None = None,
) -> Any:
    """The value replay mode sends for `expected` (matchers resolved, `$env` read from `env`,
    by default the process environment, `$from` from the values captured so far)."""
    env = os.environ if env is None else env
    captured = captured or {}
    if is_matcher(expected):
        if "$from" in expected:
            name = expected["$from"]
            if name not in captured:
                raise MatcherError(f"$from {name!r}: no earlier call captured it")
            return captured[name]
        if "$env" in expected:
            name = expected["$env"]
            if name not in env:
                raise MatcherError(f"environment variable {name} is not set")
            return env[name]
        if "$replay" in expected:
            return expected["$replay"]
        if "$one_of" in expected:
            return replay_value(expected["$one_of"][0], env, captured)
        raise MatcherError("a $regex or $any matcher needs a `$replay` value to be replayed")
    if isinstance(expected, Mapping):
        return {k: replay_value(v, env, captured) for k, v in expected.items()}
    if isinstance(expected, list):
        return [replay_value(v, env, captured) for v in expected]
    return expected
