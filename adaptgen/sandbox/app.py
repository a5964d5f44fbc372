"""Starlette implementation of ``specs/crm.yaml`` (the "Acme Legacy CRM" API v1).

Every operation in the spec is served here under ``/api/v1`` with the spec's parameters, bodies,
status codes and envelopes. Requests are authenticated with either the static ``X-API-Key`` or a
session token from ``POST /auth/login`` (``X-Session-Token``).
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .data import (
    ACTIVITY_TYPES,
    API_INTEGRATION_USER,
    API_PREFIX,
    API_VERSION,
    COMPANY_STATUSES,
    COMPANY_TIERS,
    CONTACT_LIFECYCLE_STAGES,
    DEAL_STAGES,
    DEAL_STATUSES,
    DEFAULT_SEED,
    SANDBOX_USER_ID,
    Record,
    iso_z,
)
from .errors import ApiError, not_found, validation_failed
from .middleware import SandboxMiddleware
from .store import CrmStore, Principal
from .validation import (
    ACTIVITY_FIELDS,
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    DEAL_STAGE_FIELDS,
    LOGIN_FIELDS,
    validate_body,
)

SANDBOX_API_KEY = "sandbox-key"
SANDBOX_USERNAME = "agent"
SANDBOX_PASSWORD = "sandbox-password"
DEFAULT_SESSION_TTL = 3600.0
DEFAULT_REQUEST_LOG_SIZE = 1000

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
DEFAULT_SEARCH_LIMIT = 50
MAX_SEARCH_LIMIT = 500
MAX_QUERY_LENGTH = 100
CONTACT_SORTS = ("id", "-id", "last_name", "-last_name", "created_at", "-created_at")
SEARCH_TYPES = ("contact", "company", "deal", "activity")
EXPORT_COLUMNS = ("id", "legacy_id", "first_name", "last_name", "email", "phone",
                  "company_name", "lifecycle_stage", "status")  # fmt: skip

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]
# "any": API key or session token; "session": session token only; "none": public (login).
AuthMode = Literal["any", "session", "none"]
MAX_REQUEST_ID = 128


@dataclass(frozen=True)
class SandboxConfig:
    """Credentials and behaviour switches of one sandbox instance."""

    api_key: str
    username: str
    password: str
    session_ttl: float
    require_session: bool


# --------------------------------------------------------------------------------------------
# Sessions and authentication
# --------------------------------------------------------------------------------------------


@dataclass
class _Session:
    principal: Principal
    expires_at: float  # SessionManager.clock (monotonic) based: wall-clock jumps do not matter


class SessionManager:
    """Issues and checks the opaque session tokens returned by ``POST /auth/login``."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        # Replaceable so tests can move time forward instead of sleeping.
        self.clock = clock
        self._sessions: dict[str, _Session] = {}

    def issue(self, principal: Principal) -> str:
        """Create a token for ``principal`` valid for ``ttl`` seconds."""
        self._purge()
        token = secrets.token_urlsafe(32)
        self._sessions[token] = _Session(principal, self.clock() + self.ttl)
        return token

    def resolve(self, token: str) -> Principal:
        """Return the token's principal or raise a 401 ``ApiError``."""
        session = self._sessions.get(token)
        if session is None:
            raise ApiError(401, "UNAUTHORIZED", "Unknown or revoked session token")
        if self.clock() >= session.expires_at:
            del self._sessions[token]
            raise ApiError(401, "SESSION_EXPIRED", "Session expired; log in again")
        return session.principal

    def revoke(self, token: str) -> None:
        """Forget ``token`` (logout)."""
        self._sessions.pop(token, None)

    def _purge(self) -> None:
        now = self.clock()
        for token in [t for t, s in self._sessions.items() if now >= s.expires_at]:
            del self._sessions[token]


