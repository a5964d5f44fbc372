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

from adaptgen.load.refs import RefResolver
from adaptgen.load.source import SourceFile
from adaptgen.plan.describe import plain
from adaptgen.readiness.fields import FieldWalker, success_response
from adaptgen.runtime.catalog import Tool
from adaptgen.search.text import field_words


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
