"""`page`: a page-number parameter (and a page size), ended by the total, a next-page field or
an empty page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from adaptgen.runtime import jsonpath
from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle, unset

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

# `SkipPages` counts the pages before the one wanted: a page index from 0 (e-conomic's).
PAGE_PARAMS = (
    "page",
    "pagenumber",
    "pageno",
    "pageindex",
    "pagenum",
    "currentpage",
    "skippages",
)
# Evidence that a string-typed `page` parameter still takes page numbers (Slack's `files.list`).
PAGE_NUMBER_FIELDS = ("page", "pages", "totalpages", "pagecount", "numpages", "lastpage")
NEXT_PAGE_FIELDS = ("nextpage",)


class PagePaging(PagingStyle):
    """Page number + page size."""

    style: Literal["page"] = "page"
    page_param: str = "page"
    first_page: int = 1
    # JSONPath of the next page number or a "next page" flag.
    next: str | None = Field(default=None, exclude_if=unset)

    priority: ClassVar[int] = 40

    @classmethod
    def detect(cls, listing: Listing) -> PagePaging | None:
        page = listing.pick_number(PAGE_PARAMS) or listing.said_page()
        if page is None and listing.field(PAGE_NUMBER_FIELDS, ("integer",), strict=True):
            page = listing.pick(PAGE_PARAMS)
        if page is None:
            return None
        next_page = listing.field(NEXT_PAGE_FIELDS, ("integer", "boolean"))
        return cls._planned(listing, listing.pick_size(), page, next_page, **listing.ends())

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> PagePaging:
        page = hint.page or "page"
        return cls._planned(listing, hint.size, page, hint.next, **listing.hinted(hint))

    @classmethod
    def _planned(
        cls, listing: Listing, size: str | None, page: str, next: str | None, **common: Any
    ) -> PagePaging:
        first = _first_page(listing.schema(page))
        return listing.make(cls, size, page_param=page, first_page=first, next=next, **common)

    def params(self) -> tuple[str, ...]:
        return (self.page_param, *super().params())

    def initial_state(self) -> PageState:
        return PageState(page=self.first_page)

    def request_params(self, state: PageState, wanted: int) -> dict[str, Any]:
        return {self.page_param: state.page, **super().request_params(state, wanted)}

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        page = state.page or self.first_page
        if self.next is not None:
            return PageState(page=page + 1) if jsonpath.first(self.next, body) else None
        total = self.total_count(body)
        if total is not None and (page - self.first_page + 1) * received >= total:
            return None
        return PageState(page=page + 1)


def _first_page(schema: dict[str, Any]) -> int:
    """The first page's number: the parameter's default where it is 0 or 1 (what the API sends
    when asked for no page: SwaggerHub's, Nexmo's and XTRF's `page` default to 0, Codat's to 1
    though its least value is 0), else 0 where that is its least value, else 1."""
    default = schema.get("default")
    if default in (0, 1) and not isinstance(default, bool):
        return int(default)
    return 0 if schema.get("minimum") == 0 else 1
