"""`link`: an RFC 8288 `Link: <...>; rel="next"` header, or a header holding the next URL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle, is_link, unset

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

NEXT_URL_HEADERS = ("xnext", "next", "xnextpage", "xnexturl", "nextpage")
LINK_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


class LinkPaging(PagingStyle):
    """The next URL from a response header."""

    style: Literal["link"] = "link"
    # The header holding the next URL; None: RFC 8288 `Link`.
    next: str | None = Field(default=None, exclude_if=unset)

    priority: ClassVar[int] = 60
    told_next: ClassVar[bool] = True

    @classmethod
    def detect(cls, listing: Listing) -> LinkPaging | None:
        size = listing.pick_size()
        total = listing.ends()["total"]
        if listing.header(("link",)) is not None:
            return listing.make(cls, size, total=total)
        named = listing.header(NEXT_URL_HEADERS)
        if named is not None:
            return listing.make(cls, size, next=named, total=total)
        return None

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> LinkPaging:
        return listing.make(cls, hint.size, next=hint.next, **listing.hinted(hint))

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        value = headers.get((self.next or "link").lower(), "").strip()
        if self.next is None or value.startswith("<"):
            match = LINK_NEXT.search(value)
            value = match.group(1) if match else ""
        return PageState(url=value) if is_link(value) else None
