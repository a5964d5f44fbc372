"""`next_url`: the upstream says where the next page is, as a URL in the body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from adaptgen.runtime import jsonpath
from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle, is_link, unset
from adaptgen.runtime.paging.offset import OFFSET_ONLY
from adaptgen.runtime.paging.page import PAGE_PARAMS

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

NEXT_URL_FIELDS = (
    "next",
    "nexturl",
    "nextlink",
    "nexthref",
    "nextpageurl",
    "nextpageuri",
    "nextpagelink",
    "odatanextlink",
)

_NEXT_PAGE_URLS = ("nextpage",)
# OData v2's next link (`{d: {results: [...], __next}}`), as a JSONPath's last key
_ODATA_V2_NEXT = re.compile(r"(?:\.|\[')__next(?:'\])?$")


class NextUrlPaging(PagingStyle):
    """A next-page URL in the body, followed on the upstream's own origin only."""

    style: Literal["next_url"] = "next_url"
    next: str | None = Field(default=None, exclude_if=unset)  # JSONPath of the next URL
    read_next: bool | None = Field(
        default=None,
        exclude_if=unset,
        description="The next pages of a POST are read with GET at the link (Azure's "
        "`x-ms-pageable` POSTs), not posted again.",
    )

    priority: ClassVar[int] = 30
    told_next: ClassVar[bool] = True

    @classmethod
    def detect(cls, listing: Listing) -> NextUrlPaging | None:
        next_url = listing.field(NEXT_URL_FIELDS, ("string",), strict=True)
        if next_url is None and listing.pick_number((*PAGE_PARAMS, *OFFSET_ONLY)) is None:
            # A link object (HAL's `_links.next.href`), or a `nextPage` that holds a URL, not a
            # page number (Zuora's lists, Jira's worklog changes), when no page number or offset
            # is the simpler way (the page and offset styles count those themselves).
            next_url = listing.href_in(NEXT_URL_FIELDS) or listing.link(_NEXT_PAGE_URLS)
        if next_url is None:
            return None
        if _ODATA_V2_NEXT.search(next_url) and listing.param("skip") and listing.param("top"):
            # OData v2 (SAP's): the client's `$top` ends its server's paging, so `__next` never
            # comes after a page asked for with it: `$skip` pages (the offset style).
            return None
        return listing.make(cls, listing.pick_size(), next=next_url, **listing.ends())

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> NextUrlPaging:
        return listing.make(cls, hint.size, next=hint.next, **listing.hinted(hint))

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        url = jsonpath.first(self.next, body) if self.next else None
        return PageState(url=url) if is_link(url) else None
