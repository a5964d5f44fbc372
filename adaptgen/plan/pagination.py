"""Finding how an operation pages: from hints, else from parameter names and response shapes.

Legacy APIs page in five ways (page number, offset, cursor in the body, `Link` header, next URL
in the body). When hints are silent the planner recognises the usual parameter names and the
usual response fields; anything it cannot pin down stays unpaginated and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adaptgen.hints import PaginateHints
from adaptgen.ir import Pagination, Param

PAGE_PARAMS = ("page", "page_number", "pagenumber", "page_no", "pageno", "page_index")
SIZE_PARAMS = (
    "per_page",
    "page_size",
    "pagesize",
    "perpage",
    "size",
    "limit",
    "count",
    "max_results",
    "maxresults",
    "pagelen",
    "top",
    "rows",
)
OFFSET_PARAMS = ("offset", "skip", "start", "start_index", "startindex", "from")
LIMIT_PARAMS = (
    "limit",
    "count",
    "size",
    "max_results",
    "maxresults",
    "top",
    "rows",
    "per_page",
    "page_size",
)
CURSOR_PARAMS = (
    "cursor",
    "after",
    "page_token",
    "pagetoken",
    "next_token",
    "nexttoken",
    "starting_after",
    "continuation_token",
    "continuation",
    "marker",
    "next_cursor",
)
ITEM_FIELDS = (
    "data",
    "items",
    "results",
    "records",
    "entries",
    "values",
    "list",
    "elements",
    "objects",
    "rows",
    "hits",
    "members",
    "content",
)
CURSOR_FIELDS = (
    "next_cursor",
    "nextcursor",
    "next_page_token",
    "nextpagetoken",
    "next_token",
    "nexttoken",
    "after",
    "cursor",
    "continuation_token",
    "next_marker",
)
NEXT_URL_FIELDS = ("next", "next_url", "nexturl", "next_link", "nextlink", "odata_next_link")
NEXT_PAGE_FIELDS = ("next_page", "nextpage")
TOTAL_FIELDS = (
    "total",
    "total_count",
    "totalcount",
    "total_results",
    "totalresults",
    "total_items",
    "totalitems",
    "total_size",
    "totalsize",
    "count",
)
DEFAULT_PAGE_SIZE = 25
DEFAULT_MAX_ITEMS = 200


def _norm(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum() or c == "_").strip("_")


@dataclass(frozen=True)
class Detected:
    """A pagination plan plus the params it hides."""

    pagination: Pagination
    hidden: tuple[str, ...]  # upstream names of the paging parameters


def detect(
    params: list[Param],
    response: dict[str, Any] | None,
    response_headers: list[str],
    hint: PaginateHints | None,
) -> Detected | None:
    """How the operation pages, or None."""
    query = {p.api_name: p for p in params if p.location == "query"}
    by_norm = {_norm(name): name for name in query}
    if hint is not None:
        return None if hint.style == "none" else _from_hint(hint, query, response)
    items = _items_path(response)
    if items is None:
        return None
    found = _fields(response)
    total = _first(found, TOTAL_FIELDS, kinds=("integer",))
    page = _pick(by_norm, PAGE_PARAMS)
    cursor = _pick(by_norm, CURSOR_PARAMS)
    offset = _pick(by_norm, OFFSET_PARAMS)
    if cursor is not None:
        next_path = _first(found, CURSOR_FIELDS, kinds=("string",))
        if next_path is not None:
            size = _pick(by_norm, SIZE_PARAMS)
            return _make("cursor", items, query, size, total=total, cursor=cursor, next=next_path)
    if page is not None:
        size = _pick(by_norm, SIZE_PARAMS)
        next_page = _first(found, NEXT_PAGE_FIELDS, kinds=("integer", "boolean"))
        return _make("page", items, query, size, total=total, page=page, next=next_page)
    if offset is not None:
        limit = _pick(by_norm, LIMIT_PARAMS)
        return _make("offset", items, query, limit, total=total, offset=offset)
    if any(h.lower() == "link" for h in response_headers):
        size = _pick(by_norm, SIZE_PARAMS)
        return _make("link", items, query, size, total=total)
    next_url = _first(found, NEXT_URL_FIELDS, kinds=("string",))
    if next_url is not None:
        size = _pick(by_norm, SIZE_PARAMS)
        return _make("next_url", items, query, size, total=total, next=next_url)
    return None


def _from_hint(
    hint: PaginateHints, query: dict[str, Param], response: dict[str, Any] | None
) -> Detected:
    items = hint.items if hint.items is not None else _items_path(response)
    size = hint.size if hint.style != "offset" else hint.limit
    return _make(
        hint.style,
        items,
        query,
        size,
        total=hint.total,
        page=hint.page or ("page" if hint.style == "page" else None),
        offset=hint.offset or ("offset" if hint.style == "offset" else None),
        cursor=hint.cursor or ("cursor" if hint.style == "cursor" else None),
        next=hint.next,
        page_size=hint.page_size,
        max_items=hint.max_items,
    )


def _make(
    style: str,
    items: str | None,
    query: dict[str, Param],
    size: str | None,
    *,
    total: str | None = None,
    page: str | None = None,
    offset: str | None = None,
    cursor: str | None = None,
    next: str | None = None,
    page_size: int | None = None,
    max_items: int | None = None,
) -> Detected:
    size_schema = query[size].schema if size in query else {}
    maximum = size_schema.get("maximum")
    default = size_schema.get("default")
    chosen = page_size or (default if isinstance(default, int) and default > 0 else None)
    chosen = chosen or DEFAULT_PAGE_SIZE
    if isinstance(maximum, int) and maximum > 0:
        chosen = min(chosen, maximum)
    first_page = 1
    if page and page in query:
        minimum = query[page].schema.get("minimum")
        first_page = 0 if minimum == 0 else 1
    pagination = Pagination(
        style=style,
        items=items,
        page_param=page if style == "page" else None,
        size_param=size if style != "offset" else None,
        offset_param=offset if style == "offset" else None,
        limit_param=size if style == "offset" else None,
        cursor_param=cursor if style == "cursor" else None,
        next=next,
        total=total,
        page_size=chosen,
        first_page=first_page,
        default_limit=chosen,
        max_items=max(max_items or DEFAULT_MAX_ITEMS, chosen),
    )
    hidden = tuple(
        name for name in (page, size, offset, cursor) if name is not None and name in query
    )
    return Detected(pagination, hidden)


def _pick(by_norm: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in by_norm:
            return by_norm[name]
    return None


def _items_path(response: dict[str, Any] | None) -> str | None:
    if not isinstance(response, dict):
        return None
    if response.get("type") == "array":
        return "$"
    props = response.get("properties") or {}
    arrays = [k for k, v in props.items() if isinstance(v, dict) and v.get("type") == "array"]
    for name in ITEM_FIELDS:
        for key in arrays:
            if _norm(key) == name:
                return f"$.{key}" if key.isidentifier() else f"$['{key}']"
    if len(arrays) == 1:
        return f"$.{arrays[0]}" if arrays[0].isidentifier() else f"$['{arrays[0]}']"
    return None


def _fields(
    schema: dict[str, Any] | None, at: str = "$", depth: int = 0
) -> list[tuple[str, str, Any]]:
    """(normalized name, JSONPath, type) of object fields up to three levels down."""
    if not isinstance(schema, dict) or depth > 3:
        return []
    out: list[tuple[str, str, Any]] = []
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{at}.{key}" if key.isidentifier() else f"{at}['{key}']"
        kind = sub.get("type")
        kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
        out.append((_norm(key.replace("@", "").replace(".", "_")), path, kind))
        if kind == "object" or "properties" in sub:
            out.extend(_fields(sub, path, depth + 1))
    return out


def _first(
    found: list[tuple[str, str, Any]], names: tuple[str, ...], kinds: tuple[str, ...]
) -> str | None:
    for name in names:
        for norm, path, kind in found:
            if norm == name and (kind in kinds or kind is None):
                return path
    return None
