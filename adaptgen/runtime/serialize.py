"""OpenAPI parameter serialization: tool arguments as path, query, header, cookie and form values.

Follows OpenAPI's style/explode rules. Path values are percent-encoded whole, so an argument
like `../admin` stays inside its own path segment; a value the spec says spans segments
(`Param.reserved`: Azure's `x-ms-skip-url-encoding` scopes) keeps its `/`, each segment
encoded, and may have no `.` or `..` segment (`PathValueError`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from adaptgen.runtime.compact_json import compact_json

if TYPE_CHECKING:
    from adaptgen.runtime.catalog import Param

__all__ = [
    "HTTP_DATE_FORMATS",
    "PathValueError",
    "as_http_date",
    "cookie_value",
    "deep_pairs",
    "form_pairs",
    "percent",
    "scalar",
    "serialize_path",
    "serialize_query",
    "serialize_simple",
]


# The formats that say a value is an HTTP date (RFC 9110's IMF-fixdate, `Fri, 26 Aug 2022
# 14:38:00 GMT`): TypeSpec's, AutoRest's and what other generators write.
HTTP_DATE_FORMATS = frozenset(
    {"http-date", "date-time-rfc1123", "date-time-rfc7231", "rfc1123", "rfc7231", "rfc-1123"}
)


def as_http_date(schema: dict[str, Any], value: Any) -> Any:
    """`value`, written as an HTTP date when the schema says it is one and the agent gave an
    ISO 8601 date-time (`2022-08-26T14:38:00Z`; without a zone, UTC), as agents write dates;
    anything else as given (an HTTP date already, or what the upstream will judge)."""
    if not isinstance(value, str) or schema.get("format") not in HTTP_DATE_FORMATS:
        return value
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return format_datetime(parsed.astimezone(UTC), usegmt=True)


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return compact_json(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        # A `number` argument given as 150 reaches the tool as 150.0 (its Python annotation);
        # a server reading an integer from the text refuses `150.0` (TypeSpec's test server did).
        return str(int(value))
    return str(value)


def percent(text: str) -> str:
    return quote(text, safe="")


class PathValueError(ValueError):
    """A path value that would move the request to another path."""


def serialize_path(param: Param, value: Any) -> str:
    """A path value (simple, label or matrix style), percent-encoded as one segment; a
    `reserved` one's text as segments, a leading `/` dropped (the template has its own)."""
    style = param.style or "simple"
    explode = param.explode is True
    if param.reserved and not isinstance(value, list | dict) and style == "simple":
        segments = scalar(value).lstrip("/").split("/")
        if any(segment in (".", "..") for segment in segments):
            raise PathValueError(
                f"argument {param.name} may not have a '.' or '..' segment: it is a path "
                "inside the API, never a way out of the operation's own"
            )
        return "/".join(percent(segment) for segment in segments)

    def enc(item: Any) -> str:
        return percent(scalar(item))

    if isinstance(value, list):
        items = [enc(v) for v in value]
        if style == "label":
            return "." + ("." if explode else ",").join(items)
        if style == "matrix":
            name = percent(param.api_name)
            if explode:
                return "".join(f";{name}={i}" for i in items)
            return f";{name}=" + ",".join(items)
        return ",".join(items)
    if isinstance(value, dict):
        if explode:
            pairs = [f"{percent(str(k))}={enc(v)}" for k, v in value.items()]
        else:
            pairs = [f"{percent(str(k))},{enc(v)}" for k, v in value.items()]
        joined = ",".join(pairs)
        if style == "label":  # `.R=100.G=200` exploded (OpenAPI's style table), `.R,100,G,200`
            return "." + (".".join(pairs) if explode else joined)
        if style == "matrix":
            return ";" + (
                joined.replace(",", ";") if explode else f"{percent(param.api_name)}={joined}"
            )
        return joined
    if style == "label":
        return "." + enc(value)
    if style == "matrix":
        return f";{percent(param.api_name)}={enc(value)}"
    return enc(value)


