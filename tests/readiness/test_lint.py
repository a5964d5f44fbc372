"""`adaptgen lint`: scores, located findings, what each hint resolves, formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT

from adaptgen.cli import main
from adaptgen.readiness.formats import as_json, markdown, text
from adaptgen.readiness.lint import lint
from adaptgen.readiness.sarif import as_sarif

CRM = ROOT / "specs" / "crm.yaml"
CRM_HINTS = ROOT / "specs" / "crm.hints.yaml"
SARIF_SHAPE = ROOT / "tests" / "fixtures" / "readiness" / "sarif-github-shape.schema.json"
# The official SARIF 2.1.0 schema (rtm.5, the one GitHub code scanning names), as shipped by the
# npm package @microsoft/jest-sarif that `make install-dev` installs (package.json).
SARIF_SCHEMA = ROOT / "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"


@pytest.fixture(scope="module")
def bare():
    return lint(CRM, use_default_hints=False)


@pytest.fixture(scope="module")
def hinted():
    return lint(CRM, CRM_HINTS)


def _rules(report, operation: str) -> set[str]:
    return {f.rule for f in report.findings if f.operation == operation}


def test_crm_scores_low_without_hints_and_high_with_them(bare, hinted):
    assert bare.score < 60
    assert hinted.score >= 85
    assert hinted.baseline_score == bare.score
    # Every operation is scored, and the noisy list scores worst without hints.
    listed = {s.operation: s.score for s in bare.operations}
    assert listed["listContacts"] < 60 and listed["searchRecords"] > 90


def test_findings_point_at_the_lines_that_cause_them(bare):
    lines = CRM.read_text().splitlines()
    for finding in bare.findings:
        assert finding.location.file.endswith("crm.yaml")
        assert finding.location.line is not None and finding.location.col is not None
    wide = next(f for f in bare.findings if f.rule == "AR012" and f.operation == "listContacts")
    assert lines[wide.location.line - 1].strip().startswith("_links:")
    pii = next(f for f in bare.findings if f.rule == "AR040" and f.operation == "getContact")
    assert "first_name" in pii.message and "first_name" in lines[pii.location.line - 1]
    hop = next(f for f in bare.findings if f.rule == "AR020")
    assert "login" in hop.message and lines[hop.location.line - 1].strip() == "post:"


def test_each_hint_resolves_its_findings_at_the_hint(bare, hinted):
    hint_lines = CRM_HINTS.read_text().splitlines()

    def resolved_at(rule: str, operation: str) -> str:
        found = next(
            r
            for r in hinted.resolved
            if r.finding.rule == rule and r.finding.operation == operation
        )
        assert found.hint is not None and found.hint.file.endswith("crm.hints.yaml")
        return hint_lines[found.hint.line - 1].strip()

    # keep: the 51-field contact record is down to what the hint keeps.
    assert "AR010" in _rules(bare, "listContacts") and "AR010" not in _rules(hinted, "listContacts")
    assert resolved_at("AR010", "listContacts") == "keep:"
    # defaults.drop: the audit block is gone from a tool with no keep of its own.
    assert "AR013" in _rules(bare, "logActivity") and "AR013" not in _rules(hinted, "logActivity")
    assert resolved_at("AR013", "logActivity") == "drop:"
    # pii: getCompany's phone is marked (and its email not kept).
    assert resolved_at("AR040", "getCompany").startswith("pii:")
    # auth: the login hop is the runtime's now.
    assert resolved_at("AR020", "").startswith("auth:")
    # exclude: logout is no tool, so its findings went with it.
    assert resolved_at("AR017", "logout").startswith("exclude:")
    # description: searchRecords' hint; the score of a hinted tool rises.
    before = {s.operation: s.score for s in bare.operations}
    after = {s.operation: s.score for s in hinted.operations}
    assert all(after[op] >= before[op] for op in after)
    assert after["listContacts"] - before["listContacts"] >= 40


def test_a_pii_hint_missing_one_field_leaves_that_field_open(hinted):
    # The hand-written hints keep full_name on listContacts without marking it: lint says so.
    finding = next(
        f for f in hinted.findings if f.rule == "AR040" and f.operation == "listContacts"
    )
    assert "full_name" in finding.message and "email" not in finding.message


def test_hints_in_an_overlay_count_too(tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n"
        "  - target: $.paths['/contacts'].get\n"
        "    update: {x-agent: {keep: ['$.data[*].id', '$.data[*].full_name']}}\n"
    )
    report = lint(CRM, overlays=[overlay], use_default_hints=False)
    assert "AR010" not in _rules(report, "listContacts")
    assert any(r.finding.rule == "AR010" for r in report.resolved)


def test_text_markdown_and_json_carry_the_same_findings(hinted):
    rendered = text(hinted)
    assert rendered.startswith(f"{CRM}: agent readiness {hinted.score}/100")
    assert "resolved AR010 wide-response" in rendered
    data = json.loads(as_json(hinted))
    assert data["score"] == hinted.score and len(data["findings"]) == len(hinted.findings)
    assert {r["rule"] for r in data["resolved"]} >= {"AR010", "AR020", "AR040"}
    assert f"## Agent readiness: {hinted.score}/100" in markdown(hinted)


def test_sarif_is_valid_sarif_2_1_0_with_what_github_code_scanning_requires(bare):
    if not SARIF_SCHEMA.is_file():
        pytest.skip("the official SARIF schema is missing: run `make install-dev` (npm ci)")
    document = json.loads(as_sarif(bare, root=ROOT))
    official = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(official)
    validator = jsonschema.Draft4Validator(official, format_checker=jsonschema.FormatChecker())
    validator.validate(document)
    misplaced = json.loads(json.dumps(document))
    misplaced["runs"][0]["results"][0]["line"] = 3  # the subset alone lets this through
    jsonschema.validate(misplaced, json.loads(SARIF_SHAPE.read_text()))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(misplaced)
    # GitHub asks for more than the standard does (rules with help, results with locations).
    jsonschema.validate(document, json.loads(SARIF_SHAPE.read_text()))
    run = document["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(run["results"]) == len(bare.findings)
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "specs/crm.yaml"
        assert physical["region"]["startLine"] >= 1


def test_cli_formats_fail_under_and_bad_input(tmp_path, capsys):
    assert main(["lint", str(CRM), "--format", "json", "--fail-under", "50"]) == 0
    assert json.loads(capsys.readouterr().out)["score"] >= 50
    assert main(["lint", str(CRM), "--no-hints", "--fail-under", "80"]) == 1
    assert "under --fail-under 80" in capsys.readouterr().err
    out = tmp_path / "lint.sarif"
    assert main(["lint", str(CRM), "--format", "sarif", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["version"] == "2.1.0"
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: [1, 2]\n")
    assert main(["lint", str(broken)]) == 2
    assert "broken.yaml:3" in capsys.readouterr().err
    bad_hints = tmp_path / "h.yaml"
    bad_hints.write_text("tools:\n  listContacts:\n    keeep: []\n")
    assert main(["lint", str(CRM), "--hints", str(bad_hints)]) == 2
    assert "h.yaml:3" in capsys.readouterr().err


def test_a_spec_without_noise_scores_high(tmp_path):
    spec = tmp_path / "tidy.yaml"
    spec.write_text(
        """openapi: 3.0.3
