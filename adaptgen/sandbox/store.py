"""In-memory storage, queries and mutations for the sandbox CRM.

All handlers run on the server's single event loop and never await while mutating, so no locking
is needed here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .data import (
    DEFAULT_SEED,
    STAGE_PROBABILITY,
    Record,
    activity_skeleton,
    company_skeleton,
    contact_skeleton,
    employee_range,
    empty_address,
    generate,
    iso_z,
    millis_offset_timestamp,
    refresh_activity,
    refresh_company,
    refresh_contact,
    refresh_deal,
    touch,
)
from .errors import validation_failed

# Fields a client may set on a contact; PUT resets the ones it omits to the skeleton default.
CONTACT_EDITABLE = (
    "salutation", "first_name", "middle_name", "last_name", "suffix", "nickname", "email",
    "secondary_email", "phone", "mobile", "job_title", "department", "company_id",
    "date_of_birth", "lifecycle_stage", "lead_source", "tags", "do_not_call",
    "preferred_contact_method", "address", "custom_fields", "notes_html",
)  # fmt: skip

# What each resource's ids-only search (GET /search) matches against, case-insensitively.
SEARCH_FIELDS = {
    "contact": ("full_name", "email", "secondary_email", "company_name", "legacy_id"),
    "company": ("name", "legal_name", "domain", "legacy_id"),
    "deal": ("name", "company_name", "contact_name", "legacy_id"),
    "activity": ("subject", "contact_name", "legacy_id"),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: used for ``audit.*_by`` and the owner of records created via the API."""

    user_id: int
    username: str
    display_name: str
    via: str  # "api_key" or "session"


