"""Which of a response's media types says what its answer is, for the planner and for lint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adaptgen.runtime.xml_answer import is_xml

__all__ = ["admits_json", "answer_media", "is_json"]


def is_json(media: str) -> bool:
    """`application/json`, `application/vnd.api+json`, `text/json; charset=utf-8`, ..."""
    return "json" in media


def admits_json(media: str) -> bool:
    """A range the JSON the runtime asks for falls in (`*/*`: what a Swagger 2 spec that
    names no `produces` answers, and Stack Exchange, DocuSign and 60 more corpus specs)."""
    return media.split(";")[0].strip() in ("*/*", "application/*")


def answer_media(content: Any) -> tuple[str, dict[str, Any]] | None:
    """The media type and media object of `content` (a response's) whose schema says what the
    answer is: JSON's (the runtime asks for it first), else a range that admits JSON, else
    XML's (read as data: `runtime.xml_answer`); None when none of them has a schema."""
    if not isinstance(content, Mapping):
        return None
    typed = [
        (str(media), obj)
        for media, obj in content.items()
        if isinstance(obj, dict) and isinstance(obj.get("schema"), dict)
    ]
    for wanted in (is_json, admits_json, is_xml):
        found = next(((m, o) for m, o in typed if wanted(m)), None)
        if found is not None:
            return found
    return None
