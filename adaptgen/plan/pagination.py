"""Finding how an operation pages: from hints, else from parameter names and response shapes.

First, whether the operation is a list at all: its response's main content must be an array
(`items_path`): the body itself, or the one array beside nothing but paging and meta fields
(`total`, `next_cursor`, `has_more`, `paging`, `response_metadata`, `ok`...). An object that also
carries a record of its own (Slack's `files.info`: `{file: {...}, comments: [...]}`) is not a list:
paging its array would lose the record.

Then the style (one class per style, `adaptgen.runtime.paging`, each detecting itself from a
`Listing`), most explicit first, every parameter type-checked (a page number, offset or page
size must be an integer or untyped parameter; a string `page` or `offset` is an opaque token):

- `cursor`: a token parameter (`cursor`, `pageToken`, `marker`, `after`, a string `offset`...)
  and the response field that carries the next one (`next_<param>`, a `<param>` inside a `next*`
  object as in `paging.next.after`, `next_cursor`, `nextPageToken`, OpenAI's `last_id`...);
- `last_id`: `starting_after`/`after`/`since` with no token in the body: the last item's id;
- `next_url`: a next-page URL in the body (`next`, `next_page_uri`, `@odata.nextLink`...);
- `page`, `offset` (`startAt`/`maxResults` too): numbers, ended by `total`, a next-page field,
  or an empty page;
- `link`: a `Link` header, or a header holding the next URL (`x-next`).

Any style also reads a `has_more`-like flag: false ends paging. A list operation that shows
paging parameters or fields none of these explain is reported (`undetected_paging`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from adaptgen.load.source import split_pointer
from adaptgen.runtime.catalog import Param
from adaptgen.runtime.paging import STYLES, PagingHints, PagingStyle, style_class
from adaptgen.runtime.paging.base import DEFAULT_MAX_ITEMS, DEFAULT_PAGE_SIZE
from adaptgen.runtime.paging.cursor import (
    CURSOR_FIELDS,
    CURSOR_PARAMS,
    WORD,
    CursorPaging,
    guessed_next_fields,
)
from adaptgen.runtime.paging.last_id import LAST_ID_PARAMS
from adaptgen.runtime.paging.link import NEXT_URL_HEADERS
from adaptgen.runtime.paging.next_url import NEXT_URL_FIELDS
from adaptgen.runtime.paging.offset import OFFSET_ONLY, OFFSET_PARAMS
from adaptgen.runtime.paging.page import NEXT_PAGE_FIELDS, PAGE_PARAMS
from adaptgen.words import squashed

# Parameter and field names are compared normalized: lower case, no `_`, `-`, `.` or `$`.
SIZE_PARAMS = (
    "perpage",
    "pagesize",
    "size",
    "limit",
    "count",
    "maxresults",
    "pagelen",
    "top",
    "rows",
    "maxitems",
    "maxrecords",  # AWS's RDS, Redshift, ElastiCache
    "maxkeys",  # S3 and the stores that speak its API
    "maxitemcount",  # Cosmos DB's `x-ms-max-item-count`
    "first",
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
    "resources",
    "nodes",
    "contents",  # S3's listings
    "embedded",  # HAL's `_embedded`, when it is the array itself (Loket's lists)
    "docs",  # Solr's `response.docs`, and the APIs over it
)
HAS_MORE_FIELDS = (
    "hasmore",
    "hasnext",
    "hasnextpage",
    "morerecords",
    "moreresults",
    "moreitems",
    "more",
    "istruncated",  # AWS: true while there are more pages
    "truncated",
)
TOTAL_FIELDS = (
    "total",
    "totalcount",
    "totalresults",
    "totalitems",
    "totalsize",
    "totalrecords",
    "count",
)
# Fields that describe a list response rather than being content of their own.
META_FIELDS = frozenset(
    {
        "ok",
        "success",
        "status",
        "meta",
        "metadata",
        "responsemetadata",
        "paging",
        "pagination",
        "pageinfo",
        "links",
        "link",
        "self",
        "href",
        "url",
        "uri",
        "object",
        "kind",
        "type",
        "schemas",
        "warning",
        "warnings",
        "incompleteresults",
        "order",
        "sort",
        "sortby",
        "sortorder",
        "limit",
        "offset",
        "start",
        "end",
        "startat",
        "startindex",
        "maxresults",
        "itemsperpage",
        "islast",
        "size",
        "more",
        "cursor",
        "marker",
        "sync",
        "etag",
        "cachets",
        "took",
        "timedout",
        "apiversion",
        "requestid",
        "header",
        "headers",
    }
)
_META_WORDS = frozenset({"page", "pages", "cursor", "cursors", "token", "marker", "total", "count"})
# Words of the fields that echo how a list was asked for (its filters, its order).
_ECHO_WORDS = frozenset({"filter", "filters", "sort", "sorts", "sorting"})
# The most fields of its own an envelope holds beside its list (WinSMS: resultsLimit,
# resultsOffset, statusCode, timeStamp, version); more describe a record (Rubrik's CSV export).
MAX_ENVELOPE_SCALARS = 5
# Fields that say which record an object is: beside an array, they make it that record's part.
IDENTITY_FIELDS = frozenset(
    {"id", "uuid", "guid", "gid", "key", "name", "title", "label", "hash", "slug", "number"}
)
# A size parameter that filters by what a thing weighs, not how many come back.
_SIZE_FILTER = re.compile(r"\b(query|filter|search)(es)? by\b|\bfile size\b|\bin bytes\b", re.I)
# Maps that count a search's results by value (facets, aggregations).
_FACETS = re.compile(r"facet|aggregation", re.I)
# Arrays that say what a table's columns are.
_COLUMNS = re.compile(r"column|^(headers|fields)$", re.I)
# Answer fields that carry or flag the next page, beside a parameter that moves through them.
_NEXT_FIELDS = CURSOR_FIELDS + NEXT_PAGE_FIELDS + HAS_MORE_FIELDS
_SAYS_NEXT = frozenset(_NEXT_FIELDS + NEXT_URL_FIELDS)
_TOTALS = frozenset(TOTAL_FIELDS)
# Fields that echo where a page starts.
_POSITIONS = frozenset(
    {"startat", "offset", "start", "startindex", "skip", "page", "pagenumber", "currentpage"}
)
_META_FIRST_WORDS = frozenset({"next", "prev", "previous", "has", "num"})
_FIRST_LAST = re.compile(r"^(first|last)(id|uri|url|link|cursor|key)$")
_DATES = ("date", "date-time", "time")
_HREFS = ("href", "url", "uri", "link")
_LINK_TEXT = re.compile(r"\b(url|uri|link)\b", re.I)
_PAGING_OBJECTS = ("pagination", "paging", "pageinfo", "meta")
_DATE_TEXT = re.compile(r"\b(date|dates|timestamp|datetime|time stamp|iso ?8601)\b", re.I)
# A description that says a parameter is the page number, and one that says it is a size.
_PAGE_NUMBER_TEXT = re.compile(
    r"\bpage (number|index|no\.?)\b|\bnumber of the (result )?page\b|\bwhich page\b", re.I
)
_PAGE_SIZE_TEXT = re.compile(
    r"\b(results|items|records|entries|rows) per page\b|\bpage size\b", re.I
)
_NOT_A_PAGE = re.compile(r"\bper page\b|\bpage size\b|\bsize of\b|\bpages? to skip\b", re.I)
# A parameter's description that says it moves through pages.
_PAGING_TEXT = re.compile(r"\bpaginat|\bpaged\b|\bnext page\b", re.I)
_TOKEN_TEXT = re.compile(r"token|cursor|opaque|marker|returned by|from the previous", re.I)
# An `after` said to take a cursor (GitHub's "A cursor, as given in the Link header"), no id.
_CURSOR_TEXT = re.compile(r"\b(cursor|token)\b", re.I)
# Token names that, given a number, mean a position, not an opaque token: any other cursor name
# is a token whatever its type (Square's ListMerchants `cursor` is an integer).
_NUMBER_FIRST = frozenset({"page", "offset", "after", "startingafter"})
_PATH_KEY = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']*)'\]")  # the keys `_path` writes
UNKNOWN_PAGING = "list operation pages in a way adaptgen does not recognise"
HEADER_GUESS = "its spec never says where the next one is"
# Response headers that carry a next-page token, whatever the parameter is called.
_NEXT_TOKEN_HEADERS = (
    "x-next-page-token",
    "next-page-token",
    "x-next-cursor",
    "next-cursor",
    "x-next-token",
    "x-continuation-token",
    "x-ms-continuation",
)


def is_paging_field(name: str) -> bool:
    """A parameter or body field that says where a list's page starts (a token) or how long
    it is."""
    norm = squashed(name)
    return norm in CURSOR_PARAMS or norm in SIZE_PARAMS


@dataclass(frozen=True)
class Detected:
    """A pagination plan plus the params it hides."""

    pagination: PagingStyle
    hidden: tuple[str, ...]  # upstream names of the paging parameters


Example = tuple[list[Param], dict[str, Any] | None, list[str]]  # params, response, headers


@dataclass(frozen=True)
class _Field:
    """A response field: normalized name, JSONPath, JSON type (None: untyped or mixed)."""

    norm: str
    path: str
    kind: str | None
    link: bool = False  # a URL, as its format or its description says


@dataclass(frozen=True)
class _Query:
    """An operation's query parameters by normalized name."""

    params: dict[str, Param]  # by upstream name
    by_norm: dict[str, str]

    def pick(self, names: Iterable[str], numeric: bool | None = None) -> str | None:
        """The first parameter named one of `names` (numeric: only integer/untyped ones)."""
        for name in names:
            api_name = self.by_norm.get(name)
            if api_name is None:
                continue
            if numeric is None or _is_numeric(self.params[api_name].schema) == numeric:
                return api_name
        return None


