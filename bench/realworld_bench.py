"""Real-world calls: every GET tool of every shared spec, called once through an MCP client.

Run `python -m bench.realworld_bench [--spec NAME]... [--quick] [--json FILE]` from the
repository root (or `bench/run`). For each spec in ../shared/specs (read in place) it

1. builds the server with no hints, into a temporary folder;
2. starts Prism mocking the spec on 127.0.0.1 behind a recording proxy (bench/_prism.py), and
   points `<NAME>_BASE_URL` at the proxy; every credential env var the build lists gets a dummy
   value (Prism checks only that credentials are present);
3. loads the server with the governance layer on, under tests/fixtures/policies/operator.yaml
   (allows every tool, PII off), and calls each GET tool once through `fastmcp.Client`: by name
   when every tool is listed, through the `call_tool` proxy in search mode (as an agent would);
   required arguments are synthesized from the tool's input schema;
4. classifies each call from the MCP result and the exchanges the proxy recorded (the real
   request and Prism's whole answer): see `classify`.

Static Prism answers first. When its 2xx body carries no data (`null`, only nulls, empty
containers: specs whose examples are literally `null`) or Prism cannot produce a static answer
(a 5xx problem of its own), the same call is made again against a second Prism in dynamic mode
(`-d`, fixed seed), started on first need, and that answer is the one classified.

It prints one Markdown table (a row per spec) and a line per adaptgen-caused error and per empty
result. `--quick` calls at most QUICK_CALLS GET tools per spec (spread over the catalog).
`--paged` calls only the GET tools that page (the planner found a paging style).
`--writes` calls the POST, PUT, PATCH and DELETE tools instead (required arguments only, the
request body built by the runtime as the spec's media type says; Prism validates it).
`--full` (with either) sends every optional argument that can be made too, objects filled with
their optional fields (the filters, arrays, objects, headers and body fields an agent adds,
each serialized as the spec's style says, which Prism checks); never adaptgen's own paging
arguments. The command exits 0 either way: it reports, it doesn't gate
(tests/realworld/test_rw_prism_calls.py gates the small specs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import re._parser as regex_parser  # the stdlib's own regex parser, to write a matching string
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import jsonschema
import referencing.exceptions
from fastmcp import Client
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.http_methods import IGNORED_HEADERS, TRANSPORT_HEADERS
from adaptgen.runtime.xml_answer import is_xml
from bench._prism import (
    MOCK_UNREACHABLE,
    PRISM_ERRORS,
    Exchange,
    RecordingProxy,
    offline_spec,
    prism,
    read_document,
)
from bench.build_bench import DEFAULT_SPECS, HTTP_METHODS, find_specs
from bench.shaping_bench import agent_bytes, raw_for_shown

REPO = Path(__file__).resolve().parents[1]
OPERATOR_POLICY = REPO / "tests" / "fixtures" / "policies" / "operator.yaml"
QUICK_CALLS = 25
FULL_DEPTH = 3  # levels of an object `--full` fills with its optional fields
CALL_GUARD_S = 45.0  # the harness's own limit per call, above the server's (CALL_TIMEOUT_S)
CALL_TIMEOUT_S = 20
ERROR_CHARS = 160

OK, MOCK, ADAPTGEN, EMPTY, UNSYNTH = "ok", "mock", "adaptgen", "empty", "not synthesizable"
VERDICTS = (OK, MOCK, ADAPTGEN, EMPTY, UNSYNTH)

# Prism problem types that say the mock could not answer, whatever was asked.
MOCK_PROBLEMS = frozenset(
    {
        "NO_RESPONSE_DEFINED",
        "NO_COMPLEX_OBJECT_TEXT",
        "NOT_FOUND",
        "UNKNOWN",
        "NO_SERVER_MATCHED_ERROR",
        "NO_BASE_URL_MATCHED",
    }
)
# Text our server puts in an error that never came from the upstream.
_PYTHON_ERROR = re.compile(
    r"Traceback|\b(Key|Type|Attribute|Value|Index|Name|Runtime|Assertion|Recursion)Error\b|"
    r"NoneType|object has no attribute|unexpected keyword argument"
)
_TIMEOUT = re.compile(r"timed out|time limit")
# The runtime's words for a 2xx whose ok field says false (`upstream._received`).
_FALSE_FLAG = re.compile(r"but its (\S+) is false")
# Keys of a body that says, in words, that the operation failed.
_FAILURE_WORDS = frozenset({"error", "errors", "error_message", "errormessage", "message"})


# --------------------------------------------------------------------------- arguments


class NotSynthesizable(Exception):
    """No value that satisfies the schema could be made (the reason is the message)."""


_FORMATS = {
    "date": "2024-01-15",
    "date-time": "2024-01-15T10:00:00Z",
    "time": "10:00:00",
    "duration": "PT5M",  # ISO 8601 (JSON Schema's format), as Azure's time spans are written
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/item",
    "url": "https://example.com/item",
    "iri": "https://example.com/item",
    "uri-reference": "https://example.com/item",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",  # a documentation address, only ever a string value here
    "ipv6": "2001:db8::1",
    "iso-country-code": "US",
    "byte": "dGVzdA==",
    "int32": "1",
    "int64": "1",
}
_VALIDATOR = jsonschema.Draft202012Validator
_FORMAT_CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def _valid(value: Any, schema: dict[str, Any]) -> bool:
    return _VALIDATOR(schema, format_checker=_FORMAT_CHECKER).is_valid(value)


def synthesize(schema: dict[str, Any], every: bool = False, depth: int = 0) -> Any:
    """A value valid against `schema`, as an agent reading only the schema would pick it.

    In order: const, an example, the default, the first enum value, then a value made from the
    type and its constraints (formats, min/max, lengths, simple patterns). With `every`, an
    object made so has its optional fields too (those that can be made, to FULL_DEPTH levels),
    as an agent that fills in everything it can would send. Raises NotSynthesizable when
    nothing valid comes out.
    """
    candidates: list[Any] = []
    if "const" in schema:
        candidates.append(schema["const"])
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        candidates.append(schema["examples"][0])
    for key in ("example", "default"):
        if key in schema:
            candidates.append(schema[key])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        # The first value that says something (brex's path enum starts with "").
        candidates.append(
            next((v for v in schema["enum"] if v not in ("", None)), schema["enum"][0])
        )
    for candidate in candidates:
        if _valid(candidate, schema):
            return candidate
    for branch in schema.get("anyOf") or schema.get("oneOf") or ():
        try:
            value = synthesize(branch, every, depth + 1)
        except NotSynthesizable:
            continue
        if _valid(value, schema):
            return value
    value = _by_type(schema, every, depth)
    if not _valid(value, schema):
        raise NotSynthesizable(f"made {value!r}, which the schema refuses")
    return value


def _by_type(schema: dict[str, Any], every: bool = False, depth: int = 0) -> Any:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return False
    if kind == "array":
        items = schema.get("items") or {}
        item = synthesize(items, every, depth + 1)
        if item == {} and isinstance(items.get("properties"), dict):
            # An item of nothing is no item (AWS query's `Parameters.member.1` of no fields
            # sends nothing): its first field that can be made, as an agent would fill one.
            for name, field_schema in items["properties"].items():
                with contextlib.suppress(NotSynthesizable):
                    if _valid(filled := {name: synthesize(field_schema)}, items):
                        item = filled
                        break
        count = max(int(schema.get("minItems", 1)), 1)
        if every and count == 1:
            # Two items, where allowed: one item reads the same in every array style, two
            # tell `a=1&a=2` from `a=1,2` (a second string or number unlike the first).
            # A value the items list when they list more than one (an Azure `modelAsString`
            # enum, which the tool lists as examples and Prism still holds to), else a made one.
            listed = [v for v in (items.get("enum") or items.get("examples") or []) if v != item]
            second = item + "2" if isinstance(item, str) else item
            if listed and isinstance(listed[0], type(item)):
                second = listed[0]
            if isinstance(item, int | float) and not isinstance(item, bool):
                second = item + 1
            if _valid(pair := [item, second], schema):
                return pair
        return [item] * count
    if kind == "object":
        properties = schema.get("properties") or {}
        value = {
            name: synthesize(properties.get(name, {}), every, depth + 1)
            for name in schema.get("required", [])
        }
        if every and depth < FULL_DEPTH:
            for name, field_schema in properties.items():
                if name not in value and isinstance(field_schema, dict):
                    with contextlib.suppress(NotSynthesizable):
                        more = {**value, name: synthesize(field_schema, every, depth + 1)}
                        if _valid(more, schema):
                            value = more
        return value
    if kind == "null":
        return None
    raise NotSynthesizable(f"type {kind!r}")


def _string(schema: dict[str, Any]) -> str:
    known = _FORMATS.get(str(schema.get("format", "")))
    if "pattern" in schema and known is not None and _search(schema["pattern"], known):
        text = known  # beezup's email pattern also takes "a@a", which no email check does
    elif "pattern" in schema:
        text = _matching(schema["pattern"])
    else:
        text = known or "test"
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(text) < low and "pattern" not in schema:
        text = text + "x" * (low - len(text))
    if high is not None and len(text) > int(high) and "pattern" not in schema:
        text = text[: int(high)]
    return text


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        low = schema["exclusiveMinimum"] + 1
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        high = schema["exclusiveMaximum"] - 1
    value = low if low is not None else (high if high is not None and high < 1 else 1)
    step = schema.get("multipleOf")
    if step:
        value = -(-value // step) * step
    return int(value) if integer else value


def _matching(pattern: str) -> str:
    """A short string the regex `pattern` matches (simple patterns only)."""
    try:
        text = _emit(regex_parser.parse(pattern))
    except (re.error, NotSynthesizable, ValueError, TypeError):
        raise NotSynthesizable(f"pattern {pattern!r} is beyond the simple generator") from None
    if re.search(pattern, text) is None:
        raise NotSynthesizable(f"pattern {pattern!r}: made {text!r}, which does not match")
    return text


_CATEGORY_CHARS = {"DIGIT": "0", "WORD": "a", "SPACE": " "}


def _emit(tokens: Any) -> str:
    out: list[str] = []
    for op, arg in tokens:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_in_set(arg))
        elif name == "CATEGORY":
            out.append(_category(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, sub = arg
            out.append(_emit(sub) * (low if low > 0 else min(1, high)))
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1]))
        elif name == "BRANCH":
            out.append(_emit(arg[1][0]))
        elif name != "AT":
            raise NotSynthesizable(name)
    return "".join(out)


def _in_set(items: Any) -> str:
    if items and str(items[0][0]) == "NEGATE":
        for char in "a0A_-":
            if re.fullmatch(f"[{_set_source(items)}]", char):
                return char
        raise NotSynthesizable("negated set")
    op, arg = items[0]
    if str(op) == "LITERAL" and not chr(arg).isalnum():
        with contextlib.suppress(NotSynthesizable):
            # A letter or digit where the set has one: `[.\-_A-Za-z0-9]+` as "a", not ".",
            # which alone is a path segment no server reads as a name.
            source = _set_source([("NEGATE", None), *items])[1:]
            for char in "a0A":
                if re.fullmatch(f"[{source}]", char):
                    return char
    if str(op) == "LITERAL":
        return chr(arg)
    if str(op) == "RANGE":
        return chr(arg[0])
    if str(op) == "CATEGORY":
        return _category(arg)
    raise NotSynthesizable(str(op))


def _set_source(items: Any) -> str:
    # Rebuild a negated set from parser tokens, for `re` to test candidate characters with.
    parts = ["^"]
    for op, arg in items[1:]:
        if str(op) == "LITERAL":
            parts.append(re.escape(chr(arg)))
        elif str(op) == "RANGE":
            parts.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        else:
            raise NotSynthesizable(str(op))
    return "".join(parts)


def _category(arg: Any) -> str:
    name = str(arg).removeprefix("CATEGORY_")
    if name.startswith("NOT_"):
        return "-" if name != "NOT_SPACE" else "a"
    if name not in _CATEGORY_CHARS:
        raise NotSynthesizable(name)
    return _CATEGORY_CHARS[name]


def arguments_for(
    schema: dict[str, Any], every: bool = False, leave: Collection[str] = ()
) -> dict[str, Any]:
    """Values for the tool's required arguments, checked against the whole input schema.

    With `every` (`--full`), also each optional argument not in `leave` (adaptgen's own paging
    arguments: a made-up cursor is a forged one) that can be made and keeps the whole valid,
    objects filled with their optional fields too: the filters, arrays, objects and headers
    an agent sends beyond what is required, serialized as the spec says."""
    properties = schema.get("properties") or {}
    arguments = {}
    for name in schema.get("required", []):
        try:
            arguments[name] = synthesize(properties.get(name, {}))
        except NotSynthesizable as exc:
            raise NotSynthesizable(f"{name}: {exc}") from None
    errors = list(_VALIDATOR(schema, format_checker=_FORMAT_CHECKER).iter_errors(arguments))
    if errors:
        raise NotSynthesizable(f"arguments refused by the input schema: {errors[0].message}")
    if every:
        for name, field_schema in properties.items():
            if name in leave or not isinstance(field_schema, dict):
                continue
            with contextlib.suppress(NotSynthesizable):
                more = {**arguments, name: synthesize(field_schema, True)}
                if _valid(more, schema):
                    arguments = more
    return arguments


# --------------------------------------------------------------------------- classification


@dataclass
class Call:
    """One tool call and what the harness concluded about it."""

    tool: str
    method: str
    path: str
    verdict: str
    reason: str = ""
    error: str = ""  # the MCP error text, whole
    arguments: dict[str, Any] = field(default_factory=dict)
    prism: str = "static"  # which Prism answered the classified attempt
    sent: list[str] = field(default_factory=list)  # request lines the upstream received
    answered: list[int] = field(default_factory=list)  # their statuses
    prism_said: str = ""  # the failing answer's problem detail and violations, or its body
    agent_bytes: int | None = None  # an ok call: what the agent read (shaping_bench's measure)
    raw_bytes: int | None = None  # and the upstream bytes of the records it shows


def has_data(value: Any) -> bool:
    """Whether JSON holds any non-null scalar (a body of only nulls and empties is useless)."""
    if isinstance(value, dict):
        return any(has_data(v) for v in value.values())
    if isinstance(value, list):
        return any(has_data(v) for v in value)
    return value is not None and value != ""


def non_empty_lists(value: Any, path: str = "$") -> list[str]:
    """JSONPaths of every list in `value` that holds at least one item with data."""
    found: list[str] = []
    if isinstance(value, list):
        if any(has_data(v) for v in value):
            found.append(path)
        for index, item in enumerate(value[:3]):
            found.extend(non_empty_lists(item, f"{path}[{index}]"))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(non_empty_lists(item, f"{path}.{key}"))
    return found


def empty_result(data: Any) -> bool:
    """An empty result: nothing at all, or a paginated envelope with no items."""
    if data in (None, "", {}, []):
        return True
    if isinstance(data, dict) and data.get("items") == []:
        return set(data) <= {"items", "total", "next_cursor", "_note"}
    return False


def needs_dynamic(exchanges: Sequence[Exchange]) -> bool:
    """Whether static Prism's answer is no use to judge a call: a 2xx with no data in it, or a
    5xx problem of Prism's own (it could not make a static example)."""
    for exchange in exchanges:
        data = exchange.data()  # None for `null`, an empty body and one neither JSON nor XML
        if exchange.ok and (
            exchange.body.strip() == b"null" or (data is not None and not has_data(data))
        ):
            return True
        problem = exchange.problem()
        if problem is not None and exchange.status >= 500:
            return True
    return False


