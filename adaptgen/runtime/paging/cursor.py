"""`cursor`: a token parameter, and the response field that carries the next token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from adaptgen.runtime import jsonpath
from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle, is_link, unset
from adaptgen.runtime.paging.link import LINK_NEXT

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

CURSOR_PARAMS = (
    "cursor",
    "pagetoken",
    "nexttoken",
    "continuationtoken",
    "continuation",
    "marker",
    "nextcursor",
    "pagecursor",
    "skiptoken",
    "after",
    "startingafter",
    "continue",  # Kubernetes' lists (`limit`, `continue`), and the APIs built like them
    "startingtoken",  # AWS Omics (the name the AWS CLI gives every paginator's token)
)
# Parameters that bound a newest-first list from above: where its next page starts.
_UNTIL_PARAMS = ("until", "before")
CURSOR_FIELDS = (
    "nextcursor",
    "nextpagetoken",
    "nexttoken",
    "nextmarker",
    "continuationtoken",
    "cursor",
    "after",
    "marker",  # AWS: `Marker` back, "present when IsTruncated is true" (after `NextMarker`)
    "continue",  # Kubernetes' `metadata.continue`: set while the server has more
)


class CursorPaging(PagingStyle):
    """An opaque token from the body, sent back as a parameter."""

    style: Literal["cursor"] = "cursor"
    cursor_param: str = "cursor"
    next: str | None = Field(default=None, exclude_if=unset)  # JSONPath of the next token
    # A bare array's spec that never says where its next token is: the response headers that
    # may carry it (lower case), read at run time; a `Link: <...>; rel="next"` URL is followed.
    next_headers: tuple[str, ...] | None = Field(default=None, exclude_if=unset)
    # An object answer whose spec never says where its next token is (Asana's lists declare
    # `data` alone, and send `next_page.offset`): looked for at run time where APIs put it
    # (`guessed_next_fields`), then in the response headers.
    guess_next: bool = Field(default=False, exclude_if=lambda on: not on)

    priority: ClassVar[int] = 10
    told_next: ClassVar[bool] = True

    @classmethod
    def detect(cls, listing: Listing) -> CursorPaging | None:
        echoed = listing.echoed(CURSOR_PARAMS)
        for norm in (*CURSOR_PARAMS, "page", "offset", *echoed):
            param = listing.token_param(norm)
            if param is None:
                continue  # absent, or a numeric page/offset: not a token
            next_path = echoed.get(norm) or listing.token_field(norm, CURSOR_FIELDS)
            if next_path is not None:
                return listing.make(
                    cls, listing.pick_size(), cursor_param=param, next=next_path, **listing.ends()
                )
        return cls._named_next(listing) or cls._going_back(listing)

    @classmethod
    def _named_next(cls, listing: Listing) -> CursorPaging | None:
        """A token parameter of any name whose next value the answer names after it: a body
        field `next<Name>` (TypeSpec's `token` and `nextToken`; AWS Pinpoint's `token` and
        `NextToken`; Apigee's `startKey` and `nextStartKey`) or a declared response header
        `next-<name>` / `x-next-<name>`. Optional, not a number, not a date (a schedule's
        `nextDate` is no page), not a long poll's (Cloud Debugger's `waitToken`)."""
        for norm in listing.query.by_norm:
            if norm in CURSOR_PARAMS or norm in ("page", "offset"):
                continue  # asked above, by their own rules
            param = listing.token_param(norm)
            if param is None or listing.is_date(param) or listing.is_numeric(param):
                continue
            if _LONG_POLL.search(param) or _LONG_POLL.search(listing.about(param)):
                continue  # Cloud Debugger's `waitToken`: the next call blocks until a change
            # A parameter named for the next value is sent back as the answer's field of its
            # own name (Zoom's `next_page_token`, Circuit's `nextPagePointer`).
            own = listing.field((norm,), ("string",), strict=True) if _NEXT.match(norm) else None
            next_path = own or listing.field((f"next{norm}",), ("string",), strict=True)
            if next_path is not None:
                return listing.make(
                    cls, listing.pick_size(), cursor_param=param, next=next_path, **listing.ends()
                )
            header = listing.header((f"next{norm}", f"xnext{norm}"))
            if header is not None:
                return listing.make(
                    cls,
                    listing.pick_size(),
                    cursor_param=param,
                    next_headers=(header.lower(),),
                    **listing.ends(),
                )
        return None

    @classmethod
    def _going_back(cls, listing: Listing) -> CursorPaging | None:
        """A newest-first list whose paging object's `next` goes back as `until` (Vercel:
        `pagination.next`, "Timestamp that must be used to request the next page")."""
        param = next((p for p in (listing.param(n) for n in _UNTIL_PARAMS) if p), None)
        next_path = listing.next_in_paging() if param is not None else None
        if param is None or next_path is None or listing.query.params[param].required:
            return None
        return listing.make(
            cls, listing.pick_size(), cursor_param=param, next=next_path, **listing.ends()
        )

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> CursorPaging:
        return listing.make(
            cls,
            hint.size,
            cursor_param=hint.cursor or "cursor",
            next=hint.next,
            **listing.hinted(hint),
        )

    def params(self) -> tuple[str, ...]:
        return (self.cursor_param, *super().params())

    def request_params(self, state: PageState, wanted: int) -> dict[str, Any]:
        params = super().request_params(state, wanted)
        if state.cursor is not None:
            params[self.cursor_param] = state.cursor
        return params

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        token = jsonpath.first(self.next, body) if self.next else None
        if token in (None, "", False) and self.guess_next:
            guessed = _guessed(body, self.cursor_param, state.cursor)
            if guessed is not None:
                return guessed
        if token in (None, "", False) and self.next_headers:
            return _from_headers(headers, self.next_headers)
        return PageState(cursor=str(token)) if token not in (None, "", False) else None

    def describe(self) -> str:
        if self.guess_next:
            return f"{super().describe()}, next {self.cursor_param} looked for where APIs put it"
        if not self.next_headers:
            return super().describe()
        return f"{super().describe()}, next {self.cursor_param} from a response header"


# A parameter's normalized name that says it takes the next value (`nextPageToken`).
_NEXT = re.compile(r"next[a-z]")
# A token that makes the next call wait for a change (a long poll), not read the next page.
_LONG_POLL = re.compile(r"wait|watch|\bblocks?\b|long[- ]poll", re.IGNORECASE)
# The words of a camelCase or snake name (`pageToken`: page, Token), shared with the planner.
WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# Where APIs put a next token whatever their parameter is called (after the parameter's own
# names): Google's, Slack's, AWS's; then a next-page URL (Azure's, OData's, JSON:API's, HAL's).
_ANY_NEXT = (
    ("next_cursor",),
    ("nextCursor",),
    ("next_page_token",),
    ("nextPageToken",),
    ("next_token",),
    ("nextToken",),
    ("NextToken",),
    ("continuation_token",),
    ("continuationToken",),
    ("response_metadata", "next_cursor"),
    ("meta", "next_cursor"),
    ("meta", "nextCursor"),
    ("pagination", "next_cursor"),
    ("pagination", "nextCursor"),
    ("next",),
    ("nextLink",),
    ("next_link",),
    ("@odata.nextLink",),
    ("links", "next"),
    ("links", "next", "href"),
    ("_links", "next", "href"),
)


@lru_cache(maxsize=256)
def _next_keys(param: str) -> tuple[tuple[str, ...], ...]:
    """The key paths `guessed_next_fields` names, in the order they are tried."""
    words = [w.lower() for w in WORD.findall(param)] or [param.lower()]
    snake, title = "_".join(words), "".join(w.title() for w in words)
    own = (f"next_{snake}", f"next{title}", f"Next{title}")
    keys = [
        *((name,) for name in own),
        *((parent, param) for parent in ("next_page", "nextPage", "next")),
        ("paging", "next", param),
        *((box, name) for box in ("pagination", "paging", "meta") for name in own[:2]),
        *_ANY_NEXT,
        (param,),  # the same name back (AWS Service Catalog's `PageToken`): text only
    ]
    return tuple(dict.fromkeys(keys))


def guessed_next_fields(param: str) -> tuple[str, ...]:
    """Where an answer may carry the next value of token parameter `param`, most specific
    first: `next_<param>` and `next<Param>` at the top or in a paging object, `<param>` inside
    a `next` object (Asana's `next_page.offset`, HubSpot's `paging.next.after`), the names any
    API's next token goes by, a next-page URL, and last the parameter's own name."""
    return tuple(
        "$" + "".join(f".{k}" if k.isidentifier() else f"['{k}']" for k in keys)
        for keys in _next_keys(param)
    )


_LINKS = frozenset(
    {("nextLink",), ("next_link",), ("@odata.nextLink",), ("links", "next")}
    | {("links", "next", "href"), ("_links", "next", "href")}
)


def _guessed(body: Any, param: str, sent: str | None) -> PageState | None:
    """The next page from the first value found where `guessed_next_fields` looks: a token
    (text or a whole number, not the token just sent: an echo would ask for the same page
    again), or a next-page URL."""
    if not isinstance(body, dict):
        return None
    for keys in _next_keys(param):
        value: Any = body
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            continue  # an object (`next_page` itself), a list or a flag is no token
        if isinstance(value, str) and (
            value.lower().startswith(("http://", "https://")) or keys in _LINKS
        ):
            if is_link(value):
                return PageState(url=value)
            continue  # a link field's placeholder ("string" from a mock) is no token
        if keys == (param,) and not isinstance(value, str):
            continue  # a number under the parameter's own name is where this page began
        if str(value) != sent:
            return PageState(cursor=str(value))
    return None


def _from_headers(headers: Mapping[str, str], names: tuple[str, ...]) -> PageState | None:
    """The next page from response headers: a `Link` rel="next" URL, else a token header."""
    match = LINK_NEXT.search(headers.get("link", ""))
    if match and is_link(match.group(1)):
        return PageState(url=match.group(1))
    token = next((headers[name].strip() for name in names if headers.get(name, "").strip()), "")
    return PageState(cursor=token) if token else None
