"""Descriptions an agent reads: what it needs to pick a tool and fill arguments, no more.

Specs carry documentation written for people browsing a portal: links, HTML, long paragraphs
of caveats. Every byte of it is paid for in the agent's context on every tools/list, so tool
and argument descriptions are cut to their leading sentences (at a sentence boundary, never
mid-word), links keep only their text and HTML becomes plain text. Hints can always say more.
"""

from __future__ import annotations

import html
import re
from typing import Any

from adaptgen.plan.names import REST_VERBS, singular, snake_words
from adaptgen.words import plural, sentences

TOOL_DESCRIPTION_CHARS = 180
ARGUMENT_DESCRIPTION_CHARS = 110
NESTED_DESCRIPTION_CHARS = 90

_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))+\)")
_MD_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_HTML_BREAK = re.compile(r"<\s*(?:br|/p|p|/li|/div)\s*/?\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def plain(text: str) -> str:
    """Markdown links and HTML reduced to their text; paragraphs kept, lines joined."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    if "<" in text:
        text = _HTML_BREAK.sub("\n", text)
        text = _HTML_TAG.sub("", text)
    text = html.unescape(text) if "&" in text else text
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def restates_identifier(text: str, identifier: str | None) -> bool:
    """Whether a summary or description is only the operationId again, as one identifier
    (Trello's `getCardsChecklistsByIdCard()`, Square's `RenewToken`): it says nothing to an
    agent. A sentence that spells the same words ("Get all dashboards" for `getAllDashboards`)
    is English, and kept."""
    text = text.strip()
    return bool(
        identifier and text and not any(c.isspace() for c in text)
        and snake_words(text) == snake_words(identifier)
    )  # fmt: skip


_DOC_POINTER = re.compile(
    r"^(?:learn more|read more|see (?:the|our|also|more|https?:)|for more (?:information|details)"
    r"|refer to|check out|more info)\b",
    re.IGNORECASE,
)


def _without_doc_pointers(text: str) -> str:
    # "Learn more about X." pointed at a link; with the link gone it only costs tokens.
    paragraphs = []
    for paragraph in text.split("\n\n"):
        kept = [s for s in sentences(paragraph) if not _DOC_POINTER.match(s)]
        if kept:
            paragraphs.append(" ".join(kept))
    return "\n\n".join(paragraphs)


def brief(text: str, limit: int) -> str:
    """At most `limit` characters of `text`: whole sentences, else whole words and an ellipsis."""
    text = _without_doc_pointers(plain(text))
    if len(text) <= limit:
        return text
    first_paragraph = text.split("\n\n", 1)[0]
    kept = ""
    for sentence in sentences(first_paragraph):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    cut = first_paragraph[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def tool_description(summary: str, description: str) -> str:
    """The summary, then as much of the description as fits and says something new."""
    summary = plain(summary)
    body = plain(description)
    if summary and body and not body.lower().startswith(summary.lower().rstrip(".")):
        text = f"{summary.rstrip('.')}. {body}" if "\n" not in summary else f"{summary}\n\n{body}"
    else:
        text = body or summary
    return brief(text, TOOL_DESCRIPTION_CHARS)


_READ_VERBS = {"get", "fetch", "read", "show", "find", "describe", "check"}
_PARAM_SEGMENT = re.compile(r"^\{([^}]+)\}$")


def describe_operation(
    method: str,
    path: str,
    name: str,
    arguments: list[str],
    response: dict[str, Any] | None,
) -> str:
    """A useful sentence for an operation the spec says nothing about (no model, no guess).

    What the method does to the path's resource ("List the calls of an account.", "Get one call
    of an account by its Sid.", "Delete a member of a queue by its CallSid."), the main
    arguments, and the main fields of the response. The tool name's verb, when an action verb
    (send, cancel), says more than the method; when the path's resource is not what the name
    is about (`/crm/v8/{module}/{id}` for `get_record`), the name says it ("Get record.").
    """
    verb = name.split("_")[0]
    sentence = _path_phrase(method, path, verb, name) or _name_phrase(name)
    if arguments:
        more = " and more" if len(arguments) > 4 else ""
        sentence += f" Arguments: {', '.join(arguments[:4])}{more}."
    fields = _main_fields(response)
    if fields:
        sentence += f" Returns {fields}."
    return brief(sentence, TOOL_DESCRIPTION_CHARS)


def _name_phrase(name: str) -> str:
    words = name.split("_")
    return " ".join([words[0].capitalize(), *words[1:]]) + "."


def _path_phrase(method: str, path: str, verb: str, name: str) -> str | None:
    """ "List the calls of an account.", or None when the path does not name the resource."""
    parts: list[tuple[str, bool]] = []  # (segment text, is a parameter)
    for segment in (s for s in path.strip("/").split("/") if s):
        segment = _FORMAT.sub("", segment)  # `{Sid}.json` is the Sid
        match = _PARAM_SEGMENT.match(segment)
        if match:
            parts.append((match.group(1), True))
        elif not re.fullmatch(r"v\d+|[\d.-]+", segment):
            parts.append((segment, False))
    statics = [i for i, (_, is_param) in enumerate(parts) if not is_param]
    if not statics or len(parts) - statics[-1] > 2:
        return None
    last = statics[-1]
    words = snake_words(parts[last][0])
    if not words or singular(words[-1]) not in {singular(w) for w in name.split("_")}:
        return None  # the path's last word is not the name's resource
    if words[0] == verb or (verb == "list" and not plural(words[-1])):
        return None  # an action segment (`/actions/clone`), a qualifier (`/National.json`)
    by = parts[last + 1][0] if last + 1 < len(parts) else None
    owner = ""
    parent = next((i for i in reversed(statics[:-1]) if parts[i + 1][1]), None)
    if parent is not None and (owner_words := snake_words(parts[parent][0])):
        owner_noun = " ".join([*owner_words[:-1], singular(owner_words[-1])])
        owner = f" of {_article(owner_noun)} {owner_noun}"
    intent = _intent(method, verb, " ".join(words), by, owned=bool(owner))
    return intent + owner + (f" by its {by}" if by else "") + "."


_FORMAT = re.compile(r"\.(?:json|xml|csv|yaml)$", re.IGNORECASE)


def _intent(method: str, verb: str, noun: str, by: str | None, *, owned: bool = False) -> str:
    words = noun.split(" ")
    one = " ".join([*words[:-1], singular(words[-1])])
    method = method.lower()
    if verb not in REST_VERBS and verb not in _READ_VERBS:
        return f"{verb.capitalize()} {_article(one)} {one}"
    if method == "get":
        return (
            f"Get one {one}" if by else (f"List the {noun}" if one != noun else f"Get the {noun}")
        )
    if method == "delete":
        return f"Delete {_article(one)} {one}"
    if method in ("put", "patch") and owned and not by and one == noun:
        return f"Set the {noun}"  # one field of its owner (`PUT /boards/{id}/closed`)
    if method in ("put", "patch") or (method == "post" and by):
        return f"Update {_article(one)} {one}"
    if method == "post":
        return f"Create {_article(one)} {one}"
    return f"{method.upper()} {_article(one)} {one}"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _main_fields(response: dict[str, Any] | None, limit: int = 5) -> str:
    """The response's main fields: of its items for a list (`calls with sid, status, ...`)."""
    if not isinstance(response, dict):
        return ""
    if response.get("type") == "array" and isinstance(response.get("items"), dict):
        response = response["items"]
    props = response.get("properties")
    if not isinstance(props, dict):
        return ""
    for key, value in props.items():  # a page object: the list it holds is the content
        items = value.get("items") if isinstance(value, dict) else None
        if value.get("type") == "array" and isinstance(items, dict) and items.get("properties"):
            return f"{key} with {_fields(items['properties'], limit)}"
    return _fields(props, limit)


def _fields(props: dict[str, Any], limit: int) -> str:
    names = [str(n) for n in props]
    return ", ".join(names[:limit]) + (" and more" if len(names) > limit else "")