def unanswered(result: Any) -> bool:
    """Whether a call got no answer from the upstream: no result within the harness's guard, or
    the generated server's own upstream timeout (`... upstream timed out after 15s ...`)."""
    return result is None or bool(result.is_error and "upstream timed out" in error_text(result))


def _problem_kind(exchange: Exchange) -> str:
    problem = exchange.problem() or {}
    return str(problem.get("type", "")).removeprefix(PRISM_ERRORS)


def _violations(exchange: Exchange) -> list[dict[str, Any]]:
    """Prism's error-level findings about the request (those about its own answer are the
    mock's business: a body it generated that its schema refuses says nothing about us)."""
    problem = exchange.problem() or {}
    found = problem.get("validation") or exchange.violations
    return [
        v
        for v in found
        if isinstance(v, dict)
        and v.get("severity", "Error") == "Error"
        and (v.get("location") or ["request"])[0] != "response"
    ]


def describe_violation(violation: dict[str, Any]) -> str:
    """`query.limit: type: Request query parameter limit must be integer`."""
    location = [str(p) for p in violation.get("location", []) if p != "request"]
    return f"{'.'.join(location)}: {violation.get('code', '?')}: {violation.get('message', '')}"


def prism_said(exchange: Exchange) -> str:
    """What Prism answered, in one line: its problem and violations, else the body's start."""
    problem = exchange.problem()
    parts = [f"{exchange.status}"]
    if problem is not None:
        parts.append(f"{_problem_kind(exchange)}: {problem.get('detail', '')}")
    parts.extend(describe_violation(v) for v in _violations(exchange))
    if problem is None and not exchange.violations:
        parts.append(exchange.body[:200].decode("utf-8", "replace"))
    return " | ".join(" ".join(p.split()) for p in parts if p)


_SELECTOR = re.compile(r"[?#]")
_EXPRESS = re.compile(r"(?:^|/):[A-Za-z_]")  # an Express-style path parameter: `/:id`
_OPERATOR = re.compile(r"\{[./;]")  # RFC 6570's label, path and matrix operators: `{.format}`


def _path_key(tool: Any) -> str:
    """The path as the spec's `paths` key writes it (with any `?query` or `#fragment`)."""
    parts = (getattr(tool, "pointer", "") or "").split("/")
    key = parts[2] if len(parts) > 2 and parts[1] == "paths" else tool.path
    return key.replace("~1", "/").replace("~0", "~")


_SPEC_URI = "urn:adaptgen:spec"  # the spec document, as a JSON Schema resource


def _pointer_token(key: str) -> str:
    """`key` as one JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def _flattened(tool: Any) -> bool:
    """Whether the tool's body fields are arguments of their own (no `body` argument)."""
    body = getattr(getattr(tool, "upstream", None), "body", None)
    return bool(getattr(body, "flattened", False))


# What a validator does not check by default (`format`) or reads as no constraint at all.
_UNCHECKED = frozenset({"format", "description", "title", "example", "examples", "deprecated"})


