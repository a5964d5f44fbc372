"""The GitHub Actions workflow users copy (ci-templates/github/adaptgen.yml), run for real.

GitHub itself is not here, so the test plays the runner: a real git repository with an `origin`
remote, a base branch with a built server and a pull-request branch that changes the spec; each
`run:` step of the workflow is executed with bash as Actions does (`bash -e`), with the env vars
Actions sets. Steps that need GitHub (checkout, setup-python, posting a comment, the artifact)
are not run; their inputs are asserted instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOW = ROOT / "ci-templates" / "github" / "adaptgen.yml"


def steps() -> dict[str, dict]:
    document = yaml.safe_load(WORKFLOW.read_text())
    job = document["jobs"]["adaptgen"]
    return {step.get("id") or step.get("name") or step["uses"]: step for step in job["steps"]}


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def run_step(
    step: dict, repo: Path, runner: Path, extra_env: dict[str, str]
) -> subprocess.CompletedProcess:
    document = yaml.safe_load(WORKFLOW.read_text())
    env = {
        **os.environ,
        **document["env"],
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        **extra_env,
    }
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True
    )


def outputs(runner: Path) -> dict[str, str]:
    lines = (runner / "output").read_text().splitlines() if (runner / "output").exists() else []
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, Path]:
    """origin (bare) <- repo: main has specs/crm.yaml + generated/crm; branch `pr` changes both."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    repo = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    git(repo, "checkout", "-q", "-b", "main")
    (repo / "specs").mkdir()
    for name in ("crm.yaml", "crm.hints.yaml", "crm.arazzo.yaml"):
        shutil.copy(ROOT / "specs" / name, repo / "specs" / name)
    adaptgen = [sys.executable, "-m", "adaptgen"]
    subprocess.run([*adaptgen, "build", "-q", "specs/crm.yaml"], cwd=repo, check=True)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "-b", "pr")
    runner = tmp_path / "runner"
    runner.mkdir()
    return repo, runner


def change_spec(repo: Path, old: str, new: str) -> None:
    spec = repo / "specs/crm.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))


def test_workflow_is_valid_and_complete():
    document = yaml.safe_load(WORKFLOW.read_text())
    assert document["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",  # the lint step's SARIF upload (issue 16)
    }
    assert set(document[True]["pull_request"]["paths"]) >= {"specs/**", "generated/**"}  # on:
    found = steps()
    assert {"install", "check", "diff", "lint"} <= set(found)
    upload = found["Show readiness findings on the spec's lines"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "adaptgen-lint.sarif"
    assert "gh pr comment" in found["Post the diff on the pull request"]["run"]
    assert document["env"]["ADAPTGEN"].startswith("adaptgen==")  # pinned: byte-identical builds


def test_stale_server_fails_the_check_step(pull_request):
    repo, runner = pull_request
    change_spec(repo, "summary: Get a contact\n", "summary: Fetch one contact\n")
    git(repo, "commit", "-q", "-am", "spec only: forgot to regenerate")
    done = run_step(steps()["check"], repo, runner, {})
    assert done.returncode == 1
    assert "is stale" in done.stdout + done.stderr and "+" in done.stdout
    assert (repo / "regenerated/crm/catalog.json").is_file()  # what the artifact step uploads


def test_breaking_change_is_reported_and_flagged(pull_request):
    repo, runner = pull_request
    # Rename an operation (spec, hints and workflows): the tool's name changes under agents.
    for path in (repo / "specs").iterdir():
        path.write_text(re.sub(r"\bgetContact\b", "fetchContact", path.read_text()))
    subprocess.run(
        [sys.executable, "-m", "adaptgen", "build", "-q", "specs/crm.yaml"], cwd=repo, check=True
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rename getContact")
    assert run_step(steps()["check"], repo, runner, {}).returncode == 0
    done = run_step(steps()["diff"], repo, runner, {"BASE_REF": "main"})
    assert done.returncode == 0, done.stderr
    report = (repo / "adaptgen-diff.md").read_text()
    assert "get_contact" in report and "fetch_contact" in report
    assert "`main:generated/crm` → `this PR:generated/crm`" in report  # no runner paths
    assert int(outputs(runner)["breaking"]) >= 1
    assert json.loads((repo / "adaptgen-diff.json").read_text())["summary"]["breaking"] >= 1
    assert report in (runner / "summary.md").read_text()


def test_compatible_change_is_not_flagged(pull_request):
    repo, runner = pull_request
    change_spec(repo, "summary: Get a contact\n", "summary: Fetch one contact\n")
    subprocess.run(
        [sys.executable, "-m", "adaptgen", "build", "-q", "specs/crm.yaml"], cwd=repo, check=True
    )
    git(repo, "commit", "-q", "-am", "better summary")
    done = run_step(steps()["diff"], repo, runner, {"BASE_REF": "main"})
    assert done.returncode == 0, done.stderr
    assert outputs(runner)["breaking"] == "0"


def test_lint_step_writes_sarif_and_fails_under_the_minimum(pull_request):
    repo, runner = pull_request
    done = run_step(steps()["lint"], repo, runner, {})
    assert done.returncode == 0, done.stderr
    sarif = json.loads((repo / "adaptgen-lint.sarif").read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert uris == {"specs/crm.yaml"}  # relative to the repository, as code scanning wants
    assert "## Agent readiness:" in (runner / "summary.md").read_text()
    (repo / "adaptgen-lint.sarif").unlink()
    done = run_step(steps()["lint"], repo, runner, {"READINESS_MIN": "100"})
    assert done.returncode == 1 and "under --fail-under 100" in done.stderr
    assert (repo / "adaptgen-lint.sarif").is_file()  # still uploaded when the gate fails
