"""Lean text results: fewer bytes, and every record and value today's default keeps is still there.

The property test runs over real responses: Prism's bodies for the GET operations of several
shared specs (generated from their schemas with a fixed seed), shaped by the default rules,
written lean, read back with `expand`, and compared value by value with the default result.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, node_tool, shared_spec

from adaptgen.errors import InputError
from adaptgen.hints import load_hints
from adaptgen.load import load_spec
from adaptgen.runtime.catalog import Shape
from adaptgen.runtime.lean import expand, lean, short_timestamp
from adaptgen.runtime.shape import select, to_json

if str(ROOT) not in sys.path:  # `bench` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench._prism import prism  # noqa: E402

SPECS = ("hubspot_contacts_v3.json", "box_openapi.json", "twilio_api_v2010.json")
HISTORY = re.compile(r"histor|versions$|revisions$", re.I)


def test_timestamps_lose_only_what_carries_no_information():
    assert short_timestamp("2024-05-01T00:00:00.000Z") == "2024-05-01"
    assert short_timestamp("2024-05-01T00:00:00+00:00") == "2024-05-01"
    assert short_timestamp("2024-05-01T10:20:30.000Z") == "2024-05-01T10:20:30Z"
    assert short_timestamp("2024-05-01T10:20:30.120Z") == "2024-05-01T10:20:30.12Z"
    assert short_timestamp("2024-05-01T10:20:30.0+02:00") == "2024-05-01T10:20:30+02:00"
    # Midnight somewhere else, or with no zone, is a time, not a date.
    assert short_timestamp("2024-05-01T00:00:00+02:00") == "2024-05-01T00:00:00+02:00"
    assert short_timestamp("2024-05-01T00:00:00") == "2024-05-01T00:00:00"
    assert short_timestamp("version 2024-05-01T00:00:00Z") == "version 2024-05-01T00:00:00Z"


def test_odata_v2_dates_are_written_as_timestamps():
    """SAP's OData v2 JSON writes an instant as `/Date(<ms since 1970>)/`, an offset in minutes
    after it for a DateTimeOffset: an agent cannot read it, and it is the instant in UTC."""
    assert short_timestamp("/Date(1714521600000)/") == "2024-05-01"
    assert short_timestamp("/Date(1714521600000+0120)/") == "2024-05-01"  # the same instant
    assert short_timestamp("/Date(1714525261500)/") == "2024-05-01T01:01:01.5Z"
    assert short_timestamp("/Date(-86400000)/") == "1969-12-31"
    for text in ("/Date(99999999999999999)/", "/Date(x)/", "see /Date(1714521600000)/"):
        assert short_timestamp(text) == text
    record = {"CreationDate": "/Date(1714521600000)/", "Name": "Ada"}
    assert lean(record) == {"CreationDate": "2024-05-01", "Name": "Ada"}


def test_records_are_written_as_columns_and_rows_and_read_back():
    records = [
        {"id": "1", "full_name": "Ada", "status": "active", "owner": {"id": "7"}},
        {"id": "2", "full_name": "Grace", "status": "lead", "tier": "gold"},
        {"id": "3", "full_name": "Linus", "status": "active"},
    ]
    data = {"items": records, "next_cursor": "abc"}
    leaned = lean(data)
    assert leaned["items"] == {
        "_columns": ["id", "full_name", "status"],
        "_rows": [
            ["1", "Ada", "active", {"owner": {"id": "7"}}],
            ["2", "Grace", "lead", {"tier": "gold"}],
            ["3", "Linus", "active"],
        ],
    }
    assert len(to_json(leaned)) < len(to_json(data))
    assert expand(json.loads(to_json(leaned))) == data


def test_objects_of_one_shape_inside_records_become_path_columns():
    """An owner object in every record, with the same fields: its keys are written once, as
    path columns, and read back as the objects they were."""
    owner = {"login": "octo", "id": 1, "type": "User", "site_admin": False}
    records = [
        {"id": i, "owner": dict(owner, id=i), "permissions": {"admin": i == 0, "push": True}}
        for i in range(3)
    ]
    leaned = lean(records)
    assert leaned["_columns"] == [
        "id", ["owner", "login"], ["owner", "id"], ["owner", "type"], ["owner", "site_admin"],
        ["permissions", "admin"], ["permissions", "push"],
    ]  # fmt: skip
    assert leaned["_rows"][1] == [1, "octo", 1, "User", False, False, True]
    assert expand(json.loads(to_json(leaned))) == records
    assert len(to_json(leaned)) < len(to_json(lean_without_paths(records)))


def lean_without_paths(records):
    """The plain-columns table of the same records (what lean wrote before path columns)."""
    shared = [k for k in records[0] if all(k in r for r in records)]
    return {"_columns": shared, "_rows": [[r[k] for k in shared] for r in records]}


@pytest.mark.parametrize(
    "records",
    [
        # Objects of different shapes, a missing object, an empty one: plain columns.
        [{"id": 1, "o": {"x": 1}}, {"id": 2, "o": {"x": 2, "y": 3}}],
        [{"id": 1, "o": {"x": 1}}, {"id": 2, "o": None}],
        [{"id": 1, "o": {}}, {"id": 2, "o": {}}],
        # A key with a dot is one key, never a path.
        [{"a.b": 1, "o": {"x": 1, "y": 2}}, {"a.b": 2, "o": {"x": 3, "y": 4}}],
        # Deeper objects of one shape, and lists inside them.
        [{"id": i, "o": {"p": {"q": i, "r": [1, 2]}, "s": "t"}} for i in range(3)],
    ],
)
def test_path_columns_read_back_exactly(records):
    leaned = json.loads(to_json(lean(records)))
    assert expand(leaned) == records
    for column in leaned.get("_columns", []) if isinstance(leaned, dict) else []:
        assert isinstance(column, str) or (
            len(column) > 1 and all(isinstance(k, str) for k in column)
        )


def test_a_list_stays_records_when_columns_would_not_be_shorter():
    data = [{"a": 1}, {"b": 2}]  # no key in common
    assert lean(data) == data
    one = [{"id": "1", "name": "x"}]
    assert lean(one) == one


def test_a_result_with_its_own_columns_key_is_left_alone():
    data = {"_columns": ["x"], "rows": [{"id": 1, "v": 2}, {"id": 2, "v": 3}]}
    assert lean(data) == data


def test_a_history_keeps_its_latest_entry_by_timestamp():
    data = {
        "id": "1",
        "propertiesWithHistory": {
            "email": [
                {"value": "b@x.test", "timestamp": "2024-02-01T00:00:00.000Z"},
                {"value": "c@x.test", "timestamp": "2024-03-01T12:00:00.000Z"},
                {"value": "a@x.test", "timestamp": "2024-01-01T00:00:00.000Z"},
            ]
        },
        "versions": [{"n": 1}, {"n": 2}],  # nothing to order by: all of it stays
        "contacts": [
            {"id": "1", "changed": "2024-01-01T00:00:00Z"},
            {"id": "2", "changed": "2024-02-01T00:00:00Z"},
        ],  # not a history: every record stays
    }
    leaned = lean(data)
    assert leaned["propertiesWithHistory"]["email"] == [
        {"value": "c@x.test", "timestamp": "2024-03-01T12:00:00Z"}
    ]
    assert expand(leaned)["versions"] == [{"n": 1}, {"n": 2}]
    assert expand(leaned)["contacts"] == [
        {"id": "1", "changed": "2024-01-01"},
        {"id": "2", "changed": "2024-02-01"},
    ]


def _same_scalar(kept: Any, read: Any) -> bool:
    if type(kept) is not type(read):
        return False
    if isinstance(kept, str) and kept != read:
        return _instant(kept) is not None and _instant(kept) == _instant(read)
    return kept == read


def _instant(text: str) -> datetime | None:
    value = text if "T" in text else f"{text}T00:00:00Z"
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _find_every_value(kept: Any, read: Any, path: str, collapsed: list[str]) -> None:
    """Every value of `kept` (today's default result) is in `read` (the lean form read back)
    at the same place; a history may be down to one of its entries."""
    if isinstance(kept, dict):
        assert isinstance(read, dict) and read.keys() == kept.keys(), path
        for key, value in kept.items():
            _find_every_value(value, read[key], f"{path}.{key}", collapsed)
    elif isinstance(kept, list):
        assert isinstance(read, list), path
        if len(read) == 1 and len(kept) > 1:
            assert HISTORY.search(path), f"{path}: a list that is no history lost entries"
            matches = []
            for entry in kept:
                try:
                    _find_every_value(entry, read[0], path, [])
                except AssertionError:
                    continue
                matches.append(entry)
            assert matches, f"{path}: the entry kept is none of the history's"
            collapsed.append(path)
            return
        assert len(read) == len(kept), path
        for index, (a, b) in enumerate(zip(kept, read, strict=True)):
            _find_every_value(a, b, f"{path}[{index}]", collapsed)
    else:
        assert _same_scalar(kept, read), (path, kept, read)


def _get(url: str) -> httpx.Response:
    """A GET with a bearer token, or with basic credentials where the mock asks for them."""
    response = httpx.get(url, headers={"Authorization": "Bearer t"})
    if response.status_code == 401:
        response = httpx.get(url, auth=("user", "secret"))
    return response


def _get_paths(spec_path: Path) -> list[str]:
    """GET paths of the spec with path parameters filled in (at most 12 per spec)."""
    paths = load_spec(spec_path).document.get("paths") or {}
    found = []
    for path, item in paths.items():
        if isinstance(item, dict) and isinstance(item.get("get"), dict):
            found.append(re.sub(r"\{[^}]+\}", "1", path))
    return found[:12]


@pytest.mark.npm
@pytest.mark.shared
def test_lean_results_keep_every_value_of_real_responses(tmp_path):
    node_tool("prism")
    bodies: list[tuple[str, Any]] = []
    for name in SPECS:
        spec = shared_spec(name)
        with prism(spec, dynamic=True) as url:
            for path in _get_paths(spec):
                response = _get(url + path)
                if response.status_code == 200 and response.text.startswith(("{", "[")):
                    bodies.append((f"{name} GET {path}", response.json()))
    assert {label.split()[0] for label, _ in bodies} == set(SPECS)
    assert len(bodies) >= 10, [label for label, _ in bodies]
    default_bytes = lean_bytes = 0
    columns = collapsed = 0
    for label, body in bodies:
        kept = select(body, Shape(), whole_response=True)
        text = to_json(lean(kept))
        history: list[str] = []
        _find_every_value(kept, expand(json.loads(text)), label, history)
        default_bytes += len(to_json(kept).encode())
        lean_bytes += len(text.encode())
        columns += text.count('"_columns":')
        collapsed += len(history)
    # The lean form is shorter, and the cases the property covers did occur.
    assert lean_bytes < default_bytes
    assert columns > 0 and collapsed > 0


def test_the_compact_hint_is_validated_with_its_line(tmp_path):
    hints = tmp_path / "h.yaml"
    hints.write_text("defaults:\n  compact: sometimes\n")
    with pytest.raises(InputError, match=r"h\.yaml:2"):
        load_hints(hints)
    hints.write_text("tools:\n  listContacts:\n    compactt: false\n")
    with pytest.raises(InputError, match=r"h\.yaml:3.*compact"):
        load_hints(hints)


def test_the_lean_bench_splits_every_byte_and_counts_only_declared_defaults():
    """bench/lean_bench's categories add up to the compact JSON's size (the breakdown in
    DESIGN.md accounts for every byte), and a value counts as default-valued only where the
    schema declares that default for that path, with the same JSON type (0 is not false)."""
    from bench.lean_bench import categorize, default_valued, size

    body = {
        "items": [
            {"id": "7", "open": False, "count": 0, "at": "2024-05-01", "tags": {"x-1": None}},
            {"id": "8", "open": True, "count": False, "at": "2024-05-02T10:00:00Z"},
        ],
        "next": None,
    }
    split = categorize(body, frozenset({"items", "id", "open", "count", "at", "tags", "next"}))
    assert sum(split.values()) == size(body)
    assert split["map keys"] == size("x-1")
    assert split["timestamps"] == size("2024-05-01") + size("2024-05-02T10:00:00Z")
    defaults = {("items", "[*]", "open"): False, ("items", "[*]", "count"): 0}
    assert default_valued(body, defaults) == len('"open":false,') + len('"count":0,')
