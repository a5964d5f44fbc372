"""Which of a response's media types says what its answer is, for the planner and for lint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adaptgen.runtime.xml_answer import is_xml

__all__ = ["admits_json", "answer_media", "is_json", "required_previews"]


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


def required_previews(op: Mapping[str, Any]) -> str | None:
    """The `Accept` an operation needs for the API previews it requires (GitHub's
    `x-github.previews` marked `required`: `application/vnd.github.mercy-preview+json` for a
    repository's topics; several are given with commas between them, as GitHub's docs say,
    then JSON), or None. Without it GitHub answered 415 or left out what the preview adds;
    GitHub Enterprise Server still does, and github.com accepts a preview it has since made
    standard."""
    extension = op.get("x-github")
    previews = extension.get("previews") if isinstance(extension, Mapping) else None
    names = [
        preview["name"]
        for preview in previews or ()
        if isinstance(preview, Mapping)
        and preview.get("required") is True
        and isinstance(preview.get("name"), str)
        and _PREVIEW_NAME.fullmatch(preview["name"])
    ]
    types = [f"application/vnd.github.{name}-preview+json" for name in dict.fromkeys(names)]
    # JSON after them, less preferred: GitHub finds a preview anywhere in the header, and a
    # server (or mock) that knows only the spec's `application/json` answers that, not a 406.
    return ", ".join([*types, "application/json;q=0.9"]) if types else None


_PREVIEW_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")