@dataclass(frozen=True)
class Listing:
    """What a paging style may look at to detect itself: one list operation's evidence."""

    query: _Query
    items: str | None  # JSONPath of the item list
    found: list[_Field]  # the response's fields, four levels down
    headers: list[str]  # response header names
    body: dict[str, Any] | None  # the object schema around the items (None: from a hint)

    def param(self, norm: str) -> str | None:
        """The query parameter whose normalized name is `norm`."""
        return self.query.by_norm.get(norm)

    def pick(self, names: Iterable[str], numeric: bool | None = None) -> str | None:
        """The first parameter named one of `names` (numeric: only integer/untyped ones)."""
        return self.query.pick(names, numeric)

    def pick_size(self) -> str | None:
        """The page-size parameter, if any: not one its description calls a filter on a
        thing's own size (HubSpot's file search: `size`, "Query by file size", beside `limit`,
        "Number of items to return")."""
        names = [n for n in SIZE_PARAMS if not _SIZE_FILTER.search(self.about(self.param(n) or ""))]
        # Else one whose description says it counts a page's items (BigOven's `rpp`, "results
        # per page").
        return self.pick_number(names) or self._described(_PAGE_SIZE_TEXT, PAGE_PARAMS)

    def _described(
        self, says: re.Pattern[str], named: tuple[str, ...], refused: re.Pattern[str] | None = None
    ) -> str | None:
        """The first optional number parameter whose name is none of `named` and whose
        description `says` what it is (and not what `refused` says)."""
        for api_name, param in self.query.params.items():
            if param.required or not self.is_numeric(api_name) or squashed(api_name) in named:
                continue
            about = self.about(api_name)
            if says.search(about) and not (refused is not None and refused.search(about)):
                return api_name
        return None

    def pick_number(self, names: Iterable[str], sampled: bool = False) -> str | None:
        """The first parameter named one of `names` that takes a number: typed so, or typed as
        text that its spec never calls a token (Swagger 2.0 specs often type `offset`, `limit`
        and `page` as strings: taxamo, Oxford Dictionaries, isbndb). `sampled`: text only with
        an example or default of digits, for names that as often take a date or a sender
        (Monarch's Solr `start`, "row number to start from", default `'0'`)."""
        names = tuple(names)
        typed = self.query.pick(names, numeric=True)
        if typed is not None:
            return typed
        texts = (self.query.pick((name,)) for name in names)
        return next(
            (p for p in texts if p is not None and _number_as_text(self.schema(p), sampled)),
            None,
        )

    def said_page(self) -> str | None:
        """An optional number parameter of no paging name whose description says it is the
        page number (setlist.fm's `p`, "the number of the result page"; BigOven's `pg`, "page
        number (starting with 1)"; Nexmo's `index`, "Page index")."""
        # A paging name says what it is: an `offset` said to be a page number is read as its
        # name says (Vonage's, MarketCheck's `start`).
        named = (*PAGE_PARAMS, *OFFSET_PARAMS, *CURSOR_PARAMS, *SIZE_PARAMS)
        return self._described(_PAGE_NUMBER_TEXT, named, refused=_NOT_A_PAGE)

    def is_numeric(self, api_name: str) -> bool:
        return _is_numeric(self.schema(api_name))

    def is_date(self, api_name: str) -> bool:
        """A parameter that takes a date or a timestamp."""
        return self.schema(api_name).get("format") in _DATES

    def token_param(self, norm: str) -> str | None:
        """The parameter named `norm` when it takes a token (a numeric page, offset or `after`
        is none; a numeric `cursor` is one), and is optional: a required one is the caller's to
        give (OSIsoft's `streamsets/updates` requires the `marker` a registration returned; no
        first page is asked without it)."""
        param = self.param(norm)
        if param is None or self.query.params[param].required:
            return None
        if self.is_numeric(param) and (norm in _NUMBER_FIRST or norm not in CURSOR_PARAMS):
            return None  # a numeric page, offset or id: the page, offset and last_id styles'
        return param

    def about(self, api_name: str) -> str:
        """A parameter's description ("" when it has none)."""
        return str(self.schema(api_name).get("description") or "")

    def schema(self, api_name: str) -> dict[str, Any]:
        param = self.query.params.get(api_name)
        return param.schema if param is not None else {}

    def field(
        self, names: tuple[str, ...], kinds: tuple[str, ...], *, strict: bool = False
    ) -> str | None:
        """The first response field named one of `names` of one of `kinds` (JSONPath)."""
        return _first(self.found, names, kinds, strict=strict)

    def link(self, names: tuple[str, ...]) -> str | None:
        """The first string response field named one of `names` that holds a URL (JSONPath)."""
        for name in names:
            for found in self.found:
                if found.norm == name and found.kind == "string" and found.link:
                    return found.path
        return None

    def next_in_paging(self) -> str | None:
        """A `next` token (number or text) inside the answer's paging object (`pagination`,
        `paging`, `meta`...): JSONPath of it."""
        for found in self.found:
            parent = _parent(found.path)
            paging = squashed(parent) in _PAGING_OBJECTS and found.path.count(".") == 2
            if found.norm == "next" and found.kind in ("integer", "number", "string") and paging:
                return found.path
        return None

    def href_in(self, names: tuple[str, ...]) -> str | None:
        """A link object's URL, when the object is named one of `names` (HAL's
        `_links.next.href`, JSON:API's `links.next.href`): JSONPath of the string."""
        for found in self.found:
            parent = _parent(found.path)
            if found.norm in _HREFS and found.kind == "string" and squashed(parent) in names:
                return found.path
        return None

    def header(self, norms: tuple[str, ...]) -> str | None:
        """The first response header whose normalized name is one of `norms`."""
        return next((h for h in self.headers if squashed(h) in norms), None)

    def ends(self) -> dict[str, str | None]:
        """The fields that tell where the list ends: its total and its has_more flag."""
        return _ends(self.found)

    def echoed(self, cursor_params: tuple[str, ...]) -> dict[str, str]:
        return _echoed(self.query, self.found, cursor_params)

    def token_field(self, norm: str, cursor_fields: tuple[str, ...]) -> str | None:
        return _token_field(norm, self.found, cursor_fields)

    def item_id(self) -> str | None:
        """The items' id field, when their schema declares one."""
        return _item_id(self.body, self.items) if self.body is not None and self.items else None

    def item_fields(self) -> dict[str, dict[str, Any]]:
        """The items' fields and their schemas (empty when the schema says nothing)."""
        return _item_fields(self.body, self.items) if self.items else {}

    def hinted(self, hint: PagingHints) -> dict[str, Any]:
        """What every style takes from a hint as is."""
        return {
            "total": hint.total,
            "has_more": hint.has_more,
            "page_size": hint.page_size,
            "max_items": hint.max_items,
        }

    def make(self, style: type[PagingStyle], size: str | None, **fields: Any) -> Any:
        """A plan of `style`, its page size from the size parameter's default and maximum."""
        page_size, max_items = fields.pop("page_size", None), fields.pop("max_items", None)
        size_schema = self.schema(size) if size else {}
        maximum = size_schema.get("maximum")
        default = size_schema.get("default")
        chosen = page_size or (default if isinstance(default, int) and default > 0 else None)
        chosen = chosen or DEFAULT_PAGE_SIZE
        if isinstance(maximum, int) and maximum > 0:
            chosen = min(chosen, maximum)
        allowed = size_schema.get("enum") or []
        sizes = sorted(v for v in allowed if isinstance(v, int) and not isinstance(v, bool))
        if sizes and chosen not in sizes:
            # `enum: [10, 50, 100]`: the largest allowed size not above the choice, else the least.
            chosen = max((v for v in sizes if v <= chosen), default=sizes[0])
        fields.setdefault("size_param", size)
        return style(
            items=self.items,
            page_size=chosen,
            default_limit=chosen,
            max_items=max(max_items or DEFAULT_MAX_ITEMS, chosen),
            **fields,
        )