def one_of_nothing_passes(exchanges: Sequence[Exchange], declared: Declared | None) -> str | None:
    """Why no value of a query parameter could pass Prism, when Prism refused only `oneOf`s
    whose alternatives differ by nothing it checks: Shutterstock's `asset_id` is one of two
    strings told apart only by their `format`s (`asset-id`, `asset-upload-id`), so every string
    matches both, and "exactly one" fails whatever is sent."""
    if not exchanges or declared is None:
        return None
    violations = _violations(exchanges[-1])
    names, numbers = [], []
    for violation in violations:
        location = [str(p) for p in violation.get("location", []) if p != "request"]
        if violation.get("code") != "oneOf" or len(location) != 2:
            return None
        where = {"query": declared.query, "path": declared.path}.get(location[0])
        schema = ((where or {}).get(location[1]) or {}).get("schema") or {}
        forms = schema.get("oneOf") if isinstance(schema, dict) else None
        if not isinstance(forms, list):
            return None
        forms = [f for f in forms if isinstance(f, dict)]
        checked = [
            json.dumps({k: v for k, v in f.items() if k not in _UNCHECKED}, sort_keys=True)
            for f in forms
        ]
        if len(set(checked)) < len(checked):
            names.append(".".join(location))
        elif _number_is_both(forms):
            numbers.append(".".join(location))
        else:
            return None
    if names:
        listed = ", ".join(names)
        return (
            f"422 {listed}: the spec's oneOf forms differ only by format, so no value passes Prism"
        )
    if numbers:
        listed = ", ".join(numbers)
        return (
            f"422 {listed}: the spec's oneOf is a number or any string, and Prism reads a "
            "number in a URL as both"
        )
    return None


def no_credentials_asked(reason: str, declared: Declared | None) -> str | None:
    """Why a 401 is the spec's own answer, not credentials adaptgen failed to send: the
    operation asks for none (no `security`, its own or the spec's, or only `{}`). Clubhouse's
    `POST /follow` declares one answer, a 401 ("Your account is waitlisted"), and no scheme."""
    if declared is None or declared.secured or not reason.startswith("401"):
        return None
    return "401, the spec's own answer; the operation asks for no credentials"


def body_forms_matched(
    exchanges: Sequence[Exchange], declared: Declared | None, body: Any, document: SpecDocument
) -> str | None:
    """Why Prism refused a body by its `oneOf`, when the body matches several of its forms and
    "exactly one" fails whatever the body says: ShipEngine's carrier connection has five
    identical forms (`nickname`, `username`, `password`: Access Worldwide, APC, IMEX, ...), and
    its carrier settings five whose every field is optional, which an empty body matches all
    of. The other violations Prism lists with it are each other form's."""
    if not exchanges or declared is None or len(declared.body_forms) < 2 or body is None:
        return None
    violations = _violations(exchanges[-1])
    located = [[str(p) for p in v.get("location", []) if p != "request"] for v in violations]
    read = list(zip(violations, located, strict=True))
    if not any(w == ["body"] and v.get("code") == "oneOf" for v, w in read):
        return None
    if not all(w[:1] == ["body"] or _ignored_header(v) for v, w in read):
        return None
    matched = document.forms_matched(body, declared.body_forms)
    if len(matched) < 2:
        return None
    named = ", ".join(p.rsplit("/", 1)[-1] for p in matched[:4])
    return (
        f"422 invalid body (oneOf): the body matches {len(matched)} of the spec's "
        f"{len(declared.body_forms)} oneOf forms (#{named}), so none is the one"
    )


def _number_is_both(forms: list[dict[str, Any]]) -> bool:
    """Whether a number sent in a URL matches two of `forms` to Prism, which reads the text
    `1` as an integer and as a string: GitHub's `workflow_id`, `oneOf: [integer, string]`
    ("the ID of the workflow, or its file name"), refused as matching both."""
    kinds = [f.get("type") for f in forms]
    free = {"pattern", "enum", "format", "const", "maxLength"}
    return any(k in ("integer", "number") for k in kinds) and any(
        f.get("type") == "string" and not free & f.keys() for f in forms
    )


def xml_unread_by_prism(tool: Any, exchanges: Sequence[Exchange]) -> str | None:
    """Why Prism's verdict on an XML body says nothing, when it does not: Prism parses no XML
    request body, and judges the document as a string against the body's object schema
    ("Request body must be object"), whatever the document says."""
    body = getattr(getattr(tool, "upstream", None), "body", None)
    media = getattr(body, "media_type", "") or ""
    if not exchanges or not is_xml(media):
        return None
    violations = _violations(exchanges[-1])
    located = [[str(p) for p in v.get("location", []) if p != "request"] for v in violations]
    if violations and all(where[:1] == ["body"] for where in located):
        return f"{_violation_reason(violations)} (Prism reads no XML body: {media})"
    return None


def _unread_body(exchanges: Sequence[Exchange], unread: Callable[[list[str], str], bool]) -> str:
    """The reason of the last request's violations when each is a `type` violation that
    `unread(location, message)` says Prism could not have judged, or one of a header OpenAPI
    says to ignore (or the client frames), at least one of them the former; else ""."""
    violations = _violations(exchanges[-1])
    found = False
    for violation in violations:
        where = [str(p) for p in violation.get("location", []) if p != "request"]
        said = str(violation.get("message", ""))
        if violation.get("code") == "type" and unread(where, said):
            found = True
        elif not _ignored_header(violation):
            return ""
    return _violation_reason(violations) if found else ""


def bytes_unread_by_prism(tool: Any, exchanges: Sequence[Exchange]) -> str | None:
    """Why Prism's verdict on a body of raw bytes says nothing, when it does not: a spec that
    types a file's bytes as an object (Swagger 2's `type: file` converted to `{type: object,
    format: file}`: Azure Data Lake's appends, under `application/octet-stream`) has Prism
    judge the bytes as a string against that object ("Request body must be object"), whatever
    they are. A violation of a header OpenAPI says to ignore, or one the client frames itself
    (Data Lake's required `Transfer-Encoding: chunked`), may come with it."""
    body = getattr(getattr(tool, "upstream", None), "body", None)
    media = getattr(body, "media_type", "") or ""
    structured = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
    if not exchanges or not media or media in structured or media.endswith("+json"):
        return None
    if is_xml(media):
        return None  # `xml_unread_by_prism`
    reason = _unread_body(exchanges, lambda where, said: where == ["body"] and "object" in said)
    return f"{reason} (Prism judges raw {media} bytes as an object)" if reason else None


def form_string_unread_by_prism(tool: Any, exchanges: Sequence[Exchange]) -> str | None:
    """Why Prism's verdict on a form given as one string says nothing, when it does not: the
    spec calls the form a string (Spoonacular's `text=...`), Prism parses every form body, URL-
    encoded or multipart, into an object of its fields, and an object is no string ("Request
    body must be string"), whatever the form says. A violation of a header OpenAPI says to
    ignore may come with it."""
    body = getattr(getattr(tool, "upstream", None), "body", None)
    media = getattr(body, "media_type", "") or ""
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    if not exchanges or media not in forms or body.flattened:
        return None
    reason = _unread_body(exchanges, lambda where, said: where == ["body"] and "string" in said)
    return f"{reason} (Prism reads a form as an object, never a string)" if reason else None


def form_array_unread_by_prism(tool: Any, exchanges: Sequence[Exchange]) -> str | None:
    """Why Prism's verdict on a form's list or object field says nothing, when it does not.

    Multipart: a list field (pdfblocks' `file: [binary]`, Telegram's `media`, a JSON-serialized
    list) goes as repeated parts or one JSON part, an object field (Box's `attributes`) as a
    JSON part, and Prism reads every part as a string ("Request body property file must be
    array", "... attributes must be object"): one part or several, a file or a text, it refuses
    them alike (checked against Prism serving pdfblocks' spec, and a spec of one object part).
    URL-encoded: a list goes as the field repeated (`Event=a&Event=b`, OpenAPI's `form` style,
    exploded, its default; Twilio's `RecordingStatusCallbackEvent`), and Prism reads a list
    only as `Event[]=a&Event[]=b` ("... must be array", even for one item; checked against
    Prism serving a spec of one list field). A violation of a header OpenAPI says to ignore
    may come with it."""
    body = getattr(getattr(tool, "upstream", None), "body", None)
    media = getattr(body, "media_type", "") or ""
    if not exchanges or media not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return None
    kinds = ("be array", "be object") if media == "multipart/form-data" else ("be array",)
    reason = _unread_body(
        exchanges,
        lambda where, said: len(where) == 2 and where[0] == "body" and said.endswith(kinds),
    )
    if reason and media == "multipart/form-data":
        return f"{reason} (Prism reads a multipart part as a string, never a list or an object)"
    if reason:
        return f"{reason} (Prism reads a URL-encoded list only as name[]=, not the name repeated)"
    return None


