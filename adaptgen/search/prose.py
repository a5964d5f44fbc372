"""What the spec says about each operation beyond the tool's listing (build time only).

A tool's description is cut to its leading sentences for the agent's context; the index may
read everything the spec says, because the words a user says are often only there ("add a
comment" is Asana's story: "only allows for comment stories to be created"). Per tool: the
operation's whole summary and description and the descriptions of its tags. Field
descriptions of bodies and answers are left out on purpose: an answer's schema is shared by
every operation of a resource, so its words (`old_name`, `created_by`) would say "this
resource" for any word at all (measured: they made the tuned set worse).
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