def _same(given: str, expected: str) -> bool:
    # Constant-time comparison: cheap, and keeps the sandbox a good example for real servers.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _authenticate(request: Request, *, session_only: bool) -> Principal:
    """Accept a valid session token, or (unless disabled) the static API key."""
    config: SandboxConfig = request.app.state.config
    token = request.headers.get("x-session-token")
    api_key = request.headers.get("x-api-key")
    if token:
        try:
            return request.app.state.sessions.resolve(token)
        except ApiError:
            if not api_key or session_only or config.require_session:
                raise
    if api_key:
        if session_only:
            raise ApiError(401, "SESSION_REQUIRED", "This operation needs an X-Session-Token")
        if config.require_session:
            raise ApiError(
                401,
                "SESSION_REQUIRED",
                "API keys are disabled on this server; log in via POST /auth/login and send "
                "X-Session-Token",
            )
        if _same(api_key, config.api_key):
            user_id, username, display_name = API_INTEGRATION_USER
            return Principal(user_id, username, display_name, "api_key")
        raise ApiError(401, "INVALID_API_KEY", "Invalid API key")
    raise ApiError(
        401, "UNAUTHORIZED", "Authentication required: send X-API-Key or X-Session-Token"
    )


# --------------------------------------------------------------------------------------------
# Envelopes
# --------------------------------------------------------------------------------------------


def _meta(request: Request) -> Record:
    elapsed = (time.perf_counter() - request.state.started) * 1000
    return {
        "request_id": request.state.request_id,
        "api_version": API_VERSION,
        "elapsed_ms": round(elapsed),
    }


def _record_response(request: Request, record: Record, status: int = 200) -> JSONResponse:
    return JSONResponse({"status": "OK", "data": record, "meta": _meta(request)}, status)


def _error_body(exc: ApiError, request_id: str) -> Record:
    return {
        "status": "ERROR",
        "error": {
            "code": exc.code,
            "message": exc.message,
            "http_status": exc.status,
            "details": exc.details,
        },
        "meta": {"request_id": request_id, "api_version": API_VERSION, "elapsed_ms": 0},
    }


def _request_id(request: Request) -> str:
    """The caller's ``X-Request-Id`` (capped like the spec says) or a generated one."""
    given = request.headers.get("x-request-id", "")[:MAX_REQUEST_ID]
    return given or f"req_{secrets.token_hex(8)}"


