"""Version tags an API takes back: optimistic locking (`If-Match`, CouchDB's `_rev`).

Results drop `etag`, `_rev` and their kind as bookkeeping (`runtime.shape`): on most APIs no
tool takes them. Where one does, the agent must read them, or the write can never be made
right: Box's `update_file` takes the file's `etag` as `if_match`, Azure's resources and SAP's
OData v2 services the same, CouchDB's updates the document's `_rev`. So, on such an API:

- every tool keeps version tags in its results (`Shape.version_tags`);
- a GET of a thing whose writes (on its path, or on a path under it) take `If-Match`, and each
  of those writes, adds the answer's `ETag` header to an object answer as `etag`, where the
  answer has no tag of its own (`Operation.etag_header`): many APIs send the tag only as that
  header, and a write's answer carries the thing's new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adaptgen.plan.long_running import unnamed_path
from adaptgen.runtime.catalog import Tool
from adaptgen.runtime.http_methods import if_match_argument
from adaptgen.runtime.shape import LOCKING_KEYS

__all__ = ["CONDITION_HEADERS", "TAG_FIELDS", "takes_tags", "with_version_tags"]

# The request headers that carry a version tag (RFC 9110 13.1.1-2).
CONDITION_HEADERS = frozenset({"if-match", "if-none-match"})
# A field or parameter that carries one: the names `runtime.shape` reads as locking tags, and
# CouchDB's `rev` query parameter.
TAG_FIELDS = frozenset(LOCKING_KEYS | {"rev"})
_ETAG = {"type": "string", "description": "The version tag a write of this takes (If-Match)."}


def takes_tags(tool: Tool) -> bool:
    """Whether a tool takes a version tag: a conditional header, or a tag field."""
    return any(
        (param.location == "header" and param.api_name.lower() in CONDITION_HEADERS)
        or param.api_name.lower() in TAG_FIELDS
        for param in tool.upstream.params
    ) or any(name.lower() in TAG_FIELDS for name in _body_fields(tool))


def _body_fields(tool: Tool) -> Iterable[str]:
    """The top-level fields of a body sent whole (one argument holds it)."""
    properties = tool.input_schema.get("properties") or {}
    for param in tool.upstream.params:
        if param.location == "body" and not param.api_name:
            schema: Any = properties.get(param.name) or {}
            if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
                yield from schema["properties"]


def with_version_tags(tools: list[Tool]) -> list[Tool]:
    """`tools`, told to keep version tags where any of them takes one back."""
    if not any(takes_tags(tool) for tool in tools):
        return tools
    guarded = {
        unnamed_path(t.path)
        for t in tools
        if t.method != "GET" and if_match_argument(t) is not None
    }
    told = []
    for tool in tools:
        update: dict[str, Any] = {"shape": tool.shape.model_copy(update={"version_tags": True})}
        path = unnamed_path(tool.path)
        if tool.pagination is None and _guards(path, guarded, tool.method == "GET"):
            update["upstream"] = tool.upstream.model_copy(update={"etag_header": True})
            if tool.output_schema and isinstance(tool.output_schema.get("properties"), dict):
                # the answer may carry the header's tag: its schema says so (a schema closed
                # with `additionalProperties: false` would refuse it otherwise)
                properties = {"etag": _ETAG, **tool.output_schema["properties"]}
                update["output_schema"] = {**tool.output_schema, "properties": properties}
        told.append(tool.model_copy(update=update))
    return told


def _guards(path: str, guarded: set[str], read: bool) -> bool:
    """Whether a write on `path`, or (read of one thing, `/files/{}`) under it, takes
    `If-Match`."""
    if path in guarded:
        return True
    return read and path.endswith("}") and any(g.startswith(path + "/") for g in guarded)
