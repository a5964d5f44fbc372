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

# The row-named ones: Visma's `firstRow`, DoubleClick Search's `startRow`, Visma.net's
# `skipRecords`, Mastercard's `PageOffset`.
_ROWS = ("firstrow", "startrow", "skiprecords", "pageoffset")
OFFSET_PARAMS = ("offset", "skip", "start", "startindex", "startat", "from", *_ROWS)
# Offset names that never mean anything else (`start` and `from` are often dates or senders).
OFFSET_ONLY = ("offset", "skip", "startindex", "startat", *_ROWS)
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
    "rowcount",  # Visma's and DoubleClick Search's, beside `firstRow` / `startRow`
    "numbertoread",  # Visma.net's, beside `skipRecords`
    "pagelength",  # Mastercard's, beside `PageOffset`
    "max",  # Keycloak's, beside `first`
)


def _zero(value: Any) -> bool:
    """Left out of catalog.json: an offset counted from 0, as most are."""
    return value == 0


class OffsetPaging(PagingStyle):
    """Offset + limit: the limit asks for just the items still wanted."""

    style: Literal["offset"] = "offset"
    offset_param: str = "offset"
    limit_param: str | None = Field(default=None, exclude_if=unset)
    # The first item's offset: 1 where the API counts from 1 (weber-gesamtausgabe's `offset`
    # "starting from 1", OpenSearch's and SCIM's `startIndex`, gisgraphy's `from`).
    first_offset: int = Field(default=0, exclude_if=_zero)
    # The least count of items to skip the API takes (Azure's `$skip`, minimum 1): the first
    # page, which skips none, does not send it.
    min_skip: int | None = Field(default=None, exclude_if=unset)

    priority: ClassVar[int] = 50

    @classmethod
    def detect(cls, listing: Listing) -> OffsetPaging | None:
        offset = (
            listing.pick(OFFSET_PARAMS, numeric=True)
            or listing.pick_number(OFFSET_ONLY)
            or listing.pick_number(OFFSET_PARAMS, sampled=True)
            or _first_beside_max(listing)
        )
        if offset is None:
            return None
        limit = listing.pick_number(LIMIT_PARAMS)
        numbering = _numbering(offset, listing.schema(offset))
        return listing.make(
            cls,
            limit,
            size_param=None,
            offset_param=offset,
            limit_param=limit,
            **numbering,
            **listing.ends(),
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
        return PageState(offset=self.first_offset)

    def _offset(self, state: PageState) -> int:
        return self.first_offset if state.offset is None else state.offset

    def request_params(self, state: PageState, wanted: int) -> dict[str, Any]:
        offset = self._offset(state)
        params: dict[str, Any] = {}
        if self.min_skip is None or offset >= self.min_skip:
            params[self.offset_param] = offset
        if self.limit_param:
            params[self.limit_param] = min(max(wanted, 1), self.page_size)
        return params

    def at(self, state: PageState, index: int) -> PageState:
        return replace(state, offset=self._offset(state) + index, skip=0)

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        offset = self._offset(state) + received
        total = self.total_count(body)
        done = total is not None and offset - self.first_offset >= total
        return None if done else PageState(offset=offset)


def _first_beside_max(listing: Listing) -> str | None:
    """`first` counts the items wanted (GraphQL's `first`, a page size) unless a `max` beside it
    does: then it is the first item's position (Keycloak's `first` and `max`)."""
    first = listing.pick_number(("first",))
    return first if first is not None and listing.pick_number(("max",)) is not None else None


def _numbering(name: str, schema: Mapping[str, Any]) -> dict[str, int]:
    """How an offset parameter counts, from its schema: an index from 1 when its least or its
    default value is 1 (`first_offset`); but a count of items to skip (`skip`, `$skip`) is a
    count whatever its least value, which is then only the least it takes (`min_skip`)."""
    least, default = schema.get("minimum"), schema.get("default")
    least = least if isinstance(least, int) and not isinstance(least, bool) else None
    if "skip" in name.lower():
        return {"min_skip": least} if least is not None and least > 0 else {}
    if least == 1 or (least is None and default == 1 and not isinstance(default, bool)):
        return {"first_offset": 1}
    return {}
