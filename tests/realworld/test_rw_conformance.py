"""The MCP conformance suite (npm's @modelcontextprotocol/conformance) via scripts/conformance.py,
on a subset of scenarios: every applicable one passes on the generated CRM server, and `adaptgen
proxy` in front of the reference MCP server (adaptgen's own, tests/conformance_server.py) passes
every one the reference server passes direct. `make conformance` runs all 32."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ROOT, node_tool

pytestmark = pytest.mark.npm

SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "tools-call-error",
    "dns-rebinding-protection",
    "completion-complete",
    "resources-list",
    "resources-subscribe",
    "resources-unsubscribe",
    "prompts-list",
    # What the reference sends toward the caller during a call, relayed by the proxy.
    "tools-call-with-logging",
    "tools-call-with-progress",
    "tools-call-sampling",
    "tools-call-elicitation",
]


def conformance_script():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("conformance", ROOT / "scripts/conformance.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_generated_crm_and_proxy_meet_the_conformance_targets():
    for tool in ("node", "conformance"):
        node_tool(tool)
    script = conformance_script()
    results = script.measure(SCENARIOS)
    crm, direct, proxied = (results.by_target[t] for t in script.TARGETS)
    assert set(crm) == set(direct) == set(proxied) == set(SCENARIOS), results.by_target
    assert results.applicable_failures() == [], script.report(results)
    assert results.stale() == [], script.report(results)
    for scenario in ("dns-rebinding-protection", "server-initialize", "tools-list"):
        assert crm[scenario] == "pass", scenario
    # The proxy relays what the reference server does: subscriptions, and logs, progress,
    # sampling and elicitation during a call.
    assert results.passed(script.TARGETS[2]) >= results.passed(script.TARGETS[1])
    for scenario, outcome in direct.items():
        if outcome == "pass":
            assert proxied[scenario] == "pass", scenario
    assert proxied["dns-rebinding-protection"] == "pass"
