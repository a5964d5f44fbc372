"""Answers that are not text: a PDF invoice, a user's avatar, a zip export.

Decoded as text they were mojibake (`%PDF-1.4\\n6f\\ufffd$\\ufffd...`), thousands of tokens an
agent can do nothing with. Now an answer that is not text says what it is instead
(`{"content_type": "application/pdf", "bytes": 48213, "filename": "INV-7.pdf", ...}`), and an
image small enough is shown as one (an MCP image block beside that summary), which a model that
sees images can read, unless the caller's personal data is tokenized (a policy's `pii`): no
recognizer reads a face or a signed scan in an image, so it is withheld.

What is text: a declared `text/*`, JSON, XML, YAML, CSV, form or JavaScript type, or a charset
other than `binary`; anything else is text when its bytes are UTF-8 with no NUL (many APIs
label CSV or JSON `application/octet-stream`). An image, audio, video or font type is never
text.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

# Images an MCP client shows (the types the MCP specification's examples and clients use).
SHOWN_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# The largest image shown inline (base64 makes it a third larger on the wire).
MAX_IMAGE_BYTES = 1_048_576
_TEXT_WORDS = ("json", "xml", "yaml", "csv", "javascript", "x-www-form-urlencoded", "graphql")
_NEVER_TEXT = ("image/", "audio/", "video/", "font/")
_SNIFFED = 8192  # bytes read to tell text from binary
_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'[^']*')?"?([^";]+)"?""", re.IGNORECASE)


@dataclass(frozen=True)
class BinaryAnswer:
    """An upstream answer that is not text: what it is, and its bytes."""

    content_type: str
    body: bytes
    filename: str | None = None

    @property
    def showable(self) -> bool:
        """Whether the image itself may go to the agent: one a client shows, not too large."""
        return self.content_type in SHOWN_IMAGES and len(self.body) <= MAX_IMAGE_BYTES

    def summary(self, withheld: bool = False) -> str:
        """What the answer is, as compact JSON: its type, size, file name, and whether the
        image follows (`withheld`: not for this caller, whose personal data is tokenized: a
        face or a signed scan is personal data no recognizer reads in an image)."""
        said: dict[str, Any] = {"content_type": self.content_type, "bytes": len(self.body)}
        if self.filename:
            said["filename"] = self.filename
        if self.showable and withheld:
            said["note"] = "An image: not shown, as this caller's personal data is tokenized."
        elif self.showable:
            said["note"] = "An image: shown below."
        else:
            said["note"] = "Not text: not shown (a model cannot read these bytes)."
        return json.dumps(said, ensure_ascii=False, separators=(",", ":"))

    def image(self) -> str:
        """The image's bytes in base64, as an MCP image block carries them."""
        return base64.b64encode(self.body).decode("ascii")


def binary_answer(
    content_type: str, declared: str, body: bytes | bytearray, disposition: str | None
) -> BinaryAnswer | None:
    """The answer as a `BinaryAnswer` when it is not text, else None.

    `content_type`: the media type alone, lower-cased; `declared`: the whole header (a
    `charset` says text); `disposition`: the Content-Disposition header, for a file name. The
    body is copied only when it is a file: a JSON answer costs a look at its type.
    """
    if not body or _declared_text(content_type, declared):
        return None
    if not content_type.startswith(_NEVER_TEXT) and _reads_as_text(body):
        return None
    kind = content_type or "application/octet-stream"
    return BinaryAnswer(kind, bytes(body), _filename(disposition))


def text_media(media_type: str) -> bool:
    """Whether content of this media type (lower case, no parameters) is text: `text/*`,
    JSON, XML, YAML, CSV, scripts, forms (an image's SVG `+xml` too). Also what a schema's
    `contentMediaType` says of the string it describes (`plan.schemas`)."""
    if media_type.startswith(_NEVER_TEXT) and not media_type.endswith("+xml"):
        return False
    return media_type.startswith("text/") or any(word in media_type for word in _TEXT_WORDS)


def _declared_text(content_type: str, declared: str) -> bool:
    return text_media(content_type) or (
        "charset=" in declared.lower() and "charset=binary" not in declared.lower()
    )


def _reads_as_text(body: bytes | bytearray) -> bool:
    head = body[:_SNIFFED]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut at the sniffed length is still text.
        return exc.start >= len(head) - 3 and len(body) > _SNIFFED
    return True


def _filename(disposition: str | None) -> str | None:
    """The file name a Content-Disposition gives, its last path segment, printable only."""
    found = _FILENAME.search(disposition or "")
    if found is None:
        return None
    name = re.split(r"[\\/]", found[1].strip())[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or None