def _operation(handler: Handler, *, auth: AuthMode = "any") -> Handler:
    """Wrap a route handler with request-id bookkeeping, authentication and error rendering."""

    async def endpoint(request: Request) -> Response:
        request.state.started = time.perf_counter()
        request_id = _request_id(request)
        request.state.request_id = request_id
        try:
            if auth != "none":
                request.state.principal = _authenticate(request, session_only=auth == "session")
            response = await handler(request)
        except ApiError as exc:
            response = JSONResponse(_error_body(exc, request_id), exc.status)
        except Exception:
            # Caught here (not by Starlette) so the error envelope and request log stay intact.
            logger.exception("sandbox handler failed")
            error = ApiError(500, "INTERNAL_ERROR", "Internal server error")
            response = JSONResponse(_error_body(error, request_id), 500)
        response.headers["X-Request-Id"] = request_id
        response.headers["X-Powered-By"] = f"AcmeCRM/{API_VERSION} (legacy)"
        return response

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Router-level 404/405 in the same envelope as every other error."""
    assert isinstance(exc, HTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "BAD_REQUEST")
    message = {404: "No such endpoint", 405: "Method not allowed"}.get(exc.status_code, exc.detail)
    request_id = _request_id(request)
    body = _error_body(ApiError(exc.status_code, code, message), request_id)
    return JSONResponse(body, exc.status_code, headers=dict(exc.headers or {}))


# --------------------------------------------------------------------------------------------
# Parameter parsing
# --------------------------------------------------------------------------------------------


def _bad_param(name: str, issue: str) -> ApiError:
    return validation_failed([{"field": name, "issue": issue}], f"Invalid query parameter {name!r}")


def _str_param(request: Request, name: str, *, max_length: int = 1000) -> str | None:
    value = request.query_params.get(name)
    if value is not None and len(value) > max_length:
        raise _bad_param(name, f"must be at most {max_length} characters")
    return value if value not in (None, "") else None


def _int_param(
    request: Request,
    name: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    raw = _str_param(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad_param(name, "must be an integer") from None
    if minimum is not None and value < minimum:
        raise _bad_param(name, f"must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise _bad_param(name, f"must be <= {maximum}")
    return value


def _number_param(request: Request, name: str, *, minimum: float | None = None) -> float | None:
    raw = _str_param(request, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _bad_param(name, "must be a number") from None
    if not math.isfinite(value):
        raise _bad_param(name, "must be a finite number")
    if minimum is not None and value < minimum:
        raise _bad_param(name, f"must be >= {minimum:g}")
    return value


def _enum_param(
    request: Request, name: str, choices: tuple[str, ...], default: str | None = None
) -> str | None:
    raw = _str_param(request, name)
    if raw is None:
        return default
    if raw not in choices:
        raise _bad_param(name, f"must be one of {list(choices)}")
    return raw


def _enum_list_param(request: Request, name: str, choices: tuple[str, ...]) -> list[str]:
    """An array parameter with ``style: form, explode: false`` (``stage=open,won``).

    Repeated parameters (``stage=open&stage=won``, i.e. ``explode: true``) are tolerated too,
    as the legacy server did.
    """
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(item.strip() for item in raw.split(",") if item.strip())
    bad = [value for value in values if value not in choices]
    if bad:
        raise _bad_param(name, f"unknown value(s) {bad}; allowed: {list(choices)}")
    return values


def _date_param(request: Request, name: str) -> str | None:
    """A ``format: date`` parameter, returned as an ISO ``YYYY-MM-DD`` string."""
    raw = _str_param(request, name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise _bad_param(name, "must be a date like 2024-01-31") from None


def _path_id(request: Request, name: str) -> str:
    # Path parameters were matched on a segment-wise encoded path (see middleware.routing_path).
    return unquote(request.path_params[name])


def _lookup(request: Request, kind: str, param: str) -> Record:
    raw_id = _path_id(request, param)
    record = _store(request).get(kind, raw_id)
    if record is None:
        raise not_found(kind, raw_id)
    return record


def _store(request: Request) -> CrmStore:
    return request.app.state.store


def _now() -> datetime:
    return datetime.now(UTC)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _json_object(request: Request, accepted: str = "application/json") -> dict[str, Any]:
    """Parse a JSON object body (400 for malformed/unsupported, 422 for non-objects).

    A missing Content-Type is tolerated (old clients forgot it); ``accepted`` only feeds the
    error message.
    """
    media_type = _media_type(request)
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise ApiError(
            400,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Unsupported Content-Type {media_type!r}; send {accepted}",
        )
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "MALFORMED_BODY", "A JSON request body is required")
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "MALFORMED_BODY", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise validation_failed([{"field": None, "issue": "body must be a JSON object"}])
    return body


def _paginated(
    request: Request,
    records: list[Record],
    page: int,
    per_page: int,
    view: Callable[[list[Record]], list[Record]] | None = None,
) -> JSONResponse:
    """Slice ``records`` and wrap them in the list envelope with paging info and links.

    ``view`` post-processes just the returned page (e.g. to compute derived counters).
    """
    total = len(records)
    total_pages = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    data = records[start : start + per_page]
    if view is not None:
        data = view(data)
    next_page = page + 1 if page < total_pages else None
    prev_page = min(page - 1, total_pages) if page > 1 else None

    def href(target: int) -> Record:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
        params.append(("page", str(target)))
        return {"href": f"{request.url.path}?{urlencode(params, safe=',')}", "method": "GET"}

    body = {
        "status": "OK",
        "data": data,
        "paging": {
            "page": page,
            "per_page": per_page,
            "total_pages": total_pages,
            "total_count": total,
            "next_page": next_page,
            "prev_page": prev_page,
        },
        "_links": {
            "self": href(page),
            "first": href(1),
            "last": href(total_pages),
            "next": href(next_page) if next_page else None,
            "prev": href(prev_page) if prev_page else None,
        },
        "meta": _meta(request),
    }
    return JSONResponse(body)


def _paging(request: Request) -> tuple[int, int]:
    page = _int_param(request, "page", default=1, minimum=1)
    per_page = _int_param(
        request, "per_page", default=DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE
    )
    assert page is not None and per_page is not None
    return page, per_page


def _matches(record: Record, needle: str, *fields: str) -> bool:
    folded = needle.casefold()
    return any(folded in str(record[name] or "").casefold() for name in fields)


# --------------------------------------------------------------------------------------------
# Auth
# --------------------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    """POST /auth/login"""
    fields = validate_body(await _json_object(request), LOGIN_FIELDS)
    config: SandboxConfig = request.app.state.config
    # Evaluate both comparisons so timing does not reveal which one failed.
    user_ok = _same(fields["username"], config.username)
    password_ok = _same(fields["password"], config.password)
    if not (user_ok and password_ok):
        raise ApiError(401, "INVALID_CREDENTIALS", "Invalid username or password")
    principal = Principal(SANDBOX_USER_ID, config.username, "Sandbox Agent", "session")
    sessions: SessionManager = request.app.state.sessions
    token = sessions.issue(principal)
    last_login = request.app.state.last_login
    now = _now()
    request.app.state.last_login = iso_z(now)
    session = {
        "token": token,
        "token_type": "Session",
        "expires_in": max(1, math.ceil(config.session_ttl)),
        "issued_at": iso_z(now),
        "user": {
            "id": SANDBOX_USER_ID,
            "username": config.username,
            "display_name": principal.display_name,
            "email": f"{config.username}@acme-legacy.test",
            "roles": ["sales_rep", "api_access"],
            "tenant_id": "acme-legacy-001",
            "locale": "en-US",
            "last_login_at": last_login,
        },
    }
    return JSONResponse({"session": session})


async def logout(request: Request) -> Response:
    """POST /auth/logout"""
    request.app.state.sessions.revoke(request.headers["x-session-token"])
    return JSONResponse({"status": "OK", "message": "Session terminated", "meta": _meta(request)})


# --------------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------------


async def list_contacts(request: Request) -> Response:
    """GET /contacts"""
    page, per_page = _paging(request)
    query = _str_param(request, "q", max_length=MAX_QUERY_LENGTH)
    company_id = _int_param(request, "company_id", minimum=1)
    stage = _enum_param(request, "lifecycle_stage", CONTACT_LIFECYCLE_STAGES)
    sort = _enum_param(request, "sort", CONTACT_SORTS, default="id")
    records = _store(request).all("contact")
    if query:
        records = [r for r in records if _matches(r, query, "full_name", "email", "company_name")]
    if company_id is not None:
        records = [r for r in records if r["company_id"] == company_id]
    if stage:
        records = [r for r in records if r["lifecycle_stage"] == stage]
    assert sort is not None
    key = sort.lstrip("-")
    if key == "last_name":
        records.sort(key=lambda r: (r["last_name"].casefold(), r["id"]))
    elif key == "created_at":
        records.sort(key=lambda r: (r["audit"]["created_at"], r["id"]))
    if sort.startswith("-"):
        records.reverse()
    return _paginated(request, records, page, per_page)


async def create_contact(request: Request) -> Response:
    """POST /contacts"""
    fields = validate_body(await _json_object(request), CONTACT_FIELDS)
    contact = _store(request).create_contact(fields, request.state.principal, _now())
    response = _record_response(request, contact, 201)
    response.headers["Location"] = contact["_links"]["self"]["href"]
    return response


async def get_contact(request: Request) -> Response:
    """GET /contacts/{contactId}"""
    return _record_response(request, _lookup(request, "contact", "contactId"))


async def update_contact(request: Request) -> Response:
    """PUT /contacts/{contactId}"""
    contact = _lookup(request, "contact", "contactId")
    fields = validate_body(await _json_object(request), CONTACT_FIELDS)
    _store(request).update_contact(contact, fields, request.state.principal, _now(), replace=True)
    return _record_response(request, contact)


async def patch_contact(request: Request) -> Response:
    """PATCH /contacts/{contactId}"""
    contact = _lookup(request, "contact", "contactId")
    fields = validate_body(await _json_object(request), CONTACT_FIELDS, partial=True)
    _store(request).update_contact(contact, fields, request.state.principal, _now(), replace=False)
    return _record_response(request, contact)


async def delete_contact(request: Request) -> Response:
    """DELETE /contacts/{contactId}"""
    contact = _lookup(request, "contact", "contactId")
    _store(request).delete_contact(contact, request.state.principal, _now())
    return Response(status_code=204)


async def export_contacts(request: Request) -> Response:
    """GET /contacts/export (deprecated): every contact as CSV, unpaginated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for contact in _store(request).all("contact"):
        writer.writerow(["" if contact[c] is None else contact[c] for c in EXPORT_COLUMNS])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="contacts.csv"',
            "Deprecation": "true",
            "Sunset": "Tue, 31 Dec 2024 23:59:59 GMT",
            "Link": f'<{API_PREFIX}/contacts>; rel="successor-version"',
        },
    )