def detect(
    params: list[Param],
    response: dict[str, Any] | None,
    response_headers: list[str],
    hint: PagingHints | None,
    conventions: Conventions | None = None,
    skip: tuple[str, ...] = (),
    linkless: bool = False,
) -> Detected | None:
    """How the operation pages, or None (`skip`: styles not to consider; `linkless`: the
    answer holds no next link or token, whatever its schema says, `azure_no_link`).

    `conventions`: how the API's other operations page, for one whose response schema leaves
    out where its next token comes from (Slack's `conversations.history` declares `cursor` and
    `has_more` but not the `response_metadata.next_cursor` all its siblings declare).
    """
    query = _query(params)
    if hint is not None:
        if hint.style == "none":
            return None
        items = hint.items if hint.items is not None else items_path(response)
        named = {v for v in hint.model_dump().values() if isinstance(v, str)}
        query = _query(params, headers=lambda p: p.api_name in named)  # a hint may name one
        listing = Listing(query, items, [], response_headers, None)
        return _detected(style_class(hint.style).from_hint(hint, listing), query)
    listed = _list_body(response)
    if listed is None:
        return None
    items, body = listed
    listing = Listing(query, items, _fields(body), response_headers, body)
    for name, style in STYLES.items():
        if name in skip or (linkless and name == "next_url"):
            continue
        found = style.detect(listing)
        if found is not None:
            return _detected(found, query)
    found = conventions.detect(listing) if conventions is not None else None
    found = found or _guessed_cursor(listing, links=not linkless)
    if found is None and "cursor" not in skip:
        # Only where nothing in the query pages it: a continuation token sent back in a
        # request header (Cosmos DB's `x-ms-continuation`, Climate's `X-Next-Token`).
        query = _query(params, headers=_header_paging)
        if any(p.location == "header" and _header_cursor(p) for p in query.params.values()):
            listing = Listing(query, items, listing.found, response_headers, body)
            found = CursorPaging.detect(listing) or _guessed_cursor(listing, links=not linkless)
    return _detected(found, query) if found is not None else None


