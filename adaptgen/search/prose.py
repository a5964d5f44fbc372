"""What the spec says about each operation beyond the tool's listing (build time only).

A tool's description is cut to its leading sentences for the agent's context; the index may
read everything the spec says, because the words a user says are often only there ("add a
comment" is Asana's story: "only allows for comment stories to be created"). Per tool: the
operation's whole summary and description and the descriptions of its tags. Field
descriptions of bodies and answers are left out on purpose: an answer's schema is shared by
every operation of a resource, so its words (`old_name`, `created_by`) would say "this
resource" for any word at all (measured: they made the tuned set worse). What a read answers
is kept apart instead (`spec_answers`): the field names of a read's answer, which the ranker
reads only for questions ("what base currency are we in?" is the organisation's read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from adaptgen.plan.describe import plain
from adaptgen.runtime.catalog import Tool


def spec_prose(document: Mapping[str, Any], tools: Iterable[Tool]) -> dict[str, str]:
    """Tool name -> what the spec says about its operation (tools without a pointer left out)."""
    topics = {
        str(tag.get("name")): str(tag.get("description") or "")
        for tag in document.get("tags") or []
        if isinstance(tag, dict)
    }
    found = {}
    for tool in tools:
        operation = _at(document, tool.pointer) if tool.pointer else None
        if isinstance(operation, dict):
            said = [str(operation.get(k) or "") for k in ("summary", "description")]
            said += [topics.get(tag, "") for tag in tool.tags]
            found[tool.name] = plain(" ".join(s for s in said if s))
    return found


ANSWER_DEPTH = 3  # field names of the answer and of the objects two levels inside it
MAX_ANSWER_WORDS = 80
MAX_FIELD_NAMES = 400
_SUCCESS = ("200", "201", "2XX")  # then any other 2xx, then the default


def spec_answers(document: Mapping[str, Any], tools: Iterable[Tool]) -> dict[str, list[str]]:
    """Tool name -> the words of the field names its answer holds: what a question about a
    thing's attribute asks for ("how much have I spent this month?" is the read whose answer
    has `month_to_date_usage`). Every operation's; the index keeps the reads' (a POSTed search
    is one), as a write answers what it changed, which says no more than its resource."""
    from adaptgen.search.text import STOP_WORDS, words

    found = {}
    for tool in tools:
        if not tool.pointer:
            continue
        operation = _at(document, tool.pointer)
        schema = _answer_schema(document, operation) if isinstance(operation, dict) else None
        names: list[str] = []
        _field_names(document, schema, ANSWER_DEPTH, frozenset(), names)
        said = [
            w
            for name in names
            for w in words(name)
            if w not in STOP_WORDS and w not in ("id", "ids") and not w.isdigit()
        ]
        if said:
            found[tool.name] = list(dict.fromkeys(said))[:MAX_ANSWER_WORDS]
    return found


def _answer_schema(document: Mapping[str, Any], operation: Mapping[str, Any]) -> Any:
    """The schema of an operation's success answer (Swagger 2's `schema`, or OpenAPI 3's JSON
    content), its references followed."""
    responses = operation.get("responses")
    if not isinstance(responses, dict):
        return None
    by_code = {str(code).upper(): answer for code, answer in responses.items()}  # YAML: 200
    codes = [*_SUCCESS, *sorted(c for c in by_code if c.startswith("2"))]
    response = next((by_code[c] for c in [*codes, "DEFAULT"] if c in by_code), None)
    response = _resolved(document, response)
    if not isinstance(response, dict):
        return None
    schema = response.get("schema")
    content = response.get("content")
    if schema is None and isinstance(content, dict) and content:
        media = next((m for kind, m in content.items() if "json" in str(kind)), None)
        media = media or next(iter(content.values()))
        schema = media.get("schema") if isinstance(media, dict) else None
    return schema


def _field_names(
    document: Mapping[str, Any], schema: Any, depth: int, seen: frozenset[str], out: list[str]
) -> None:
    """The property names of `schema` down to `depth` objects (arrays' items and
    allOf/oneOf/anyOf alternatives at the same depth); a reference already followed on the
    way down is a cycle and is not followed again."""
    if len(out) >= MAX_FIELD_NAMES:
        return  # enough to say what it answers, however wide the schema fans out
    reference = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(reference, str):
        if reference in seen:
            return
        seen = seen | {reference}
    schema = _resolved(document, schema)
    if not isinstance(schema, dict) or depth < 1:
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for alternative in schema.get(key) or ():
            _field_names(document, alternative, depth, seen, out)
    if isinstance(schema.get("items"), dict):
        _field_names(document, schema["items"], depth, seen, out)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, value in properties.items():
            if len(out) >= MAX_FIELD_NAMES:
                return
            out.append(str(name))
            _field_names(document, value, depth - 1, seen, out)


def _resolved(document: Mapping[str, Any], value: Any) -> Any:
    """`value` with its local `$ref`s followed (None for a reference elsewhere or a loop)."""
    followed: set[str] = set()
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        reference = value["$ref"]
        if not reference.startswith("#") or reference in followed:
            return None
        followed.add(reference)
        value = _at(document, reference[1:])
    return value


def _at(document: Mapping[str, Any], pointer: str) -> Any:
    """The value at a JSON pointer (None when it is not there)."""
    value: Any = document
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