async def list_contact_deals(request: Request) -> Response:
    """GET /contacts/{contactId}/deals"""
    contact = _lookup(request, "contact", "contactId")
    page, per_page = _paging(request)
    status = _enum_param(request, "status", DEAL_STATUSES)
    records = [d for d in _store(request).all("deal") if d["contact_id"] == contact["id"]]
    if status:
        records = [d for d in records if d["status"] == status]
    return _paginated(request, records, page, per_page)


async def list_contact_activities(request: Request) -> Response:
    """GET /contacts/{contactId}/activities"""
    contact = _lookup(request, "contact", "contactId")
    page, per_page = _paging(request)
    kind = _enum_param(request, "type", ACTIVITY_TYPES)
    records = [a for a in _store(request).all("activity") if a["contact_id"] == contact["id"]]
    if kind:
        records = [a for a in records if a["type"] == kind]
    return _paginated(request, records, page, per_page)


# --------------------------------------------------------------------------------------------
# Companies
# --------------------------------------------------------------------------------------------


async def list_companies(request: Request) -> Response:
    """GET /companies"""
    page, per_page = _paging(request)
    query = _str_param(request, "q", max_length=MAX_QUERY_LENGTH)
    industry = _str_param(request, "industry")
    status = _enum_param(request, "status", COMPANY_STATUSES)
    tier = _enum_param(request, "tier", tuple(t for t in COMPANY_TIERS if t))
    store = _store(request)
    records = store.all("company")
    if query:
        records = [r for r in records if _matches(r, query, "name", "legal_name", "domain")]
    if industry:
        records = [r for r in records if (r["industry"] or "").casefold() == industry.casefold()]
    if status:
        records = [r for r in records if r["status"] == status]
    if tier:
        records = [r for r in records if r["tier"] == tier]
    # Only the requested page gets the (computed) counters.
    return _paginated(request, records, page, per_page, view=store.company_views)


