"""Issue 13, item 7: a tool name is a verb and its resource, on every shared real spec.

No name is verbless, numbered or version-laden (the kinds are defined by
`adaptgen.plan.names.name_flags`, which bench/naming_bench.py prints per spec), over 64 chars or
shared; readable operationIds are kept; and known operations of each API get the names an
agent would guess.
"""

from __future__ import annotations

import pytest
from conftest import shared_spec, shared_spec_names

from adaptgen.load import load_spec
from adaptgen.plan import plan
from adaptgen.plan.names import name_flags, tool_name
from bench.naming_bench import KINDS, measure

SPECS = shared_spec_names() or ["slack_web_v2_swagger.json"]  # the latter skips with a reason


@pytest.mark.parametrize("name", SPECS)
def test_no_bad_names_on_any_shared_spec(name):
    row = measure(shared_spec(name))
    assert row.operations > 0
    assert row.flags == dict.fromkeys(KINDS, 0), row.flagged


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("get_page_2026_03_0_3", ["numbered", "versioned"]),
        ("list_v2_users", ["numbered", "versioned"]),
        ("get_oauth_access_2", ["numbered"]),
        ("admin_apps_approve", ["verbless"]),
        ("associations_batch", ["verbless"]),
        ("list_oauth2_tokens", []),  # a product name with a digit is a word, not a version
        ("send_message", []),
        ("merge_contacts", []),
    ],
)
def test_the_checks_themselves(name, kinds):
    assert name_flags(name) == kinds


def test_versioned_and_numbered_operation_ids_lose_the_version():
    # The shape of HubSpot's date-versioned API, and an operationId carrying the version.
    path = "/crm/objects/2026-03/contacts"
    assert tool_name("get-/crm/objects/2026-03/contacts_getPage", "get", path, ["crm"]) == (
        "list_crm_objects_contacts"
    )
    assert tool_name("getPage_2026_03_0_3", "get", path, ["crm"]) == "list_crm_objects_contacts"
    associations = "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}"
    assert (
        tool_name(f"get-{associations}_getPage", "get", associations, ["crm", "v4"])
        == "list_object_associations"
    )


def _names(spec: str) -> dict[str, str]:
    api = plan(load_spec(shared_spec(spec)), "api").api
    return {t.operation_id: t.name for t in api.tools}


def test_readable_operation_ids_are_kept():
    asana, twilio = _names("asana_oas.yaml"), _names("twilio_api_v2010.json")
    assert asana["getTasksForProject"] == "get_tasks_for_project"
    assert asana["addFollowersForTask"] == "add_followers_for_task"
    assert twilio["FetchCall"] == "fetch_call" and twilio["CreateMessage"] == "create_message"
    assert _names("zoho_crm_record_v8.json")["Get Records"] == "get_records"


def test_verbs_move_first_and_path_spellings_give_way():
    slack = _names("slack_web_v2_swagger.json")
    assert slack["conversations_list"] == "list_conversations"
    assert slack["chat_postMessage"] == "post_chat_message"
    assert slack["admin_inviteRequests_approve"] == "approve_admin_invite_requests"
    assert slack["users_info"] == "get_users_info"  # no verb at all: the method's intent
    # Two operations told apart only by a version: the version stays part of a word.
    assert {slack["oauth_access"], slack["oauth_v2_access"]} == {
        "get_oauth_access",
        "get_oauth2_access",
    }
    github = _names("github_api_2020.json")
    assert github["repos/list-for-org"] == "list_repos_for_org"
    assert github["repos/get-release-asset"] == "get_repo_release_asset"
    hubspot = _names("hubspot_contacts_v3.json")
    assert hubspot["get-/crm/v3/objects/contacts_getPage"] == "list_contacts"
    assert hubspot["get-/crm/v3/objects/contacts/{contactId}_getById"] == "get_contact"
    assert hubspot["post-/crm/v3/objects/contacts/merge_merge"] == "merge_contacts"
    box = _names("box_openapi.json")
    assert box["get_files_id"] == "get_file_information"  # its summary, "Get file information"
    assert box["post_files_id_copy"] == "copy_file"
    assert box["put_files_id#add_shared_link"] == "add_shared_link_to_file"
