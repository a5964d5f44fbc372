"""Request body validation for the sandbox CRM.

A deliberately small validator (the runtime must not depend on jsonschema, which is a dev-only
dependency). The field tables below mirror the ``*Input`` schemas in ``specs/crm.yaml``; the
test-suite checks the two stay in sync.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .data import (
    ACTIVITY_TYPES,
    COMPANY_STATUSES,
    COMPANY_TIERS,
    CONTACT_LIFECYCLE_STAGES,
    DEAL_STAGES,
    PREFERRED_CONTACT_METHODS,
    SALUTATION_CHOICES,
    iso_z,
)
from .errors import validation_failed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
US_DATE_RE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
CUSTOM_FIELD_RE = re.compile(r"^cf_\d{3}$")
ADDRESS_TYPES = ("work", "home", "billing", "shipping", "mailing")
ADDRESS_FIELDS = ("street1", "street2", "city", "state", "postal_code", "country")


@dataclass(frozen=True)
class Field:
    """One accepted body field.

    ``kind`` is one of: string, email, integer, number, boolean, enum, us_date, datetime, tags,
    address, custom_fields.
    """

    kind: str
    required: bool = False
    nullable: bool = False
    max_length: int = 255
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


LOGIN_FIELDS: dict[str, Field] = {
    "username": Field("string", required=True, max_length=64),
    "password": Field("string", required=True, max_length=128),
}

CONTACT_FIELDS: dict[str, Field] = {
    "salutation": Field("enum", choices=SALUTATION_CHOICES),
    "first_name": Field("string", required=True, max_length=80),
    "middle_name": Field("string", nullable=True, max_length=80),
    "last_name": Field("string", required=True, max_length=80),
    "suffix": Field("string", nullable=True, max_length=20),
    "nickname": Field("string", nullable=True, max_length=80),
    "email": Field("email", required=True),
    "secondary_email": Field("email", nullable=True),
    "phone": Field("string", nullable=True, max_length=40),
    "mobile": Field("string", nullable=True, max_length=40),
    "job_title": Field("string", nullable=True, max_length=120),
    "department": Field("string", nullable=True, max_length=120),
    "company_id": Field("integer", nullable=True, minimum=1),
    "date_of_birth": Field("us_date", nullable=True),
    "lifecycle_stage": Field("enum", choices=CONTACT_LIFECYCLE_STAGES),
    "lead_source": Field("string", nullable=True, max_length=60),
    "tags": Field("tags"),
    "do_not_call": Field("boolean"),
    "preferred_contact_method": Field("enum", choices=PREFERRED_CONTACT_METHODS),
    "address": Field("address"),
    "custom_fields": Field("custom_fields"),
    "notes_html": Field("string", max_length=20000),
}

COMPANY_FIELDS: dict[str, Field] = {
    "name": Field("string", required=True, max_length=160),
    "legal_name": Field("string", nullable=True, max_length=200),
    "domain": Field("string", nullable=True, max_length=120),
    "website": Field("string", nullable=True, max_length=255),
    "email": Field("email", nullable=True),
    "phone": Field("string", nullable=True, max_length=40),
    "industry": Field("string", nullable=True, max_length=80),
    "employee_count": Field("integer", nullable=True, minimum=0),
    "annual_revenue": Field("number", nullable=True, minimum=0),
    "tier": Field("enum", choices=COMPANY_TIERS),
    "status": Field("enum", choices=COMPANY_STATUSES),
    "description": Field("string", nullable=True, max_length=4000),
    "parent_company_id": Field("integer", nullable=True, minimum=1),
    "billing_address": Field("address"),
    "tags": Field("tags"),
    "custom_fields": Field("custom_fields"),
    "notes_html": Field("string", max_length=20000),
}

DEAL_STAGE_FIELDS: dict[str, Field] = {
    "stage": Field("enum", required=True, choices=DEAL_STAGES),
    "reason": Field("string", nullable=True, max_length=500),
}

ACTIVITY_FIELDS: dict[str, Field] = {
    "type": Field("enum", required=True, choices=ACTIVITY_TYPES),
    "contact_id": Field("integer", required=True, minimum=1),
    "subject": Field("string", required=True, max_length=200),
    "notes": Field("string", nullable=True, max_length=20000),
    "occurred_at": Field("datetime", nullable=True),
    "deal_id": Field("integer", nullable=True, minimum=1),
    "duration_minutes": Field("integer", nullable=True, minimum=0, maximum=1440),
}


def validate_body(
    body: dict[str, Any],
    fields: dict[str, Field],
    *,
    partial: bool = False,
    form: bool = False,
) -> dict[str, Any]:
    """Validate ``body`` against ``fields`` and return the cleaned values.

    ``partial`` (PATCH): nothing is required but at least one field must be present.
    ``form``: values came from ``application/x-www-form-urlencoded``, so they are all strings;
    numbers and booleans are coerced and empty strings count as "not sent" (legacy HTML forms
    submit every input, filled or not).

    Raises a 422 ``ApiError`` listing every problem.
    """
    errors: list[dict[str, Any]] = []
    cleaned: dict[str, Any] = {}
    for name in body:
        if name not in fields:
            errors.append({"field": name, "issue": "unknown field"})
    for name, spec in fields.items():
        present = name in body
        value = body.get(name)
        if form and value == "":
            present = False
        if not present:
            if spec.required and not partial:
                errors.append({"field": name, "issue": "is required"})
            continue
        if form:
            value = _coerce_form_value(value, spec)
        issue, clean = _check(value, spec)
        if issue:
            errors.append({"field": name, "issue": issue})
        else:
            cleaned[name] = clean
    if partial and not body:
        errors.append({"field": None, "issue": "at least one field must be supplied"})
    if errors:
        raise validation_failed(errors)
    return cleaned


def _coerce_form_value(value: Any, spec: Field) -> Any:
    if not isinstance(value, str):
        return value
    if spec.kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if spec.kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if spec.kind == "boolean" and value.lower() in ("true", "false", "1", "0", "y", "n"):
        return value.lower() in ("true", "1", "y")
    return value


def _check(value: Any, spec: Field) -> tuple[str | None, Any]:
    """Return ``(issue, cleaned_value)``; ``issue`` is None when the value is acceptable."""
    if value is None:
        return (None, None) if spec.nullable else ("must not be null", None)
    kind = spec.kind
    if kind in ("string", "email"):
        if not isinstance(value, str):
            return "must be a string", None
        if len(value) > spec.max_length:
            return f"must be at most {spec.max_length} characters", None
        if kind == "email" and not EMAIL_RE.match(value):
            return "must be an email address", None
        if spec.required and not value.strip():
            return "must not be blank", None
        return None, value
    if kind in ("integer", "number"):
        valid_types: tuple[type, ...] = (int,) if kind == "integer" else (int, float)
        if isinstance(value, bool) or not isinstance(value, valid_types):
            return f"must be {'an integer' if kind == 'integer' else 'a number'}", None
        if spec.minimum is not None and value < spec.minimum:
            return f"must be >= {spec.minimum:g}", None
        if spec.maximum is not None and value > spec.maximum:
            return f"must be <= {spec.maximum:g}", None
        return None, value
    if kind == "boolean":
        return (None, value) if isinstance(value, bool) else ("must be a boolean", None)
    if kind == "enum":
        if value not in spec.choices:
            return f"must be one of {list(spec.choices)}", None
        return None, value
    if kind == "us_date":
        return _check_us_date(value)
    if kind == "datetime":
        return _check_datetime(value)
    if kind == "tags":
        ok = isinstance(value, list) and len(value) <= 20
        if not ok or not all(isinstance(tag, str) and 0 < len(tag) <= 50 for tag in value):
            return "must be a list of at most 20 non-empty strings (<= 50 chars)", None
        return None, list(value)
    if kind == "address":
        return _check_address(value)
    if kind == "custom_fields":
        return _check_custom_fields(value)
    raise AssertionError(f"unknown field kind {kind}")  # a bug in the tables above


def _check_us_date(value: Any) -> tuple[str | None, Any]:
    match = US_DATE_RE.match(value) if isinstance(value, str) else None
    if value == "":
        return None, ""
    if not match:
        return "must be a date in MM/DD/YYYY format", None
    month, day, year = (int(part) for part in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return "is not a valid calendar date", None
    return None, value


def _check_datetime(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, str):
        return "must be an ISO 8601 date-time string", None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return "must be an ISO 8601 date-time, e.g. 2024-05-01T14:30:00Z", None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the legacy server assumed UTC for naive input
    return None, iso_z(moment)


def _check_address(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, dict):
        return "must be an object", None
    unknown = sorted(set(value) - {*ADDRESS_FIELDS, "address_type"})
    if unknown:
        return f"unknown address field(s): {', '.join(unknown)}", None
    for key in ADDRESS_FIELDS:
        item = value.get(key)
        if item is not None and (not isinstance(item, str) or len(item) > 255):
            return f"{key} must be a string of at most 255 characters or null", None
    if "address_type" in value and value["address_type"] not in ADDRESS_TYPES:
        return f"address_type must be one of {list(ADDRESS_TYPES)}", None
    return None, dict(value)


def _check_custom_fields(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, dict):
        return "must be an object", None
    for key, item in value.items():
        if not CUSTOM_FIELD_RE.match(key):
            return f"custom field names look like cf_001 (got {key!r})", None
        if item is not None and not isinstance(item, str | int | float | bool):
            return f"{key} must be a string, number, boolean or null", None
    return None, dict(value)