async def create_company(request: Request) -> Response:
    """POST /companies"""
    fields = validate_body(await _json_object(request), COMPANY_FIELDS)
    store = _store(request)
    company = store.create_company(fields, request.state.principal, _now())
    response = _record_response(request, store.company_views([company])[0], 201)
    response.headers["Location"] = company["_links"]["self"]["href"]
    return response


async def get_company(request: Request) -> Response:
    """GET /companies/{companyId}"""
    company = _lookup(request, "company", "companyId")
    return _record_response(request, _store(request).company_views([company])[0])


async def list_company_contacts(request: Request) -> Response:
    """GET /companies/{companyId}/contacts"""
    company = _lookup(request, "company", "companyId")
    page, per_page = _paging(request)
    records = [c for c in _store(request).all("contact") if c["company_id"] == company["id"]]
    return _paginated(request, records, page, per_page)


# --------------------------------------------------------------------------------------------
# Deals
# --------------------------------------------------------------------------------------------


async def list_deals(request: Request) -> Response:
    """GET /deals"""
    page, per_page = _paging(request)
    stages = _enum_list_param(request, "stage", DEAL_STAGES)
    status = _enum_param(request, "status", DEAL_STATUSES)
    company_id = _int_param(request, "company_id", minimum=1)
    owner_id = _int_param(request, "owner_id", minimum=1)
    min_amount = _number_param(request, "min_amount", minimum=0)
    records = _store(request).all("deal")
    if stages:
        records = [d for d in records if d["stage"] in stages]
    if status:
        records = [d for d in records if d["status"] == status]
    if company_id is not None:
        records = [d for d in records if d["company_id"] == company_id]
    if owner_id is not None:
        records = [d for d in records if d["owner_id"] == owner_id]
    if min_amount is not None:
        records = [d for d in records if d["amount_usd"] >= min_amount]
    return _paginated(request, records, page, per_page)


