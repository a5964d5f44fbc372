"""Descriptions an agent reads: what it needs to pick a tool and fill arguments, no more.

Specs carry documentation written for people browsing a portal: links, HTML, long paragraphs
of caveats. Every byte of it is paid for in the agent's context on every tools/list, so tool
and argument descriptions are cut to their leading sentences (at a sentence boundary, never
mid-word), links keep only their text and HTML becomes plain text. Hints can always say more.
"""

from __future__ import annotations

import html
import re

TOOL_DESCRIPTION_CHARS = 180
ARGUMENT_DESCRIPTION_CHARS = 110
NESTED_DESCRIPTION_CHARS = 90

_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))+\)")
_MD_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_HTML_BREAK = re.compile(r"<\s*(?:br|/p|p|/li|/div)\s*/?\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9`\"'(])")


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


_DOC_POINTER = re.compile(
    r"^(?:learn more|read more|see (?:the|our|also|more|https?:)|for more (?:information|details)"
    r"|refer to|check out|more info)\b",
    re.IGNORECASE,
)


def _without_doc_pointers(text: str) -> str:
    # "Learn more about X." pointed at a link; with the link gone it only costs tokens.
    paragraphs = []
    for paragraph in text.split("\n\n"):
        sentences = [s for s in _SENTENCE_END.split(paragraph) if not _DOC_POINTER.match(s)]
        if sentences:
            paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def brief(text: str, limit: int) -> str:
    """At most `limit` characters of `text`: whole sentences, else whole words and an ellipsis."""
    text = _without_doc_pointers(plain(text))
    if len(text) <= limit:
        return text
    first_paragraph = text.split("\n\n", 1)[0]
    kept = ""
    for sentence in _SENTENCE_END.split(first_paragraph):
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
