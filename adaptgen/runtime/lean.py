"""Lean text: the records and values a shaped result keeps, in fewer bytes for the agent.

Applied to a result that goes out as text (a tool without a declared output schema: structured
content keeps its declared shape) unless hints say `compact: false`:

- a list of two or more objects is written once per list as
  `{"_columns": [keys every object has], "_rows": [[values in that order], ...]}`; a row one
  longer than the columns ends with an object of that record's other keys. A key whose value is
  an object in every record (an owner, an address) becomes one column per field all of those
  objects have, named by its path as a list (`["owner", "login"]`), so those keys are written
  once too; a field only some have stays in the row's object of other keys, inside its object
  (`{"address": {"street2": ...}}`). A plain string column never holds a path (a key with a dot
  stays one key). Chosen per list, and only where it is shorter than the plain records;
- a history (the value of a key naming a history, versions or revisions, or each list in such a
  map) whose entries all carry a timestamp in one key keeps only its latest entry (a list of
  one, so each item still has the type the spec declares);
- a timestamp loses what carries no information: a zero fraction (`.000`), `+00:00` (as `Z`),
  and the time of midnight UTC (`2024-05-01T00:00:00Z` is `2024-05-01`); OData v2's JSON date
  (SAP's `/Date(1714521600000)/`, milliseconds since 1970) is written so too.

`expand` turns the columns back into records (the evaluation reads results with JSONPaths).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from adaptgen.runtime.compact_json import compact_json
from adaptgen.runtime.merge import deep_merge

COLUMNS = "_columns"
ROWS = "_rows"
# What a client shows the agent once (the server's instructions), not in every tool description.
READING_NOTE = (
    'Results: a list of records may come as {"_columns":[...],"_rows":[[...]]}, each row in '
    'column order (a column written as a list, ["owner","login"], is a field inside an object; '
    "a row with one extra object holds that record's other fields, inside their objects too); "
    "a history shows only its latest entry; a date alone is midnight UTC."
)

_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d)T(?P<time>\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|[+-]\d\d:?\d\d)?"
)
_UTC = ("Z", "+00:00", "+0000", "-00:00", "-0000")
# OData v2's JSON date: the instant in milliseconds since 1970 (UTC), then the offset of the
# local time it was given in, in minutes (`/Date(1714521600000+0120)/`), which the instant does
# not need.
_ODATA_DATE = re.compile(r"/Date\((?P<ms>-?\d{1,15})(?:[+-]\d{4})?\)/")
_HISTORY_KEY = re.compile(r"histor(y|ies)|versions$|revisions$", re.I)


def lean(data: Any) -> Any:
    """`data` in its lean form (unchanged if it already holds a `_columns` key of its own)."""
    if _has_columns_key(data):
        return data  # the agent could not tell our columns from the upstream's
    return _lean(data, in_history=False)


def is_lean(data: Any) -> bool:
    """Whether `data` holds lean tables (`_columns`/`_rows`): text a lean server wrote."""
    return _has_columns_key(data)


def expand(data: Any) -> Any:
    """The records back from `_columns`/`_rows` (everything else is as `lean` wrote it)."""
    if isinstance(data, dict):
        if data.keys() == {COLUMNS, ROWS}:
            return [expand(_record(data[COLUMNS], row)) for row in data[ROWS]]
        return {key: expand(value) for key, value in data.items()}
    if isinstance(data, list):
        return [expand(item) for item in data]
    return data


def short_timestamp(text: str) -> str:
    """An ISO 8601 timestamp without the parts that carry no information (other text as is)."""
    if text.startswith("/Date(") and (odata := _ODATA_DATE.fullmatch(text)):
        try:
            moment = datetime.fromtimestamp(int(odata["ms"]) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return text
        text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return text
    zone = match["zone"]
    utc = zone in _UTC
    if match["time"] == "00:00:00" and utc and not (match["fraction"] or "").strip("0"):
        return match["date"]
    fraction = (match["fraction"] or "").rstrip("0")
    return (
        f"{match['date']}T{match['time']}{'.' + fraction if fraction else ''}"
        f"{'Z' if utc else zone or ''}"
    )


def _lean(value: Any, *, in_history: bool) -> Any:
    if isinstance(value, str):
        return short_timestamp(value)
    if isinstance(value, dict):
        # A history map (`propertiesWithHistory: {name: [entries]}`) passes the word down.
        return {
            key: _lean(item, in_history=in_history or bool(_HISTORY_KEY.search(key)))
            for key, item in value.items()
        }
    if isinstance(value, list):
        items = [_lean(item, in_history=False) for item in value]
        if in_history:
            items = _latest(items)
        return _columns(items)
    return value


def _latest(entries: list[Any]) -> list[Any]:
    """The latest entry of a history, by the timestamp every entry has in one key."""
    if len(entries) < 2 or not all(isinstance(e, dict) for e in entries):
        return entries
    for key in entries[0]:
        moments = [_moment(entry.get(key)) for entry in entries]
        if all(m is not None for m in moments):
            newest = max(range(len(entries)), key=lambda i: moments[i])  # first on ties
            return [entries[newest]]
    return entries  # no timestamp to order by: all of it stays


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value[:4].isdigit():
        return None
    text = value if "T" in value else f"{value}T00:00:00Z"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None  # naive and aware do not compare


def _columns(items: list[Any]) -> Any:
    """`items` as columns and rows, when they are objects sharing keys and that is shorter
    (objects inside them flattened into path columns when that is shorter still)."""
    if len(items) < 2 or not all(isinstance(item, dict) and item for item in items):
        return items
    shared = [key for key in items[0] if all(key in item for item in items[1:])]
    if not shared:
        return items
    plain = [(key,) for key in shared]
    flat = [path for key in shared for path in _flattened((key,), [item[key] for item in items])]
    best: Any = items
    for columns in [plain, flat] if flat != plain else [plain]:
        covered = set(columns)
        table = {COLUMNS: [list(c) if len(c) > 1 else c[0] for c in columns], ROWS: []}
        for item in items:
            row = [_at(item, path) for path in columns]
            rest = _rest(item, (), covered)
            table[ROWS].append([*row, rest] if rest else row)
        if _size(table) < _size(best):
            best = table
    return best


Path = tuple[str, ...]


def _flattened(path: Path, values: list[Any]) -> list[Path]:
    """`path`, or a path per key that every value has, when every value is a non-empty object
    (recursively; keys only some values have stay in each row's object of other fields)."""
    if not all(isinstance(v, dict) and v and COLUMNS not in v for v in values):
        return [path]
    keys = [key for key in values[0] if all(key in v for v in values[1:])]
    if not keys:
        return [path]
    return [p for key in keys for p in _flattened((*path, key), [v[key] for v in values])]


def _at(item: dict[str, Any], path: Path) -> Any:
    value: Any = item
    for key in path:
        value = value[key]
    return value


def _rest(value: dict[str, Any], path: Path, covered: set[Path]) -> dict[str, Any]:
    """What of `value` (at `path`) no column holds, keeping the objects it sits in."""
    rest: dict[str, Any] = {}
    for key, item in value.items():
        inner = (*path, key)
        if inner in covered:
            continue
        if isinstance(item, dict) and any(c[: len(inner)] == inner for c in covered):
            left = _rest(item, inner, covered)
            if left:
                rest[key] = left
        else:
            rest[key] = item
    return rest


def _record(columns: list[Any], row: list[Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column, value in zip(columns, row, strict=False):
        if isinstance(column, list):  # a path: the field of an object inside the record
            inner = record
            for key in column[:-1]:
                inner = inner.setdefault(key, {})
            inner[column[-1]] = value
        else:
            record[column] = value
    if len(row) > len(columns):
        deep_merge(record, row[-1])  # other fields, inside the objects columns made
    return record


def _size(value: Any) -> int:
    return len(compact_json(value))


def _has_columns_key(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if COLUMNS in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