def serialize_query(param: Param, value: Any) -> list[tuple[str, str]]:
    """Query pairs for one value, by style (form, spaceDelimited, pipeDelimited, deepObject), or
    as AWS's query protocol names its parts (`Param.aws_query`)."""
    if param.aws_query is not None:
        return aws_query_pairs(param.api_name, value, param.aws_query)
    style = param.style or "form"
    explode = param.explode if param.explode is not None else style == "form"
    name = param.api_name
    if isinstance(value, list):
        items = [scalar(v) for v in value]
        if explode:
            return [(name, item) for item in items]
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [(name, separator.join(items))]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", scalar(v)) for k, v in value.items()]
        if explode:
            return [(str(k), scalar(v)) for k, v in value.items()]
        return [(name, ",".join(f"{k},{scalar(v)}" for k, v in value.items()))]
    return [(name, scalar(value))]


def serialize_simple(value: Any, explode: bool) -> str:
    """Header values use the simple style."""
    if isinstance(value, list):
        return ",".join(scalar(v) for v in value)
    if isinstance(value, dict):
        sep = "=" if explode else ","
        return ",".join(f"{k}{sep}{scalar(v)}" for k, v in value.items())
    return scalar(value)


def cookie_value(value: Any, explode: bool | None) -> str:
    if isinstance(value, list):
        return ",".join(percent(scalar(v)) for v in value)
    return percent(scalar(value))


def form_pairs(payload: Any, deep: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """A form's fields as pairs: a list of scalars repeated, anything else nested as JSON, but
    the fields in `deep` (style `deepObject`) in bracket notation (`deep_pairs`)."""
    if not isinstance(payload, dict):
        return [("body", scalar(payload))]
    pairs: list[tuple[str, str]] = []
    for key, value in payload.items():
        if key in deep:
            pairs.extend(deep_pairs(key, value))
        elif isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            pairs.extend((key, scalar(v)) for v in value)
        else:
            pairs.append((key, scalar(value)))
    return pairs


def deep_pairs(prefix: str, value: Any) -> list[tuple[str, str]]:
    """`value` as a form field of style `deepObject`, in the bracket notation Rails, PHP and
    Stripe read: an object's fields as `prefix[field]`, a list's items as `prefix[0]`, at any
    depth (`items[0][price]=price_123`); an empty object or list as `prefix=` (Stripe: unset)."""
    if value is None:
        return []
    if isinstance(value, dict | list) and not value:
        return [(prefix, "")]
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in deep_pairs(f"{prefix}[{k}]", v)]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in deep_pairs(f"{prefix}[{i}]", v)]
    return [(prefix, scalar(value))]


def aws_query_pairs(prefix: str, value: Any, shape: dict[str, Any] | None) -> list[tuple[str, str]]:
    """`value` as AWS's query protocol sends it under `prefix`, as botocore's `QuerySerializer`
    does: a structure's fields as `Prefix.Field`, a list's items as `Prefix.member.1` (a
    flattened list's as `Member.1`, the member's name in place of the list's), a map's entries
    as `Prefix.entry.1.key` and `.value`, an empty list as `Prefix=`; booleans as `true` and
    `false`. A value that does not match its shape goes as it would have (`scalar`)."""
    if shape is None or value is None:
        return [] if value is None else [(prefix, scalar(value))]
    if "fields" in shape and isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        fields = shape["fields"]
        for key, item in value.items():
            field = fields.get(key) or {"as": key, "shape": None}
            pairs += aws_query_pairs(f"{prefix}.{field['as']}", item, field["shape"])
        return pairs
    if "list" in shape and isinstance(value, list):
        listed = shape["list"]
        if not value:
            return [(prefix, "")]
        if listed["flat"]:
            head = prefix.rsplit(".", 1)[0] + "." if "." in prefix else ""
            base = head + listed["member"] if listed["member"] != "member" else prefix
        else:
            base = f"{prefix}.{listed['member']}"
        pairs = []
        for number, item in enumerate(value, 1):
            pairs += aws_query_pairs(f"{base}.{number}", item, listed["items"])
        return pairs
    if "map" in shape and isinstance(value, dict):
        pairs = []
        for number, (key, item) in enumerate(value.items(), 1):
            pairs.append((f"{prefix}.entry.{number}.key", scalar(key)))
            pairs += aws_query_pairs(f"{prefix}.entry.{number}.value", item, shape["map"]["items"])
        return pairs
    return [(prefix, scalar(value))]
