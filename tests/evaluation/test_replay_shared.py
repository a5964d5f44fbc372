"""Replay of the scenarios written for two shared specs, each under Prism (`npm ci`), on the
generated server (built from the spec into a temp folder) and on FastMCP.from_openapi."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, node_tool, shared_spec

from adaptgen.cli import main

pytestmark = [pytest.mark.npm, pytest.mark.shared]
SCENARIOS = ROOT / "specs" / "scenarios"


@pytest.mark.parametrize(
    ("file", "spec", "scenarios"),
    [
        ("petstore_v3.scenarios.yaml", "petstore_v3.0.json", 4),
        ("hubspot_contacts_v3.scenarios.yaml", "hubspot_contacts_v3.json", 7),
    ],
)
def test_shared_spec_scenarios_replay_under_prism(file, spec, scenarios, tmp_path):
    shared_spec(spec)
    node_tool("prism")
    report = tmp_path / "r.json"
    assert main(["eval", str(SCENARIOS / file), "--json", str(report), "--min-success", "1"]) == 0
    data = json.loads(report.read_text())
    assert data["summary"]["passed"] == data["summary"]["scenarios"] == scenarios
    for scenario in data["scenarios"]:
        assert scenario["adaptgen"]["upstream_calls"] >= 1, scenario["id"]
        assert scenario["fastmcp"]["calls"] == scenario["expected_calls"], scenario["id"]


def test_search_mode_server_is_replayed_through_call_tool(tmp_path):
    """The golden search-mode HubSpot server lists search_tools/call_tool; replay calls the
    expected tool through call_tool, as an agent must."""
    spec = shared_spec("hubspot_contacts_v3.json")
    node_tool("prism")
    scenarios = tmp_path / "search.scenarios.yaml"
    scenarios.write_text(
        f"""server: {ROOT / "tests" / "golden" / "hubspot_search" / "generated"}
policy: {ROOT / "specs" / "eval.policy.yaml"}
upstream:
  prism: {spec}
  dynamic: true
  env: {{HUBSPOT_OAUTH2_TOKEN: mock-token}}
scenarios:
  - id: get-contact
    prompt: Show HubSpot contact 512.
    calls: [{{tool: get_contact, arguments: {{contact_id: "512"}}}}]
    facts: [{{jsonpath: "$..properties"}}]
"""
    )
    report = tmp_path / "r.json"
    assert main(["eval", str(scenarios), "--no-baseline", "--json", str(report)]) == 0
    ours = json.loads(report.read_text())["scenarios"][0]["adaptgen"]
    assert ours["ok"] and ours["trace"] == [
        {"tool": "get_contact", "via": "call_tool", "ok": True, "bytes": ours["bytes"]}
    ]


def test_a_call_the_scenario_file_can_fix_says_how(tmp_path, monkeypatch):
    """A first scenario file for a new API, as users write it: no credentials for the server
    and no policy. Replay's report says which of the file's lines to add, not only what the
    server refused (a new user's Gitea file failed every call with the server's advice for a
    stdio client, cut mid-sentence)."""
    spec = shared_spec("hubspot_contacts_v3.json")
    node_tool("prism")
    monkeypatch.delenv("ADAPTGEN_POLICY")  # the tests' operator policy (conftest)
    scenarios = tmp_path / "first.scenarios.yaml"
    scenarios.write_text(
        f"""server: {ROOT / "tests" / "golden" / "hubspot_search" / "generated"}
upstream: {{prism: {spec}}}
scenarios:
  - id: read
    prompt: Show HubSpot contact 512.
    calls: [{{tool: get_contact, arguments: {{contact_id: "512"}}}}]
  - id: write
    prompt: Merge contact 7 into 512.
    calls: [{{tool: merge_contacts, arguments: {{object_id_to_merge: "7",
             primary_object_id: "512"}}}}]
"""
    )
    report = tmp_path / "r.json"
    assert main(["eval", str(scenarios), "--no-baseline", "--json", str(report)]) == 0
    read, write = (s["adaptgen"]["problems"] for s in json.loads(report.read_text())["scenarios"])
    assert read == [
        "call 1 (get_contact) failed: missing upstream credentials: set HUBSPOT_OAUTH2_TOKEN in "
        "the server's environment [the file's `upstream: {env: {NAME: value}}` gives the server "
        "its credentials (Prism takes any value); `{$env: NAME}` reads one from your shell]"
    ]
    assert write == [
        "call 1 (merge_contacts) failed: not allowed: merge_contacts writes, and writes are not "
        "granted [neither this file nor the environment names a policy, so the server grants "
        "reads only: name one in the file's `policy:` that grants this caller writes (README: "
        "Governance)]"
    ]


def test_the_report_says_when_fastmcps_side_failed(tmp_path, capsys):
    """Side by side, FastMCP's bytes are an error's when its call failed (DigitalOcean's tools
    lost every parameter FastMCP could not resolve, and 5 of its 6 calls failed): the text
    report said only "fastmcp 1 calls, 192 B", beside our answer's bytes."""
    spec = shared_spec("hubspot_contacts_v3.json")
    node_tool("prism")
    scenarios = tmp_path / "theirs.scenarios.yaml"
    scenarios.write_text(  # no `baseline: {headers: ...}`: FastMCP's agent sends no token
        f"""server: {ROOT / "tests" / "golden" / "hubspot_search" / "generated"}
spec: {spec}
policy: {ROOT / "specs" / "eval.policy.yaml"}
upstream:
  prism: {spec}
  env: {{HUBSPOT_OAUTH2_TOKEN: mock-token}}
scenarios:
  - id: get-contact
    prompt: Show HubSpot contact 512.
    calls: [{{tool: get_contact, arguments: {{contact_id: "512"}}}}]
"""
    )
    assert main(["eval", str(scenarios), "--mode", "replay", "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "PASS get-contact: 1 calls" in out and "| fastmcp FAIL, 1 calls" in out
    assert "       fastmcp: call 1 (get_crmv3objectscontactscontactId_getById) failed: " in out
    assert "1/1 scenarios pass (FastMCP.from_openapi: 0/1)" in out