async def get_deal(request: Request) -> Response:
    """GET /deals/{dealId}"""
    return _record_response(request, _lookup(request, "deal", "dealId"))


async def update_deal_stage(request: Request) -> Response:
    """PUT /deals/{dealId}/stage"""
    deal = _lookup(request, "deal", "dealId")
    fields = validate_body(await _json_object(request), DEAL_STAGE_FIELDS)
    _store(request).set_deal_stage(
        deal, fields["stage"], fields.get("reason"), request.state.principal, _now()
    )
    return _record_response(request, deal)


# --------------------------------------------------------------------------------------------
# Activities
# --------------------------------------------------------------------------------------------


async def list_activities(request: Request) -> Response:
    """GET /activities"""
    page, per_page = _paging(request)
    kind = _enum_param(request, "type", ACTIVITY_TYPES)
    contact_id = _int_param(request, "contact_id", minimum=1)
    deal_id = _int_param(request, "deal_id", minimum=1)
    since = _date_param(request, "since")
    records = _store(request).all("activity")
    if kind:
        records = [a for a in records if a["type"] == kind]
    if contact_id is not None:
        records = [a for a in records if a["contact_id"] == contact_id]
    if deal_id is not None:
        records = [a for a in records if a["deal_id"] == deal_id]
    if since:
        records = [a for a in records if a["occurred_at"][:10] >= since]
    return _paginated(request, records, page, per_page)


async def get_activity(request: Request) -> Response:
    """GET /activities/{activityId}"""
    return _record_response(request, _lookup(request, "activity", "activityId"))


async def log_activity(request: Request) -> Response:
    """POST /activities (JSON or legacy ``application/x-www-form-urlencoded`` form post)."""
    form_type = "application/x-www-form-urlencoded"
    if _media_type(request) == form_type:
        raw = (await request.body()).decode("utf-8", errors="replace")
        # Last value wins for repeated keys, like the legacy PHP front-end.
        form = dict(parse_qsl(raw, keep_blank_values=True))
        fields = validate_body(form, ACTIVITY_FIELDS, form=True)
    else:
        body = await _json_object(request, accepted=f"application/json or {form_type}")
        fields = validate_body(body, ACTIVITY_FIELDS)
    key = request.headers.get("idempotency-key")
    replays: dict[str, Any] = request.app.state.idempotency
    if key and key in replays:
        # A retry of a request that already logged this activity: answer as it was answered.
        response = _record_response(request, replays[key], 201)
        response.headers["Location"] = replays[key]["_links"]["self"]["href"]
        response.headers["Idempotent-Replayed"] = "true"
        return response
    activity = _store(request).log_activity(fields, request.state.principal, _now())
    if key:
        replays[key] = activity
    response = _record_response(request, activity, 201)
    response.headers["Location"] = activity["_links"]["self"]["href"]
    return response


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------


