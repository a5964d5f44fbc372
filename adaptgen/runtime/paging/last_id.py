"""`last_id`: the last item's id sent back to get the items after it (Stripe's
`starting_after`, OpenAI's `after` with `has_more`, GitHub's integer `since`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle

if TYPE_CHECKING:
    from adaptgen.plan.pagination import Listing

# `max_id` first: a newest-first timeline (Mastodon's, Twitter's) goes on below the last id it
# showed, where `since_id` would come back to the newest.
LAST_ID_PARAMS = ("startingafter", "after", "afterid", "maxid", "sinceid", "since")


class LastIdPaging(PagingStyle):
    """The page's last item's id, sent as a parameter."""

    style: Literal["last_id"] = "last_id"
    cursor_param: str = "cursor"
    # The item field whose value resumes after that item; `data.id`: its wrapped record's.
    id_field: str = "id"

    priority: ClassVar[int] = 20

    @classmethod
    def detect(cls, listing: Listing) -> LastIdPaging | None:
        id_field = listing.item_id()
        if id_field is None:
            return None
        ends = listing.ends()
        for norm in LAST_ID_PARAMS:
            param = listing.param(norm)
            if param is None:
                continue
            if norm == "since" and not listing.is_numeric(param):
                continue  # `since` is usually a timestamp; an integer `since` is an id
            if norm == "after" and ends["has_more"] is None:
                continue  # a bare `after` may be a date or a filter: only with a has_more flag
            return listing.make(
                cls,
                listing.pick_size(),
                cursor_param=param,
                id_field=id_field,
                has_more=ends["has_more"],
            )
        return None

    @classmethod
    def from_hint(cls, hint: PagingHints, listing: Listing) -> LastIdPaging:
        return listing.make(
            cls,
            hint.size,
            cursor_param=hint.cursor or "cursor",
            id_field=hint.id_field or "id",
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
        items = self.page_items(body) or []
        last = items[-1] if items else None
        value = _id_of(last, self.id_field)
        if value is None or isinstance(value, (bool, dict, list)):
            return None
        return PageState(cursor=str(value))


def _id_of(item: Any, field: str) -> Any:
    """The item's id: its field `field`, else down the dotted path (`data.id`)."""
    if not isinstance(item, dict):
        return None
    if field in item or "." not in field:
        return item.get(field)
    for key in field.split("."):
        item = item.get(key) if isinstance(item, dict) else None
    return item