def query_nesting_unread_by_prism(
    exchanges: Sequence[Exchange], declared: Declared | None, document: SpecDocument
) -> str | None:
    """Why Prism's verdict on a query list of objects or lists says nothing, when it does not:
    OpenAPI's styles serialize a query list of plain values only, so a list whose items are
    objects (Box's `mdfilters`, VocaDB's `advancedFilters`) or lists has no serialization the
    spec defines; adaptgen sends each item as JSON text (what such APIs read), and Prism reads
    each as a string ("Request query parameter mdfilters.0 must be object"), whatever is sent.
    A violation of a header OpenAPI says to ignore may come with it."""
    if not exchanges or declared is None:
        return None
    named = {name.lower(): param for name, param in declared.query.items()}

    def nested(where: list[str], said: str) -> bool:
        if len(where) != 3 or where[0] != "query" or not said.endswith(("be object", "be array")):
            return False
        schema, _ = document.located((named.get(where[1].lower()) or {}).get("schema"), "")
        items = schema.get("items") if isinstance(schema, dict) else None
        items, _ = document.located(items, "")
        kind = items.get("type") if isinstance(items, dict) else None
        shaped = isinstance(items, dict) and ("properties" in items or "items" in items)
        return kind in ("object", "array") or shaped

    reason = _unread_body(exchanges, nested)
    return f"{reason} (OpenAPI defines no query form for a list of objects)" if reason else None


def wildcard_judged_by_prism(
    tool: Any, exchanges: Sequence[Exchange], declared: Declared | None
) -> str | None:
    """Why Prism's verdict on a body says nothing, when it does not: Prism judges a request
    body by the first of the operation's media types that matches its Content-Type, and a
    wildcard (`*/*`) listed first matches every one. Apicurio Registry's artifacts declare
    `*/*` (the raw file, a string) before `application/create.extended+json` (an object of
    its content and references): the object adaptgen sends under the second is refused as no
    string (checked against Prism serving that spec: any object under that type is refused,
    and a string is taken). A violation of a header OpenAPI says to ignore may come with it."""
    body = getattr(getattr(tool, "upstream", None), "body", None)
    media = (getattr(body, "media_type", "") or "").lower()
    if not exchanges or declared is None or media not in declared.media_types:
        return None
    before = declared.media_types[: declared.media_types.index(media)]
    wildcard = next((m for m in before if "*" in m and _matches(m, media)), None)
    if wildcard is None:
        return None
    reason = _unread_body(exchanges, lambda where, said: where[:1] == ["body"])
    if not reason:
        return None
    return f"{reason} (Prism judges a {media} body by the {wildcard} listed before it)"


def _matches(wildcard: str, media: str) -> bool:
    """Whether a media range (`*/*`, `application/*`) covers a media type."""
    kind, _, sub = wildcard.partition("/")
    other_kind, _, other_sub = media.partition("/")
    return kind in ("*", other_kind) and sub in ("*", other_sub)


def misrouted_by_prism(key: str, method: str, reason: str, document: SpecDocument) -> str | None:
    """Why Prism could not judge a request to the operation at path key `key` (with a `?query`
    or `#fragment`), when it could not; `reason` is what the call's failure was classified as.

    - `/#Action=AddTagsToResource`, `/v1/domain#domain`: Prism routes by the key as written, so
      no request (ours is `/?Action=...`) matches it (a `..._MATCHED_ERROR`).
    - FormAPI's `/templates?desc=html` beside `/templates`: Prism reads no query in a path key,
      so it checks our request against the other operation's parameters and body.
    - VTEX's `/{fulfillmentEndpoint}/pvt/orders/{orderId}/cancel` beside
      `/{marketplaceServicesEndpoint}/pvt/orders/{marketplaceOrderId}/cancel`: two templates of
      one shape match the same requests, and Prism judges ours as the other's.
    - NASA TechPort's `/api/projects{.format}` and `/api/projects/{id}{.format}`: Prism routes
      no request to a template with RFC 6570's label operator (checked with curl:
      `/api/projects.json`, `/api/projects/1.json`, `/1json`, `/1` are all
      `NO_PATH_MATCHED_ERROR`).
    """
    if _OPERATOR.search(key) and "_MATCHED_ERROR" in reason:
        return f"Prism cannot route the path key {key} (an RFC 6570 operator in its template)"
    if _EXPRESS.search(key) and "_MATCHED_ERROR" in reason:
        # Nexmo Media's `/:id/info`: Express' way to name a parameter, which the planner reads
        # (`/{id}/info`) and Prism routes as literal text.
        return f"Prism cannot route the path key {key} (an Express-style `:name` parameter)"
    twin = _twin_template(key, method, document)
    if twin is not None:
        return f"{reason} (Prism cannot tell {key} from {twin}: both match every such path)"
    if not _SELECTOR.search(key):
        return None
    if "_MATCHED_ERROR" in reason:
        return f"Prism cannot route the path key {key}"
    bare = _SELECTOR.split(key)[0]
    if document.declared(bare, method) is not None:
        return f"{reason} (Prism judged it as the operation of {bare}, not {key})"
    return None


_TEMPLATED = re.compile(r"\{[^}]*\}")  # a path template's parameter


def _twin_template(key: str, method: str, document: SpecDocument) -> str | None:
    """Another path of the spec with `method` whose template differs from `key`'s only by its
    parameters' names, so that every request to one is a request to the other: also where a
    converter kept the two apart by a fragment no request carries (APIs.guru's
    `/{applicationDefinitionId}#disambiguation_dummy` beside Azure's `/{applicationId}`)."""
    shape = _TEMPLATED.sub("{}", key.partition("#")[0])
    for other, item in document.paths.items():
        if (
            other != key
            and _TEMPLATED.sub("{}", other.partition("#")[0]) == shape
            and isinstance(item, dict)
            and method.lower() in item
        ):
            return other
    return None


def classify(
    is_error: bool,
    error: str,
    data: Any,
    exchanges: Sequence[Exchange],
    outcome: Any = None,
    path: str | None = None,
) -> tuple[str, str]:
    """(verdict, reason) for one call; `exchanges` are the requests it made, in order, to the
    operation at `path` (its template as the spec writes it, when known).

    Errors: see `_classify_error`. A successful call is EMPTY when its result is empty (no data,
    or `{"items": []}`) while the upstream's last 2xx body held data (a non-empty list for the
    paginated envelope; any value for an empty result), or when the runtime's own figures say
    it received items and showed none.
    """
    if is_error:
        return _classify_error(error, exchanges, path)
    if outcome is not None and outcome.upstream_items and outcome.shown_items == 0:
        return EMPTY, f"upstream sent {outcome.upstream_items} items, the result shows none"
    if not empty_result(data):
        return OK, ""
    bodies = [e for e in exchanges if e.ok]  # every page: an empty last page hides nothing
    if any(e.data() is None and e.body.strip() not in (b"", b"null") for e in bodies):
        return (
            EMPTY,
            "the upstream sent a non-empty body, neither JSON nor XML; the result is empty",
        )
    lists = [path for e in bodies for path in non_empty_lists(e.data())]
    if isinstance(data, dict) and "items" in data:
        if lists:
            return EMPTY, f"items [] while the upstream body has items at {', '.join(lists[:3])}"
        return OK, ""
    if any(has_data(e.data()) for e in bodies):
        return EMPTY, "an empty result from an upstream body with data"
    return OK, ""


def _failure_said(error: str, last: Exchange) -> str | None:
    """Why a 2xx the runtime read as a failure is the mock's, if it is: the body says so in
    words beside its false flag (`{"success": false, "error": "something went wrong"}`),
    Prism's copy of the spec's own example of a failed operation (Waterlinked's every
    operation answers with one schema, whose one example is a failure)."""
    flag = _FALSE_FLAG.search(error)
    data = last.json()
    if flag is None or not isinstance(data, dict) or data.get(flag.group(1)) is not False:
        return None
    told = [k for k in data if k.lower() in _FAILURE_WORDS and data[k] not in (None, "", [], {})]
    if not told:
        return None
    return f"{last.status} whose body says it failed ({told[0]}): the spec's example of a failure"


