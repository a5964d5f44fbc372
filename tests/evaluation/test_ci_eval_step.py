"""The workflow template's eval step, run as Actions runs it (bash -e, its env) in a repository
that has the CRM spec, its generated server and a scenario file with one wrong expectation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from test_ci_workflow import run_step, steps

SCENARIOS = """server: ../generated/crm
spec: crm.yaml
policy: eval.policy.yaml
upstream: {sandbox: crm}
baseline:
  login:
    call:
      operation: login
      arguments: {username: {$env: CRM_USERNAME}, password: {$env: CRM_PASSWORD}}
    token: $.session.token
    header: X-Session-Token
scenarios:
  - id: company-industry
    prompt: What industry is company 201 in?
    calls: [{tool: get_company, arguments: {company_id: 201}}]
    facts: [{text: Retail}]
  - id: wrong-expectation
    prompt: What industry is company 201 in?
    calls: [{tool: get_company, arguments: {company_id: 201}}]
    facts: [{text: Aerospace}]
"""


def test_eval_step_reports_and_fails_under_the_minimum(tmp_path: Path):
    repo, runner = tmp_path / "repo", tmp_path / "runner"
    (repo / "specs").mkdir(parents=True)
    runner.mkdir()
    for name in ("crm.yaml", "crm.hints.yaml", "crm.arazzo.yaml", "eval.policy.yaml"):
        shutil.copy(ROOT / "specs" / name, repo / "specs" / name)
    (repo / "specs" / "crm.scenarios.yaml").write_text(SCENARIOS)
    build = [sys.executable, "-m", "adaptgen", "build", "-q", "specs/crm.yaml"]
    subprocess.run(build, cwd=repo, check=True)
    step = steps()["eval"]
    assert "hashFiles(env.SCENARIOS)" in step["if"]
    done = run_step(step, repo, runner, {})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "under --min-success 100.0%" in done.stderr
    summary = (runner / "summary.md").read_text()
    assert "**1/2 scenarios pass**" in summary and "| company-industry | 1 | pass |" in summary
    assert "fact not found in the results: text 'Aerospace'" in summary
    report = json.loads((repo / "adaptgen-eval.json").read_text())
    assert report["summary"]["fastmcp"]["passed"] == 1  # FastMCP's side ran too
    assert (repo / "adaptgen-eval.html").read_text().startswith("<!doctype html>")
    done = run_step(step, repo, runner, {"EVAL_MIN_SUCCESS": "0.5"})
    assert done.returncode == 0, done.stderr