async def search_records(request: Request) -> Response:
    """GET /search: ids only; callers fetch the records they need."""
    query = _str_param(request, "q", max_length=MAX_QUERY_LENGTH)
    if query is None or not query.strip():
        raise _bad_param("q", "is required")
    kind = _enum_param(request, "type", SEARCH_TYPES, default="contact")
    limit = _int_param(
        request, "limit", default=DEFAULT_SEARCH_LIMIT, minimum=1, maximum=MAX_SEARCH_LIMIT
    )
    assert kind is not None and limit is not None
    ids = _store(request).search(kind, query.strip())
    return JSONResponse({"ids": ids[:limit], "total": len(ids)})


# --------------------------------------------------------------------------------------------
# Application factory
# --------------------------------------------------------------------------------------------


def _routes() -> list[Route]:
    """One route per spec operation; the route name is the spec's ``operationId``."""

    def route(
        method: str, path: str, operation_id: str, handler: Handler, auth: AuthMode = "any"
    ) -> Route:
        return Route(
            f"{API_PREFIX}{path}",
            _operation(handler, auth=auth),
            methods=[method],
            name=operation_id,
        )

    return [
        route("POST", "/auth/login", "login", login, auth="none"),
        route("POST", "/auth/logout", "logout", logout, auth="session"),
        route("GET", "/contacts", "listContacts", list_contacts),
        route("POST", "/contacts", "createContact", create_contact),
        # Before /contacts/{contactId} so that "export" is not taken for an id.
        route("GET", "/contacts/export", "exportContacts", export_contacts),
        route("GET", "/contacts/{contactId}", "getContact", get_contact),
        route("PUT", "/contacts/{contactId}", "updateContact", update_contact),
        route("PATCH", "/contacts/{contactId}", "patchContact", patch_contact),
        route("DELETE", "/contacts/{contactId}", "deleteContact", delete_contact),
        route("GET", "/contacts/{contactId}/deals", "listContactDeals", list_contact_deals),
        route(
            "GET",
            "/contacts/{contactId}/activities",
            "listContactActivities",
            list_contact_activities,
        ),
        route("GET", "/companies", "listCompanies", list_companies),
        route("POST", "/companies", "createCompany", create_company),
        route("GET", "/companies/{companyId}", "getCompany", get_company),
        route(
            "GET", "/companies/{companyId}/contacts", "listCompanyContacts", list_company_contacts
        ),
        route("GET", "/deals", "listDeals", list_deals),
        route("GET", "/deals/{dealId}", "getDeal", get_deal),
        route("PUT", "/deals/{dealId}/stage", "updateDealStage", update_deal_stage),
        route("GET", "/activities", "listActivities", list_activities),
        route("POST", "/activities", "logActivity", log_activity),
        route("GET", "/activities/{activityId}", "getActivity", get_activity),
        route("GET", "/search", "searchRecords", search_records),
    ]


def create_app(
    *,
    api_key: str = SANDBOX_API_KEY,
    username: str = SANDBOX_USERNAME,
    password: str = SANDBOX_PASSWORD,
    seed: int = DEFAULT_SEED,
    session_ttl: float = DEFAULT_SESSION_TTL,
    require_session: bool = False,
    request_log_size: int = DEFAULT_REQUEST_LOG_SIZE,
) -> Starlette:
    """Build a fresh sandbox CRM app with its own seeded data, sessions and request log.

    ``require_session=True`` refuses the static API key so only ``X-Session-Token`` works.
    ``app.state.request_log`` is a deque (newest last, at most ``request_log_size`` entries) of
    every request received; see :class:`adaptgen.sandbox.middleware.SandboxMiddleware`.
    """
    request_log: deque[dict[str, Any]] = deque(maxlen=request_log_size)
    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(SandboxMiddleware, log=request_log)],
        exception_handlers={HTTPException: _http_exception},
    )
    app.state.config = SandboxConfig(api_key, username, password, session_ttl, require_session)
    app.state.store = CrmStore(seed)
    app.state.sessions = SessionManager(session_ttl)
    app.state.request_log = request_log
    app.state.idempotency = {}  # Idempotency-Key -> the activity that key created
    app.state.last_login = None
    return app
