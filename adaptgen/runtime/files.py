"""Files an agent sends: a multipart form's file fields, a body that is a file's bytes.

A form field the spec declares a file (`format: binary`; Swagger 2's `type: file`) went as a
plain text field, with no file name in its `Content-Disposition`. Every common server framework
(Express's multer, Spring's `MultipartFile`, Django, Rails, Starlette) tells a file from a text
field by that name, so an upload (Box's, Asana's attachments) found no file. Now such a field
goes as a file part: a name (the form's own `name`, `filename` or `file_name` field, or Box's
`attributes.name`, else the field's name with the extension its type has), the bytes, and a
media type.

What the agent gives is text, so a file that is not text comes as a data URL
(`data:application/pdf;base64,JVBERi0...`, RFC 2397; a `;name=` parameter names the file): its
bytes are decoded and its media type sent. Text that is no data URL is sent as UTF-8, typed
`application/octet-stream` (OpenAPI's default for `format: binary`). A body that is a file's
bytes (`application/octet-stream`, an image) reads a data URL the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

__all__ = [
    "OCTET_STREAM",
    "DataUrlError",
    "file_fields",
    "file_part",
    "from_data_url",
    "is_file_schema",
]

OCTET_STREAM = "application/octet-stream"
_DATA_URL = re.compile(
    r"data:(?P<media>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;(?!base64[;,])[\w.+-]+=[^;,]*)*)"
    r"(?P<b64>;base64)?,(?P<data>.*)",
    re.DOTALL | re.IGNORECASE,
)
_NAME_FIELDS = ("filename", "file_name", "fileName", "name")


class DataUrlError(ValueError):
    """A data URL whose bytes cannot be read."""


def is_file_schema(schema: Mapping[str, Any]) -> bool:
    """Whether an argument's schema is a file's bytes (or a list of files)."""
    if schema.get("format") == "binary":
        return True
    items = schema.get("items")
    return schema.get("type") == "array" and isinstance(items, dict) and is_file_schema(items)


def file_fields(schemas: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """Of a form's fields (upstream name: schema), those that are files."""
    return frozenset(name for name, schema in schemas.items() if is_file_schema(schema))


def from_data_url(value: str) -> tuple[bytes, str | None, str | None] | None:
    """A data URL's bytes, media type and `name` parameter; None when `value` is no data URL."""
    found = _DATA_URL.fullmatch(value.strip()) if value[:5].lower() == "data:" else None
    if found is None:
        return None
    params = dict(part.split("=", 1) for part in found["params"].split(";") if "=" in part)
    name = unquote(params["name"]) if params.get("name") else None
    data = found["data"]
    if found["b64"]:
        try:
            content = base64.b64decode(re.sub(r"\s+", "", unquote(data)), validate=True)
        except (binascii.Error, ValueError):
            raise DataUrlError("a data: URL whose base64 cannot be read") from None
    else:
        content = unquote_to_bytes(data)
    return content, (found["media"] or "text/plain").lower(), name


def file_part(field: str, value: str, form: Mapping[str, Any]) -> tuple[str, bytes, str]:
    """A form's file field as (file name, bytes, media type) (see the module's docstring)."""
    decoded = from_data_url(value)
    if decoded is not None:
        content, media, name = decoded
    else:
        content, media, name = value.encode("utf-8"), OCTET_STREAM, None
    name = name or _named_by(form) or _default_name(field, media)
    return name, content, media


def _named_by(form: Mapping[str, Any]) -> str | None:
    for key in _NAME_FIELDS:
        if isinstance(form.get(key), str) and form[key].strip():
            return form[key].strip()
    attributes = form.get("attributes")  # Box: `attributes={"name": ..., "parent": {...}}`
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            attributes = None
    if isinstance(attributes, dict) and isinstance(attributes.get("name"), str):
        return attributes["name"]
    return None


def _default_name(field: str, media: str) -> str:
    extension = "" if media == OCTET_STREAM else mimetypes.guess_extension(media) or ""
    return f"{field}{extension}"