def _guessed_cursor(listing: Listing, links: bool = True) -> PagingStyle | None:
    """A list that takes a token its spec never says where to find the next value of.

    A bare array cannot carry it (Visma's `pageToken`, gsmtasks' `cursor`), so it comes in a
    response header: a `Link` rel="next" URL or a header named for it (`X-Next-Page-Token`,
    `NextPageToken`, `X-Next-Cursor`...). An object answer may carry it in fields its spec
    leaves out (Asana's lists declare `data` alone and send `next_page.offset`; Rubrik's
    declare `hasMore` but no token): it is looked for where APIs put it
    (`guessed_next_fields`), then in those headers. Read at run time; without one, paging
    stops after the first page, as it did before. The build says so (`HEADER_GUESS`).
    `links` false: the answer carries no next link or token (Azure's `nextLinkName: null`),
    so only the headers are looked at."""
    bare = listing.items == "$"
    for norm in CURSOR_PARAMS if bare else (*CURSOR_PARAMS, "page", "offset"):
        param = listing.token_param(norm)
        if param is None or listing.is_date(param) or _DATE_TEXT.search(listing.about(param)):
            continue  # a date filters
        if norm in ("after", "startingafter") and not _CURSOR_TEXT.search(listing.about(param)):
            continue  # an `after` takes an id (the last_id style's), unless it says a cursor
        words = [w.lower() for w in WORD.findall(param)]
        names = (
            *(f"{prefix}{'-'.join(words)}" for prefix in ("x-next-", "next-", "x-")),
            f"next{''.join(words)}",
            *_NEXT_TOKEN_HEADERS,
        )
        if listing.query.params[param].location == "header":
            # A header token comes back in a header: the one the answer declares for it
            # (digitallinguistics' `continuation` and `dlx-continuation`), else its own name.
            own = _header_norm(param)
            said = tuple(h.lower() for h in listing.headers if squashed(h).endswith(own))
            names = said or (param.lower(), *_NEXT_TOKEN_HEADERS)
        return listing.make(
            CursorPaging,
            listing.pick_size(),
            cursor_param=param,
            next_headers=tuple(dict.fromkeys(names)),
            guess_next=links and not bare,
            **listing.ends(),
        )
    return None


def _detected(pagination: PagingStyle, query: _Query) -> Detected:
    """The plan and the parameters it hides: its own, and those its cursor supersedes."""
    named = [*pagination.params(), *_superseded(query, pagination)]
    hidden = tuple(n for n in dict.fromkeys(named) if n in query.params)
    sent = [n for n in pagination.params() if n in query.params]
    in_headers = tuple(n for n in sent if query.params[n].location == "header")
    if in_headers:
        pagination = pagination.model_copy(update={"header_params": in_headers})
    return Detected(pagination, hidden)


class Conventions:
    """How an API's read operations page with a token, learned once from all of them.

    An API pages one way: when most operations taking token parameter `cursor` say the next
    token is at `$.response_metadata.next_cursor`, an operation taking `cursor` whose schema
    does not say is planned the same way (if its answer lacks the field, paging just stops).
    """

    def __init__(self, examples: Callable[[], Iterable[Example]]) -> None:
        self._examples = examples  # (params, response, headers) of each read operation
        self._learned: dict[str, str] | None = None

    def next_token(self, param: str) -> str | None:
        """Where the next value of token parameter `param` (normalized) usually is."""
        if self._learned is None:
            self._learned = self._learn()
        return self._learned.get(param)

    def detect(self, listing: Listing) -> PagingStyle | None:
        """A cursor plan from the API's habit, for an operation no style explained; never for
        a bare array, which has no field to carry the habit's token in (its next token comes
        in a header, `_guessed_cursor`)."""
        if listing.items == "$":
            return None
        for norm in (*CURSOR_PARAMS, "page", "offset"):
            param = listing.token_param(norm)
            next_path = self.next_token(norm) if param is not None else None
            if next_path is not None:
                return listing.make(
                    CursorPaging,
                    listing.pick_size(),
                    cursor_param=param,
                    next=next_path,
                    **listing.ends(),
                )
        return None

    def _learn(self) -> dict[str, str]:
        paths: dict[str, Counter[str]] = {}
        for params, response, headers in self._examples():
            detected = detect(params, response, headers, None)
            plan = detected.pagination if detected is not None else None
            if not isinstance(plan, CursorPaging) or not plan.next:
                continue
            paths.setdefault(squashed(plan.cursor_param), Counter())[plan.next] += 1
        learned = {}
        for param, counts in paths.items():
            path, count = counts.most_common(1)[0]
            if count >= 2 and count * 3 >= sum(counts.values()) * 2:  # a clear habit
                learned[param] = path
        return learned


def items_path(response: dict[str, Any] | None) -> str | None:
    """JSONPath of the response's main content when that is an array (a list), else None."""
    listed = _list_body(response)
    return listed[0] if listed else None


def example_schema(value: Any, depth: int = 0) -> dict[str, Any]:
    """The schema an example answer shows: each object's fields, an array's first item."""
    if depth > 6:
        return {}
    if isinstance(value, dict):
        fields = {str(k): example_schema(v, depth + 1) for k, v in value.items()}
        return {"type": "object", "properties": fields}
    if isinstance(value, list):
        return {"type": "array", "items": example_schema(value[0], depth + 1) if value else {}}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    return {"type": "string"} if isinstance(value, str) else {}


def leaves_out(schema: dict[str, Any] | None, example: Any) -> bool:
    """A response schema that says none of an answer's content where its own example shows
    more: no schema, or plain fields only (Slack's admin lists declare `{ok}`, their examples
    `{ok, approved_apps: [...], response_metadata: {next_cursor}}`)."""
    if not isinstance(example, dict) or not example:
        return False
    if not isinstance(schema, dict) or not schema:
        return True
    props = schema.get("properties")
    if schema_type(schema) not in ("object", None) or not isinstance(props, dict):
        return False
    plain = all(schema_type(v) not in ("array", "object") for v in props.values())
    return plain and bool(set(example) - set(props))


def list_alone(schema: dict[str, Any]) -> bool:
    """An answer that holds a list and nothing of its own beside it: the list, and paging and
    status fields only (what an example alone may be trusted to show; an address with its
    balance beside its transactions is a record that also pages)."""
    listed = _list_body(schema)
    if listed is None:
        return False
    keys = _PATH_KEY.findall(listed[0])
    first = (keys[0][0] or keys[0][1]) if keys else None
    props = schema.get("properties") or {}
    return all(k == first or _is_meta(k, v) for k, v in props.items())


