"""Argument rules: what a caller may pass to a tool (allowed values, patterns, limits).

Innermost: it sees the real values the upstream will get (after the PII layer turned the
agent's tokens back into them, before the tool tokenizes anything it sends on), and a value
its refusal quotes leaves as a token through the PII layer around it. A refusal names the
rule (`arguments.rules[N]`) in the audit line; the agent reads which argument and why.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import Any

from adaptgen.runtime.governance.access import applies
from adaptgen.runtime.governance.call import Call, CallNext, Refused
from adaptgen.runtime.governance.policy import ArgumentCheck, ArgumentPolicy, ArgumentRule
from adaptgen.runtime.identity import Caller

__all__ = ["ArgumentRules", "check_argument"]

_MISSING = object()


class ArgumentRules:
    def __init__(self, policy: ArgumentPolicy) -> None:
        self.rules = [(i, rule, _compiled(rule)) for i, rule in enumerate(policy.rules)]
        self._by_tool: dict[str, list[tuple[int, ArgumentRule, dict[str, Any]]]] = {}

    @classmethod
    def from_policy(cls, policy: ArgumentPolicy) -> ArgumentRules | None:
        """The layer, or None when the policy has no argument rules."""
        return cls(policy) if policy.rules else None

    async def on_call(self, call: Call, call_next: CallNext) -> Any:
        caller = call.caller or Caller()
        arguments = call.tool_arguments
        for index, rule, patterns in self._for_tool(call.tool):
            if not applies(rule, caller):
                continue
            for name, check in rule.arguments.items():
                problem = check_argument(check, arguments.get(name, _MISSING), patterns.get(name))
                if problem is not None:
                    where = f"arguments.rules[{index}]"
                    call.decision = f"deny: {where} {name}: {problem}"
                    raise Refused(
                        f"not allowed: argument {name!r} of {call.tool} {problem} ({where})",
                        "denied",
                    )
        return await call_next(call)

    def _for_tool(self, tool: str) -> list[tuple[int, ArgumentRule, dict[str, Any]]]:
        found = self._by_tool.get(tool)
        if found is None:
            found = self._by_tool[tool] = [
                entry
                for entry in self.rules
                if any(fnmatch.fnmatchcase(tool, g) for g in entry[1].tools)
            ]
        return found


def check_argument(
    check: ArgumentCheck, value: Any, pattern: re.Pattern[str] | None = None
) -> str | None:
    """What is wrong with `value` (`_MISSING`: not given) under `check`, or None.

    The reason quotes the policy's limits, never the value (it may be personal data).
    """
    if value is _MISSING or value is None:
        if check.required or (check.values is not None and None not in check.values):
            return "must be given"
        return None
    if isinstance(value, list | tuple):
        problems = (_item(check, v, pattern) for v in value)
        return _length(check, len(value), "items") or next(
            (p for p in problems if p is not None), None
        )
    if isinstance(value, str):
        problem = _length(check, len(value), "characters")
        if problem is not None:
            return problem
    return _item(check, value, pattern)


def _item(check: ArgumentCheck, value: Any, pattern: re.Pattern[str] | None) -> str | None:
    """A scalar value (or one item of a list) against the values, limits and pattern."""
    if check.values is not None and not _among(value, check.values):
        return f"must be one of {_listed(check.values)}"
    if check.minimum is not None or check.maximum is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if check.minimum is not None and value < check.minimum:
            return f"must be at least {_number(check.minimum)}"
        if check.maximum is not None and value > check.maximum:
            return f"must be at most {_number(check.maximum)}"
    if pattern is not None:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return "must be text"
        if pattern.fullmatch(str(value)) is None:
            return f"must match {check.pattern!r}"
    return None


def _length(check: ArgumentCheck, length: int, unit: str) -> str | None:
    if check.min_length is not None and length < check.min_length:
        return f"must have at least {check.min_length} {unit}"
    if check.max_length is not None and length > check.max_length:
        return f"must have at most {check.max_length} {unit}"
    return None


def _among(value: Any, allowed: Sequence[Any]) -> bool:
    """`value` is one of `allowed` as JSON sees them: 7 is 7.0, but true is not 1 nor "7" 7."""
    return any(_json_type(value) == _json_type(a) and value == a for a in allowed)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__


def _listed(values: Sequence[Any]) -> str:
    return ", ".join("null" if v is None else repr(v) for v in values)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _compiled(rule: ArgumentRule) -> dict[str, re.Pattern[str]]:
    return {
        name: re.compile(check.pattern)
        for name, check in rule.arguments.items()
        if check.pattern is not None
    }
