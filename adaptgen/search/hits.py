"""Search hits as an agent reads them: small enough that a search costs about a kilobyte.

Per hit: the name, the first line of the description, the required arguments with their
types and the optional ones' names; the whole input schema only when asked for or small. A hit
keeps the tool's annotations, so a proxy in front (`adaptgen proxy`) can decide calls to tools
it only knows from search results.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adaptgen.words import sentences

INLINE_SCHEMA_BYTES = 450  # the top hit's schema comes along when it is at most this big
DESCRIPTION_CHARS = 120
MAX_OPTIONAL_NAMES = 8
MIN_SENTENCE_CHARS = 24  # a first sentence shorter than this ("Gets a user.") takes the next


def compact(listed: Mapping[str, Any], schema_bytes: int | None) -> dict[str, Any]:
    """A search hit from a tool's listing: name, one line, required arguments with their types
    and the optional ones' names; or the whole input schema when it is at most `schema_bytes`
    (None: always)."""
    hit = line(listed)
    schema = listed.get("inputSchema") or {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = [n for n in schema.get("required") or [] if n in properties]
    if schema_bytes is None or len(json.dumps(schema, separators=(",", ":"))) <= schema_bytes:
        hit["inputSchema"] = schema
    else:
        if required:
            hit["required"] = {n: type_label(properties[n]) for n in required}
        optional = [n for n in properties if n not in required]
        if optional:
            shown = optional[:MAX_OPTIONAL_NAMES]
            more = len(optional) - len(shown)
            hit["optional"] = shown + ([f"+{more} more"] if more else [])
    if listed.get("annotations"):
        hit["annotations"] = listed["annotations"]
    return hit


def line(listed: Mapping[str, Any]) -> dict[str, Any]:
    """A tool's name and the first line of its description: its leading sentences up to
    `DESCRIPTION_CHARS` (a second sentence mostly says the first again: "Gets a signing group.
    Retrieves information, including ..."), else cut at a word."""
    text = " ".join((listed.get("description") or "").split("\n\n", 1)[0].split())
    kept = ""
    for sentence in sentences(text):
        if len(kept) >= MIN_SENTENCE_CHARS or len(f"{kept} {sentence}") > DESCRIPTION_CHARS:
            break
        kept = f"{kept} {sentence}".strip()
    if kept:
        text = kept
    elif len(text) > DESCRIPTION_CHARS:
        text = text[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return {"name": listed["name"], "description": text}


def type_label(schema: Any) -> str:
    """A short type for an argument: `string`, `integer[]`, `object`."""
    if not isinstance(schema, dict):
        return "any"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "any")
    if kind == "array":
        return f"{type_label(schema.get('items'))}[]"
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "any"