def undetected_paging(
    params: list[Param],
    response: dict[str, Any] | None,
    response_headers: list[str],
    operation: str,
) -> str | None:
    """The build warning for a list operation that shows paging no style explains, or None.

    Call it when `detect` found nothing. A list with no paging parameter or field at all is
    simply unpaged (a size parameter alone only caps the answer): no warning.
    """
    listed = _list_body(response)
    if listed is None:
        return None
    signals = paging_signals(params, listed[1], response_headers)
    if not signals:
        return None
    return (
        f"{operation}: {UNKNOWN_PAGING} (paging parameters/fields: {', '.join(signals)}): it "
        "returns the first upstream page only; add a paginate hint (style, cursor, next, has_more)"
    )


def header_guess(pagination: CursorPaging, operation: str) -> str:
    """The build warning for a list paged by `_guessed_cursor`."""
    where = "a response header (a Link rel=next URL, or one such as X-Next-Page-Token)"
    if pagination.guess_next:
        fields = ", ".join(path[2:] for path in guessed_next_fields(pagination.cursor_param)[:4])
        where = f"the answer's fields where APIs put it ({fields}...), else {where}"
    return (
        f"{operation}: pages by `{pagination.cursor_param}` and {HEADER_GUESS}: adaptgen reads "
        f"it from {where} when the upstream sends one, else stops after the first page; a "
        "paginate hint says for sure"
    )


def paging_signals(
    params: list[Param], body: dict[str, Any] | None, response_headers: list[str]
) -> list[str]:
    """Parameters and response fields that move through pages (size parameters excluded)."""
    query = _query(params)
    names = PAGE_PARAMS + OFFSET_PARAMS + CURSOR_PARAMS + LAST_ID_PARAMS
    found = [query.by_norm[n] for n in dict.fromkeys(names) if n in query.by_norm]
    since = query.by_norm.get("since")
    # Dates (`after=2024-01-01`, a textual `since`) filter; they do not move through pages.
    found = [
        name
        for name in found
        if query.params[name].schema.get("format") not in _DATES
        and not _DATE_TEXT.search(str(query.params[name].schema.get("description") or ""))
        and (name != since or _is_numeric(query.params[name].schema))
    ]
    # A next token or has_more flag with no parameter to send anything back cannot move the
    # operation (a response wrapper shared with the list operations, as on Zoho's single-record
    # reads); a next URL or a next-link header always could.
    moving = NEXT_URL_FIELDS + (_NEXT_FIELDS if found else ())
    found += [f.path for f in _fields(body) if f.norm in moving]
    found += [h for h in response_headers if squashed(h) in ("link", *NEXT_URL_HEADERS)]
    return found


def unknown_paging_warnings(warnings: Iterable[Any]) -> list[Any]:
    """The build warnings `undetected_paging` made (for `adaptgen build --strict`)."""
    return [w for w in warnings if UNKNOWN_PAGING in str(getattr(w, "message", w))]


def _superseded(query: _Query, pagination: PagingStyle) -> list[str]:
    """Position parameters the tool's cursor replaces, used or not (Twilio's Page and PageToken
    when paging by next_page_uri): an agent setting one would fight the paginator."""
    tokens = tuple(n for n in CURSOR_PARAMS if n not in ("after", "startingafter"))
    tokens += ("endingbefore",)  # Stripe's reverse cursor: refused beside starting_after
    if squashed(getattr(pagination, "cursor_param", "")) == "after":
        # The way back, beside `after`: Facebook's `paging.cursors.before`, GitHub's `before`
        # ("must not be used in combination with after" for its Link-header cursors).
        tokens += ("before",)
    tokens += ("searchafter",)  # Akeneo's position, which its `_links.next.href` carries
    out = [query.by_norm[n] for n in PAGE_PARAMS + tokens if n in query.by_norm]
    out += [name for name in (query.pick((n,), numeric=True) for n in OFFSET_ONLY) if name]
    # A required one stays the agent's: the first page is asked with it (OSIsoft's `marker`
    # beside a `Links.Next` URL).
    return [name for name in out if not query.params[name].required]


# -- reading the spec -----------------------------------------------------------------------


# A bracketed name's last key (`searchCriteria[currentPage]`: `currentPage`).
_LAST_KEY = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*)\]$")


def _query(params: list[Param], headers: Callable[[Param], bool] | None = None) -> _Query:
    """The query parameters by normalized name; with `headers`, also the header parameters
    it accepts (a query parameter of the same name first), named without an `X-` or `X-MS-`
    prefix (`X-Cursor` is `cursor`)."""
    query = {p.api_name: p for p in params if p.location == "query"}
    by_norm = {squashed(name): name for name in query}
    for name in query:
        # A bracketed name pages by its last key: Magento's `searchCriteria[currentPage]`.
        if (bracket := _LAST_KEY.search(name)) is not None:
            by_norm.setdefault(squashed(bracket.group(1)), name)
    for p in params if headers is not None else ():
        if p.location == "header" and p.api_name not in query and headers(p):
            query[p.api_name] = p
            by_norm.setdefault(_header_norm(p.api_name), p.api_name)
    return _Query(query, by_norm)


# A request header that carries where the next page starts: a token, never a credential (a
# `token` header is one: Slack's), named without its `X-`/`X-MS-` prefix.
_HEADER_CURSORS = (
    "cursor",
    "pagetoken",
    "nexttoken",
    "nextpagetoken",
    "continuation",
    "continuationtoken",
    "skiptoken",
    "nextcursor",
    "pagecursor",
)


def _header_norm(name: str) -> str:
    return squashed(re.sub(r"^(x-)?(ms-)?", "", name.lower()))


def _header_cursor(param: Param) -> bool:
    return _header_norm(param.api_name) in _HEADER_CURSORS and not param.required


def _header_paging(param: Param) -> bool:
    """A header the paginator may set: a token (`_header_cursor`) or, beside one, the page's
    size (Cosmos DB's `x-ms-max-item-count`, Climate's `X-Limit`)."""
    size = _header_norm(param.api_name) in SIZE_PARAMS and _is_numeric(param.schema)
    return _header_cursor(param) or (size and not param.required)


def _is_numeric(schema: dict[str, Any]) -> bool:
    """An integer/number parameter, or one with no type (its values are not known to be text)."""
    kind = schema_type(schema)
    if kind in ("integer", "number") or kind is None:
        return True
    return kind == "string" and schema.get("format") in ("int32", "int64", "integer")