info: {title: Tidy, version: '1'}
servers: [{url: 'https://tidy.example'}]
paths:
  /notes/{noteId}:
    get:
      operationId: getNote
      summary: Read one note with its text and author
      parameters: [{name: noteId, in: path, required: true, schema: {type: string}}]
      responses:
        '200':
          description: The note
          content:
            application/json:
              schema:
                type: object
                properties: {id: {type: string}, text: {type: string}, author_id: {type: string}}
"""
    )
    report = lint(Path(spec))
    assert report.score == 100 and report.findings == []


@pytest.mark.parametrize(
    ("name", "example", "personal"),
    [
        ("contact", "+1 415 555 2671", True),
        ("contact", "(415) 555-2671", True),
        ("contact", "ada@example.com", True),
        # Numbers written as text are no phone numbers: DigitalOcean's prices and sizes, Box's
        # event stream position (all were suggested as PII, to be tokenized).
        ("usd_per_second", "0.000002066799", False),
        ("memory_bytes", "1073741824", False),
        ("next_stream_position", "1152922976252290886", False),
        ("created", "2024-01-15", False),
    ],
)
def test_an_example_says_personal_data_when_it_is_a_phone_or_an_email(name, example, personal):
    from adaptgen.load.source import SourceFile
    from adaptgen.readiness.fields import Field
    from adaptgen.readiness.vocabulary import looks_personal

    schema = {"type": "string", "example": example}
    field = Field((name,), schema, SourceFile(Path("x.json"), "{}", {}, "json"), "/x")
    assert looks_personal(field) == personal


def test_an_oauth2_password_flows_token_url_is_an_auth_hop(tmp_path):
    """FastAPI's `OAuth2PasswordBearer(tokenUrl="token")`: the token operation's answer is
    undeclared (a dict), so no field says token, but the scheme names it as where a user's
    password gets the token every other call needs. A `login` hint resolves it."""
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    form = {
        "type": "object",
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
    }
    flows = {"password": {"tokenUrl": "token", "scopes": {}}}
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Inventory", "version": "1"},
        "paths": {
            "/token": {
                "post": {
                    "operationId": "login_token_post",
                    "requestBody": {
                        "content": {"application/x-www-form-urlencoded": {"schema": form}}
                    },
                    "responses": ok,
                }
            },
            "/items/": {
                "get": {
                    "operationId": "read_items",
                    "security": [{"OAuth2PasswordBearer": []}],
                    "responses": ok,
                }
            },
        },
        "components": {
            "securitySchemes": {"OAuth2PasswordBearer": {"type": "oauth2", "flows": flows}}
        },
    }
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(spec))
    (hop,) = [f for f in lint(path, use_default_hints=False).findings if f.rule == "AR020"]
    assert "OAuth2PasswordBearer's OAuth2 password flow" in hop.message
    assert hop.location.pointer == "/paths/~1token/post" and hop.location.line is not None
    hints = tmp_path / "hints.yaml"
    hints.write_text(
        "auth:\n  OAuth2PasswordBearer:\n    login:\n      operation: login_token_post\n"
        "      body: {username: '${env:INV_USER}', password: '${env:INV_PASSWORD}'}\n"
        "      token: $.access_token\n"
    )
    assert not [f for f in lint(path, hints).findings if f.rule == "AR020"]
