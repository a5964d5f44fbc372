"""Output schemas as served: what a tool's structured result really looks like on the wire.

The catalog's output schema is the upstream's response schema, shaped. Two things the server does
to a result at run time would contradict it, and an MCP client that validates structured content
(the TypeScript SDK does) rejects the whole result when one does (-32602):

- a string the default denoise cut ends in a `…[+N chars]` marker, so `maxLength`, `pattern`
  and `format` no longer hold for strings (lists are not capped under a declared schema: the
  planner leaves them to the token budget, which cuts at item boundaries);
- with PII protection on, any string may come back as a token (`<pii:email:…>`), and a field
  the hints or the policy mark as PII comes back as a token whatever its type.

So the served schema keeps every field, type and description, and relaxes exactly those
constraints: string constraints go, and marked fields admit a string. Made once per tool when
the server starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["marked_names", "served_output_schema"]

STRING_CONSTRAINTS = frozenset({"format", "pattern", "minLength", "maxLength"})
VALUE_CONSTRAINTS = frozenset(
    {"enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
EVERY_FIELD = "*"
_LAST_NAME = re.compile(r"(?:\.\.?([A-Za-z_@][\w@-]*)|\['([^']+)'\])(?:\[\*\]|\[\d+\])*$")
_SCALARS = ("integer", "number", "boolean", "string", "null")


def marked_names(paths: Iterable[str]) -> frozenset[str]:
    """The field names PII paths mark (`$.items[*].email` -> `email`); `*` when a path marks
    something no name describes (`$..*`, `$.items[*]`)."""
    names: set[str] = set()
    for path in paths:
        match = _LAST_NAME.search(path.strip())
        names.add((match.group(1) or match.group(2)) if match else EVERY_FIELD)
    return frozenset(names)


def served_output_schema(schema: dict[str, Any], marked: frozenset[str]) -> dict[str, Any]:
    """`schema` relaxed to what the server returns (see the module docstring)."""
    return _relax(schema, EVERY_FIELD in marked, marked)


def _relax(schema: Any, tokens: bool, marked: frozenset[str]) -> Any:
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in STRING_CONSTRAINTS and _admits_string(schema):
            continue
        if tokens and key in VALUE_CONSTRAINTS:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _relax(sub, tokens or name in marked, marked) for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _relax(value, tokens, marked)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [_relax(v, tokens, marked) for v in value]
        else:
            out[key] = value
    if tokens and _is_scalar(out):
        out["type"] = _with_string(out["type"])
    return out


def _admits_string(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind is None:
        return "properties" not in schema and "items" not in schema
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _is_scalar(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return kind is not None and all(
        k in ("integer", "number", "boolean", "string", "null") for k in kinds
    )


def _with_string(kind: Any) -> Any:
    kinds = kind if isinstance(kind, list) else [kind]
    return kind if "string" in kinds else [*kinds, "string"]