class CrmStore:
    """The sandbox's data, seeded deterministically from ``seed``."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        data, self._legacy = generate(seed)
        self.tables: dict[str, dict[int, Record]] = {
            "contact": data.contacts,
            "company": data.companies,
            "deal": data.deals,
            "activity": data.activities,
        }
        self._legacy_index: dict[str, dict[str, int]] = {
            kind: {record["legacy_id"]: record_id for record_id, record in table.items()}
            for kind, table in self.tables.items()
        }
        self._next_id = {kind: max(table) + 1 for kind, table in self.tables.items()}

    # -- reads --------------------------------------------------------------------------------

    def get(self, kind: str, raw_id: str) -> Record | None:
        """Look a record up by numeric id or legacy id (``CNT-123456``); hide soft-deleted ones."""
        table = self.tables[kind]
        if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 12:
            record = table.get(int(raw_id))
        else:
            record_id = self._legacy_index[kind].get(raw_id)
            record = table.get(record_id) if record_id is not None else None
        if record is None or record["is_deleted"]:
            return None
        return record

    def all(self, kind: str) -> list[Record]:
        """Every non-deleted record of ``kind`` in id order."""
        return [record for record in self.tables[kind].values() if not record["is_deleted"]]

    def company_counts(self) -> tuple[Counter[int], Counter[int]]:
        """Live ``(contact_count, open_deal_count)`` per company id."""
        contacts = Counter(c["company_id"] for c in self.all("contact") if c["company_id"])
        deals = Counter(
            d["company_id"] for d in self.all("deal") if d["company_id"] and d["status"] == "open"
        )
        return contacts, deals

    def company_views(self, companies: Iterable[Record]) -> list[Record]:
        """Companies with their derived counters filled in (computed, never stale)."""
        contacts, deals = self.company_counts()
        views = []
        for company in companies:
            view = dict(company)
            view["contact_count"] = contacts[company["id"]]
            view["open_deal_count"] = deals[company["id"]]
            views.append(view)
        return views

    def search(self, kind: str, query: str) -> list[int]:
        """Ids of ``kind`` records whose searchable fields contain ``query``."""
        needle = query.casefold()
        fields = SEARCH_FIELDS[kind]
        return [
            record["id"]
            for record in self.all(kind)
            if any(needle in str(record[name] or "").casefold() for name in fields)
        ]

    # -- writes -------------------------------------------------------------------------------

    def _allocate(self, kind: str) -> tuple[int, str]:
        record_id = self._next_id[kind]
        self._next_id[kind] += 1
        legacy_id = self._legacy.allocate(kind)
        self._legacy_index[kind][legacy_id] = record_id
        return record_id, legacy_id

    def _company_ref(self, company_id: int | None, field: str) -> Record | None:
        if company_id is None:
            return None
        company = self.get("company", str(company_id))
        if company is None:
            raise validation_failed([{"field": field, "issue": f"no company with id {company_id}"}])
        return company

    def create_contact(self, fields: dict[str, Any], actor: Principal, now: datetime) -> Record:
        """Create a contact from validated ``fields``."""
        company = self._company_ref(fields.get("company_id"), "company_id")
        record_id, legacy_id = self._allocate("contact")
        contact = contact_skeleton(record_id, legacy_id, now=now, actor=actor.username)
        contact["owner_id"] = actor.user_id
        contact["owner_name"] = actor.display_name
        contact["sync_status"] = "PENDING"
        self._apply_contact(contact, fields, company)
        self.tables["contact"][record_id] = contact
        return contact

    def update_contact(
        self,
        contact: Record,
        fields: dict[str, Any],
        actor: Principal,
        now: datetime,
        *,
        replace: bool,
    ) -> Record:
        """PUT (``replace=True``: omitted fields reset) or PATCH (only given fields change)."""
        if replace:
            defaults = contact_skeleton(contact["id"], contact["legacy_id"], now=now, actor="")
            fields = {
                **{name: defaults[name] for name in CONTACT_EDITABLE if name != "custom_fields"},
                **fields,
            }
        company_id = fields.get("company_id", contact["company_id"])
        company = self._company_ref(company_id, "company_id")
        self._apply_contact(contact, fields, company, replace_address=replace)
        contact["sync_status"] = "PENDING"
        touch(contact, now=now, actor=actor.username)
        return contact

    def _apply_contact(
        self,
        contact: Record,
        fields: dict[str, Any],
        company: Record | None,
        *,
        replace_address: bool = True,
    ) -> None:
        for name, value in fields.items():
            if name == "address":
                base = empty_address("work") if replace_address else contact["address"]
                contact["address"] = _merge_address(base, value)
            elif name == "custom_fields":
                # Custom fields always merge: the legacy API could not remove a field definition.
                contact["custom_fields"] = {**contact["custom_fields"], **value}
            elif name != "company_id":
                contact[name] = value
        refresh_contact(contact, company)

    def delete_contact(self, contact: Record, actor: Principal, now: datetime) -> None:
        """Soft-delete: the row stays (with ``is_deleted``) but disappears from the API."""
        contact["is_deleted"] = True
        contact["sync_status"] = "PENDING"
        touch(contact, now=now, actor=actor.username)

    def create_company(self, fields: dict[str, Any], actor: Principal, now: datetime) -> Record:
        """Create a company from validated ``fields``."""
        self._company_ref(fields.get("parent_company_id"), "parent_company_id")
        record_id, legacy_id = self._allocate("company")
        company = company_skeleton(record_id, legacy_id, now=now, actor=actor.username)
        company["owner_id"] = actor.user_id
        company["owner_name"] = actor.display_name
        company["sync_status"] = "PENDING"
        for name, value in fields.items():
            if name == "billing_address":
                company[name] = _merge_address(empty_address("billing"), value)
            elif name == "custom_fields":
                company[name] = {**company[name], **value}
            else:
                company[name] = value
        company["employee_range"] = employee_range(company["employee_count"])
        refresh_company(company)
        self.tables["company"][record_id] = company
        return company

    def set_deal_stage(
        self, deal: Record, stage: str, reason: str | None, actor: Principal, now: datetime
    ) -> Record:
        """Move a deal to ``stage`` and keep status, probability and history consistent."""
        deal["stage"] = stage
        deal["probability"] = STAGE_PROBABILITY[stage]
        deal["days_in_stage"] = 0
        deal["stage_history"].append(
            {
                "stage": stage,
                "entered_at": iso_z(now),
                "changed_by": actor.username,
                "reason": reason,
            }
        )
        if stage in ("won", "lost"):
            deal["closed_at"] = millis_offset_timestamp(now)
            deal["next_step"] = ""
        else:
            deal["closed_at"] = None
        deal["lost_reason"] = (reason or "") if stage == "lost" else None
        refresh_deal(deal)
        deal["sync_status"] = "PENDING"
        touch(deal, now=now, actor=actor.username)
        return deal

    def log_activity(self, fields: dict[str, Any], actor: Principal, now: datetime) -> Record:
        """Record a call/email/meeting against an existing contact (and optionally a deal)."""
        contact = self.get("contact", str(fields["contact_id"]))
        if contact is None:
            raise validation_failed(
                [{"field": "contact_id", "issue": f"no contact with id {fields['contact_id']}"}]
            )
        deal_id = fields.get("deal_id")
        if deal_id is not None and self.get("deal", str(deal_id)) is None:
            raise validation_failed([{"field": "deal_id", "issue": f"no deal with id {deal_id}"}])
        record_id, legacy_id = self._allocate("activity")
        activity = activity_skeleton(record_id, legacy_id, now=now, actor=actor.username)
        notes = fields.get("notes")
        activity.update(
            {
                "type": fields["type"],
                "subject": fields["subject"],
                "notes": notes,
                "notes_html": f"<p>{_html_escape(notes)}</p>" if notes else "",
                "occurred_at": fields.get("occurred_at") or iso_z(now),
                "duration_minutes": fields.get("duration_minutes"),
                "direction": "outbound" if fields["type"] != "meeting" else None,
                "contact_id": contact["id"],
                "contact_name": contact["full_name"],
                "company_id": contact["company_id"],
                "deal_id": deal_id,
                "owner_id": actor.user_id,
                "owner_name": actor.display_name,
                "sync_status": "PENDING",
            }
        )
        refresh_activity(activity)
        self.tables["activity"][record_id] = activity
        return activity


def _merge_address(base: Record, changes: dict[str, Any]) -> Record:
    merged = {**base, **changes}
    # Any edit invalidates the address verification and geocode done by the legacy batch job.
    merged["is_verified"] = False
    merged["geo"] = None
    return merged


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
