"""Replay mode end to end: the CRM scenarios through `adaptgen serve` (HTTP, its own process)
and FastMCP.from_openapi, both against the sandbox CRM, each call counted at the upstream."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess

import pytest
from conftest import ROOT

from adaptgen.cli import main

SCENARIOS = ROOT / "specs" / "crm.scenarios.yaml"


@pytest.fixture(scope="module")
def crm_report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("eval")
    code = main(
        [
            "eval",
            str(SCENARIOS),
            "--json",
            str(out / "r.json"),
            "--html",
            str(out / "r.html"),
            "--markdown",
            str(out / "r.md"),
            "--min-success",
            "1",
        ]
    )
    assert code == 0
    report = json.loads((out / "r.json").read_text())
    report["html"] = (out / "r.html").read_text()
    report["markdown"] = (out / "r.md").read_text()
    return report


def test_every_crm_scenario_passes_on_the_generated_server(crm_report):
    failed = {s["id"]: s["adaptgen"]["problems"] for s in crm_report["scenarios"] if not s["ok"]}
    assert failed == {}
    assert crm_report["summary"]["passed"] == crm_report["summary"]["scenarios"] == 23


def test_chains_are_one_call_for_the_agent_and_several_upstream(crm_report):
    by_id = {s["id"]: s for s in crm_report["scenarios"]}
    overview = by_id["company-overview"]
    assert overview["adaptgen"]["calls"] == 1
    assert overview["adaptgen"]["upstream_calls"] >= 7  # company, contacts, 6 x activities
    # FastMCP's agent logs in, then makes the eight calls itself.
    assert overview["fastmcp"]["ok"] and overview["fastmcp"]["calls"] == 9
    assert overview["fastmcp"]["upstream_calls"] == 9


def test_the_same_tasks_pass_on_fastmcp_and_cost_more_there(crm_report):
    theirs = [s["fastmcp"] for s in crm_report["scenarios"]]
    assert [t["problems"] for t in theirs if not t["ok"]] == []
    total = crm_report["summary"]
    assert total["fastmcp"]["bytes"] > total["adaptgen"]["bytes"]
    assert total["fastmcp"]["calls"] > total["adaptgen"]["calls"]


def test_reports_show_each_scenario(crm_report):
    assert "| phone-by-name | 2 | pass | 2 |" in crm_report["markdown"]
    assert "**23/23 scenarios pass**" in crm_report["markdown"]
    assert crm_report["html"].count("<tr><td>") == 23 and "<svg" in crm_report["html"]


def test_a_value_passes_from_one_call_into_the_next_on_both_surfaces(crm_report):
    """open-deals-of-named-contact: the contact id search_records answered is the argument of
    list_contact_deals (`capture` + `$from`), on the generated server and on FastMCP's."""
    passed = next(s for s in crm_report["scenarios"] if s["id"] == "open-deals-of-named-contact")
    assert passed["ok"] and passed["fastmcp"]["ok"], passed
    assert [c["tool"] for c in passed["adaptgen"]["trace"]] == [
        "search_records",
        "list_contact_deals",
    ]


def test_the_default_run_scores_search_on_the_prompts_too(crm_report):
    files = crm_report["search"]["files"]
    assert [f["spec"] for f in files] == ["crm.yaml"]
    assert files[0]["results"][0]["tasks"] == 23


def test_a_wrong_expectation_fails_with_a_clear_message(tmp_path, capsys):
    wrong = tmp_path / "wrong.scenarios.yaml"
    wrong.write_text(
        f"""server: {ROOT / "generated" / "crm"}
policy: {ROOT / "specs" / "eval.policy.yaml"}
upstream: {{sandbox: crm}}
scenarios:
  - id: wrong-phone
    prompt: What is Lisa Patel's phone number?
    calls: [{{tool: get_contact, arguments: {{contact_id: 1001}}}}]
    facts: [{{text: "(303) 555-9999"}}]
  - id: missing-contact
    prompt: Show contact 999999.
    calls: [{{tool: get_contact, arguments: {{contact_id: 999999}}}}]
  - id: over-budget
    prompt: Who works at company 201?
    calls: [{{tool: list_company_contacts, arguments: {{company_id: 201}}}}]
    limits: {{bytes: 100}}
  - id: capture-nothing
    prompt: Which deals does Lisa Patel have open?
    calls:
      - tool: search_records
        arguments: {{q: Lisa Patel, type: contact}}
        capture: {{contact: "$.results[0].id"}}
      - tool: list_contact_deals
        arguments: {{contact_id: {{$from: contact}}}}
"""
    )
    assert main(["eval", str(wrong), "--no-baseline", "--min-success", "0.5"]) == 1
    out = capsys.readouterr()
    assert "FAIL wrong-phone" in out.out
    assert (
        "wrong.scenarios.yaml:5:5 (#/scenarios/0): fact not found in the results: "
        "text '(303) 555-9999'" in out.out
    )
    assert (
        "call 1 (get_contact) failed: GET /contacts/{contactId}: upstream answered 404" in out.out
    )
    assert "bytes: 4,109 over the limit of 100" in out.out
    assert (
        "call 1 (search_records): capture 'contact': $.results[0].id found nothing in the "
        "result (its keys: ids, total)" in out.out
    )
    assert "0/4 scenarios pass" in out.out and "under --min-success 50.0%" in out.err


def test_the_html_report_renders_in_headless_chromium(crm_report, tmp_path):
    """A real browser parses the page (DOM dumped) and paints it (screenshot of the chart)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    page = tmp_path / "report.html"
    page.write_text(crm_report["html"])
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    assert dom.count('<rect class="ours"') == 23 and dom.count('<rect class="theirs"') == 23
    assert "23/23 scenarios pass" in dom and dom.count("<tr><td>") == 23
    shot = tmp_path / "report.png"
    subprocess.run(
        [*flags, "--window-size=1000,800", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1000, 800)
    assert len(png) > 20_000  # a painted chart and table, not a blank page (~3 KB)
