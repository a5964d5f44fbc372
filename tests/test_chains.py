"""Composite tools through a real MCP client against the sandbox CRM (session login required)."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
import yaml
from conftest import ROOT, result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.errors import InputError
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running
from adaptgen.sandbox.server import serve_app


@pytest.fixture(scope="module")
def crm():
    with running(require_session=True) as sandbox:
        saved = {k: v for k, v in os.environ.items() if k.startswith("CRM_")}
        for key in saved:
            os.environ.pop(key)
        os.environ.update(
            CRM_BASE_URL=sandbox.url, CRM_USERNAME=SANDBOX_USERNAME, CRM_PASSWORD=SANDBOX_PASSWORD
        )
        try:
            yield sandbox, load_server_module(ROOT / "generated" / "crm")
        finally:
            for key in [k for k in os.environ if k.startswith("CRM_")]:
                os.environ.pop(key)
            os.environ.update(saved)


def call(module, tool, arguments, *, ok=True):
    async def go():
        async with Client(module.mcp) as client:
            return await client.call_tool(tool, arguments, raise_on_error=False)

    result = asyncio.run(go())
    assert result.is_error is not ok, result.content[0].text
    return result_data(result.content[0].text) if ok else result.content[0].text


def direct(sandbox, path, **params):
    login = httpx.post(
        f"{sandbox.url}/auth/login",
        json={"username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD},
    ).json()
    headers = {"X-Session-Token": login["session"]["token"]}
    return httpx.get(f"{sandbox.url}{path}", params=params, headers=headers).json()


def test_open_deals_for_email_is_one_call(crm):
    sandbox, module = crm
    contact = direct(sandbox, "/contacts/1001")["data"]
    before = len(sandbox.request_log)
    result = call(module, "open_deals_for_email", {"email": contact["email"]})
    made = [r["path"].rsplit("/api/v1", 1)[1] for r in list(sandbox.request_log)[before:]]
    # One MCP call: (a login if this is the server's first call), then the three hops.
    assert [p for p in made if p != "/auth/login"] == [
        "/search",
        "/contacts/1001",
        "/contacts/1001/deals",
    ]
    assert made.count("/auth/login") <= 1
    expected = direct(sandbox, "/contacts/1001/deals", status="open", per_page=100)["data"]
    assert result["contact"] == {
        "id": 1001,
        "name": contact["full_name"],
        "company": contact["company_name"],
    }
    assert [d["id"] for d in result["open_deals"]] == [d["id"] for d in expected]
    assert set(result["open_deals"][0]) <= {
        "id",
        "name",
        "stage",
        "amount",
        "currency",
        "probability",
        "expected_close_date",
        "next_step",
    }


def test_company_overview_fans_out_over_contacts(crm):
    sandbox, module = crm
    before = len(sandbox.request_log)
    result = call(module, "company_overview", {"company_id": 201})
    made = [r["path"] for r in list(sandbox.request_log)[before:] if "/auth/" not in r["path"]]
    contacts = result["contacts"]
    assert len(made) == 2 + len(contacts)
    assert sum(p.endswith("/activities") for p in made) == len(contacts)
    # One list per contact that has activities (at most 3 each, newest first upstream).
    ids = {c["id"] for c in contacts}
    assert all(0 < len(acts) <= 3 for acts in result["recent_activities"])
    assert all(a["contact_id"] in ids for acts in result["recent_activities"] for a in acts)
    assert result["company"]["id"] == 201


def test_write_chain_is_safe_to_retry(crm):
    sandbox, module = crm
    email = direct(sandbox, "/contacts/1002")["data"]["email"]
    args = {
        "email": email,
        "subject": "Renewal call",
        "notes": "Asked for a quote.",
        "occurred_at": "2026-11-20T10:00:00Z",
    }
    first = call(module, "log_call_for_email", args)
    again = call(module, "log_call_for_email", args)
    assert first["id"] == again["id"] and first["contact_id"] == 1002
    posts = [
        r
        for r in sandbox.request_log
        if r["method"] == "POST" and r["path"].endswith("/activities")
    ]
    keys = {r["headers"]["idempotency-key"] for r in posts[-2:]}
    assert len(keys) == 1 and next(iter(keys)).startswith("adaptgen-")
    other = call(module, "log_call_for_email", {**args, "subject": "Another call"})
    assert other["id"] != first["id"]


def test_a_failure_names_the_step_and_what_completed(crm, tmp_path):
    sandbox, module = crm
    message = call(module, "open_deals_for_email", {"email": "nobody@nowhere.test"}, ok=False)
    assert message.startswith("open_deals_for_email: step find (search_records) failed")
    assert "Completed before it: nothing" in message
    # A chain whose second step gets a 404 from the upstream.
    hints = yaml.safe_load((ROOT / "specs" / "crm.hints.yaml").read_text())
    hints["chains"] = {
        "broken": {
            "description": "Find, then fetch a contact that does not exist.",
            "inputs": {"q": "string"},
            "steps": [
                {"id": "find", "call": "searchRecords", "with": {"q": "$inputs.q"}},
                {"id": "fetch", "call": "getContact", "with": {"contactId": 999999}},
            ],
        }
    }
    path = tmp_path / "crm.hints.yaml"
    path.write_text(yaml.safe_dump(hints))
    report = build(
        BuildOptions(spec=ROOT / "specs" / "crm.yaml", out=tmp_path, hints=path, name="crm_broken")
    )
    os.environ["CRM_BROKEN_BASE_URL"] = sandbox.url
    broken = load_server_module(report.out_dir)
    message = call(broken, "broken", {"q": "a"}, ok=False)
    assert (
        "step fetch (get_contact) failed: GET /contacts/{contactId}: upstream answered 404"
        in message
    )
    assert "Completed before it: find (search_records)" in message
    assert SANDBOX_PASSWORD not in message


# -- the fan-out bound, measured at a real upstream ------------------------------------------------

IN_FLIGHT = {"now": 0, "max": 0}


async def slow_item(request: Request) -> JSONResponse:
    IN_FLIGHT["now"] += 1
    IN_FLIGHT["max"] = max(IN_FLIGHT["max"], IN_FLIGHT["now"])
    await asyncio.sleep(0.05)
    IN_FLIGHT["now"] -= 1
    return JSONResponse({"id": int(request.path_params["item_id"]), "ok": True})


async def all_items(request: Request) -> JSONResponse:
    return JSONResponse({"ids": list(range(1, 13))})


FANOUT_APP = Starlette(routes=[Route("/items", all_items), Route("/items/{item_id}", slow_item)])

FANOUT_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Fan-out", "version": "1"},
    "paths": {
        "/items": {"get": {"operationId": "listIds", "responses": {"200": {"description": "ok"}}}},
        "/items/{item_id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {
                        "name": "item_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}


@pytest.mark.parametrize("bound", [1, 3])
def test_fan_out_never_exceeds_its_concurrency(tmp_path, bound, monkeypatch):
    spec = tmp_path / "fan.yaml"
    (tmp_path / "fan.hints.yaml").write_text(
        yaml.safe_dump(
            {
                "chains": {
                    "fetch_all": {
                        "description": "Every item.",
                        "steps": [
                            {"id": "ids", "call": "listIds", "outputs": {"ids": "$.ids"}},
                            {
                                "id": "each",
                                "call": "getItem",
                                "foreach": "$steps.ids.outputs.ids",
                                "concurrency": bound,
                                "with": {"item_id": "$item"},
                                "outputs": {"id": "$response.body#/id"},
                            },
                        ],
                        "output": {"ids": "$steps.each.outputs.id"},
                    }
                }
            }
        )
    )
    spec.write_text(yaml.safe_dump(FANOUT_SPEC))
    report = build(BuildOptions(spec=spec, out=tmp_path / "g"))
    with serve_app(FANOUT_APP) as url:
        monkeypatch.setenv("FAN_BASE_URL", url)
        module = load_server_module(report.out_dir)
        IN_FLIGHT.update(now=0, max=0)
        result = call(module, "fetch_all", {})
    assert result == {"ids": list(range(1, 13))}
    assert IN_FLIGHT["max"] == bound  # reached, never exceeded


def test_arazzo_workflow_runs_as_a_tool(crm):
    sandbox, module = crm
    tools = {t.name: t for t in asyncio.run(_list(module))}
    assert "deal_context" in tools
    assert tools["deal_context"].input_schema["required"] == ["dealId"]
    result = call(module, "deal_context", {"dealId": 5001})
    deal = direct(sandbox, "/deals/5001")["data"]
    assert result["deal"]["id"] == 5001
    assert result["contact"]["id"] == deal["contact_id"]
    assert len(result["latest_activities"]) <= 5
    assert all(a["contact_id"] == deal["contact_id"] for a in result["latest_activities"])
    assert "audit" not in json.dumps(result)  # the hints' default drops apply to chains too


def test_arazzo_fixture_with_two_workflows_builds_and_runs(crm, tmp_path):
    sandbox, _ = crm
    # The fixture's companyOverview would clash with the hints' company_overview (a build
    # error, tested below): these hints keep the login but declare no chains.
    hints = yaml.safe_load((ROOT / "specs" / "crm.hints.yaml").read_text())
    hints.pop("chains")
    path = tmp_path / "no-chains.hints.yaml"
    path.write_text(yaml.safe_dump(hints))
    arazzo = ROOT / "tests" / "fixtures" / "arazzo" / "crm.arazzo.yaml"
    with pytest.raises(InputError, match="chain 'company_overview' is declared twice"):
        build(BuildOptions(spec=ROOT / "specs" / "crm.yaml", out=tmp_path, arazzo=(arazzo,)))
    report = build(
        BuildOptions(
            spec=ROOT / "specs" / "crm.yaml",
            out=tmp_path,
            name="crm_arazzo",
            hints=path,
            arazzo=(arazzo,),
        )
    )
    os.environ["CRM_ARAZZO_BASE_URL"] = sandbox.url
    module = load_server_module(report.out_dir)
    names = {c.name for c in report.api.chains}
    assert {"open_deals_for_contact_email", "company_overview"} <= names
    email = direct(sandbox, "/contacts/1001")["data"]["email"]
    result = call(module, "open_deals_for_contact_email", {"email": email})
    assert result["contactId"] == 1001
    assert all(d["status"] == "open" for d in result["deals"])


async def _list(module):
    async with Client(module.mcp) as client:
        return await client.list_tools()