def _number_as_text(schema: dict[str, Any], sampled: bool = False) -> bool:
    """A string parameter that still holds a number: no format, enum or pattern says what else
    it is, its example and default (when given; `sampled`: one at least) are digits, and its
    description does not call it a token or cursor (Asana's string `offset` is "an offset
    token")."""
    if schema_type(schema) != "string" or {"format", "enum", "pattern"} & schema.keys():
        return False
    samples = [schema[k] for k in ("example", "default") if schema.get(k) is not None]
    if (sampled and not samples) or not all(
        re.fullmatch(r"\d+", str(sample)) for sample in samples
    ):
        return False
    description = str(schema.get("description") or "")
    return _TOKEN_TEXT.search(description) is None and _DATE_TEXT.search(description) is None


def schema_type(schema: Any) -> str | None:
    """A schema's type (3.1's `["integer", "null"]` is an integer), or None."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if len(kinds) == 1 else None
    return kind if isinstance(kind, str) else None


def _path(at: str, key: str) -> str:
    return f"{at}.{key}" if key.isidentifier() else f"{at}['{key}']"


def _list_body(response: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """(items path, the object schema around them) when the main content is an array.

    A union (anyOf/oneOf: a list or an error envelope) is a list when one of its branches is.
    """
    if not isinstance(response, dict):
        return None
    if schema_type(response) == "array":
        return "$", response  # its items' schema says which field is their id
    for key in ("anyOf", "oneOf"):
        for branch in response.get(key) or []:
            listed = _list_body(branch)
            if listed is not None:
                return listed
    found = _list_key(response)
    return (_nested(found), response) if found else None


def _list_key(schema: dict[str, Any], depth: int = 0) -> list[str]:
    """The keys down to the array that is this object's main content, or [] when it has none.

    The array may sit inside the answer's one wrapper object, two deep at most: api2cart's
    `{result: {orders: [...], orders_count}, pagination: {...}, return_code}`, musixmatch's
    `{message: {header: {...}, body: {track_list: [...]}}}`.
    """
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    # Errors beside the content are the envelope's (Square's `errors` array, Sakari's `error`
    # object); alone, they are the content (App Center's crash `errors`).
    errors = [k for k in props if squashed(k) in ("error", "errors")]
    arrays = [k for k, v in props.items() if schema_type(v) == "array" and not _is_meta(k, v)]
    if len(arrays) > 1:
        arrays = [k for k in arrays if k not in errors]
    if len(arrays) > 1:
        known = [k for k in arrays if squashed(k) in ITEM_FIELDS]
        records = [k for k in arrays if _is_object(props[k].get("items"))]
        if len(known) == 1:
            arrays = known
        elif len(records) == 1 and _is_page(props):
            # A page's one list of records beside lists of plain values: Google's
            # `{backups: [...], unreachable: ["us-east1"], nextPageToken}` (every Cloud list),
            # AWS's `{StreamSummaries: [...], StreamNames: [...], NextToken}`, Jira's
            # `{issues: [...], warningMessages: [...], startAt, total}`.
            arrays = records
        else:
            return []  # several lists side by side ({users: [], teams: []}): a record
    content = arrays or [k for k, v in props.items() if _is_object(v) and not _is_meta(k, v)]
    if not content and len(props) == 1 and _is_object(wrapper := next(iter(props.values()))):
        # The answer's lone wrapper is its content, however many paging fields it holds beside
        # the list (OData v2's `{d: {results: [...], __count, __next}}`).
        content = [next(iter(props))] if wrapper.get("properties") else []
    if len(content) > 1:
        content = [k for k in content if k not in errors]
    if len(content) != 1:
        return []
    others = [
        (k, v)
        for k, v in props.items()
        if k != content[0] and not _is_meta(k, v) and k not in errors
    ]
    # A record of its own beside the array (Slack files.info's `file`) means the array is only
    # part of the answer; so do scalars that name one (a block's `hash`, a volume's `id` and
    # `label` beside its `tags`). Scalars that name nothing are the answer's envelope: GitHub's
    # `repository_selection`, Apideck's `status_code`/`service`/`operation`, Bitbucket's
    # `pagelen`/`query_substituted`, Shutterstock's `message`/`search_id`.
    columns = any(_COLUMNS.search(k) for k, v in others if schema_type(v) == "array")
    if columns or any(_FACETS.search(k) for k, v in others if _is_object(v)):
        # A table's rows are read with its columns (Analytics' `columnHeaders` beside `rows`,
        # Timestream's `ColumnInfo` beside `Rows`), a search's records with the facets that
        # count them (Azure Search's `@search.facets`): a page of either alone says less.
        return []
    if arrays and squashed(arrays[0]) in ITEM_FIELDS and _says_next(props):
        # An answer that says whether it is cut short, or where it goes on, is a page of a
        # list, whatever else it says of itself: S3's `Contents` beside `IsTruncated` and the
        # bucket's `Name`, `Prefix`, `Delimiter`, `CommonPrefixes`; Compute Engine's `items`
        # beside `nextPageToken` and the list's own `id` and `selfLink`.
        return arrays
    page = _is_page(props)
    if any(_is_object(v) and not (page and _is_map(v)) for _, v in others):
        # A map beside a page's records is the page's glossary (Jira's `names` and `schema`:
        # each field's name and type), no record of its own.
        return []
    named = any(squashed(k) in IDENTITY_FIELDS for k, _ in others)
    if named and (len(others) > 1 or depth > 0 or not arrays):
        return []  # inside a wrapper, or beside one, a name is always the record's
    if len(others) > MAX_ENVELOPE_SCALARS:
        return []  # an envelope says a few things; this many fields describe a record
    if arrays:
        return arrays
    if depth > 1:
        return []
    inner = _list_key(props[content[0]], depth + 1)
    return [content[0], *inner] if inner else []


def _says_next(props: dict[str, Any]) -> bool:
    """An answer with a field that says where or whether a next page is (`nextPageToken`,
    `next`, `has_more`, `IsTruncated`...)."""
    return any(squashed(k) in _SAYS_NEXT for k in props)


def _is_page(props: dict[str, Any]) -> bool:
    """An answer that says it is a page of something: where or whether a next page is, or how
    many there are in all beside where this page starts (Jira's `total` and `startAt`)."""
    norms = {squashed(k) for k in props}
    return bool(norms & _SAYS_NEXT or (norms & _TOTALS and norms & _POSITIONS))


def _is_map(schema: dict[str, Any]) -> bool:
    """An object of free keys (`additionalProperties`), no fields of its own."""
    return not schema.get("properties") and bool(schema.get("additionalProperties"))


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema_type(schema) == "object" or "properties" in schema)


