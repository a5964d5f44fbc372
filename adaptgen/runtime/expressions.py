"""Arazzo runtime expressions, evaluated against a chain's state.

`$inputs.x`, `$steps.<id>.outputs.<name>[.<field>...]`, `$response.body`,
`$response.body#/json/pointer`, `$response.header.<name>`, `$statusCode`, `$item[.<field>]`,
`$.json.path` (JSONPath on the current response body), and `"text {$expr} text"` templates.
Simple conditions compare an expression with a literal: `$statusCode == 200`,
`$response.body#/total > 0`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adaptgen.runtime import jsonpath

_TEMPLATE = re.compile(r"\{(\$[^{}]+)\}")
# RFC 9535 "singular query": names and indexes only, so it selects at most one node.
_SINGULAR = re.compile(r"^\$(?:\.[A-Za-z_][\w-]*|\[\d+\]|\['[^']*'\])*$")
_CONDITION = re.compile(r"^\s*(\$\S+)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")


class ExpressionError(ValueError):
    """An expression that names nothing (no such input, step output or field)."""


@dataclass
class Response:
    """What one step's call returned, as expressions see it."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Scope:
    """Everything an expression can refer to."""

    inputs: Mapping[str, Any]
    steps: Mapping[str, Mapping[str, Any]]  # step id -> {"outputs": {...}}
    response: Response | None = None
    item: Any = None
    has_item: bool = False


def evaluate(value: Any, scope: Scope) -> Any:
    """A literal stays itself; expressions (also inside dicts, lists and templates) are resolved."""
    if isinstance(value, dict):
        return {k: evaluate(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, scope) for v in value]
    if not isinstance(value, str):
        return value
    if value.startswith("$"):
        return _expression(value, scope)
    if "{$" in value:
        return _TEMPLATE.sub(lambda m: _text(_expression(m.group(1), scope)), value)
    return value


def holds(
    condition: str, scope: Scope, *, context: str | None = None, kind: str = "simple"
) -> bool:
    """Whether an Arazzo success criterion holds."""
    if kind == "jsonpath":
        target = (
            _expression(context, scope)
            if context
            else (scope.response.body if scope.response else None)
        )
        return bool(jsonpath.find(condition, target))
    if kind == "regex":
        target = _expression(context, scope) if context else ""
        return re.search(condition, _text(target)) is not None
    match = _CONDITION.match(condition)
    if match is None:
        return bool(_expression(condition.strip(), scope))
    left = _expression(match.group(1), scope)
    right = _literal(match.group(3))
    op = match.group(2)
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()  # Arazzo: string comparisons ignore case
    try:
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
    except TypeError:
        return False


def references(value: Any) -> list[str]:
    """Every expression inside a value (for build-time checks)."""
    if isinstance(value, dict):
        return [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    if isinstance(value, str):
        if value.startswith("$"):
            return [value]
        return _TEMPLATE.findall(value)
    return []


def _expression(text: str, scope: Scope) -> Any:
    if text.startswith(("$inputs.", "$steps.")) and "#" in text:
        # Arazzo allows a JSON pointer after any value: `$steps.a.outputs.list#/0/id`.
        head, _, pointer = text.partition("#")
        return _pointer(_expression(head, scope), pointer, text)
    if text.startswith("$inputs."):
        return _dig(scope.inputs, text[len("$inputs.") :].split("."), text)
    if text.startswith("$steps."):
        return _dig(scope.steps, text[len("$steps.") :].split("."), text)
    if text == "$item" or text.startswith("$item."):
        if not scope.has_item:
            raise ExpressionError(f"{text}: $item is only defined inside a foreach step")
        return _dig(scope.item, text.split(".")[1:], text)
    if text == "$statusCode":
        return scope.response.status if scope.response else None
    if text.startswith("$response.header."):
        name = text[len("$response.header.") :].lower()
        return (scope.response.headers if scope.response else {}).get(name)
    if text.startswith("$response.body"):
        body = scope.response.body if scope.response else None
        rest = text[len("$response.body") :]
        if not rest:
            return body
        if rest.startswith("#"):
            return _pointer(body, rest[1:], text)
        raise ExpressionError(f"{text}: expected $response.body#/json/pointer")
    if text.startswith("$.") or text.startswith("$["):
        body = scope.response.body if scope.response else None
        if _SINGULAR.match(text):
            return jsonpath.first(text, body)
        return jsonpath.find(text, body)  # wildcards, filters, `..`: every match, as a list
    raise ExpressionError(f"{text}: not a runtime expression adaptgen knows")


def _dig(value: Any, parts: list[str], text: str) -> Any:
    for part in parts:
        if part == "":
            continue
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise ExpressionError(f"{text}: nothing at {part!r}")
    return value


def _pointer(body: Any, pointer: str, text: str) -> Any:
    if pointer in ("", "/"):
        return body
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(body, Mapping) and token in body:
            body = body[token]
        elif isinstance(body, list) and token.isdigit() and int(token) < len(body):
            body = body[int(token)]
        else:
            return None  # an absent value is for success criteria to judge
    return body


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip("'\"")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