def _classify_error(
    error: str, exchanges: Sequence[Exchange], path: str | None = None
) -> tuple[str, str]:
    """Errors are the adaptgen's unless the mock could not have answered well whatever we sent.

    - Nothing sent: a timeout, an invalid cursor, raw Python error text, arguments (valid per
      the tool's own input schema) refused: all adaptgen-caused.
    - The last answer 2xx yet an error: adaptgen's handling of a good answer (e.g. a non-JSON
      complaint about a JSON body), unless the body really is broken JSON (the mock's).
    - Prism's problems: NO_PATH_MATCHED / NO_METHOD_MATCHED (a path or method we built that
      the spec does not have), UNPROCESSABLE_ENTITY or any `sl-violations` (a parameter sent
      with the wrong name, type, style or location, or a required one not sent), UNAUTHORIZED
      (the spec's security not satisfied although every credential env var is set),
      INVALID_CONTENT_TYPE (a body media type refused): adaptgen. But violations only of path
      parameters the called operation's `path` has not are the mock's: Prism routed the request
      to another operation (hhs.gov's `/tags/tagLanguages.{format}` read as `/tags/{id}.{format}`,
      whose `id` must be an integer), and so are those of a path whose parameters are adjacent
      (`{pageName}{mediaTypeExtension}`: Prism cannot split them). And a failing request whose
      URL the previous answer supplied (a next link followed verbatim) is the mock's: Prism's
      examples hold placeholder links (`x-next: string`) and links the spec itself refuses.
      Prism failing to make an answer (5xx problems, NOT_ACCEPTABLE, see MOCK_PROBLEMS): mock.
    - Any other status without violations: the mock's (it answered with the spec's own error or
      redirect: one not followed has no Location, or its Location is the spec's example, a
      host off this machine that cannot be reached; credentials never leave the upstream).
    """
    if _TIMEOUT.search(error):
        return ADAPTGEN, "timeout"
    if not exchanges:
        if "invalid cursor" in error.lower():
            return ADAPTGEN, "invalid cursor (nothing sent)"
        if _PYTHON_ERROR.search(error):
            return ADAPTGEN, "raw Python error (nothing sent)"
        if "validation error" in error.lower():
            return ADAPTGEN, "arguments valid per the tool's input schema refused (nothing sent)"
        return ADAPTGEN, "refused before sending"
    last = exchanges[-1]
    if last.ok:
        if "not JSON" in error and last.json() is not None:
            return ADAPTGEN, "non-JSON complaint about a JSON body"
        if "not JSON" in error:
            return MOCK, f"{last.status} body is not JSON ({last.content_type})"
        if "invalid cursor" in error.lower():
            return ADAPTGEN, "invalid cursor"
        if _PYTHON_ERROR.search(error):
            return ADAPTGEN, f"raw Python error after {last.status}"
        if (said := _failure_said(error, last)) is not None:
            return MOCK, said
        return ADAPTGEN, f"error after a {last.status} answer"
    if last.status == 502 and last.body.startswith(MOCK_UNREACHABLE.encode()):
        return MOCK, last.body.decode()
    kind = _problem_kind(last)
    page = f" (request {len(exchanges)} of the call)" if len(exchanges) > 1 else ""
    if len(exchanges) > 1 and exchanges[-2].supplied(last) and last.status != 401:
        # A next link the mock's own answer gave, followed verbatim: what Prism says of it is
        # about the spec's example data, not about a request adaptgen built.
        link = unquote(last.target)[:80]
        return MOCK, f"{last.status} {kind or 'error'} on a next link the mock supplied: {link}"
    if kind in ("NO_PATH_MATCHED_ERROR", "NO_METHOD_MATCHED_ERROR"):
        return ADAPTGEN, f"{last.status} {kind}: path or method not in the spec{page}"
    violations = _violations(last)
    if violations and all(_ignored_header(v) for v in violations):
        # OpenAPI: a header parameter named Accept, Content-Type or Authorization "SHALL be
        # ignored"; one the HTTP client frames (`Transfer-Encoding`) is the client's to set.
        # Prism validates them anyway.
        reason = _violation_reason(violations)
        return MOCK, reason + " (a header OpenAPI says to ignore, or the client frames)"
    if violations and path and all(_other_operations(v, path) for v in violations):
        reason = _violation_reason(violations)
        return MOCK, f"{reason} (Prism routed it to another operation than {path})"
    if violations and path and "}{" in path and all(_of_path(v) for v in violations):
        # `/blog/{pageName}{mediaTypeExtension}`: nothing says where one value ends, and
        # Prism reads the whole segment as the last parameter (healthcare.gov's 10 pages).
        reason = _violation_reason(violations)
        return MOCK, f"{reason} (Prism cannot split the adjacent parameters of {path})"
    if violations and all(_sent_yet_missing(v, last) or _ignored_header(v) for v in violations):
        # Prism percent-encodes a name with brackets (`filter[build]` -> `filter%5bbuild%5d`)
        # and then finds it in no request, whichever way the name is sent.
        return MOCK, _violation_reason(violations) + " (sent: Prism misreads bracketed names)"
    if violations and all(_unreadable_pattern(v) for v in violations):
        # Amplify's `nextToken` is `pattern: (?s).*`: JavaScript's RegExp has no inline flags,
        # so Prism refuses every value, its own example's too.
        reason = _violation_reason(violations)
        return MOCK, f"{reason} (a pattern with an inline flag, which JavaScript cannot read)"
    if violations:
        return ADAPTGEN, _violation_reason(violations) + page
    sent_credentials = "authorization" in {h.lower() for h in last.header_names}
    if kind != "UNAUTHORIZED" and last.status == 401 and sent_credentials:
        # Not Prism's refusal (that says UNAUTHORIZED): the spec's own 401, its first answer
        # where the operation declares no 2xx (Avaza's `GET /api/Bill/{id}`: 401 and 404 only).
        return MOCK, "401, the spec's own first answer (credentials were sent)"
    if kind == "UNAUTHORIZED" or last.status == 401:
        return ADAPTGEN, f"401 UNAUTHORIZED: credentials not sent as the spec requires{page}"
    if kind in MOCK_PROBLEMS or last.status >= 500 or kind == "NOT_ACCEPTABLE":
        return MOCK, f"{last.status} {kind or 'error'}: the mock could not answer"
    if kind in ("UNPROCESSABLE_ENTITY", "INVALID_CONTENT_TYPE"):  # what we sent, refused
        return ADAPTGEN, f"{last.status} {kind} without details{page}"
    if 300 <= last.status < 400:  # download operations: the spec's only answer is a redirect
        return MOCK, f"{last.status} redirect, the spec's only answer, to an example host or none"
    return MOCK, f"{last.status} {kind or 'the spec’s own error response'}"


def _ignored_header(violation: dict[str, Any]) -> bool:
    location = [str(p).lower() for p in violation.get("location", []) if p != "request"]
    missing = re.search(r"property '([^']+)'", str(violation.get("message", "")))
    if len(location) == 1 and missing:  # a required one: named in the message
        location.append(missing.group(1).lower())
    ignored = IGNORED_HEADERS | TRANSPORT_HEADERS  # OpenAPI ignores them, the client frames them
    return location[:1] == ["header"] and location[1:2] != [] and location[1] in ignored


def _other_operations(violation: dict[str, Any], path: str) -> bool:
    """A violation of a path parameter that the operation at `path` does not have (invalid,
    or required: Vertex AI's `/v1/{entityType}:importFeatureValues` routed to `{name}`'s)."""
    location = [str(p) for p in violation.get("location", []) if p != "request"]
    own = {name.lower() for name in re.findall(r"\{([^{}]+)\}", path)}
    if location == ["path"] and violation.get("code") == "required":
        missing = re.search(r"property '([^']+)'", str(violation.get("message", "")))
        return missing is not None and missing.group(1).lower() not in own
    return len(location) == 2 and location[0] == "path" and location[1].lower() not in own


def _of_path(violation: dict[str, Any]) -> bool:
    """A violation of the request's path parameters."""
    return [str(p) for p in violation.get("location", []) if p != "request"][:1] == ["path"]


def _unreadable_pattern(violation: dict[str, Any]) -> bool:
    """A `pattern` violation of a pattern that starts with an inline flag (`(?s)`, `(?i)`):
    Prism's validator compiles patterns as JavaScript, which has none."""
    message = str(violation.get("message", ""))
    return violation.get("code") == "pattern" and _INLINE_FLAG.search(message) is not None


_INLINE_FLAG = re.compile(r'pattern "\\?\(\\?\?[a-zA-Z]+\\?\)')


def _sent_yet_missing(violation: dict[str, Any], last: Exchange) -> bool:
    """A required query parameter Prism says is missing, although the request carries it."""
    location = [str(p).lower() for p in violation.get("location", []) if p != "request"]
    missing = re.search(r"property '([^']+)'", str(violation.get("message", "")))
    if violation.get("code") != "required" or location != ["query"] or not missing:
        return False
    query = last.target.partition("?")[2]
    # Prism names it in lower case (VTEX's `isConnected` as `isconnected`), and reads an empty
    # value (`isConnected=`, the spec's own default) as none.
    sent = {name.lower() for name, _ in parse_qsl(query, keep_blank_values=True)}
    return unquote(missing.group(1)).lower() in sent


def _violation_reason(violations: Sequence[dict[str, Any]]) -> str:
    """`422 missing required query.foo` or `422 invalid query.limit (type)`, first one named."""
    first = violations[0]
    location = [str(p) for p in first.get("location", []) if p != "request"]
    code = first.get("code", "?")
    more = f" (+{len(violations) - 1} more)" if len(violations) > 1 else ""
    if code == "required":
        missing = re.search(r"property '([^']+)'", str(first.get("message", "")))
        where = ".".join(location + ([missing.group(1)] if missing else []))
        return f"422 required {where} not sent{more}"
    return f"422 invalid {'.'.join(location)} ({code}){more}"


# --------------------------------------------------------------------------- request checks
# Prism ignores query parameters a spec does not declare, so a paging or other parameter sent
# under the wrong name passes its validation; these checks read the spec itself.


@dataclass
class Declared:
    """What the spec declares an operation's requests carry, beyond the path."""

    query: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> parameter
    path: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> parameter
    open_query: bool = False  # an exploded object parameter: any name may be one of its keys
    required_query: set[str] = field(default_factory=set)
    required_headers: set[str] = field(default_factory=set)  # lower case
    # The JSON body's `oneOf` forms, as JSON pointers into the spec (`body_forms_matched`).
    body_forms: list[str] = field(default_factory=list)
    # The request body's media types, in the spec's order (`wildcard_judged_by_prism`).
    media_types: list[str] = field(default_factory=list)
    # Whether the operation asks for credentials (its `security`, else the spec's).
    secured: bool = False


