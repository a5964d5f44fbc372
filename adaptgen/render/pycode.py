"""Printing values as Python source, safely: every spec string becomes data, never code."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from adaptgen.plan.names import python_name

__all__ = ["docstring", "py_literal", "py_type", "python_name"]


def py_literal(value: Any) -> str:
    """A Python literal for a JSON value (`repr` of str/int/float/bool is always a literal)."""
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    raise TypeError(f"not a scalar literal: {type(value).__name__}")


def py_type(schema: dict[str, Any]) -> str:
    """The Python annotation that validates what `schema` describes (coarser is fine)."""
    enum = schema.get("enum")
    values = [v for v in enum if v is not None] if isinstance(enum, list) else []
    if values and _same_scalar_kind(values):
        literal = "Literal[" + ", ".join(py_literal(v) for v in values) + "]"
        kind = schema.get("type")
        nullable = None in enum or (isinstance(kind, list) and "null" in kind)
        return f"{literal} | None" if nullable else literal
    if isinstance(schema.get("anyOf"), list):
        own = {k: v for k, v in schema.items() if k != "anyOf"}
        parts = [
            py_type({**own, **variant}) if isinstance(variant, dict) else "Any"
            for variant in schema["anyOf"]
        ]
        return _union(parts)
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union([py_type({**schema, "type": single}) for single in kind])
    if kind == "string":
        return "str"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        items = schema.get("items")
        return f"list[{py_type(items) if isinstance(items, dict) else 'Any'}]"
    if kind == "object":
        return "dict[str, Any]"
    if kind == "null":
        return "None"
    return "Any"


def _union(parts: list[str]) -> str:
    """The annotation that is any of `parts` (each maybe a union itself): each member once,
    `None` last; `Any` when one is."""
    members: list[str] = []
    for part in parts:
        for member in _members(part):
            if member not in members:
                members.append(member)
    if "Any" in members:
        return "Any"
    if "None" in members:
        members = [m for m in members if m != "None"] + ["None"]
    return " | ".join(members)


def _members(annotation: str) -> list[str]:
    """The top-level members of a union annotation (`list[str | None] | None`: two)."""
    members, depth, start = [], 0, 0
    for at, char in enumerate(annotation):
        depth += char == "["
        depth -= char == "]"
        if depth == 0 and annotation.startswith(" | ", at):
            members.append(annotation[start:at])
            start = at + 3
    members.append(annotation[start:])
    return members


def wrap(text: str, width: int = 88, hanging: str = "") -> str:
    """Re-flow prose for a docstring (lines kept short; words never split)."""
    import textwrap

    lines: list[str] = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            lines.append("")
            continue
        lines.extend(
            textwrap.wrap(
                paragraph,
                width=width,
                subsequent_indent=hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [""]
        )
    return "\n".join(lines)


def _same_scalar_kind(values: list[Any]) -> bool:
    # Literal[...] of all-str or all-int values; anything mixed stays the schema's job.
    return all(isinstance(v, str) for v in values) or all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    )


def docstring(text: str) -> str:
    """Text made safe inside a triple-double-quoted docstring, shown as written.

    Backslashes and quote runs are escaped and invisible or line-breaking characters become
    escapes, so no spec text can close the string or change what follows it.
    """
    text = text.replace("\\", "\\\\")
    if text.isascii() and not _ASCII_CONTROL.search(text):
        escaped = text  # nothing to escape character by character (most spec text)
    else:
        escaped = _escape_characters(text)
    escaped = escaped.replace('"""', '\\"\\"\\"')
    if escaped.endswith('"'):
        escaped = escaped[:-1] + '\\"'
    return escaped


# The only ASCII characters of Unicode category C (control); none is Zl or Zp.
_ASCII_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _escape_characters(text: str) -> str:
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char != "\n" and (category.startswith("C") or category in ("Zl", "Zp")):
            code = ord(char)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
        else:
            out.append(char)
    return "".join(out)


def signature_param(param: Any) -> str:
    """One parameter of a generated tool function: `name: Type` or `name: Type | None = None`."""
    py = python_name(param.name)
    annotation = py_type(param.schema)
    if (
        not param.required
        and annotation not in ("Any", "None")
        and not annotation.endswith("| None")
    ):
        annotation = f"{annotation} | None"
    if py != param.name:
        # The agent says e.g. "from"; Python needs "from_": pydantic maps it with an alias.
        annotation = f"Annotated[{annotation}, Field(alias={py_literal(param.name)})]"
    return f"{py}: {annotation}" if param.required else f"{py}: {annotation} = None"
