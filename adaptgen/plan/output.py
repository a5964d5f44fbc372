"""Output schemas that describe the shaped result, not the upstream's raw answer.

Only on request (`output_schema: true` in hints): most agents read JSON text well, and a schema
costs tools/list bytes on every session. When asked for, the schema is the response schema with
the tool's `drop` and `keep` JSONPaths applied, `required` removed (the default denoise drops
empty values), and for paginated tools the adaptgen envelope around the items.
"""

from __future__ import annotations

import re
from typing import Any

from adaptgen.runtime.catalog import Shape
from adaptgen.runtime.paging import PagingStyle

_STEP = re.compile(
    r"\.\.(?P<deep>[A-Za-z_][\w-]*)|\.(?P<name>[A-Za-z_@][\w@-]*)|\['(?P<quoted>[^']+)'\]|\[\*\]"
)


class UnsupportedPath(ValueError):
    """A JSONPath too rich to apply to a schema (filters, unions, slices)."""


def output_schema(
    response: dict[str, Any] | None, shape: Shape, pagination: PagingStyle | None
) -> dict[str, Any] | None:
    """The schema of what the tool returns, or None when it cannot be described as an object."""
    if not isinstance(response, dict):
        return None
    if pagination is not None:
        item = _items_schema(response, pagination.items)
        if item is None:
            return None
        envelope: dict[str, Any] = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": _shaped(item, shape)},
                "total": {"type": "integer"},
                "next_cursor": {"type": "string", "description": "Pass back as cursor for more."},
                "_note": {"type": "string"},
            },
            "required": ["items"],
        }
        return envelope
    if response.get("type") != "object" and "properties" not in response:
        return None
    shaped = _shaped(response, shape)
    shaped.setdefault("properties", {})["_note"] = {"type": "string"}
    return shaped


def _shaped(schema: dict[str, Any], shape: Shape) -> dict[str, Any]:
    result = schema
    for expression in shape.drop:
        result = _drop(result, _steps(expression))
    if shape.keep:
        kept: dict[str, Any] | None = None
        for expression in shape.keep:
            kept = _merge(kept, _keep(result, _steps(expression)))
        result = kept or {"type": "object", "properties": {}}
    return _without_required(result)


def _steps(expression: str) -> list[tuple[str, str]]:
    text = expression.strip()
    if not text.startswith("$"):
        raise UnsupportedPath(expression)
    text = text[1:]
    steps: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise UnsupportedPath(expression)
        if match.group("deep"):
            steps.append(("deep", match.group("deep")))
        elif match.group("name") or match.group("quoted"):
            steps.append(("name", match.group("name") or match.group("quoted")))
        else:
            steps.append(("items", ""))
        position = match.end()
    return steps


def _drop(schema: Any, steps: list[tuple[str, str]]) -> Any:
    if not isinstance(schema, dict) or not steps:
        return schema
    kind, name = steps[0]
    out = dict(schema)
    if kind == "deep":
        props = {
            k: _drop(v, steps) for k, v in (schema.get("properties") or {}).items() if k != name
        }
        if "properties" in schema:
            out["properties"] = props
        if isinstance(schema.get("items"), dict):
            out["items"] = _drop(schema["items"], steps)
        return out
    if kind == "items":
        if isinstance(schema.get("items"), dict):
            out["items"] = _drop(schema["items"], steps[1:])
        return out
    props = dict(schema.get("properties") or {})
    if name in props:
        if len(steps) == 1:
            del props[name]
        else:
            props[name] = _drop(props[name], steps[1:])
        out["properties"] = props
    return out


def _keep(schema: Any, steps: list[tuple[str, str]]) -> dict[str, Any] | None:
    if not steps:
        return schema if isinstance(schema, dict) else {}
    if not isinstance(schema, dict):
        return None
    kind, name = steps[0]
    if kind == "deep":
        raise UnsupportedPath("recursive keep")
    if kind == "items":
        inner = _keep(schema.get("items") or {}, steps[1:])
        return None if inner is None else {"type": "array", "items": inner}
    sub = (schema.get("properties") or {}).get(name)
    if sub is None:
        return None
    inner = _keep(sub, steps[1:])
    return None if inner is None else {"type": "object", "properties": {name: inner}}


def _merge(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if a is None:
        return b
    if b is None:
        return a
    if "properties" in a and "properties" in b:
        props = dict(a["properties"])
        for key, value in b["properties"].items():
            props[key] = _merge(props.get(key), value) if key in props else value
        return {**a, "properties": props}
    if a.get("type") == "array" and b.get("type") == "array":
        return {**a, "items": _merge(a.get("items"), b.get("items"))}
    return a


def _items_schema(response: dict[str, Any], items: str | None) -> dict[str, Any] | None:
    if items in (None, "$"):
        node: Any = response
    else:
        node = response
        for kind, name in _steps(items):
            if kind != "name" or not isinstance(node, dict):
                return None
            node = (node.get("properties") or {}).get(name)
    if (
        isinstance(node, dict)
        and node.get("type") == "array"
        and isinstance(node.get("items"), dict)
    ):
        return node["items"]
    return None


def _without_required(schema: Any) -> Any:
    """The schema without `required` keywords (property maps keep a field named `required`)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _without_required(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _without_required(value)
        elif key == "anyOf" and isinstance(value, list):
            out[key] = [_without_required(v) for v in value]
        else:
            out[key] = value
    return out
