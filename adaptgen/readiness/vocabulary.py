"""What a response field is, judged by its name, type, format and example.

One vocabulary for lint (what is noise, what is personal data) and suggest (what to keep), so a
field lint calls noise is a field suggest drops. Names are compared by words (`createdAt`,
`created_at` and `CreatedAt` are the same two words).
"""

from __future__ import annotations

import re
from typing import Any

from adaptgen.readiness.fields import Field
from adaptgen.runtime.shape import LOCKING_KEYS

HUGE_ENUM = 50
WIDE_RECORD = 25  # direct fields of one record
DEEP_RECORD = 4  # object levels below the record

_HYPERMEDIA = {"_links", "links", "_embedded", "href", "self", "_self", "@odata.context"}
_HISTORY_WORDS = {"history", "histories", "audit", "audits", "revisions", "changelog", "versions"}
_INTERNAL_WORDS = {"internal", "legacy", "sync", "synced", "debug", "trace", "etag", "migrated"}
_INTERNAL_NAMES = {"is_deleted", "deleted", "object_type", "meta", "_meta", "etag", "__typename"}
_DATE_WORDS = {"created", "updated", "modified", "due", "closed", "close", "start", "starts"}
_DATE_WORDS |= {"end", "ends", "expires", "expiry", "date", "completed", "published"}
_NAME_WORDS = {"name", "title", "subject", "label", "slug", "username", "login", "email"}
_STATUS_WORDS = {"status", "state", "stage", "priority", "lifecycle", "phase"}
_OWNER_WORDS = {"owner", "assignee", "assignees", "author", "creator", "organizer", "user"}
_MONEY_WORDS = {"amount", "currency", "price", "total", "balance", "cost", "subtotal", "tax"}
_PAYLOAD_NAMES = {"properties", "attributes", "fields", "values", "custom_properties"}
_PII_WORDS = {
    "email",
    "phone",
    "mobile",
    "fax",
    "address",
    "street",
    "postcode",
    "zip",
    "birth",
    "birthday",
    "dob",
    "ssn",
    "passport",
    "iban",
}
_PII_NAMES = {"first_name", "last_name", "full_name", "given_name", "family_name", "middle_name"}
_PII_NAMES |= {"ip", "ip_address", "tax_id", "national_id", "date_of_birth", "home_phone"}
# A last word that makes a PII-sounding name a reference or a setting, not the value itself.
_NOT_VALUE_WORDS = {"id", "ids", "count", "type", "verified", "enabled", "url", "status", "sid"}
_NOT_VALUE_WORDS |= {"in", "out", "opt", "flag", "consent", "preference", "format", "ext"}
_PII_FORMATS = {"email", "idn-email", "ipv4", "ipv6"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
# Digits with a leading `+` or a space, dash or parenthesis between them, but not a date: a
# number written as text (DigitalOcean's `usd_per_second` "0.000002066799", `memory_bytes`
# "1073741824") is no phone number.
_PHONE = re.compile(r"^(?!\d{4}-\d\d-\d\d)(?=.*[-+ ()])\+?[\d ().-]{9,}$")


def snake(field: Field) -> str:
    """The field's name in snake_case words (`createdAt` -> `created_at`)."""
    return "_".join(field.words)


def is_hypermedia(field: Field) -> bool:
    """Links for browsers and HATEOAS clients: `_links`, `href`, GitHub's `*_url` API links.

    A URL field is hypermedia when it points back into the API (its example or description
    says so): a profile or logo URL is data.
    """
    words = field.words
    if field.name in _HYPERMEDIA:
        return True
    if len(words) < 2 or words[-1] not in ("url", "uri") or words[0] in ("html", "web"):
        return False
    hint = f"{field.schema.get('example', '')} {field.schema.get('description', '')}".lower()
    return "://api." in hint or "/api/" in hint or "{" in hint or "api url" in hint


def is_history(field: Field) -> bool:
    """Audit trails, change history and version lists: past states of the record."""
    return bool(set(field.words) & _HISTORY_WORDS) and field.kind in ("object", "array", "")


def is_internal(field: Field) -> bool:
    """Bookkeeping of the upstream's own: sync state, legacy ids, soft-delete flags, etags."""
    return snake(field) in _INTERNAL_NAMES or bool(set(field.words) & _INTERNAL_WORDS)


def is_version_tag(field: Field) -> bool:
    """An optimistic-locking tag (`etag`, `@odata.etag`, CouchDB's `_rev`): bookkeeping, except
    on an API whose writes take it back (`plan.version_tags`), where it is the agent's."""
    return field.name.lower() in LOCKING_KEYS


def is_html(field: Field) -> bool:
    """Markup meant for a browser (`format: html`, `*_html`, a text/html media type)."""
    schema = field.schema
    if schema.get("format") == "html" or schema.get("contentMediaType") == "text/html":
        return True
    return field.words[-1:] == ["html"] and field.kind in ("string", "")


def is_blob(field: Field) -> bool:
    """Base64 or binary content inside JSON."""
    schema = field.schema
    return schema.get("format") in ("byte", "binary") or schema.get("contentEncoding") == "base64"


def is_huge_enum(schema: dict[str, Any]) -> bool:
    """An enum too long to be worth an agent's reading."""
    enum = schema.get("enum")
    return isinstance(enum, list) and len(enum) > HUGE_ENUM


def is_noise(field: Field) -> bool:
    """Anything an agent reading a record does not need."""
    return (
        is_hypermedia(field)
        or is_history(field)
        or is_internal(field)
        or is_html(field)
        or is_blob(field)
    )


def looks_personal(field: Field) -> bool:
    """Personal data by name (`email`, `date_of_birth`), format (`email`, `ipv4`) or example."""
    schema = field.schema
    if field.kind in ("boolean", "integer", "number", "array"):
        return False
    words = field.words
    if not words or is_hypermedia(field):
        return False
    if schema.get("format") in ("date", "date-time", "uri", "url"):
        return False
    if schema.get("format") in _PII_FORMATS or snake(field) in _PII_NAMES:
        return True
    if words[-1] in _NOT_VALUE_WORDS:
        return False
    if set(words) & _PII_WORDS:
        return True
    example = schema.get("example")
    return isinstance(example, str) and bool(_EMAIL.match(example) or _PHONE.match(example))


def marked_personal(field: Field) -> str | None:
    """The API's own mark that a field is personal data, said for a reason, or None:
    Twilio's `x-twilio: {pii: {handling: standard|sensitive}}` (48 answer fields of the shared
    Twilio spec, 365 marks in the corpus: names, addresses, phone numbers, auth tokens), a
    field's `x-pii: true`, or its name in its object's `x-pii` list (Apideck's `x-pii: [name,
    email, first_name, last_name]`)."""
    schema = field.schema
    twilio = schema.get("x-twilio")
    pii = twilio.get("pii") if isinstance(twilio, dict) else None
    if isinstance(pii, dict):
        handling = pii.get("handling")
        return f"x-twilio pii: {handling}" if isinstance(handling, str) else "x-twilio pii"
    return "x-pii" if schema.get("x-pii") is True or field.listed_personal else None


def is_identifier(field: Field) -> bool:
    """The record's id, or another record's (`company_id`, `ownerId`, `sid`)."""
    words = field.words
    return bool(words) and words[-1] in ("id", "sid", "uuid", "gid", "key", "number", "ids")


def is_payload(field: Field) -> bool:
    """A free-form map that holds the record's actual values (HubSpot's `properties`)."""
    return snake(field) in _PAYLOAD_NAMES and field.kind == "object"


KEEP_ORDER = (
    "identifier",
    "the record's values",
    "name or title",
    "contact",
    "status",
    "owner",
    "amount or currency",
    "foreign id",
    "key date",
)


def primary(field: Field) -> bool:
    """The record's own main name (`name`, `title`, `full_name`, `display_name`, `subject`)."""
    words = field.words
    return words in (["name"], ["title"], ["subject"]) or words[0] in ("full", "display")


def worth_keeping(field: Field) -> str | None:
    """Why an agent needs this field of a record (one of KEEP_ORDER), or None."""
    if is_noise(field):
        return None
    words = set(field.words)
    kind = field.kind
    if is_identifier(field):
        return (
            "identifier"
            if field.words == ["id"] or field.name in ("id", "sid", "gid")
            else "foreign id"
        )
    if kind == "array" or kind == "boolean":
        return None
    if is_payload(field):
        return "the record's values"
    if kind in ("integer", "number"):
        return "amount or currency" if words & _MONEY_WORDS else None
    last = {field.words[-1]}
    checks = (
        (last & {"email", "phone"}, "contact"),
        (last & _NAME_WORDS, "name or title"),
        (last & _STATUS_WORDS, "status"),
        (words & _OWNER_WORDS, "owner"),
        (words & _MONEY_WORDS, "amount or currency"),
    )
    for matched, why in checks:
        if matched:
            return why
    dated = field.schema.get("format") in ("date", "date-time") or field.words[-1] in ("at", "date")
    if dated and words & _DATE_WORDS and not words & {"birth", "birthday"}:
        return "key date"
    return None
