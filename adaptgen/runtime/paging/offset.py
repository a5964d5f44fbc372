"""`offset`: a numeric offset (offset, skip, startAt...) with a limit beside it, ended by the
total or an empty page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle, unset

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

OFFSET_PARAMS = ("offset", "skip", "start", "startindex", "startat", "from")
# Offset names that never mean anything else (`start` and `from` are often dates or senders).
OFFSET_ONLY = ("offset", "skip", "startindex", "startat")
LIMIT_PARAMS = (
    "limit",
    "count",
    "size",
    "maxresults",
    "top",
    "rows",
    "perpage",
    "pagesize",
    "maxitems",
)


class OffsetPaging(PagingStyle):
    """Offset + limit: the limit asks for just the items still wanted."""

    style: Literal["offset"] = "offset"
    offset_param: str = "offset"
    limit_param: str | None = Field(default=None, exclude_if=unset)

    priority: ClassVar[int] = 50

    @classmethod
    def detect(cls, listing: Listing) -> OffsetPaging | None:
        offset = listing.pick(OFFSET_PARAMS, numeric=True) or listing.pick_number(OFFSET_ONLY)
        if offset is None:
            return None
        limit = listing.pick_number(LIMIT_PARAMS)
        return listing.make(
            cls, limit, size_param=None, offset_param=offset, limit_param=limit, **listing.ends()
        )

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> OffsetPaging:
        return listing.make(
            cls,
            hint.limit,
            size_param=None,
            offset_param=hint.offset or "offset",
            limit_param=hint.limit,
            **listing.hinted(hint),
        )

    def params(self) -> tuple[str, ...]:
        return tuple(p for p in (self.offset_param, self.limit_param) if p)

    def initial_state(self) -> PageState:
        return PageState(offset=0)

    def request_params(self, state: PageState, wanted: int) -> dict[str, Any]:
        params: dict[str, Any] = {self.offset_param: state.offset or 0}
        if self.limit_param:
            params[self.limit_param] = min(max(wanted, 1), self.page_size)
        return params

    def at(self, state: PageState, index: int) -> PageState:
        return replace(state, offset=(state.offset or 0) + index, skip=0)

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        offset = (state.offset or 0) + received
        total = self.total_count(body)
        return None if total is not None and offset >= total else PageState(offset=offset)
