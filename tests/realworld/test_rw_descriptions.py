"""Issue 13, item 10: a tool the spec says nothing about still gets a useful description.

Twilio's 2010 API has no summary or description on 47 operations: they were described as
`GET /2010-04-01/Accounts/{AccountSid}/Calls.json`. Now a deterministic sentence says what the
method does to the path's resource, the main arguments and the response's main fields.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import shared_spec, shared_spec_names

from adaptgen.load import load_spec
from adaptgen.plan import plan

SPECS = shared_spec_names() or ["twilio_api_v2010.json"]  # the latter skips with a reason


@pytest.mark.parametrize("name", SPECS)
def test_no_tool_is_described_by_its_method_and_path(name):
    api = plan(load_spec(shared_spec(name)), "api").api
    bare = [t.name for t in api.tools if re.fullmatch(r"[A-Z]+ /\S*", t.description)]
    assert not bare


def _described(spec: str) -> dict[str, str]:
    return {t.name: t.description for t in plan(load_spec(shared_spec(spec)), "api").api.tools}


def test_twilio_sentences_from_the_method_and_the_path():
    twilio = _described("twilio_api_v2010.json")
    assert twilio["list_addresses"].startswith("List the addresses of an account. Arguments:")
    assert twilio["fetch_address"].startswith("Get one address of an account by its Sid.")
    assert twilio["create_address"].startswith("Create an address of an account. Arguments:")
    key = "Delete a key of an account by its Sid. Arguments: account_sid, sid."
    assert twilio["delete_key"] == key
    assert twilio["list_call_notifications"].startswith("List the notifications of a call.")
    assert "Returns signing_keys with sid, friendly_name" in twilio["list_signing_keys"]
    assert twilio == _described("twilio_api_v2010.json")  # deterministic


def test_zoho_names_say_what_the_path_does_not():
    zoho = _described("zoho_crm_record_v8.json")
    assert zoho["get_record"].startswith("Get record. Arguments: module_api_name, id")


def test_a_summary_that_only_spells_the_operation_id_says_nothing(tmp_path):
    # Trello's 324 summaries are `getCardsChecklistsByIdCard()`; Square's are `RenewToken`
    # beside a real description. Neither is a title; a sentence with the same words is one.
    def op(op_id: str, summary: str, description: str = "") -> dict:
        found = {
            "operationId": op_id,
            "summary": summary,
            "responses": {"200": {"description": "OK"}},
        }
        return {**found, "description": description} if description else found

    spec = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/cards/{idCard}/checklists": {
                "parameters": [
                    {"name": "idCard", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": op("getCardsChecklistsByIdCard", "getCardsChecklistsByIdCard()"),
            },
            "/oauth2/revoke": {
                "post": op("RevokeToken", "RevokeToken", "Revokes an access token."),
            },
            "/dashboards": {"get": op("getAllDashboards", "Get all dashboards")},
            "/boards/{idBoard}/closed": {
                "parameters": [
                    {
                        "name": "idBoard",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "put": op("updateBoardsClosedByIdBoard", "updateBoardsClosedByIdBoard()"),
            },
        },
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    tools = {
        t.upstream.operation_id: t for t in plan(load_spec(tmp_path / "spec.json"), "t").api.tools
    }
    checklists = tools["getCardsChecklistsByIdCard"]
    assert checklists.title is None
    assert checklists.description.startswith("List the checklists of a card.")
    revoke = tools["RevokeToken"]
    assert (revoke.title, revoke.description) == (None, "Revokes an access token.")
    # One field of a thing, PUT on its own path: set, not "update a closed".
    assert tools["updateBoardsClosedByIdBoard"].description.startswith("Set the closed of a board.")
    dashboards = tools["getAllDashboards"]
    assert (dashboards.title, dashboards.description) == (
        "Get all dashboards",
        "Get all dashboards",
    )
