"""What an agent reads when an upstream answers with an error, for tool calls and auth flows.

One format: `<what>: upstream answered <status> <reason>: <excerpt>`. The excerpt is short (JSON
compacted, an XML document read as data and compacted so, whitespace folded, cut with …) and
holds no secret: the text is redacted before the cut (a secret cut in two would escape) and
after it (JSON escapes undone by compacting).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable

from adaptgen.runtime.compact_json import compact_json
from adaptgen.runtime.secrets import redact
from adaptgen.runtime.xml_answer import XmlAnswerError, read_answer

ERROR_EXCERPT_CHARS = 300  # of a tool call's error body
REASON_CHARS = 120  # of an auth endpoint's error reason (an RFC 6749 `error` is short)


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
    text = " ".join(text.split())
    return redact(text[:limit] + "…" if len(text) > limit else text, secrets)


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
