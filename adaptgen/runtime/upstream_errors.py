"""What an agent reads when an upstream answers with an error, for tool calls and auth flows.

One format: `<what>: upstream answered <status> <reason>: <excerpt>`. The excerpt is short (JSON
compacted, an XML document read as data and compacted so, an HTML page as its title and visible
text, whitespace folded, cut with …) and
holds no secret: the text is redacted before the cut (a secret cut in two would escape) and
after it (JSON escapes undone by compacting).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterable, Mapping

from adaptgen.runtime.compact_json import compact_json
from adaptgen.runtime.secrets import redact
from adaptgen.runtime.xml_answer import XmlAnswerError, read_answer

ERROR_EXCERPT_CHARS = 300  # of a tool call's error body
_INVISIBLE = re.compile(
    r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_HEAD = re.compile(r"<head\b.*?</head\s*>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]+>")
REASON_CHARS = 120  # of an auth endpoint's error reason (an RFC 6749 `error` is short)


# Headers an upstream says an error's reason in, for an answer with no body (every HEAD, many
# 401s and 404s): Azure Storage's, S3's, AWS's, and the `X-Error-Message` kind of many.
REASON_HEADERS = (
    "x-ms-error-code",
    "x-amz-error-code",
    "x-amz-error-message",
    "x-amzn-errortype",
    "x-error-code",
    "x-error-message",
    "x-error",
    "x-status-reason",
    "grpc-message",
)
_BEARER_ERROR = re.compile(r'\berror="([^"]*)"')
_BEARER_DESCRIPTION = re.compile(r'\berror_description="([^"]*)"')


def header_reason(headers: Mapping[str, str]) -> str:
    """What an error answer's headers (lower-case names) say of its reason: RFC 6750's
    `WWW-Authenticate: Bearer error="invalid_token", error_description="..."` (never its realm
    or scope), then the reason headers; "" when they say none."""
    said = []
    challenge = headers.get("www-authenticate", "")
    if error := _BEARER_ERROR.search(challenge):
        said.append(f"error={error[1]}")
        if description := _BEARER_DESCRIPTION.search(challenge):
            said.append(description[1])
    said += [f"{name}: {headers[name]}" for name in REASON_HEADERS if headers.get(name)]
    return "; ".join(said)


def status_line(what: str, status: int, phrase: str) -> str:
    """`<what>: upstream answered 404 Not Found` (the phrase only when the upstream sent one)."""
    return f"{what}: upstream answered {status} {phrase}".rstrip()


def excerpt(text: str, secrets: Iterable[str], limit: int = ERROR_EXCERPT_CHARS) -> str:
    """An error body in short and without secrets: JSON compacted, whitespace folded, cut."""
    secrets = list(secrets)
    text = redact(text, secrets)
    if text.lstrip()[:1] in ("{", "["):
        # Not JSON, or nested too deep to compact: kept as it is.
        with contextlib.suppress(ValueError, RecursionError):
            text = compact_json(json.loads(text))
    elif text.lstrip()[:1] == "<" and "<html" not in text[:1000].lower():
        # AWS's `<ErrorResponse><Error><Code>...`, S3's `<Error>`: its code and message, without
        # the declaration, namespaces and closing tags. Not XML, or refused: kept as it is.
        with contextlib.suppress(XmlAnswerError):
            text = compact_json(read_answer(text, None))
    elif "<html" in text[:1000].lower():
        text = page_text(text)
    text = " ".join(text.split())
    return redact(text[:limit] + "…" if len(text) > limit else text, secrets)


def page_text(page: str) -> str:
    """What an HTML error page says (Tomcat's, IIS's, a proxy's): its title, then its visible
    text, without the head, styles and scripts that fill its first few hundred characters."""
    title = _TITLE.search(page)
    said = " ".join(html.unescape(title[1]).split()) if title else ""
    body = _HEAD.sub(" ", _INVISIBLE.sub(" ", page))
    text = " ".join(html.unescape(_TAG.sub(" ", body)).split())
    return f"{said}: {text}" if said and not text.startswith(said) else text or said


def error_message(
    what: str,
    status: int,
    phrase: str,
    text: str,
    secrets: Iterable[str],
    limit: int = ERROR_EXCERPT_CHARS,
) -> tuple[str, str]:
    """(status line, `: excerpt` or ""), both redacted: the message is their concatenation."""
    secrets = list(secrets)
    short = excerpt(text, secrets, limit)
    return redact(status_line(what, status, phrase), secrets), f": {short}" if short else ""