def _nested(keys: list[str]) -> str:
    path = "$"
    for key in keys:
        path = _path(path, key)
    return path


def _is_meta(name: str, schema: Any) -> bool:
    """A field describing a list response (paging, counts, links, status), not content."""
    norm = squashed(name)
    words = [w.lower() for w in WORD.findall(name)]
    if norm == "version" and _is_object(schema):
        return True  # the answer's version stamp beside its list (Loket's), not a record's
    if (
        norm in META_FIELDS
        or _META_WORDS.intersection(words)
        or (words and words[0] in _META_FIRST_WORDS)
        or _FIRST_LAST.match(norm)
    ):
        return True
    props = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(props, dict) and props:
        # An object made mostly of paging fields (Zoho's `info`) is paging metadata; so is
        # one of paging fields and the query's filters and sort order, the request echoed
        # (Magento's `search_criteria`: `current_page`, `page_size`, `filter_groups`,
        # `sort_orders`).
        meta = sum(1 for k, v in props.items() if _is_meta(k, v))
        echoed = sum(1 for k in props if _echoes(k)) if meta else 0
        return (meta + echoed) * 2 > len(props)
    return False


def _echoes(name: str) -> bool:
    """A field that echoes how a list was asked for: its filters or its sort order (`orders`
    alone are records: an `{orders: [...], orders_count}` result is no echo)."""
    words = {w.lower() for w in WORD.findall(name)}
    return bool(_ECHO_WORDS.intersection(words)) or {"order", "by"} <= words


_ID_FIELDS = ("id", "gid", "uuid", "key")
# The one object an item wraps its record in (Clever's `{data: {id, ...}, uri}`, a GraphQL
# edge's `node`): the record's id is the item's.
_RECORD_WRAPPERS = ("data", "node", "item", "record", "object", "resource")


def _item_id(body: dict[str, Any], items: str) -> str | None:
    """The id field of one item (for last_id paging), when the item schema declares one: a
    field of its own, else its wrapped record's (`data.id`)."""
    props = _item_fields(body, items)
    own = next((k for k in _ID_FIELDS if k in props), None)
    wrapped = [k for k, v in props.items() if squashed(k) in _RECORD_WRAPPERS and _is_object(v)]
    if own is not None or len(wrapped) != 1:
        return own
    inner = props[wrapped[0]].get("properties")
    inner = inner if isinstance(inner, dict) else {}
    found = next((k for k in _ID_FIELDS if k in inner), None)
    return f"{wrapped[0]}.{found}" if found is not None and wrapped[0].isidentifier() else None


def _item_fields(body: dict[str, Any] | None, items: str) -> dict[str, dict[str, Any]]:
    """The fields of one item of the list at `items`, with their schemas."""
    if not isinstance(body, dict):
        return {}
    array: Any = body
    for key in _PATH_KEY.findall(items) if items != "$" else ():
        name = key[0] or key[1]
        array = (array.get("properties") or {}).get(name) if isinstance(array, dict) else None
    return _object_fields(array.get("items") if isinstance(array, dict) else None)


