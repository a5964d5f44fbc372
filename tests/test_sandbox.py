"""Tests for the sandbox CRM (adaptgen.sandbox) against a real uvicorn server.

Responses are validated against the response schemas of ``specs/crm.yaml`` (converted to JSON
Schema 2020-12, with unknown properties rejected) so the spec and the implementation can't drift.
"""

from __future__ import annotations

import copy
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from adaptgen.runtime.http_methods import OPENAPI_METHODS
from adaptgen.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_PASSWORD,
    SANDBOX_USERNAME,
    RunningSandbox,
    create_app,
    running,
    serve_app,
)
from adaptgen.sandbox import validation as body_validation
from adaptgen.sandbox.data import (
    API_PREFIX,
    N_ACTIVITIES,
    N_COMPANIES,
    N_CONTACTS,
    N_DEALS,
    luhn_valid,
)

SPEC_PATH = Path(__file__).resolve().parents[1] / "specs" / "crm.yaml"


# --------------------------------------------------------------------------------------------
# Spec -> JSON Schema
# --------------------------------------------------------------------------------------------


def _convert(node: Any, schemas: dict[str, Any]) -> Any:
    """OAS 3.0 schema -> strict JSON Schema 2020-12.

    * ``nullable: true`` means "``null`` or whatever the rest of the schema allows" (whether or
      not ``type`` is present: the spec uses ``nullable`` + single-member ``allOf``/``oneOf``
      for nullable references);
    * a multi-member ``allOf`` (base record + own fields) is merged into one object schema;
    * objects with ``properties`` get ``additionalProperties: false`` unless they say otherwise,
      so a field the server sends but the spec does not declare fails validation.
    """
    if isinstance(node, list):
        return [_convert(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    members = node.get("allOf")
    if isinstance(members, list) and len(members) > 1:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for member in members:
            if "$ref" in member:
                member = schemas[member["$ref"].rsplit("/", 1)[1]]
            assert set(member) <= {"type", "properties", "required", "description"}, member
            merged["properties"].update(member.get("properties", {}))
            merged["required"] += member.get("required", [])
        rest = {k: v for k, v in node.items() if k != "allOf"}
        node = {**rest, **merged}
    out = {
        key: _convert(value, schemas)
        for key, value in node.items()
        if key not in ("discriminator", "example")  # annotations; `example` is not a schema
    }
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    branches = out.get("anyOf")
    if branches and all(set(branch) == {"type"} for branch in branches):
        # anyOf of bare types == a type list, which validates much faster
        out["type"] = [branch["type"] for branch in out.pop("anyOf")]
    if out.pop("nullable", False):
        if "type" in out:
            # Type-specific keywords (pattern, minimum, format...) ignore null, enum does not.
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
            return out
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _convert_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return _convert(copy.deepcopy(spec), spec["components"]["schemas"])


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve(root: dict[str, Any], pointer: str) -> Any:
    node: Any = root
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _inline_refs(node: Any, root: dict[str, Any]) -> Any:
    """Replace every local ``$ref`` by its target (the spec has no recursive schemas); a
    self-contained schema validates several times faster than one resolving refs each time."""
    if isinstance(node, list):
        return [_inline_refs(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline_refs(_resolve(root, node["$ref"].removeprefix("#")), root)
    return {key: _inline_refs(value, root) for key, value in node.items()}


class SpecValidator:
    """Validates real responses against the response schema the spec declares for them."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.converted = _convert_spec(spec)
        self._validators: dict[str, Draft202012Validator] = {}

    def schema_pointer(self, path: str, method: str, status: int) -> str:
        operation = self.spec["paths"][path][method.lower()]
        responses = operation["responses"]
        assert str(status) in responses, f"{method} {path} -> {status} is not documented"
        response = responses[str(status)]
        if "$ref" in response:
            base = response["$ref"].removeprefix("#")
        else:
            base = f"/paths/{_escape(path)}/{method.lower()}/responses/{status}"
        return f"{base}/content/{_escape('application/json')}/schema"

    def validate(self, response: httpx.Response, path: str, method: str | None = None) -> Any:
        """Assert ``response`` is documented for (``path``, ``method``) and matches its schema."""
        method = method or response.request.method
        pointer = self.schema_pointer(path, method, response.status_code)
        validator = self._validators.get(pointer)
        if validator is None:
            schema = _inline_refs(_resolve(self.converted, pointer), self.converted)
            Draft202012Validator.check_schema(schema)
            validator = Draft202012Validator(schema, format_checker=FormatChecker())
            self._validators[pointer] = validator
        body = response.json()
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10]]
            pytest.fail(
                f"{method} {path} {response.status_code} violates spec:\n" + "\n".join(lines)
            )
        return body


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sv(spec: dict[str, Any]) -> SpecValidator:
    return SpecValidator(spec)


@pytest.fixture(scope="module")
def crm() -> Iterator[RunningSandbox]:
    """Read-only sandbox shared by the module (tests must not modify its data)."""
    with running() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def mutable_crm() -> Iterator[RunningSandbox]:
    """A second sandbox for tests that create, change or delete records."""
    with running() as sandbox:
        yield sandbox


def _client(sandbox: RunningSandbox, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url, headers=headers, timeout=10)


@pytest.fixture
def client(crm: RunningSandbox) -> Iterator[httpx.Client]:
    with _client(crm, **{"X-API-Key": SANDBOX_API_KEY}) as c:
        yield c


@pytest.fixture
def mclient(mutable_crm: RunningSandbox) -> Iterator[httpx.Client]:
    with _client(mutable_crm, **{"X-API-Key": SANDBOX_API_KEY}) as c:
        yield c


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in OPENAPI_METHODS
    ]


def _error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


# --------------------------------------------------------------------------------------------
# The spec itself
# --------------------------------------------------------------------------------------------


def test_spec_shape(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.0.3"
    assert spec["servers"][0]["url"] == "http://127.0.0.1:8400/api/v1"
    operations = _operations(spec)
    assert len(operations) >= 18
    ids = [op["operationId"] for _, _, op in operations]
    assert len(set(ids)) == len(ids)
    for _method, _path, op in operations:
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", op["operationId"])
        assert op["summary"] and op["description"] and op["tags"]
    for required in ("login", "logout", "searchRecords", "listContactDeals", "logActivity"):
        assert required in ids
    assert any(op.get("deprecated") for _, _, op in operations)
    assert spec["paths"]["/auth/login"]["post"]["security"] == []
    assert spec["security"] == [{"apiKey": []}, {"sessionToken": []}]
    log_body = spec["paths"]["/activities"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(log_body)
    # Every list operation pages with the shared, $ref'd page/per_page parameters.
    for _method, path, op in operations:
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if ok.get("schema", {}).get("$ref", "").endswith("ListResponse"):
            refs = {p.get("$ref") for p in op.get("parameters", [])}
            assert "#/components/parameters/page" in refs, path
            assert "#/components/parameters/per_page" in refs, path


def test_spec_validates_with_openapi_spec_validator() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))


def test_routes_match_spec_operations(spec: dict[str, Any]) -> None:
    app = create_app()
    served = {
        (method, route.path, route.name)
        for route in app.routes
        for method in (route.methods or set()) - {"HEAD"}
    }
    documented = {
        (method, f"{API_PREFIX}{path}", op["operationId"]) for method, path, op in _operations(spec)
    }
    assert served == documented


def test_body_validators_mirror_spec_inputs(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    pairs = {
        "LoginRequest": body_validation.LOGIN_FIELDS,
        "ContactInput": body_validation.CONTACT_FIELDS,
        "ContactPatch": body_validation.CONTACT_FIELDS,
        "CompanyInput": body_validation.COMPANY_FIELDS,
        "DealStageUpdate": body_validation.DEAL_STAGE_FIELDS,
        "ActivityInput": body_validation.ACTIVITY_FIELDS,
    }
    for name, fields in pairs.items():
        schema = schemas[name]
        assert set(schema["properties"]) == set(fields), name
        required = {field for field, spec_ in fields.items() if spec_.required}
        expected = set() if name == "ContactPatch" else required
        assert set(schema.get("required", [])) == expected, name
        assert schema["additionalProperties"] is False, name


# --------------------------------------------------------------------------------------------
# Seed data
# --------------------------------------------------------------------------------------------


def test_seed_data_is_deterministic_and_noisy() -> None:
    store = create_app().state.store
    again = create_app().state.store
    other = create_app(seed=12345).state.store
    assert store.tables == again.tables
    assert store.tables["contact"] != other.tables["contact"]

    sizes = {kind: len(table) for kind, table in store.tables.items()}
    assert sizes == {
        "contact": N_CONTACTS,
        "company": N_COMPANIES,
        "deal": N_DEALS,
        "activity": N_ACTIVITIES,
    }
    assert (N_CONTACTS, N_COMPANIES, N_DEALS, N_ACTIVITIES) == (300, 60, 400, 800)
    field_counts = {kind: len(next(iter(t.values()))) for kind, t in store.tables.items()}
    assert field_counts["contact"] >= 30
    assert min(field_counts.values()) >= 25

    contacts = list(store.tables["contact"].values())
    companies = list(store.tables["company"].values())
    cards = [
        r["billing"]["instrument"]["number"]
        for r in contacts + companies
        if r["billing"]
        and r["billing"]["instrument"]
        and r["billing"]["instrument"]["kind"] == "card"
    ]
    assert len(cards) > 20
    assert all(luhn_valid(number) for number in cards)
    assert {"4111111111111111", "5555555555554444"} <= set(cards)
    assert not luhn_valid("4111111111111112")
    for contact in contacts:
        assert re.search(r"@(example\.com|[a-z0-9-]+\.test)$", contact["email"]), contact["email"]
        assert "555" in (contact["phone"] or "555")
    assert len({c["email"] for c in contacts}) == len(contacts)
    assert any(c["date_of_birth"] == "" for c in contacts)
    assert any(c["date_of_birth"] is None for c in contacts)
    assert any(isinstance(c["last_contacted"], int) for c in contacts)
    assert any(isinstance(c["last_contacted"], str) for c in contacts)
    assert any("<" in c["notes_html"] for c in contacts)


# --------------------------------------------------------------------------------------------
# Auth
# --------------------------------------------------------------------------------------------


def test_auth_required(crm: RunningSandbox, sv: SpecValidator) -> None:
    with _client(crm) as anonymous:
        response = anonymous.get("/contacts")
        assert response.status_code == 401
        assert sv.validate(response, "/contacts")["error"]["code"] == "UNAUTHORIZED"
        response = anonymous.get("/contacts/1001", headers={"X-API-Key": "wrong-key"})
        assert response.status_code == 401
        body = sv.validate(response, "/contacts/{contactId}")
        assert body["error"]["code"] == "INVALID_API_KEY"
        response = anonymous.get("/contacts", headers={"X-Session-Token": "bogus"})
        assert response.status_code == 401
        assert anonymous.get("/contacts", headers={"X-API-Key": SANDBOX_API_KEY}).is_success


def test_login_session_token_and_logout(crm: RunningSandbox, sv: SpecValidator) -> None:
    with _client(crm) as anonymous:
        bad = anonymous.post("/auth/login", json={"username": SANDBOX_USERNAME, "password": "x"})
        assert bad.status_code == 401
        assert sv.validate(bad, "/auth/login")["error"]["code"] == "INVALID_CREDENTIALS"
        missing = anonymous.post("/auth/login", json={"username": SANDBOX_USERNAME})
        assert missing.status_code == 422
        assert sv.validate(missing, "/auth/login")["error"]["details"][0]["field"] == "password"
        garbage = anonymous.post(
            "/auth/login", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert garbage.status_code == 400
        assert _error_code(garbage) == "MALFORMED_BODY"

        login = anonymous.post(
            "/auth/login", json={"username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD}
        )
        assert login.status_code == 200
        session = sv.validate(login, "/auth/login")["session"]
        assert session["expires_in"] == 3600
        assert session["user"]["username"] == SANDBOX_USERNAME
        token = {"X-Session-Token": session["token"]}

        contacts = anonymous.get("/contacts", headers=token)
        assert contacts.status_code == 200
        sv.validate(contacts, "/contacts")

        # logout only accepts a session token, not the API key
        key_logout = anonymous.post("/auth/logout", headers={"X-API-Key": SANDBOX_API_KEY})
        assert key_logout.status_code == 401
        assert _error_code(key_logout) == "SESSION_REQUIRED"
        logout = anonymous.post("/auth/logout", headers=token)
        assert logout.status_code == 200
        sv.validate(logout, "/auth/logout")
        assert anonymous.get("/contacts", headers=token).status_code == 401


def test_require_session_mode_and_expiry(sv: SpecValidator) -> None:
    options = {"require_session": True, "session_ttl": 60, "username": "u", "password": "p"}
    with running(**options) as crm, _client(crm) as c:
        refused = c.get("/contacts", headers={"X-API-Key": SANDBOX_API_KEY})
        assert refused.status_code == 401
        assert sv.validate(refused, "/contacts")["error"]["code"] == "SESSION_REQUIRED"
        default_login = {"username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD}
        assert c.post("/auth/login", json=default_login).status_code == 401
        login = c.post("/auth/login", json={"username": "u", "password": "p"})
        assert login.json()["session"]["expires_in"] == 60
        token = {"X-Session-Token": login.json()["session"]["token"]}
        assert c.get("/contacts", headers=token).status_code == 200
        # Move the session clock past the TTL instead of sleeping.
        sessions = crm.app.state.sessions
        sessions.clock = lambda: time.monotonic() + 61
        expired = c.get("/contacts", headers=token)
        assert expired.status_code == 401
        assert _error_code(expired) == "SESSION_EXPIRED"


# --------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "per_page", "expected_total"),
    [
        ("/contacts", 100, N_CONTACTS),
        ("/companies", 7, N_COMPANIES),
        ("/deals", 100, N_DEALS),
        ("/activities", 100, N_ACTIVITIES),
    ],
)
def test_pages_cover_every_record_once(
    client: httpx.Client, sv: SpecValidator, path: str, per_page: int, expected_total: int
) -> None:
    # Every page is validated against the spec, so this also checks every seeded record.
    seen: list[int] = []
    page = 1
    while True:
        response = client.get(path, params={"page": page, "per_page": per_page})
        assert response.status_code == 200
        body = sv.validate(response, path)
        paging = body["paging"]
        assert paging["page"] == page and paging["per_page"] == per_page
        assert paging["total_count"] == expected_total
        assert paging["total_pages"] == -(-expected_total // per_page)
        seen.extend(record["id"] for record in body["data"])
        if paging["next_page"] is None:
            assert page == paging["total_pages"]
            assert body["_links"]["next"] is None
            break
        assert paging["next_page"] == page + 1
        page += 1
    assert len(seen) == len(set(seen)) == expected_total


def test_pagination_links_and_limits(
    crm: RunningSandbox, client: httpx.Client, sv: SpecValidator
) -> None:
    first = client.get("/deals", params={"per_page": 100, "stage": "won"}).json()
    follow = first["_links"]["next"]["href"]
    assert follow.startswith(f"{API_PREFIX}/deals?") and "stage=won" in follow
    second = client.get(f"{crm.base_url}{follow}")
    assert second.json()["paging"]["page"] == 2

    for params in ({"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "two"}):
        response = client.get("/contacts", params=params)
        assert response.status_code == 422, params
        detail = sv.validate(response, "/contacts")["error"]["details"][0]
        assert detail["field"] in params

    beyond = client.get("/contacts", params={"page": 99})
    body = sv.validate(beyond, "/contacts")
    assert body["data"] == [] and body["paging"]["next_page"] is None
    default = client.get("/contacts").json()
    assert default["paging"]["per_page"] == 25 and len(default["data"]) == 25


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


def test_get_each_resource_matches_spec(
    crm: RunningSandbox, client: httpx.Client, sv: SpecValidator
) -> None:
    store = crm.app.state.store
    for collection, kind, param in (
        ("contacts", "contact", "contactId"),
        ("companies", "company", "companyId"),
        ("deals", "deal", "dealId"),
        ("activities", "activity", "activityId"),
    ):
        # A spread of records, so optional/nullable variants get validated too.
        for record_id in list(store.tables[kind])[::37]:
            response = client.get(f"/{collection}/{record_id}")
            assert response.status_code == 200
            body = sv.validate(response, f"/{collection}/{{{param}}}")
            assert body["data"]["id"] == record_id
        listed = client.get(f"/{collection}", params={"per_page": 100})
        sv.validate(listed, f"/{collection}")
        legacy_id = next(iter(store.tables[kind].values()))["legacy_id"]
        by_legacy = client.get(f"/{collection}/{legacy_id}")
        assert by_legacy.status_code == 200
        assert by_legacy.json()["data"]["legacy_id"] == legacy_id


def test_nested_lists_and_filters(
    crm: RunningSandbox, client: httpx.Client, sv: SpecValidator
) -> None:
    store = crm.app.state.store
    deal = next(d for d in store.tables["deal"].values() if d["status"] == "won")
    contact_id = deal["contact_id"]
    won = client.get(f"/contacts/{contact_id}/deals", params={"status": "won"})
    body = sv.validate(won, "/contacts/{contactId}/deals")
    assert deal["id"] in {d["id"] for d in body["data"]}
    assert all(d["status"] == "won" and d["contact_id"] == contact_id for d in body["data"])
    bad = client.get(f"/contacts/{contact_id}/deals", params={"status": "pending"})
    assert bad.status_code == 422

    activities = client.get(f"/contacts/{contact_id}/activities", params={"per_page": 100})
    body = sv.validate(activities, "/contacts/{contactId}/activities")
    expected = [a["id"] for a in store.tables["activity"].values() if a["contact_id"] == contact_id]
    assert [a["id"] for a in body["data"]] == expected

    company_id = next(c["company_id"] for c in store.tables["contact"].values() if c["company_id"])
    members = client.get(f"/companies/{company_id}/contacts", params={"per_page": 100})
    body = sv.validate(members, "/companies/{companyId}/contacts")
    assert body["data"] and all(c["company_id"] == company_id for c in body["data"])
    company = sv.validate(client.get(f"/companies/{company_id}"), "/companies/{companyId}")
    assert company["data"]["contact_count"] == body["paging"]["total_count"]

    calls = client.get("/activities", params={"type": "call", "since": "2023-01-01"})
    body = sv.validate(calls, "/activities")
    assert all(a["type"] == "call" and a["occurred_at"] >= "2023-01-01" for a in body["data"])
    filtered = client.get("/contacts", params={"q": "SMITH", "sort": "-last_name"})
    body = sv.validate(filtered, "/contacts")
    assert body["data"]
    assert all("smith" in (c["full_name"] + c["email"] + (c["company_name"] or "")).lower()
               for c in body["data"])  # fmt: skip


def test_deals_stage_filter_comma_array(
    crm: RunningSandbox, client: httpx.Client, sv: SpecValidator
) -> None:
    store = crm.app.state.store
    expected = [d["id"] for d in store.tables["deal"].values() if d["stage"] in ("open", "won")]
    # Literal comma, exactly as `style: form, explode: false` serialises the array.
    response = client.get("/deals?stage=open,won&per_page=100")
    body = sv.validate(response, "/deals")
    assert body["paging"]["total_count"] == len(expected)
    assert {d["stage"] for d in body["data"]} == {"open", "won"}
    assert [d["id"] for d in body["data"]] == expected[:100]
    encoded = client.get("/deals", params={"stage": "open,won", "per_page": 100})
    assert encoded.json()["paging"]["total_count"] == len(expected)
    exploded = client.get("/deals?stage=open&stage=won&per_page=1")
    assert exploded.json()["paging"]["total_count"] == len(expected)
    single = client.get("/deals", params={"stage": "lost"}).json()
    assert {d["stage"] for d in single["data"]} == {"lost"}
    bad = client.get("/deals", params={"stage": "open,closed"})
    assert bad.status_code == 422
    assert sv.validate(bad, "/deals")["error"]["details"][0]["field"] == "stage"


def test_search_ids_then_get(crm: RunningSandbox, client: httpx.Client, sv: SpecValidator) -> None:
    target = crm.app.state.store.tables["contact"][1005]
    response = client.get("/search", params={"q": target["last_name"]})
    result = sv.validate(response, "/search")
    assert set(result) == {"ids", "total"}
    assert target["id"] in result["ids"]
    assert result["total"] == len(result["ids"])
    for contact_id in result["ids"]:
        contact = client.get(f"/contacts/{contact_id}").json()["data"]
        haystack = " ".join(
            str(contact[f] or "") for f in ("full_name", "email", "secondary_email", "company_name")
        )
        assert target["last_name"].lower() in haystack.lower()

    many = sv.validate(client.get("/search", params={"q": "a", "limit": 3}), "/search")
    assert len(many["ids"]) == 3 and many["total"] > 3
    company = crm.app.state.store.tables["company"][201]
    found = client.get("/search", params={"q": company["name"], "type": "company"}).json()
    assert 201 in found["ids"]
    assert client.get(f"/companies/{found['ids'][0]}").status_code == 200
    for params in (
        {},
        {"q": ""},
        {"q": "x" * 101},
        {"q": "x", "type": "user"},
        {"q": "x", "limit": 501},
    ):
        missing = client.get("/search", params=params)
        assert missing.status_code == 422, params
        sv.validate(missing, "/search")


def test_export_is_deprecated_csv(client: httpx.Client) -> None:
    response = client.get("/contacts/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["deprecation"] == "true"
    lines = response.text.strip().split("\r\n")
    assert lines[0].startswith("id,legacy_id,first_name")
    assert len(lines) == N_CONTACTS + 1


# --------------------------------------------------------------------------------------------
# Not found / routing
# --------------------------------------------------------------------------------------------


def test_not_found_and_encoded_slashes(
    crm: RunningSandbox, client: httpx.Client, sv: SpecValidator
) -> None:
    for path, template in (
        ("/contacts/999999", "/contacts/{contactId}"),
        ("/companies/1001", "/companies/{companyId}"),  # a contact id is not a company id
        ("/deals/CNT-000000", "/deals/{dealId}"),
        ("/activities/nope", "/activities/{activityId}"),
        ("/contacts/..%2Fadmin", "/contacts/{contactId}"),
        ("/contacts/..%2F..%2Fcompanies", "/contacts/{contactId}"),
        # Would be GET /contacts/1001/deals if the encoded slash were decoded before routing.
        ("/contacts/1001%2Fdeals", "/contacts/{contactId}"),
        ("/companies/201%2Fcontacts", "/companies/{companyId}"),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert sv.validate(response, template, "GET")["error"]["code"] == "NOT_FOUND"
    assert crm.request_log[-1]["path"] == f"{API_PREFIX}/companies/201%2Fcontacts"
    assert client.get("/deals/5001%2Fstage").status_code == 404
    # PUT /deals/{dealId}/stage is the only write reachable this way; it must not be.
    stage_before = crm.app.state.store.tables["deal"][5001]["stage"]
    assert client.put("/deals/5001%2Fstage", json={"stage": "won"}).status_code == 405
    assert crm.app.state.store.tables["deal"][5001]["stage"] == stage_before

    unknown = client.get("/admin")
    assert unknown.status_code == 404 and _error_code(unknown) == "NOT_FOUND"
    wrong_method = client.delete("/companies")
    assert wrong_method.status_code == 405 and _error_code(wrong_method) == "METHOD_NOT_ALLOWED"


def test_request_log_records_what_arrived(crm: RunningSandbox, client: httpx.Client) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = client.get(
        "/contacts?per_page=2&q=a",
        headers={"traceparent": traceparent, "X-Request-Id": "req-test-42"},
    )
    assert response.headers["x-request-id"] == "req-test-42"
    assert response.json()["meta"]["request_id"] == "req-test-42"
    entry = next(
        e for e in reversed(crm.request_log) if e["headers"].get("x-request-id") == "req-test-42"
    )
    assert entry["method"] == "GET"
    assert entry["path"] == f"{API_PREFIX}/contacts"
    assert entry["query"] == "per_page=2&q=a"
    assert entry["headers"]["traceparent"] == traceparent
    assert entry["headers"]["x-api-key"] == SANDBOX_API_KEY
    assert entry["status"] == 200

    client.post("/auth/login", json={"username": "someone@example.com", "password": "pw"})
    last = crm.request_log[-1]
    assert last["method"] == "POST" and last["status"] == 401
    assert "someone@example.com" in last["body"]
    assert crm.request_log.maxlen and crm.request_log.maxlen >= 100


# --------------------------------------------------------------------------------------------
# Writes (on their own sandbox)
# --------------------------------------------------------------------------------------------


def test_log_activity_form_and_json(
    mutable_crm: RunningSandbox, mclient: httpx.Client, sv: SpecValidator
) -> None:
    form = {
        "type": "call",
        "contact_id": "1002",
        "subject": "Follow-up call",
        "notes": "Discussed <renewal> & pricing",
        "occurred_at": "2024-05-01T14:30:00Z",
        "deal_id": "",  # legacy forms post empty inputs
        "duration_minutes": "15",
    }
    created = mclient.post("/activities", data=form)
    assert created.status_code == 201, created.text
    assert mutable_crm.request_log[-1]["headers"]["content-type"].startswith(
        "application/x-www-form-urlencoded"
    )
    assert "subject=Follow-up+call" in mutable_crm.request_log[-1]["body"]
    activity = sv.validate(created, "/activities")["data"]
    assert activity["contact_id"] == 1002 and activity["deal_id"] is None
    assert activity["duration_minutes"] == 15
    assert activity["occurred_at"] == "2024-05-01T14:30:00Z"
    assert activity["notes_html"] == "<p>Discussed &lt;renewal&gt; &amp; pricing</p>"
    assert created.headers["location"] == f"{API_PREFIX}/activities/{activity['id']}"
    fetched = mclient.get(f"/activities/{activity['id']}")
    assert sv.validate(fetched, "/activities/{activityId}")["data"] == activity

    deal = next(iter(mutable_crm.app.state.store.tables["deal"].values()))
    contact_id, deal_id = deal["contact_id"], deal["id"]
    payload = {"type": "meeting", "contact_id": contact_id, "subject": "QBR", "deal_id": deal_id}
    created_json = mclient.post("/activities", json=payload)
    assert created_json.status_code == 201, created_json.text
    activity = sv.validate(created_json, "/activities")["data"]
    assert activity["type"] == "meeting" and activity["deal_id"] == deal_id
    assert activity["owner_id"] == 9999  # the API-key integration user
    listed = mclient.get(f"/contacts/{contact_id}/activities", params={"per_page": 100}).json()
    assert activity["id"] in {a["id"] for a in listed["data"]}

    for body, field in (
        ({"type": "call", "contact_id": 1002}, "subject"),
        ({"type": "fax", "contact_id": 1002, "subject": "x"}, "type"),
        ({"type": "call", "contact_id": "1002", "subject": "x"}, "contact_id"),
        ({"type": "call", "contact_id": 999999, "subject": "x"}, "contact_id"),
        ({"type": "call", "contact_id": 1002, "subject": "x", "occurred_at": "yesterday"},
         "occurred_at"),
        ({"type": "call", "contact_id": 1002, "subject": "x", "color": "red"}, "color"),
    ):  # fmt: skip
        invalid = mclient.post("/activities", json=body)
        assert invalid.status_code == 422, body
        details = sv.validate(invalid, "/activities")["error"]["details"]
        assert field in {d["field"] for d in details}, body
    bad_form = mclient.post(
        "/activities", data={"type": "call", "contact_id": "abc", "subject": "x"}
    )
    assert bad_form.status_code == 422
    multipart = mclient.post("/activities", files={"subject": ("a.txt", b"x")})
    assert multipart.status_code == 400
    assert sv.validate(multipart, "/activities")["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_contact_crud(
    mutable_crm: RunningSandbox, mclient: httpx.Client, sv: SpecValidator
) -> None:
    new = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada.lovelace@example.com",
        "company_id": 201,
        "date_of_birth": "12/10/1815",
        "tags": ["vip"],
        "address": {"street1": "1 Analytical Way", "city": "London", "country": "UK"},
        "custom_fields": {"cf_001": "EMEA"},
    }
    created = mclient.post("/contacts", json=new, headers={"X-Request-Id": "create-1"})
    assert created.status_code == 201, created.text
    contact = sv.validate(created, "/contacts")["data"]
    cid = contact["id"]
    assert created.headers["location"] == f"{API_PREFIX}/contacts/{cid}"
    assert contact["full_name"] == "Ada Lovelace" and contact["display_name"] == "LOVELACE, Ada"
    assert contact["company_name"] == mutable_crm.app.state.store.tables["company"][201]["name"]
    assert contact["address"]["city"] == "London" and contact["address"]["state"] is None
    assert contact["custom_fields"]["cf_001"] == "EMEA" and "cf_012" in contact["custom_fields"]
    assert contact["audit"]["version"] == 1

    patched = mclient.patch(f"/contacts/{cid}", json={"job_title": "Analyst"})
    body = sv.validate(patched, "/contacts/{contactId}")["data"]
    assert body["job_title"] == "Analyst" and body["tags"] == ["vip"]
    assert body["audit"]["version"] == 2 and body["audit"]["etag"] != contact["audit"]["etag"]

    replaced = mclient.put(
        f"/contacts/{cid}",
        json={"first_name": "Augusta", "last_name": "King", "email": "augusta@example.com"},
    )
    body = sv.validate(replaced, "/contacts/{contactId}")["data"]
    assert body["full_name"] == "Augusta King"
    assert body["job_title"] is None and body["tags"] == [] and body["company_id"] is None
    assert body["custom_fields"]["cf_001"] == "EMEA"  # custom fields merge, even on PUT

    for method, payload, status in (
        ("put", {"first_name": "X", "last_name": "Y"}, 422),  # email required on PUT
        ("patch", {}, 422),
        ("patch", {"email": "not-an-email"}, 422),
        ("patch", {"company_id": 999}, 422),
        ("patch", {"id": 5}, 422),
        ("patch", {"date_of_birth": "1815-12-10"}, 422),
        ("patch", ["not", "an", "object"], 422),
    ):
        response = mclient.request(method.upper(), f"/contacts/{cid}", json=payload)
        assert response.status_code == status, payload
        sv.validate(response, "/contacts/{contactId}")
    as_text = mclient.patch(
        f"/contacts/{cid}", content=b"job_title=x", headers={"Content-Type": "text/plain"}
    )
    assert as_text.status_code == 400
    assert mclient.patch("/contacts/999999", json={"job_title": "x"}).status_code == 404

    deleted = mclient.delete(f"/contacts/{cid}")
    assert deleted.status_code == 204 and deleted.content == b""
    gone = mclient.get(f"/contacts/{cid}")
    assert gone.status_code == 404
    sv.validate(gone, "/contacts/{contactId}")
    assert mclient.delete(f"/contacts/{cid}").status_code == 404
    assert cid not in mclient.get("/search", params={"q": "Augusta"}).json()["ids"]


def test_create_company_and_update_deal_stage(
    mutable_crm: RunningSandbox, mclient: httpx.Client, sv: SpecValidator
) -> None:
    created = mclient.post(
        "/companies",
        json={"name": "Difference Engines", "employee_count": 120, "tier": "SMB"},
    )
    assert created.status_code == 201, created.text
    company = sv.validate(created, "/companies")["data"]
    assert company["employee_range"] == "51-200" and company["contact_count"] == 0
    assert mclient.post("/companies", json={"tier": "SMB"}).status_code == 422
    fetched = mclient.get(f"/companies/{company['legacy_id']}")
    assert sv.validate(fetched, "/companies/{companyId}")["data"]["id"] == company["id"]

    deal = next(
        d for d in mutable_crm.app.state.store.tables["deal"].values() if d["stage"] == "open"
    )
    history = len(deal["stage_history"])
    lost = mclient.put(f"/deals/{deal['id']}/stage", json={"stage": "lost", "reason": "Price"})
    body = sv.validate(lost, "/deals/{dealId}/stage")["data"]
    assert body["stage"] == "lost" and body["status"] == "lost" and body["is_closed"]
    assert body["lost_reason"] == "Price" and body["closed_at"] is not None
    assert body["probability"] == 0 and len(body["stage_history"]) == history + 1
    reopened = mclient.put(f"/deals/{deal['id']}/stage", json={"stage": "proposal"})
    body = sv.validate(reopened, "/deals/{dealId}/stage")["data"]
    assert body["status"] == "open" and body["closed_at"] is None and body["lost_reason"] is None
    bad = mclient.put(f"/deals/{deal['id']}/stage", json={"stage": "closed"})
    assert bad.status_code == 422
    sv.validate(bad, "/deals/{dealId}/stage")
    assert mclient.put("/deals/1/stage", json={"stage": "won"}).status_code == 404


# --------------------------------------------------------------------------------------------
# running()
# --------------------------------------------------------------------------------------------


def test_running_instances_are_independent_and_stop() -> None:
    with running() as one, running(api_key="other-key") as two:
        assert one.port != two.port
        assert one.url == f"http://127.0.0.1:{one.port}/api/v1"
        assert httpx.get(f"{two.url}/contacts", headers={"X-API-Key": "other-key"}).is_success
        assert (
            httpx.get(f"{one.url}/contacts", headers={"X-API-Key": "other-key"}).status_code == 401
        )
        assert len(two.request_log) == 1 and len(one.request_log) == 1
        port = one.port
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_serve_app_serves_any_asgi_app() -> None:
    app = create_app(api_key="k")
    with serve_app(app) as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        response = httpx.get(f"{base_url}{API_PREFIX}/deals/5001", headers={"X-API-Key": "k"})
        assert response.json()["data"]["id"] == 5001
        assert app.state.request_log[-1]["path"] == f"{API_PREFIX}/deals/5001"


def test_log_activity_is_idempotent_with_a_key(mclient: httpx.Client) -> None:
    body = {"type": "call", "contact_id": 1001, "subject": "Retry me"}
    first = mclient.post("/activities", json=body, headers={"Idempotency-Key": "k-123"})
    again = mclient.post("/activities", json=body, headers={"Idempotency-Key": "k-123"})
    other = mclient.post("/activities", json=body, headers={"Idempotency-Key": "k-456"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.json()["data"]["id"] != first.json()["data"]["id"]
