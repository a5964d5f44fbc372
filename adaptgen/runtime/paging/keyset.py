"""`keyset`: the next request asks for the items after the last item's sort key.

For APIs that page by a filter on the key they sort by, e.g. `GET /events?updated_after=...`
sorted by `updated_at`, or `?since=<timestamp>`: the last item's key value is sent back as the
parameter. Keys may repeat (timestamps): with an inclusive parameter (`since`, "at or after")
the next page starts with the items of the last key, skipped by count as already returned; with
a strict one (`updated_after`) the next request asks for the items after the key *before* the
last, for the same reason. The upstream must sort ties the same way each time, as keyset paging
needs anyway; only a key shared by more items than a page holds loses some of them.

Detected when a list operation has no other paging but a `<field>_after`/`<field>_since`-style
parameter (or a date-time `since`/`after`) whose field the items declare, and a page size or a
has_more flag that shows the list is cut into pages. A `paginate` hint with `style: keyset`
names the parameter (`cursor`), the item field (`key_field`) and `inclusive`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle
from adaptgen.runtime.paging.cursor import CURSOR_PARAMS
from adaptgen.runtime.paging.offset import OFFSET_ONLY
from adaptgen.runtime.paging.page import PAGE_PARAMS
from adaptgen.words import squashed

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

# Parameter-name endings that ask for items past a key, and whether they include it.
_SUFFIXES = {"after": False, "gt": False, "since": True, "gte": True, "from": True}
# Item fields a bare date-time `since`/`after` usually filters on, most likely first.
_TIME_FIELDS = ("updatedat", "modifiedat", "updated", "modified", "lastmodified", "createdat")
_KEY_KINDS = ("string", "integer", "number")
# Parameters that say where a page starts: an operation with one pages by it, not by a key filter.
_POSITION_PARAMS = (*CURSOR_PARAMS, *PAGE_PARAMS, *OFFSET_ONLY)


class KeysetHints(PagingHints):
    """A keyset `paginate` hint: `cursor` is the parameter that takes the key."""

    key_field: str | None = Field(
        default=None, description="Item field whose last value is sent back (keyset style)."
    )
    inclusive: bool = Field(
        default=False,
        description="The parameter means 'at or after' (since): skip the items already seen.",
    )


class KeysetPaging(PagingStyle):
    """The last item's sort key, sent as a parameter."""

    style: Literal["keyset"] = "keyset"
    key_param: str
    key_field: str
    inclusive: bool = False

    priority: ClassVar[int] = 70  # last: a sort-key filter is paging only when nothing else is
    hints: ClassVar[type[PagingHints]] = KeysetHints

    @classmethod
    def detect(cls, listing: Listing) -> KeysetPaging | None:
        size = listing.pick_size()
        ends = listing.ends()
        if size is None and ends["has_more"] is None:
            return None  # nothing shows the list comes in pages: the parameter only filters
        if listing.pick(_POSITION_PARAMS) is not None:
            return None  # it pages some other way the spec leaves unsaid (gsmtasks' `cursor`)
        fields = {
            squashed(name): name
            for name, schema in listing.item_fields().items()
            if schema.get("type") in _KEY_KINDS
        }
        for norm, api_name in listing.query.by_norm.items():
            found = _key_of(norm, fields, listing.is_date(api_name))
            if found is not None:
                field, inclusive = found
                return listing.make(
                    cls, size, key_param=api_name, key_field=field, inclusive=inclusive, **ends
                )
        return None

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> KeysetPaging:
        assert isinstance(hint, KeysetHints)
        return listing.make(
            cls,
            hint.size,
            key_param=hint.cursor or "since",
            key_field=hint.key_field or "updated_at",
            inclusive=hint.inclusive,
            **listing.hinted(hint),
        )

    def params(self) -> tuple[str, ...]:
        return (self.key_param, *super().params())

    def describe(self) -> str:
        bound = ">=" if self.inclusive else ">"
        return f"{super().describe()}, {self.key_param} {bound} last {self.key_field}"

    def request_params(self, state: PageState, wanted: int) -> dict[str, Any]:
        params = super().request_params(state, wanted)
        if state.cursor is not None:
            params[self.key_param] = state.cursor
        return params

    def next_state(
        self, state: PageState, body: Any, headers: Mapping[str, str], received: int
    ) -> PageState | None:
        keys = [_key(item, self.key_field) for item in self.page_items(body) or []]
        last = keys[-1] if keys else None
        if last is None:
            return None
        tied = 0  # how many items at the end of the page share the last key
        for key in reversed(keys):
            if key != last:
                break
            tied += 1
        if self.inclusive:  # `since=last` sends the items of the last key again: skip them
            return PageState(cursor=last, skip=tied)
        if tied < len(keys) and keys[-tied - 1] is not None:
            # `after=last` would lose the items of the last key the page had no room for: ask
            # for those after the key before it instead, and skip the ones already returned.
            return PageState(cursor=keys[-tied - 1], skip=tied)
        return PageState(cursor=last)  # one key fills the page: its remaining items are lost


def _key(item: Any, field: str) -> str | None:
    value = item.get(field) if isinstance(item, dict) else None
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value)


def _key_of(param: str, fields: dict[str, str], is_date: bool) -> tuple[str, bool] | None:
    """(item field, inclusive) when query parameter `param` (normalized) asks for items past
    a key the items declare: `updated_after` -> `updated_at`, a date-time `since` -> `updated_at`.
    Ids are the `last_id` style's."""
    for suffix, inclusive in _SUFFIXES.items():
        if param == suffix and is_date:
            field = next((fields[f] for f in _TIME_FIELDS if f in fields), None)
            return (field, inclusive) if field else None
        if param.endswith(suffix) and len(param) > len(suffix):
            stem = param[: -len(suffix)]
            if stem == "id":
                return None
            for candidate in (stem, stem + "at", stem + "time", stem + "date"):
                if candidate in fields:
                    return fields[candidate], inclusive
    return None
