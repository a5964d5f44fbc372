"""Response shaping: what an agent reads instead of a legacy API's 100-field payload.

In order: `drop` and `keep` JSONPaths from hints, then the default denoise (nulls and empty
values, hypermedia blocks, HTML reduced to text, long strings and nested lists cut with a
marker), then the token budget: over budget, the largest list is cut at an item boundary and the
result says what was cut. Token counts are estimated one way everywhere: `estimate_tokens`.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

from adaptgen.runtime import jsonpath
from adaptgen.runtime.catalog import Shape
from adaptgen.runtime.compact_json import compact_json

_DEFAULT = Shape()
BYTES_PER_TOKEN = 4  # a deliberate, conservative estimate: JSON with short words runs ~3.5-4.5

_HYPERMEDIA_KEYS = {"_links", "links", "link", "_link"}
# Bookkeeping an agent never acts on: audit trails, optimistic-locking tags, request metadata.
_AUDIT_KEYS = {"audit", "_audit", "audit_info", "audit_trail", "auditinfo"}
LOCKING_KEYS = {"etag", "_etag", "@odata.etag", "__v", "_rev", "row_version", "rowversion"}
_TYPE_MARKERS = {"object_type", "_type", "__typename", "@odata.type", "odata.type", "object"}
# OData's annotations of where a thing is and how it is described (v4 and v3's JSON light), on
# a record or on one of its properties (`Photo@odata.mediaReadLink`); `@odata.nextLink` and
# `@odata.count` are the paging's.
_ODATA_LINKS = (
    "@odata.context", "@odata.id", "@odata.editlink", "@odata.readlink",
    "@odata.navigationlink", "@odata.associationlink", "@odata.mediareadlink",
    "@odata.mediaeditlink", "@odata.mediacontenttype", "@odata.mediaetag", "odata.metadata",
)  # fmt: skip
_SOFT_DELETE_FLAGS = {"is_deleted", "isdeleted", "deleted", "_deleted", "is_removed"}
_SYNC_PREFIXES = ("sync_", "_sync", "last_synced")
_REQUEST_META_FIELDS = {
    "request_id",
    "requestid",
    "api_version",
    "apiversion",
    "elapsed_ms",
    "took",
    "server_time",
    "servertime",
    "timestamp",
    "trace_id",
    "traceid",
    "response_time",
    "duration_ms",
    "version",
}
_HTML = re.compile(r"<\s*(?:p|br|div|span|b|i|strong|em|ul|ol|li|a|table|tr|td|h\d)\b[^>]*>", re.I)
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|p|/li|/div|/tr|/h\d)\b[^>]*>", re.I)
_CELL_END = re.compile(r"<\s*/t[dh]\s*>", re.I)
_PAGING_KEYS = {"paging", "pagination", "_paging"}
_PAGING_FIELDS = {"next", "prev", "previous", "first", "last", "cursors", "after", "before"}
_TAG = re.compile(r"<[^<>]+>")


@dataclass
class Cut:
    """What the budget left out of one list."""

    path: str  # e.g. "$.data" or "$" for a top-level list
    shown: int
    total: int


@dataclass
class Shaped:
    """A shaped result and what shaping cut."""

    data: Any
    cuts: list[Cut] = field(default_factory=list)


def to_json(value: Any) -> str:
    """The compact JSON an agent receives (and the text tokens are estimated on)."""
    return compact_json(value)


def estimate_tokens(value: Any) -> int:
    """Tokens an agent pays for `value` as compact JSON (text is measured as is)."""
    text = value if isinstance(value, str) else to_json(value)
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def select(data: Any, spec: Shape, *, whole_response: bool = False) -> Any:
    """The hint rules: `drop` first, then `keep` (a projection), then the default denoise.

    `whole_response`: `data` is an upstream answer (not one item of a page), so its own lists
    are left to the budget rather than capped.
    """
    if spec.drop:
        data = jsonpath.drop(data, spec.drop)
    if spec.keep:
        data = jsonpath.keep(data, spec.keep)
    if spec.denoise:
        free_depth = 1 if whole_response else -1
        data = denoise(
            data, spec.max_string_chars, spec.list_cap, free_depth, tags=spec.version_tags
        )
    return data


def denoise(
    value: Any,
    max_string_chars: int,
    list_cap: int,
    free_depth: int = -1,
    _depth: int = 0,
    *,
    tags: bool = False,
) -> Any:
    """Drop nulls, empties, hypermedia and bookkeeping; HTML to text; long strings and lists cut.

    Bookkeeping is what no agent acts on: audit blocks, etags, sync state, type markers
    (`"object_type": "contact"`), soft-delete flags that are false, and request metadata (`meta`
    made only of request ids, versions and timings). An HTML field beside a plain-text field of
    the same name (`notes_html` and `notes`) is a copy, so only the text stays. Lists deeper than
    `free_depth` are capped at `list_cap` items: a response's own list (`{"ids": [...]}`) is
    left to the token budget, which cuts it with a note instead. `tags`: the API takes its
    version tags back (`If-Match`, CouchDB's `_rev`), so they are kept, and of OData v2's
    `__metadata` its `etag`.
    """
    if isinstance(value, dict):
        out = {}
        noise = []
        for key, item in value.items():
            if tags and key.lower() == "__metadata" and isinstance(item, dict) and "etag" in item:
                out[key] = {"etag": item["etag"]}  # what SAP's If-Match takes, not its uri
                continue
            if _is_noise(key, item, value, tags):
                noise.append(key)
                continue
            if _depth > free_depth and _is_nested_paging(key, item):
                continue  # a cursor for a nested list: the agent has no tool to follow it
            cleaned = denoise(item, max_string_chars, list_cap, free_depth, _depth + 1, tags=tags)
            if not _is_empty(cleaned):
                out[key] = cleaned
        if _depth == 0 and noise and len(noise) == len(value):
            # An answer that is nothing but links or bookkeeping (an API's root document,
            # `{"links": {"v2": "https://..."}}`) is its own content: kept, not answered as {}.
            for key in noise:
                cleaned = denoise(value[key], max_string_chars, list_cap, free_depth, 1, tags=tags)
                if not _is_empty(cleaned):
                    out[key] = cleaned
        return out
    if isinstance(value, list):
        items = [
            denoise(v, max_string_chars, list_cap, free_depth, _depth + 1, tags=tags)
            for v in value
            if v is not None
        ]
        if len(items) > list_cap and _depth > free_depth:
            items = [*items[:list_cap], f"…(+{len(items) - list_cap} more items not shown)"]
        return items
    if isinstance(value, str):
        return _short(_html_to_text(value) if _HTML.search(value) else value, max_string_chars)
    return value


def fit(data: Any, max_tokens: int, reserve: int = 0, *, tags: bool = False) -> Shaped:
    """Cut the largest lists at item boundaries until `data` fits the budget.

    A list keeps at least its first item: one record too big for the budget has its own lists
    cut, then its strings shortened, but never leaves an empty list behind (Jellyfin's
    `/Users/{id}/Items/Latest` answers one 150-field record: before, the agent got `[]`).
    `reserve` tokens are kept free for what the caller adds (a cursor, a note); `tags`: version
    tags are kept (`denoise`).
    """
    budget = max_tokens - reserve
    cuts: list[Cut] = []
    for _ in range(50):  # each round cuts one list; bounded so odd data cannot loop forever
        if estimate_tokens(data) <= budget:
            break
        target = _largest_list(data, "$")
        if target is None:
            data = _truncate_strings(data, budget, tags)
            break
        path, items = target
        keep_count = _items_that_fit(data, path, items, budget)
        data = _replace(data, path, items[:keep_count])
        cuts.append(Cut(path, keep_count, len(items)))
    return Shaped(data, cuts)


def fit_items(
    items: list[Any], max_tokens: int, envelope_tokens: int, *, tags: bool = False
) -> tuple[list[Any], int]:
    """As many leading `items` as fit beside an envelope of `envelope_tokens`; returns (items, n).

    At least one item is returned (reduced to fit if it must) so a huge record never turns into
    an empty answer that loops an agent on the same cursor.
    """
    budget = max_tokens - envelope_tokens
    used = 0
    for index, item in enumerate(items):
        cost = estimate_tokens(item) + 1  # the separating comma
        if used + cost > budget:
            if index == 0:
                return [fit(item, budget, tags=tags).data], 1
            return items[:index], index
        used += cost
    return items, len(items)


def _is_noise(key: str, item: Any, parent: dict[str, Any], tags: bool = False) -> bool:
    lowered = key.lower()
    if lowered in _HYPERMEDIA_KEYS:
        return _is_hypermedia(item)
    if lowered == "__metadata" and isinstance(item, dict):
        return True  # OData v2 (SAP): each record's uri, type and etag
    if isinstance(item, dict) and list(item) == ["__deferred"]:
        return True  # OData v2: a navigation not expanded, only its link
    if lowered.endswith(_ODATA_LINKS):
        return True
    if lowered in LOCKING_KEYS:
        return not tags
    if lowered in _AUDIT_KEYS or lowered.startswith(_SYNC_PREFIXES):
        return True
    if lowered in _TYPE_MARKERS:
        return isinstance(item, str)  # "object_type": "contact" in a contact says nothing
    if lowered in _SOFT_DELETE_FLAGS:
        return item is False  # an API that returns a record has not deleted it
    if lowered in ("meta", "_meta", "metadata") and isinstance(item, dict):
        return bool(item) and all(k.lower() in _REQUEST_META_FIELDS for k in item)
    return lowered.endswith("_html") and isinstance(parent.get(key[:-5]), str)


def _is_nested_paging(key: str, item: Any) -> bool:
    return (
        key.lower() in _PAGING_KEYS
        and isinstance(item, dict)
        and any(k.lower() in _PAGING_FIELDS for k in item)
    )


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _is_hypermedia(value: Any) -> bool:
    """HAL/JSON:API/Atom link blocks: `{"self": {"href": ..}}`, `{"next": "https://.."}`,
    `[{"rel": .., "href": ..}]`. A record's own `links` (a list of URLs, say) is data."""
    if isinstance(value, dict):
        return bool(value) and all(_is_link(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, dict) and "href" in v for v in value)
    return False


def _is_link(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.startswith(("http://", "https://", "/"))
    if isinstance(value, dict):
        return "href" in value
    return isinstance(value, list) and all(_is_link(v) for v in value)


def _html_to_text(text: str) -> str:
    text = _CELL_END.sub(" | ", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()).strip(" |") for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return f"{cut}…[+{len(text) - len(cut)} chars]"


def _largest_list(data: Any, path: str) -> tuple[str, list[Any]] | None:
    best: tuple[int, str, list[Any]] | None = None
    stack: list[tuple[Any, str]] = [(data, path)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, list) and node:
            size = estimate_tokens(node)
            if len(node) > 1 and (best is None or size > best[0]):  # one item is never cut
                best = (size, at, node)
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, dict):
            stack.extend((v, _child(at, k)) for k, v in node.items())
    return None if best is None else (best[1], best[2])


def _child(at: str, key: str) -> str:
    return f"{at}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{at}[{key!r}]"


def _items_that_fit(data: Any, path: str, items: list[Any], budget: int) -> int:
    # At least one stays (then reduced within), at least one goes, else the list can't shrink.
    low, high = 1, len(items) - 1
    while low < high:
        mid = (low + high + 1) // 2
        if estimate_tokens(_replace(data, path, items[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def _replace(data: Any, path: str, value: Any) -> Any:
    if path == "$":
        return value
    steps = jsonpath.paths(path, data)
    if not steps:
        return data
    return _set(data, steps[0], value)


def _set(node: Any, steps: tuple[Any, ...], value: Any) -> Any:
    if not steps:
        return value
    head, rest = steps[0], steps[1:]
    if isinstance(node, dict):
        return {**node, head: _set(node[head], rest, value)}
    copied = list(node)
    copied[head] = _set(node[head], rest, value)
    return copied


def _truncate_strings(data: Any, budget: int, tags: bool) -> Any:
    # No list left to cut: shorten strings, halving the allowance until the budget holds.
    limit = _DEFAULT.max_string_chars
    while limit > 8:
        shorter = denoise(data, limit, _DEFAULT.list_cap, tags=tags)
        if estimate_tokens(shorter) <= budget:
            return shorter
        limit //= 2
    return denoise(data, 8, 1, tags=tags)
