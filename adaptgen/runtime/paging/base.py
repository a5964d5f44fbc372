"""What every paging style shares: the catalog fields, the page state, reading a page.

A style is one class (`PagingStyle` subclass, one module in this package): its catalog fields,
how it asks for a page and finds the next one at run time, how it is planned from hints or
detected from the spec, and the line the build report prints. Detection gets a `Listing`
(`adaptgen.plan.pagination`): the operation's query parameters and response fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from adaptgen.runtime import jsonpath
from adaptgen.runtime.strict import StrictModel

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

DEFAULT_PAGE_SIZE = 25
DEFAULT_MAX_ITEMS = 200


def unset(value: Any) -> bool:
    """Left out of catalog.json: a field that is not set."""
    return value is None


class PagingHints(StrictModel):
    """A `paginate` hint: how an operation pages, when detection from the spec is not enough.

    Every style reads the fields it needs; a style with fields of its own subclasses this.
    """

    style: str
    items: str | None = Field(default=None, description="JSONPath of the item list.")
    page: str | None = Field(default=None, description="Page-number parameter (page style).")
    size: str | None = Field(default=None, description="Page-size parameter.")
    offset: str | None = Field(default=None, description="Offset parameter (offset style).")
    limit: str | None = Field(default=None, description="Limit parameter (offset style).")
    cursor: str | None = Field(
        default=None,
        description="Cursor parameter (cursor style), or the one taking the last item's id "
        "(last_id style, e.g. starting_after) or sort key (keyset style, e.g. updated_after).",
    )
    next: str | None = Field(
        default=None,
        description="JSONPath of the next cursor, next URL or next page number; for link "
        "style, the response header holding the next URL (default: Link).",
    )
    total: str | None = Field(default=None, description="JSONPath of the total item count.")
    has_more: str | None = Field(
        default=None, description="JSONPath of a boolean: paging stops when it is false."
    )
    id_field: str | None = Field(
        default=None, description="Item field whose value resumes after it (last_id style; id)."
    )
    page_size: int | None = Field(default=None, ge=1, description="Items per upstream page.")
    max_items: int | None = Field(
        default=None, ge=1, description="Most items one call may collect across pages."
    )


@dataclass(frozen=True)
class PageState:
    """Where one upstream request starts, and how many of its items were already returned."""

    page: int | None = None
    offset: int | None = None
    cursor: str | None = None
    url: str | None = None
    skip: int = 0


class PagingStyle(BaseModel):
    """How one operation pages (a catalog entry); subclasses are the styles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    style: str
    items: str | None = Field(
        default=None,
        exclude_if=unset,
        description="JSONPath of the item list in the body; absent: the body is the list.",
    )
    size_param: str | None = Field(
        default=None, exclude_if=unset, description="Upstream page-size parameter."
    )
    total: str | None = Field(
        default=None, exclude_if=unset, description="JSONPath of the reported total count."
    )
    has_more: str | None = Field(
        default=None,
        exclude_if=unset,
        description='JSONPath of a "more pages" flag: false ends paging.',
    )
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, description="Items per upstream page.")
    in_body: bool = Field(
        default=False,
        exclude_if=lambda on: not on,
        description="Its parameters go in the request body: a read POSTed (AWS's JSON-protocol "
        "`List*` actions' `nextToken`, a search's `after`).",
    )
    header_params: tuple[str, ...] | None = Field(
        default=None,
        exclude_if=unset,
        description="Its parameters that go as request headers, by their upstream names "
        "(Cosmos DB's `x-ms-continuation`, figshare's `X-Cursor`).",
    )
    default_limit: int = Field(default=DEFAULT_PAGE_SIZE, description="Items when no limit.")
    max_items: int = Field(default=DEFAULT_MAX_ITEMS, description="Most items one call returns.")

    # Detection order: the most explicit evidence first (lower runs earlier).
    priority: ClassVar[int] = 100
    # Whether the upstream says where the next page is (a token, a link): then an empty page
    # with a next one is not the end. A server may answer a page with no items before the end
    # (Google's AIP-158; Azure's lists, whose filter runs page by page); a style that counts
    # pages or offsets itself has only the empty page to tell the end by.
    told_next: ClassVar[bool] = False
    hints: ClassVar[type[PagingHints]] = PagingHints  # the `paginate` hint this style reads

    @classmethod
    def detect(cls, listing: Listing) -> PagingStyle | None:
        """This style's plan for a list operation, when its spec shows it (else None)."""
        return None

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> PagingStyle:
        """This style's plan from a paginate hint (the hint's names win over the defaults)."""
        raise NotImplementedError

    def params(self) -> tuple[str, ...]:
        """The upstream parameters this style sets (hidden from the agent)."""
        return (self.size_param,) if self.size_param else ()

    def describe(self) -> str:
        """The build report's line for a tool paged this way."""
        return (
            f"{self.style}, items {self.items}, page size {self.page_size}, "
            f"up to {self.max_items} per call"
        )

    def initial_state(self) -> PageState:
        """The first page."""
        return PageState()

    def request_params(self, state: PageState, wanted: int) -> dict[str, Any]:
        """Upstream query parameters (by their upstream names) for the request at `state`."""
        return {self.size_param: self.page_size} if self.size_param else {}

    def at(self, state: PageState, index: int) -> PageState:
        """The state that resumes at item `index` of this request's page."""
        return replace(state, skip=index)

    def advance(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        """The state after a page with `received` items, or None at the end."""
        if self.has_more and jsonpath.first(self.has_more, body) is False:
            return None
        if received == 0 and not self.told_next:
            return None
        # Upstreams often cap page sizes silently, so a short page does not prove the end: only
        # an explicit "no next page", the reported total, or an empty page does, and an empty
        # page only where the upstream does not say where the next one is.
        return self.next_state(state, body, headers, received)

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        """The style's own next state after a page that did not say "no more" (an empty one
        only in a style that is `told_next`)."""
        raise NotImplementedError

    def page_items(self, body: Any) -> list[Any] | None:
        """The items of one upstream page; None when the body has no item list where planned."""
        found = jsonpath.first(self.items, body) if self.items else body
        if isinstance(found, list):
            return found
        return [] if found is None and body in (None, "", {}) else None

    def total_count(self, body: Any) -> int | None:
        """The total the upstream reports, if any."""
        if not self.total:
            return None
        value = jsonpath.first(self.total, body)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def is_link(value: Any) -> bool:
    """A next-page link: an http(s) URL or an absolute path/query, not a placeholder word (mocks
    fill a `format: uri` field with "string") that would resolve to a page that is not there."""
    if not isinstance(value, str) or not value.strip():
        return False
    return value.startswith(("/", "?")) or value.lower().startswith(("http://", "https://"))
