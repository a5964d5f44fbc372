"""What the spec says about each operation beyond the tool's listing (build time only).

A tool's description is cut to its leading sentences for the agent's context; the index may
read everything the spec says, because the words a user says are often only there ("add a
comment" is Asana's story: "only allows for comment stories to be created"). Per tool: the
operation's whole summary and description and the descriptions of its tags. Field
descriptions of bodies and answers are left out on purpose: an answer's schema is shared by
every operation of a resource, so its words (`old_name`, `created_by`) would say "this
resource" for any word at all (measured: they made the tuned set worse). What a read answers
is kept apart instead (`spec_answers`): the field names of a read's answer, which the ranker
reads only for questions ("what base currency are we in?" is the organisation's read). What
the thing itself is, the description of the schema it is (not of its fields), is kept too
(`spec_definitions`): shared by a resource's operations, it names that resource in words its
path may not ("Pod is a collection of containers").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adaptgen.load.refs import RefResolver
from adaptgen.load.source import SourceFile
from adaptgen.plan.describe import plain
from adaptgen.plan.media import answer_media
from adaptgen.readiness.fields import FieldWalker, follow, success_response, under
from adaptgen.runtime.catalog import Tool
from adaptgen.search.text import field_words, words
from adaptgen.words import FORMAT_SUFFIX, sentences


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


def spec_answers(source: SourceFile, tools: Iterable[Tool]) -> dict[str, list[str]]:
    """Tool name -> the words of the field names its answer holds: what a question about a
    thing's attribute asks for ("how much have I spent this month?" is the read whose answer
    has `month_to_date_usage`). Every operation's; the index keeps the reads' (a POSTed search
    is one), as a write answers what it changed, which says no more than its resource. The
    answer is walked as lint walks it (`readiness.fields`), in `source`: the planned document's
    file, whose other files its references may name."""
    resolver = RefResolver(source)
    walker = FieldWalker(resolver, max_depth=ANSWER_DEPTH - 1)
    found = {}
    for tool in tools:
        operation = _at(source.data, tool.pointer) if tool.pointer else None
        if not isinstance(operation, dict):
            continue
        schema, at_source, at = success_response(resolver, operation, tool.pointer)
        fields = walker.fields(schema, at_source, at) if schema is not None else []
        said = field_words(field.name for field in fields)
        if said:
            found[tool.name] = said[:MAX_ANSWER_WORDS]
    return found


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


# What a list wraps its things in (`{"items": [...], "next": ...}`): the things are its items.
_WRAPPERS = frozenset(
    ["items", "data", "results", "value", "values", "records", "entries", "list", "elements"]
    + ["objects", "content"]
)
_NAMED = re.compile(r"^/(?:components/schemas|definitions)/[^/]+$")
_MAX_WRAPPER_FIELDS = 4  # a list answer's one array beside few others (a cursor, a count)
_THING_DEPTH = 4
MAX_RESOURCES_DESCRIBED = 2  # a definition said of more resources is the API's, not a thing's
MAX_DEFINITION_WORDS = 30


def spec_definitions(source: SourceFile, tools: Sequence[Tool]) -> dict[str, str]:
    """Tool name -> what the spec says the thing it acts on is: the first sentence (at most
    MAX_DEFINITION_WORDS words) of the description of the named schema
    (`components/schemas/Pod`) of the body it sends (a create's, an update's), else of its
    answer, a list's items where the answer is a list ("Pod is a collection of containers that
    can run on a host."; docs/DESIGN.md, "What the thing is, as its schema says"). A schema
    said of more than MAX_RESOURCES_DESCRIBED resources (a tool's path's last segment that is
    no parameter) says what the API answers (Compute's `Operation`, Kubernetes' `Status`), not
    what one thing is, and is left out; so is one whose description only repeats its name."""
    resolver = RefResolver(source)
    found: dict[str, str] = {}
    for tool in tools:
        operation = _at(source.data, tool.pointer) if tool.pointer else None
        if not isinstance(operation, dict):
            continue
        said = None
        if tool.method in ("POST", "PUT", "PATCH"):
            body = _json_body(resolver, operation, tool.pointer)
            said = _definition(resolver, *body) if body is not None else None
        if said is None:
            schema, at_source, at = success_response(resolver, operation, tool.pointer)
            said = _definition(resolver, schema, at_source, at) if schema is not None else None
        if said is not None:
            found[tool.name] = said
    described: dict[str, set[str]] = {}  # by the text: specs copy a base's into its parts
    for tool in tools:
        if tool.name in found:
            described.setdefault(found[tool.name], set()).add(_last_noun(tool.path))
    return {
        name: text
        for name, text in found.items()
        if len(described[text]) <= MAX_RESOURCES_DESCRIBED
    }


def _last_noun(path: str) -> str:
    """A path's last segment that is no parameter (`/pods/{name}/log` -> `log`), its format
    suffix left out as the index leaves it (`/Calls.json` and `/Calls/{Sid}.json`: `Calls`)."""
    segments = (FORMAT_SUFFIX.sub("", s) for s in reversed(path.split("/")))
    return next((s for s in segments if s and "{" not in s), "")


def _json_body(
    resolver: RefResolver, operation: Mapping[str, Any], pointer: str
) -> tuple[Any, SourceFile, str] | None:
    """An operation's request body schema, as the answer's is chosen (`answer_media`: JSON's
    first), and where it is; its `requestBody` may be a `$ref` (`components/requestBodies`).
    None without one. A Swagger 2 `in: body` is a `requestBody` by now (`load.swagger2`)."""
    at = under(pointer, "requestBody")
    found = follow(resolver, operation.get("requestBody"), resolver.root, at)
    chosen = answer_media(found[0].get("content")) if found is not None else None
    if found is None or chosen is None:
        return None
    media, _ = chosen
    return chosen[1]["schema"], found[1], under(found[2], "content", media, "schema")


def _definition(
    resolver: RefResolver, schema: Any, source: SourceFile, at: str, depth: int = 0
) -> str | None:
    """The first sentence of the description of the named schema `schema` is, or lists, or
    wraps (`{"data": {...}}`, `{"items": [...], "next": ...}`), else of its `allOf`'s first named
    part that has one; None without one."""
    found = follow(resolver, schema, source, at) if depth <= _THING_DEPTH else None
    if found is None:
        return None
    node, source, at = found
    if node.get("type") == "array" or ("items" in node and not node.get("properties")):
        return _definition(resolver, node.get("items"), source, under(at, "items"), depth + 1)
    fields: dict[str, Any] = node["properties"] if isinstance(node.get("properties"), dict) else {}
    lists = []
    for name, value in fields.items():
        listed = follow(resolver, value, source, under(at, "properties", str(name)))
        if listed is not None and (listed[0].get("type") == "array" or "items" in listed[0]):
            lists.append((str(name), listed))
    if len(lists) == 1 and (lists[0][0].lower() in _WRAPPERS or len(fields) <= _MAX_WRAPPER_FIELDS):
        value, inner_source, inner_at = lists[0][1]
        inner = _definition(
            resolver, value.get("items"), inner_source, under(inner_at, "items"), depth + 1
        )
        if inner is not None:
            return inner
    wrapped = [name for name in fields if str(name).lower() in _WRAPPERS]
    if len(wrapped) == 1 and not lists and len(fields) <= _MAX_WRAPPER_FIELDS:
        name = wrapped[0]  # `{"data": {...}}`: one thing, wrapped
        inner = _definition(
            resolver, fields[name], source, under(at, "properties", str(name)), depth + 1
        )
        if inner is not None:
            return inner
    text = node.get("description")
    if isinstance(text, str) and _NAMED.match(at):
        text = plain(text)
        if set(words(text)) - set(words(at.rsplit("/", 1)[1])):  # not "Admin": its name again
            first = sentences(text.split("\n", 1)[0])[:1]
            return " ".join(" ".join(first).split()[:MAX_DEFINITION_WORDS])
    for i, part in enumerate(node.get("allOf") or []):
        if isinstance(part, dict) and "$ref" in part:
            inner = _definition(resolver, part, source, under(at, "allOf", str(i)), depth + 1)
            if inner is not None:
                return inner
    return None