def _object_fields(schema: Any, depth: int = 0) -> dict[str, dict[str, Any]]:
    """An object schema's fields: its own, those of all its `allOf` parts, or those every
    branch of its `anyOf`/`oneOf` has (Stripe's external accounts, a bank account or a card:
    both have an `id`)."""
    if not isinstance(schema, dict) or depth > 3:
        return {}
    props = schema.get("properties")
    own = {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {}
    for part in schema.get("allOf") or []:
        own = {**_object_fields(part, depth + 1), **own}
    for key in ("anyOf", "oneOf"):
        branches = [_object_fields(b, depth + 1) for b in schema.get(key) or []]
        if branches and not own:
            own = {k: v for k, v in branches[0].items() if all(k in b for b in branches[1:])}
    return own


def _fields(schema: dict[str, Any] | None, at: str = "$", depth: int = 0) -> list[_Field]:
    """Object fields up to four levels down (arrays are not entered: their items are content)."""
    if not isinstance(schema, dict) or depth > 3:
        return []
    out: list[_Field] = []
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = _path(at, key)
        kind = schema_type(sub)
        out.append(_Field(squashed(key), path, kind, _says_link(sub)))
        if kind == "object" or "properties" in sub:
            out.extend(_fields(sub, path, depth + 1))
    return out


def _says_link(schema: dict[str, Any]) -> bool:
    """A string field that holds a URL: by its format, or by its description's words (Zuora's
    `nextPage`, "URL to retrieve the next page of the response if it exists")."""
    if schema.get("format") in ("uri", "url", "iri", "uri-reference", "iri-reference"):
        return True
    return bool(_LINK_TEXT.search(str(schema.get("description") or "")))


def _parent(path: str) -> str:
    """The key of the object a field path ends in (`$.meta.cursors.next` -> `cursors`)."""
    return path.rsplit(".", 2)[-2] if path.count(".") >= 2 else ""


def _first(
    found: list[_Field], names: tuple[str, ...], kinds: tuple[str, ...], *, strict: bool = False
) -> str | None:
    """The first field named one of `names` of one of `kinds` (or untyped, unless strict)."""
    for name in names:
        for field in found:
            if field.norm == name and (field.kind in kinds or (field.kind is None and not strict)):
                return field.path
    return None


def _ends(found: list[_Field]) -> dict[str, str | None]:
    """The fields that tell where a list ends: its total count and its has_more flag."""
    return {"total": _total(found), "has_more": _has_more(found)}


def _total(found: list[_Field]) -> str | None:
    return _first(found, TOTAL_FIELDS, kinds=("integer",), strict=True)


def _has_more(found: list[_Field]) -> str | None:
    return _first(found, HAS_MORE_FIELDS, kinds=("boolean",), strict=True)


def _token_field(param: str, found: list[_Field], cursor_fields: tuple[str, ...]) -> str | None:
    """Where the response carries the next value of token parameter `param` (normalized)."""
    tokens = ("string", "integer")
    # `next_<param>` anywhere: next_marker, nextPageToken, next_stream_position...
    named = _first(found, (f"next{param}",), kinds=tokens)
    if named is not None:
        return named
    # `next<words><param>` at the top: Route 53 Domains' NextPageMarker for `Marker`.
    for field in found:
        top = field.path.count(".") == 1 and field.kind in tokens
        if top and field.norm.startswith("next") and field.norm.endswith(param):
            return field.path
    # `<param>` inside a `next*` object: Asana's next_page.offset, HubSpot's paging.next.after.
    for field in found:
        parent = _parent(field.path)
        if field.norm == param and squashed(parent).startswith("next") and field.kind in tokens:
            return field.path
    # `next` inside a `<param>s` object: Apideck's meta.cursors.next for `cursor`.
    for field in found:
        parent = _parent(field.path)
        if (
            field.norm == "next"
            and squashed(parent) in (param, param + "s")
            and field.kind in tokens
        ):
            return field.path
    # `<param>` inside a `cursors` object: Facebook's Graph API paging.cursors.after for
    # `after` (Instagram's, Just Eat's too).
    for field in found:
        if (
            field.norm == param
            and squashed(_parent(field.path)) == "cursors"
            and field.kind in tokens
        ):
            return field.path
    if param in ("after", "startingafter"):
        last = _first(found, ("lastid",), kinds=tokens, strict=True)  # OpenAI's lists
        if last is not None:
            return last
    if param in ("page", "offset", "after"):
        return None  # only the specific names above prove these are tokens
    return _first(found, cursor_fields, kinds=tokens, strict=True)


def _echoed(query: _Query, found: list[_Field], cursor_params: tuple[str, ...]) -> dict[str, str]:
    """Token parameters the response hands back under the same name, with where: the value to
    send next. Beside a has_more flag (Asana's events `sync`), or where the parameter says it
    pages (API Gateway's `position`, "The current pagination position in the paged result
    set", answered as `{item: [...], position}`); never a page number's or an offset's name."""
    more = _has_more(found) is not None
    top = {f.norm: f.path for f in found if f.path.count(".") == 1 and f.kind == "string"}

    def pages(norm: str) -> bool:
        if norm in PAGE_PARAMS or norm in OFFSET_PARAMS:
            return False
        about = query.params[query.by_norm[norm]].schema.get("description")
        return bool(_PAGING_TEXT.search(str(about or "")))

    return {
        n: top[n]
        for n in query.by_norm
        if n in top and n not in cursor_params and (more or pages(n))
    }


# What aws2openapi writes for the query parameters it adds from an AWS SDK paginator.
_PAGINATOR_SAYS = frozenset({"Pagination limit", "Pagination token"})


def without_paginator_twins(params: list[Param], body_params: list[Param]) -> list[Param]:
    """`params` without the query parameters aws2openapi adds from each AWS paginator where the
    operation already takes the same one: S3's `MaxKeys` and `Marker` beside its own `max-keys`
    and `marker`, DynamoDB's `Limit` beside the body's `Limit`. The service reads only its own,
    so the twin was a second argument that did nothing (DynamoDB's nicer-named `limit` went to
    the query, the real one was `body_limit`), and two candidates kept S3's listings unpaged.
    3,984 such parameters in 235 AWS specs; a paginator parameter with no twin stays. A
    camelCase one (JSON-protocol services: CodeBuild's `nextToken`) is a twin of a body field of
    exactly its name."""

    def added(param: Param) -> bool:
        # The paginator's member name (`NextToken`), said as aws2openapi says it; a service's
        # own parameter may say "Pagination token" too, but is named as its API sends it
        # (Backup Storage's `next-token`).
        said = str(param.schema.get("description") or "").strip()
        return (
            param.location == "query" and said in _PAGINATOR_SAYS and param.api_name[:1].isupper()
        )

    def twin(param: Param) -> bool:
        own = squashed(param.api_name)
        if not added(param):
            # A JSON-protocol service's paginator member is camelCase (CodeBuild's
            # `nextToken`): a twin only of a body field of exactly its name, which is what the
            # service reads (it reads no query at all).
            said = str(param.schema.get("description") or "").strip()
            return (
                param.location == "query"
                and said in _PAGINATOR_SAYS
                and any(b.api_name == param.api_name for b in body_params)
            )
        return any(
            o is not param and not added(o) and squashed(o.api_name) == own
            for o in [*params, *body_params]
        )

    return [p for p in params if not twin(p)]


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def azure_pageable(op: dict[str, Any], doc: Mapping[str, Any] | None = None) -> PagingHints | None:
    """How an operation Azure marks `x-ms-pageable` pages, as a `next_url` hint: its items at
    `itemName` (default `value`), its next page at `nextLinkName` (`nextLink`,
    `@odata.nextLink`). The mark says what the answer's schema may not (Policy Insights'
    `queryResults` declares no `@odata.nextLink`), and it is how Azure pages a POST (a list of
    keys, a query's results). None without a next link (`azure_no_link`)."""
    marked = op.get("x-ms-pageable")
    if not isinstance(marked, dict):
        return None
    next_name = _extension_value(marked.get("nextLinkName"), doc)
    if not isinstance(next_name, str):
        return None
    item = _extension_value(marked.get("itemName"), doc)
    item = item if isinstance(item, str) else "value"
    return PagingHints(style="next_url", items=_field(item), next=_field(next_name))


def azure_no_link(op: dict[str, Any], doc: Mapping[str, Any] | None = None) -> bool:
    """Whether Azure marks the operation a list whose answer carries no next link:
    `x-ms-pageable` with `nextLinkName: null` (or left out, as converters write the null).
    AutoRest's clients then never follow a link the answer holds (a `nextLink` its model shares
    with paged lists), and neither does the tool; a list that pages by a parameter and a
    header (Data Lake's `continuation` and `x-ms-continuation`) still pages."""
    marked = op.get("x-ms-pageable")
    return isinstance(marked, dict) and _extension_value(marked.get("nextLinkName"), doc) is None


def _extension_value(value: Any, doc: Mapping[str, Any] | None) -> Any:
    """An extension's value, through a local `$ref` (APIs.guru's bundler writes one for a
    value repeated elsewhere: `{"$ref": "#/paths/~1%7BtenantID%7D~1users/get/x-ms-pageable/
    nextLinkName"}`); a `$ref` that leads nowhere is returned as it is."""
    seen = 0
    while isinstance(value, dict) and isinstance(value.get("$ref"), str) and doc is not None:
        ref = value["$ref"]
        if not ref.startswith("#") or seen > 8:
            return value
        seen += 1
        target: Any = doc
        try:
            for token in split_pointer(unquote(ref[1:])):
                target = target[int(token) if isinstance(target, list) else token]
        except (KeyError, IndexError, TypeError, ValueError):
            return value
        value = target
    return value


def _field(name: str) -> str:
    """A top-level field as a JSONPath: `$.value`, `$['@odata.nextLink']`."""
    if _NAME.fullmatch(name):
        return f"$.{name}"
    return "$['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']"
