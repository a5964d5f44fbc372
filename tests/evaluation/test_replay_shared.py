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
