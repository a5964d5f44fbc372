"""`cursor`: a token parameter, and the response field that carries the next token."""

from __future__ import annotations

from collections.abc import Mapping
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
)


class CursorPaging(PagingStyle):
    """An opaque token from the body, sent back as a parameter."""

    style: Literal["cursor"] = "cursor"
    cursor_param: str = "cursor"
    next: str | None = Field(default=None, exclude_if=unset)  # JSONPath of the next token
    # A bare array's spec that never says where its next token is: the response headers that
    # may carry it (lower case), read at run time; a `Link: <...>; rel="next"` URL is followed.
    next_headers: tuple[str, ...] | None = Field(default=None, exclude_if=unset)

    priority: ClassVar[int] = 10

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
        return cls._going_back(listing)

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
        if token in (None, "", False) and self.next_headers:
            return _from_headers(headers, self.next_headers)
        return PageState(cursor=str(token)) if token not in (None, "", False) else None

    def describe(self) -> str:
        if not self.next_headers:
            return super().describe()
        return f"{super().describe()}, next {self.cursor_param} from a response header"


def _from_headers(headers: Mapping[str, str], names: tuple[str, ...]) -> PageState | None:
    """The next page from response headers: a `Link` rel="next" URL, else a token header."""
    match = LINK_NEXT.search(headers.get("link", ""))
    if match and is_link(match.group(1)):
        return PageState(url=match.group(1))
    token = next((headers[name].strip() for name in names if headers.get(name, "").strip()), "")
    return PageState(cursor=token) if token else None
