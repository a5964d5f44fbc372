"""Facts an answer must hold, looked for in the tool results an agent read (and its answer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptgen.evaluation.matchers import matches
from adaptgen.evaluation.scenarios import Fact
from adaptgen.evaluation.surfaces import ToolCall
from adaptgen.runtime import jsonpath


def describe(fact: Fact) -> str:
    if fact.text is not None:
        return f"text {fact.text!r}"
    suffix = "" if fact.equals is None else f" == {fact.equals!r}"
    return f"jsonpath {fact.jsonpath}{suffix}"


def found(fact: Fact, calls: Sequence[ToolCall], answer: str = "") -> bool:
    """Whether a successful call's result (or, for text, the final answer) holds the fact."""
    results = [c for c in calls if c.ok]
    if fact.text is not None:
        return fact.text in answer or any(fact.text in c.text for c in results)
    assert fact.jsonpath is not None
    return any(_matched(fact, c.data) for c in results if c.data is not None)


def _matched(fact: Fact, data: Any) -> bool:
    assert fact.jsonpath is not None
    try:
        values = jsonpath.find(fact.jsonpath, data)
    except ValueError:
        return False
    values = [v for v in values if v not in (None, "", [], {})]
    if fact.equals is None:
        return bool(values)
    return any(matches(fact.equals, v) for v in values)