class SpecDocument:
    """The spec as written, for what the requests may carry (local `$ref`s only)."""

    def __init__(self, document: Any) -> None:
        self.document = document if isinstance(document, dict) else {}
        paths = self.document.get("paths")
        self.paths: dict[str, Any] = paths if isinstance(paths, dict) else {}
        self._by_id: dict[str, tuple[str, str]] | None = None
        self._registry: Registry | None = None  # the spec as one JSON Schema resource
        self._validator: Any = None

    def operations(self) -> int:
        """How many operations the spec declares."""
        return sum(
            1
            for item in self.paths.values()
            if isinstance(item, dict)
            for method, op in item.items()
            if method in HTTP_METHODS and isinstance(op, dict)
        )

    def credential_schemas(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(where, name lower-cased) -> the schema of every header, query and cookie parameter
        of every operation: a credential the spec declares as a parameter is checked by Prism
        against its `format` (dodo.ac's `X-API-KEY`, `format: uuid`) or its `pattern`
        (whapi's `apiKey`, `^[a-zA-Z0-9]{19,50}$`)."""
        schemas: dict[tuple[str, str], dict[str, Any]] = {}
        for item in self.paths.values():
            if not isinstance(item, dict):
                continue
            operations = [op for method, op in item.items() if method in HTTP_METHODS]
            for holder in [item, *operations]:
                for parameter in self.resolve(holder).get("parameters") or []:
                    parameter = self.resolve(parameter)
                    if not isinstance(parameter, dict):
                        continue
                    schema = self.resolve(parameter.get("schema") or parameter)
                    if isinstance(schema, dict) and isinstance(parameter.get("name"), str):
                        where = (str(parameter.get("in")), parameter["name"].lower())
                        schemas[where] = schema
        return schemas

    def resolve(self, node: Any) -> Any:
        """`node` with local `$ref`s followed (at most 20 deep); a remote one stays as it is."""
        for _ in range(20):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return node
            node = self.document
            for part in ref[2:].split("/"):
                part = unquote(part).replace("~1", "/").replace("~0", "~")
                if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]  # `#/paths/~1keys/get/parameters/0`
                else:
                    node = node.get(part) if isinstance(node, dict) else None
        return node

    def declared_for(self, tool: Any) -> Declared | None:
        """What `tool`'s operation declares, found by its path key as the spec writes it: an
        operation without an operationId at `/published/{p}/{r}?view=status` is not the one at
        `/published/{p}/{r}` (openSUSE's build service), and only its key says `view`."""
        return self.declared(_path_key(tool), tool.method, tool.operation_id)

    def declared(self, path: str, method: str, operation_id: str = "") -> Declared | None:
        """The operation's query and header parameters, or None for an unknown operation.

        Found by operationId when the spec has it (a planner may rewrite a path key such as
        `/files/{id}#shared_link`), else by path and method.
        """
        if self._by_id is None:
            self._by_id = {
                op["operationId"]: (key, verb)
                for key, item in self.paths.items()
                if isinstance(item, dict)
                for verb, op in item.items()
                if verb in HTTP_METHODS and isinstance(op, dict) and op.get("operationId")
            }  # not an empty operationId (apacta has one): every id-less tool would find it
        if operation_id:
            path, method = self._by_id.get(operation_id, (path, method))
        item = self.resolve(self.paths.get(path))
        op = self.resolve(item.get(method.lower())) if isinstance(item, dict) else None
        if not isinstance(op, dict):
            return None
        declared = Declared(query=dict.fromkeys(self._credential_names(), {}))
        declared.body_forms = self._body_forms(path, method.lower(), op)
        security = op.get("security", self.document.get("security"))
        declared.secured = isinstance(security, list) and any(security)
        body = self.resolve(op.get("requestBody"))
        content = body.get("content") if isinstance(body, dict) else None
        if isinstance(content, dict):
            declared.media_types = [str(k).split(";")[0].strip().lower() for k in content]
        # A path key's own query (`/rest?method=flickr.people.getInfo`) is sent as it is.
        for name, _value in parse_qsl(path.partition("?")[2].partition("#")[0]):
            declared.query[name] = {}
        for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            param = self.resolve(raw)
            if isinstance(param, dict) and param.get("in") == "path":
                schema = self.resolve(param.get("schema")) or {}
                declared.path[str(param.get("name"))] = {**param, "schema": schema}
            if not isinstance(param, dict) or param.get("in") not in ("query", "header"):
                continue
            name, required = str(param.get("name")), param.get("required") is True
            if param["in"] == "header":
                framed = IGNORED_HEADERS | TRANSPORT_HEADERS  # OpenAPI ignores, the client sets
                if required and name.lower() not in framed:
                    declared.required_headers.add(name.lower())
                continue
            schema = self.resolve(param.get("schema")) or {}
            exploded = param.get("style", "form") == "form" and param.get("explode", True)
            if isinstance(schema, dict) and schema.get("type") == "object" and exploded:
                declared.open_query = True  # its properties go out as names of their own
            declared.query[name] = {**param, "schema": schema}
            if required:
                declared.required_query.add(name)
        return declared

    def located(self, node: Any, pointer: str) -> tuple[Any, str]:
        """`node` at JSON pointer `pointer` with its local `$ref`s followed, and where it is."""
        for _ in range(20):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                break
            pointer, node = ref[1:], self.resolve({"$ref": ref})
        return node, pointer

    def _body_forms(self, path: str, method: str, op: dict[str, Any]) -> list[str]:
        """Pointers to the `oneOf` forms of the operation's JSON body schema (OAS 3's
        `requestBody`, Swagger 2's `in: body` parameter) or of one of its `allOf` members, or
        none."""
        at = f"/paths/{_pointer_token(path)}/{method}"
        schema: Any = None
        found, where = self.located(op.get("requestBody"), f"{at}/requestBody")
        content = found.get("content") if isinstance(found, dict) else None
        if isinstance(content, dict):
            key = next((k for k in content if k.split(";")[0].strip().endswith("json")), None)
            if key is not None and isinstance(content[key], dict):
                where = f"{where}/content/{_pointer_token(key)}/schema"
                schema, where = self.located(content[key].get("schema"), where)
        for i, raw in enumerate(op.get("parameters") or []):
            param, spot = self.located(raw, f"{at}/parameters/{i}")
            if isinstance(param, dict) and param.get("in") == "body":
                schema, where = self.located(param.get("schema"), f"{spot}/schema")
        if isinstance(schema, dict) and "oneOf" not in schema:
            # `allOf: [Base, {oneOf: [...]}]` (intellifi's spot sets): the member's forms
            for j, member in enumerate(schema.get("allOf") or []):
                found, spot = self.located(member, f"{where}/allOf/{j}")
                if isinstance(found, dict) and "oneOf" in found:
                    schema, where = found, spot
                    break
        forms = schema.get("oneOf") if isinstance(schema, dict) else None
        return [f"{where}/oneOf/{i}" for i in range(len(forms))] if isinstance(forms, list) else []

    def forms_matched(self, body: Any, forms: Sequence[str]) -> list[str]:
        """Those of `forms` (pointers) that `body` is valid against, by the JSON Schema dialect
        of the spec's version (OAS 3.0 and Swagger 2: draft 4's, whose `exclusiveMaximum` is a
        flag; OAS 3.1: 2020-12)."""
        if self._registry is None:
            dialect = (
                DRAFT202012 if str(self.document.get("openapi", "")).startswith("3.1") else DRAFT4
            )
            self._validator = (
                jsonschema.Draft202012Validator
                if dialect is DRAFT202012
                else jsonschema.Draft4Validator
            )
            self._registry = Registry().with_resource(
                _SPEC_URI, dialect.create_resource(self.document)
            )
        matched = []
        for pointer in forms:
            form = {"$ref": f"{_SPEC_URI}#{pointer}"}
            try:
                if self._validator(form, registry=self._registry).is_valid(body):
                    matched.append(pointer)
            except (
                jsonschema.exceptions.SchemaError,
                referencing.exceptions.Unresolvable,
                re.error,  # a spec's `pattern` Python cannot read
                RecursionError,
            ):
                return []  # a form no validator can read says nothing
        return matched

    def _credential_names(self) -> Iterator[str]:
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        schemes = schemes or self.document.get("securityDefinitions") or {}
        for scheme in schemes.values():
            scheme = self.resolve(scheme)
            if isinstance(scheme, dict) and scheme.get("in") == "query":
                yield str(scheme.get("name"))


def path_pattern(template: str) -> re.Pattern[str]:
    """A regex for the paths a template stands for (`{name}`: one segment or part of it).

    A path key's `#fragment` or `?query` (specs use them to split one path into several
    operations) is not part of the request path.
    """
    parts = re.split(r"(\{[^}]*\})", re.split(r"[#?]", template, maxsplit=1)[0])
    return re.compile(
        "".join("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    )


def malformed_request(
    exchanges: Sequence[Exchange], tool: Any, declared: Declared | None
) -> str | None:
    """What the requests did that the spec does not allow and Prism does not check, if anything.

    Prism validates a request against the operation it routes it to, which is another one when
    the path is wrong, and it ignores query parameters nobody declared. So: the first request
    must be on the operation's own path and carry its required query parameters (and those in
    the path key's `?query`) and headers; every request whose URL adaptgen built (all but
    links the previous answer supplied) may carry only declared query parameters (by base name:
    `filter[x]` is `filter`), and no number in a string parameter whose example is a token
    unless the previous answer gave that value (a page number or offset where a cursor goes).
    """
    if not exchanges:
        return None
    # (request, what the answer before it held) for every request whose URL adaptgen built.
    built = [
        (e, exchanges[i - 1].values() if i else set())
        for i, e in enumerate(exchanges)
        if i == 0 or not exchanges[i - 1].supplied(e)
    ]
    first = built[0][0]
    first_path, _, first_query = first.target.partition("?")
    pattern = path_pattern(tool.path)
    # A value holding `/` is sent as `%2F` (RFC 6570): one segment before decoding.
    if not (pattern.fullmatch(first_path) or pattern.fullmatch(unquote(first_path))):
        return f"request path {unquote(first_path)} is not the operation's {tool.path}"
    if declared is None:
        return None
    in_key = dict(parse_qsl(tool.path.split("#")[0].partition("?")[2]))
    parts = _aws_query_parts(tool)
    sent_first = dict(parse_qsl(first_query, keep_blank_values=True))
    sent_first |= {
        parts[n.split(".")[0]]: v
        for n, v in sent_first.items()
        if "." in n and n.split(".")[0] in parts
    }
    missing = sorted((declared.required_query | in_key.keys()) - sent_first.keys())
    missing += sorted(declared.required_headers - set(first.header_names))
    if missing:
        return f"required parameter(s) not sent: {', '.join(missing)}"
    for exchange, previous in built:
        sent = parse_qsl(exchange.target.partition("?")[2], keep_blank_values=True)
        sent = [(parts.get(n.split(".")[0], n) if "." in n else n, v) for n, v in sent]
        known = declared.query.keys() | in_key.keys()
        # `page[size]` is declared either so, whole, or as a deepObject `page`.
        unknown = {n.split("[")[0] for n, _ in sent if n not in known} - known
        if unknown and not declared.open_query:
            return (
                f"sent query parameter(s) the spec does not declare: {', '.join(sorted(unknown))}"
            )
        for name, value in sent:
            example = _token_example(declared.query.get(name) or {})
            if example is not None and re.fullmatch(r"-?\d+", value) and value not in previous:
                return (
                    f"sent {name}={value}, a number, to a string parameter whose example is a "
                    f"token ({example[:24]!r}): a page number or offset where a cursor goes"
                )
    return None


def _aws_query_parts(tool: Any) -> dict[str, str]:
    """The first name of each part an AWS query argument is sent as, by the parameter it is of:
    `EventDestination` (`EventDestination.Name=...`), and a flattened list's member name
    (`AttributeName.1=All` is of `AttributeNames`)."""
    parts: dict[str, str] = {}
    for param in getattr(getattr(tool, "upstream", None), "params", ()) or ():
        shape = getattr(param, "aws_query", None)
        if not shape:
            continue
        parts[param.api_name] = param.api_name
        listed = shape.get("list") if isinstance(shape, dict) else None
        if listed and listed.get("flat") and listed.get("member") not in (None, "member"):
            parts[listed["member"]] = param.api_name
    return parts


def _token_example(param: dict[str, Any]) -> str | None:
    """The example of a free string parameter when it is an opaque token (not a number)."""
    schema = param.get("schema") or {}
    if schema.get("type") != "string" or {"format", "pattern", "enum"} & schema.keys():
        return None
    example = param.get("example", schema.get("example"))
    if isinstance(example, str) and re.fullmatch(r"[A-Za-z0-9+/=_-]{12,}", example):
        return example if not re.fullmatch(r"-?\d+", example) else None
    return None


# --------------------------------------------------------------------------- running


@dataclass
class SpecResult:
    """One spec: what was built, called and found."""

    spec: str
    operations: int | None = None
    tools: int = 0
    get_tools: int = 0
    get_not_built: int = 0  # GET operations the build skipped (deprecated, invalid)
    surface: str = ""
    calls: list[Call] = field(default_factory=list)
    error: str = ""  # the spec could not be run at all
    seconds: float = 0.0
    prism_start_s: float = 0.0
    remote_refs_cut: int = 0  # remote $refs Prism was given as {} (see offline_spec)

    def count(self, verdict: str) -> int:
        """Calls with this verdict."""
        return sum(1 for call in self.calls if call.verdict == verdict)

    @property
    def called(self) -> int:
        """Calls made (those with arguments the harness could make)."""
        return sum(1 for call in self.calls if call.verdict != UNSYNTH)

    @property
    def dynamic(self) -> int:
        """Calls judged on dynamic Prism's answer."""
        return sum(1 for call in self.calls if call.prism == "dynamic")


@contextmanager
def environment(values: dict[str, str], remove: Sequence[str] = ()) -> Iterator[None]:
    """Set env vars for the block and restore every one afterwards."""
    names = [*values, *remove]
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in remove:
            os.environ.pop(name, None)
        os.environ.update(values)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# A dummy credential for a scheme whose parameter the spec says is a UUID.
DUMMY_UUID = "4f8c2a9e-1b7d-4e3a-9c6f-2d5e8b1a7c40"


def server_env(
    api: Any, base_url: str, schemas: dict[tuple[str, str], dict[str, Any]] | None = None
) -> dict[str, str]:
    """Base URL, dummy credentials for every secret the build lists, and short limits.
    `schemas` (`SpecDocument.credential_schemas`): a credential the spec declares as a UUID
    parameter gets a UUID, and one it gives a pattern a value of that pattern, as a real one
    would be.

    Retries are off: a mock's error answers the same every time, and backoff only costs time.
    """
    env = {
        api.base_url_env: base_url,
        api.timeout_env: "15",
        f"{api.env_prefix}_CALL_TIMEOUT": str(CALL_TIMEOUT_S),
        f"{api.env_prefix}_RETRIES": "0",
        "ADAPTGEN_POLICY": str(OPERATOR_POLICY),
    }
    for name in api.env:
        if name in (api.base_url_env, api.timeout_env):
            continue
        if name.endswith("_AUTHORIZATION"):  # a whole header value: specs pattern it so
            env[name] = "Bearer dummy-token"
        else:
            env[name] = "pass" if name.endswith("_PASSWORD") else "dummy-" + name.lower()[-12:]
    for scheme in api.security_schemes:
        where, named = scheme.location, (scheme.param_name or "").lower()
        schema = (schemas or {}).get((str(where), named)) or {}
        if scheme.kind != "api_key":
            continue
        if schema.get("format") == "uuid":
            env[scheme.env[0]] = DUMMY_UUID
        elif isinstance(schema.get("pattern"), str):
            with contextlib.suppress(NotSynthesizable):
                env[scheme.env[0]] = _matching(schema["pattern"])
    return env


def get_tools(api: Any, quick: bool, writes: bool = False, paged: bool = False) -> list[Any]:
    """The GET tools an agent can call (`writes`: the others; `paged`: the GET tools that page),
    every one (or QUICK_CALLS spread over the catalog)."""
    tools = [t for t in api.tools if (t.method == "GET") != writes and not t.hidden]
    if paged:
        tools = [t for t in tools if t.pagination is not None]
    if quick and len(tools) > QUICK_CALLS:
        step = len(tools) / QUICK_CALLS
        tools = [tools[int(i * step)] for i in range(QUICK_CALLS)]
    return tools


def result_data(result: Any) -> Any:
    """What the agent got: structured content, else the text parsed as JSON (or the text)."""
    if result.structured_content is not None:
        return result.structured_content
    text = "".join(getattr(c, "text", "") or "" for c in result.content)
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return text


def error_text(result: Any) -> str:
    """An error result's text."""
    return " ".join(getattr(c, "text", "") or "" for c in result.content)


class SpecRun:
    """Calls for one spec: an MCP client, the proxy, and a dynamic Prism started on demand."""

    def __init__(
        self,
        spec: Path,
        document: SpecDocument,
        module: Any,
        proxy: RecordingProxy,
        stack: ExitStack,
        search: bool,
        full: bool = False,
    ) -> None:
        self.spec, self.document, self.module = spec, document, module
        self.full = full
        self.proxy, self.stack, self.search = proxy, stack, search
        self.static_url = proxy.target
        self.dynamic_url: str | None = None
        self.dynamic_silent = False  # the dynamic Prism answered nothing once: not asked again
        self.outcomes: list[Any] = []
        module.api.observers.append(lambda name, outcome: self.outcomes.append(outcome))

    async def call(self, client: Client, tool: Any) -> Call:
        """Call `tool` once (again on dynamic Prism if static's answer is no use) and judge it."""
        call = Call(tool.name, tool.method, tool.path, UNSYNTH)
        try:
            paging = {p.name for p in tool.params if p.location == "paging"}
            call.arguments = arguments_for(tool.input_schema, self.full, paging)
        except NotSynthesizable as exc:
            call.reason = str(exc)
            return call
        result, exchanges, outcome = await self._attempt(client, tool.name, call.arguments)
        if needs_dynamic(exchanges) and not self.dynamic_silent:
            self.proxy.target = self._dynamic()
            try:
                again = await self._attempt(client, tool.name, call.arguments)
            finally:
                self.proxy.target = self.static_url
            if unanswered(again[0]):
                # Dynamic Prism's generator hangs on some schemas (IoT TwinMaker's) and then
                # answers nothing more: static Prism's answer stands, and no later call of
                # this spec asks the dynamic one.
                self.dynamic_silent = True
                call.prism = "static (dynamic Prism answered nothing)"
            else:
                result, exchanges, outcome = again
                call.prism = "dynamic"
        if result is None:
            call.verdict, call.reason = ADAPTGEN, "timeout"
            call.error = f"no answer within the harness's {CALL_GUARD_S:g}s"
        else:
            call.error = error_text(result) if result.is_error else ""
            data = None if result.is_error else result_data(result)
            call.verdict, call.reason = classify(
                bool(result.is_error), call.error, data, exchanges, outcome, tool.path
            )
            if call.verdict == OK and outcome is not None and outcome.upstream_bytes:
                call.agent_bytes, call.raw_bytes = agent_bytes(result), raw_for_shown(outcome)
            misrouted = misrouted_by_prism(_path_key(tool), tool.method, call.reason, self.document)
            if call.verdict == ADAPTGEN and misrouted:
                call.verdict, call.reason = MOCK, misrouted
            declared = self.document.declared_for(tool)
            sent = call.arguments.get("body") if not _flattened(tool) else None
            unsatisfiable = one_of_nothing_passes(exchanges, declared) or body_forms_matched(
                exchanges, declared, sent, self.document
            )
            if call.verdict == ADAPTGEN and unsatisfiable:
                call.verdict, call.reason = MOCK, unsatisfiable
            unasked = no_credentials_asked(call.reason, declared)
            if call.verdict == ADAPTGEN and unasked:
                call.verdict, call.reason = MOCK, unasked
            unread = (
                xml_unread_by_prism(tool, exchanges)
                or bytes_unread_by_prism(tool, exchanges)
                or form_string_unread_by_prism(tool, exchanges)
                or form_array_unread_by_prism(tool, exchanges)
                or query_nesting_unread_by_prism(exchanges, declared, self.document)
                or wildcard_judged_by_prism(tool, exchanges, declared)
            )
            if call.verdict == ADAPTGEN and unread:
                call.verdict, call.reason = MOCK, unread
            malformed = malformed_request(exchanges, tool, declared)
            if malformed and call.verdict in (OK, MOCK):
                call.verdict, call.reason = ADAPTGEN, malformed
            elif malformed and call.verdict == EMPTY:
                call.reason += f"; also {malformed}"
        call.sent = [e.request_line() for e in exchanges]
        call.answered = [e.status for e in exchanges]
        failing = next((e for e in reversed(exchanges) if not e.ok), None)
        if failing is not None:
            call.prism_said = prism_said(failing)
        return call

    async def _attempt(
        self, client: Client, name: str, arguments: dict[str, Any]
    ) -> tuple[Any, list[Exchange], Any]:
        self.proxy.exchanges.clear()
        self.outcomes.clear()
        if self.search:  # what an agent does with a search-mode server
            request = client.call_tool_mcp("call_tool", {"name": name, "arguments": arguments})
        else:
            request = client.call_tool_mcp(name, arguments)
        try:
            result = await asyncio.wait_for(request, CALL_GUARD_S)
        except TimeoutError:
            result = None
        outcome = self.outcomes[-1] if self.outcomes else None
        return result, list(self.proxy.exchanges), outcome

    def _dynamic(self) -> str:
        if self.dynamic_url is None:
            self.dynamic_url = self.stack.enter_context(prism(self.spec, dynamic=True))
        return self.dynamic_url


def run_spec(
    spec: Path,
    *,
    quick: bool = False,
    writes: bool = False,
    paged: bool = False,
    full: bool = False,
    log: Callable[[str], None] = print,
) -> SpecResult:
    """Build, mock, serve and call every GET (`writes`: write) tool of one spec (see the module
    docstring)."""
    started = time.monotonic()
    document = SpecDocument(read_document(spec))
    result = SpecResult(spec.name, operations=document.operations())
    with tempfile.TemporaryDirectory(prefix="adaptgen-rw-") as tmp, ExitStack() as stack:
        try:
            report = build(BuildOptions(spec=spec, out=Path(tmp), no_hints=True))
        except Exception as exc:  # noqa: BLE001 - a build failure is a finding, not a crash
            result.error = f"build failed: {type(exc).__name__}: {exc}"[:500]
            return result
        catalog = report.api
        api = catalog.info
        tools = get_tools(catalog, quick, writes, paged)
        result.tools = len(catalog.listed)
        result.get_tools = len(tools)
        result.get_not_built = sum(1 for op in catalog.skipped if op.method.upper() == "GET")
        result.surface = api.surface.mode
        mocked, result.remote_refs_cut = offline_spec(spec, Path(tmp))
        prism_started = time.monotonic()
        proxy = RecordingProxy(stack.enter_context(prism(mocked)))
        result.prism_start_s = round(time.monotonic() - prism_started, 2)
        proxy_url = stack.enter_context(proxy.serving())
        stack.enter_context(
            environment(
                server_env(api, proxy_url, document.credential_schemas()),
                remove=[f"{api.env_prefix}_POLICY"],
            )
        )
        module = load_server_module(report.out_dir)
        search = api.surface.mode == "search"
        run = SpecRun(mocked, document, module, proxy, stack, search, full)
        kind = "write" if writes else "GET"
        log(f"  {spec.name}: {len(tools)} {kind} tools ({api.surface.mode} mode)")
        result.calls = asyncio.run(_call_all(run, tools))
    result.seconds = round(time.monotonic() - started, 2)
    return result


async def _call_all(run: SpecRun, tools: Sequence[Any]) -> list[Call]:
    calls = []
    async with Client(run.module.mcp) as client:
        for tool in tools:
            calls.append(await run.call(client, tool))
    return calls


# --------------------------------------------------------------------------- report


def read_ratio(calls: Sequence[Call]) -> str:
    """Agent-read bytes over upstream bytes for the ok calls: in all, and the median call's."""
    measured = [c for c in calls if c.agent_bytes is not None and c.raw_bytes]
    if not measured:
        return ""
    total = sum(c.agent_bytes or 0 for c in measured) / sum(c.raw_bytes or 0 for c in measured)
    median = statistics.median((c.agent_bytes or 0) / (c.raw_bytes or 1) for c in measured)
    return f"{total:.2f}x ({median:.2f}x)"


def markdown(results: Sequence[SpecResult], elapsed: float) -> str:
    """The table per spec, then one line per adaptgen-caused error and per empty result."""
    lines = [
        "# Real-world calls: every GET tool against Prism",
        "",
        "| Spec | Operations | Tools | Mode | GET tools called | ok | mock-caused | "
        "adaptgen-caused | empty-from-nonempty | not synthesizable | dynamic | read/raw | "
        "time (s) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.error:
            lines.append(f"| {r.spec} | {r.operations} | {r.error} |" + " |" * 11)
            continue
        lines.append(
            f"| {r.spec} | {r.operations} | {r.tools} | {r.surface} | {r.called} | {r.count(OK)} "
            f"| {r.count(MOCK)} | {r.count(ADAPTGEN)} | {r.count(EMPTY)} | {r.count(UNSYNTH)} "
            f"| {r.dynamic} | {read_ratio(r.calls)} | {r.seconds:.1f} |"
        )
    totals = {v: sum(r.count(v) for r in results) for v in VERDICTS}
    lines += [
        "",
        f"Total: {sum(r.called for r in results)} calls, {totals[OK]} ok, {totals[MOCK]} "
        f"mock-caused, {totals[ADAPTGEN]} adaptgen-caused, {totals[EMPTY]} empty-from-nonempty, "
        f"{totals[UNSYNTH]} not synthesizable; {elapsed:.0f} s.",
        "",
        f"Bytes an agent read of what the upstream sent, ok calls (all bytes; the median call): "
        f"{read_ratio([c for r in results for c in r.calls])}.",
        "",
    ]
    findings = [(r, c) for r in results for c in r.calls if c.verdict in (ADAPTGEN, EMPTY)]
    if findings:
        lines += ["## Adaptgen-caused errors and empty results", ""]
        for r, c in findings:
            text = " ".join((c.error or "sent " + "; ".join(c.sent)).split())[:ERROR_CHARS]
            lines.append(f"- {r.spec} `{c.tool}` {c.method} {c.path}: **{c.reason}** — {text}")
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--spec",
        action="append",
        default=[],
        metavar="NAME",
        help="only specs whose file name contains NAME (repeatable)",
    )
    parser.add_argument("--quick", action="store_true", help=f"at most {QUICK_CALLS} per spec")
    parser.add_argument("--json", type=Path, help="write every call and its verdict here")
    parser.add_argument("--writes", action="store_true", help="call the write tools instead")
    parser.add_argument("--paged", action="store_true", help="only the GET tools that page")
    parser.add_argument(
        "--full", action="store_true", help="every argument that can be made, not just required"
    )
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of specs")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if not args.specs.is_dir():
        print(f"{args.specs} not found: nothing to measure")
        return 0
    wanted = [n.lower() for n in args.spec]
    specs = [
        s for s in find_specs(args.specs) if not wanted or any(w in s.name.lower() for w in wanted)
    ]
    started = time.monotonic()
    results = []
    for spec in specs:
        log(f">>> {spec.name}")
        try:
            results.append(
                run_spec(
                    spec,
                    quick=args.quick,
                    writes=args.writes,
                    paged=args.paged,
                    full=args.full,
                    log=log,
                )
            )
        except Exception as exc:  # noqa: BLE001 - one broken spec must not hide the others
            results.append(SpecResult(spec.name, error=f"{type(exc).__name__}: {exc}"[:500]))
    elapsed = time.monotonic() - started
    print(markdown(results, elapsed))
    if args.json:
        report = {"seconds": round(elapsed, 1), "specs": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
