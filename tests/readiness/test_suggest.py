"""`adaptgen suggest`: reviewable hints that build cleanly, come only from the spec, and help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, shared_spec, shared_spec_names

from adaptgen.build import BuildOptions, generate
from adaptgen.cli import main
from adaptgen.hints import load_hints
from adaptgen.readiness.context import analyse, api_name, load
from adaptgen.readiness.coverage import matches, parse
from adaptgen.readiness.lint import lint
from adaptgen.readiness.suggest import suggest

CRM = ROOT / "specs" / "crm.yaml"


@pytest.fixture(scope="module")
def crm_hints() -> str:
    return suggest(CRM)


def _entries(text: str) -> list[str]:
    """Every suggested value line (a list item or a description)."""
    return [
        line
        for line in text.splitlines()
        if line.strip().startswith(("- ", "description:")) and not line.lstrip().startswith("#")
    ]


def test_every_suggestion_says_why(crm_hints):
    lines = crm_hints.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("- "):
            assert "  # why: " in line, line
        if stripped.startswith("description:"):
            assert lines[i - 1].strip().startswith("# why: "), line
    assert len(_entries(crm_hints)) > 30


def test_suggestions_are_deterministic_and_only_name_what_the_spec_has(crm_hints, tmp_path):
    assert suggest(CRM) == crm_hints
    data = yaml.safe_load(crm_hints)
    spec = load(CRM)
    ctx = analyse(spec, load_hints(None), api_name(CRM))
    fields = {op.op_id: [f.path for f in op.fields] for op in ctx.operations}
    for op_id, tool in data["tools"].items():
        assert op_id in fields, op_id  # never an operation the spec lacks
        for key in ("keep", "pii", "drop"):
            for expression in tool.get(key) or []:
                steps = parse(expression)
                assert steps and any(matches(steps, p) for p in fields[op_id]), expression
    # The keep lists are what agents use: ids, names, status, owner, money; no noise.
    keep = data["tools"]["listDeals"]["keep"]
    assert "$.data[*].id" in keep and "$.data[*].amount" in keep and "$.data[*].stage" in keep
    assert not any(word in p for p in keep for word in ("audit", "_links", "legacy", "html"))
    assert "$..audit" in data["defaults"]["drop"] and "$.._links" in data["defaults"]["drop"]
    assert "$.data[*].email" in data["tools"]["listContacts"]["pii"]


def test_suggested_hints_raise_the_lint_score(crm_hints, tmp_path):
    hints = tmp_path / "crm.suggested.yaml"
    hints.write_text(crm_hints)
    bare = lint(CRM, use_default_hints=False)
    suggested = lint(CRM, hints)
    assert suggested.score >= bare.score + 25
    assert {r.finding.rule for r in suggested.resolved} >= {"AR010", "AR012", "AR013", "AR040"}


def test_overlay_format_builds_the_same_shaping(tmp_path):
    overlay = tmp_path / "crm.overlay.yaml"
    assert main(["suggest", str(CRM), "--format", "overlay", "--out", str(overlay)]) == 0
    hinted = tmp_path / "crm.suggested.yaml"
    assert main(["suggest", str(CRM), "--out", str(hinted)]) == 0
    by_overlay = generate(BuildOptions(spec=CRM, overlays=(overlay,), no_hints=True))
    by_hints = generate(BuildOptions(spec=CRM, hints=hinted))
    shapes = {t.name: t.shape for t in by_hints.api.tools}
    assert {t.name: t.shape for t in by_overlay.api.tools} == shapes
    assert shapes["list_contacts"].keep  # the overlay really carried the keep lists


def test_samples_rank_fields_by_what_traffic_fills(tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    # owner_id is keep-worthy by name, but recorded traffic never fills it.
    record = {"id": "d1", "name": "Big deal", "owner_id": None, "amount": 10, "currency": "EUR"}
    (samples / "listDeals.json").write_text(json.dumps({"data": [record, record]}))
    cassette = {
        "interactions": [
            {
                "request": {"method": "GET", "uri": "http://crm.test/v1/deals/d1"},
                "response": {
                    "status": {"code": 200},
                    "body": {"string": json.dumps({"data": {"id": "d1", "owner_id": None}})},
                },
            }
        ]
    }
    (samples / "deals.yaml").write_text(yaml.safe_dump(cassette))
    plain = yaml.safe_load(suggest(CRM))["tools"]
    learned_text = suggest(CRM, samples=samples)
    learned = yaml.safe_load(learned_text)["tools"]
    assert "$.data[*].owner_id" in plain["listDeals"]["keep"]
    assert "$.data[*].owner_id" not in learned["listDeals"]["keep"]
    assert "$.data.owner_id" not in learned["getDeal"]["keep"]  # matched from the cassette
    assert "filled in 2 of 2 samples" in learned_text


@pytest.mark.shared
@pytest.mark.parametrize("name", shared_spec_names() or ["(no shared specs)"])
def test_suggested_hints_build_without_new_warnings_on_every_shared_spec(name, tmp_path):
    spec = shared_spec(name)
    for kind in ("hints", "overlay"):
        out = tmp_path / f"suggested.{kind}.yaml"
        out.write_text(suggest(spec, format=kind))
        yaml.safe_load(out.read_text())  # valid YAML, comments and all
        if kind == "hints":
            options = BuildOptions(spec=spec, hints=out, name="api")
        else:
            options = BuildOptions(spec=spec, overlays=(out,), no_hints=True, name="api")
        bare = generate(BuildOptions(spec=spec, no_hints=True, name="api"))
        hinted = generate(options)
        caused = {str(w) for w in hinted.warnings} - {str(w) for w in bare.warnings}
        assert caused == set(), sorted(caused)[:5]


def test_bad_samples_are_located_input_errors(tmp_path, capsys):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "listDeals.json").write_text("{not json")
    assert main(["suggest", str(CRM), "--samples", str(samples)]) == 2
    assert "listDeals.json" in capsys.readouterr().err
    assert main(["suggest", str(CRM), "--samples", str(tmp_path / "nowhere")]) == 2


def test_missing_descriptions_are_written_from_the_spec(tmp_path):
    spec = tmp_path / "bare.yaml"
    spec.write_text(
        """openapi: 3.0.3
info: {title: Bare, version: '1'}
paths:
  /widgets:
    get:
      operationId: listWidgets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {type: object, properties: {id: {type: string}, name: {type: string}}}
  /admin/widgets/purge:
    post:
      operationId: purgeWidgets
      summary: Purge every widget
      responses: {'204': {description: done}}
"""
    )
    data = yaml.safe_load(suggest(Path(spec)))
    assert data["exclude"]["operations"] == ["purgeWidgets"]
    assert "widget" in data["tools"]["listWidgets"]["description"].lower()


def test_personal_data_the_api_marks_is_suggested_and_linted(tmp_path):
    """Twilio marks its personal fields `x-twilio: {pii: {handling: ...}}` (an account's
    `auth_token` sensitive, an address's `customer_name` standard), and a field may say
    `x-pii: true`: suggest proposes them as `pii` paths with the mark as its reason, whatever
    their names look like, and lint counts them among the personal data without a hint."""
    data = yaml.safe_load(suggest(shared_spec("twilio_api_v2010.json")))
    assert "$.auth_token" in data["tools"]["CreateAccount"]["pii"]
    text = suggest(shared_spec("twilio_api_v2010.json"))
    assert '"$.auth_token"  # why: the API marks it personal data (x-twilio pii: sensitive)' in text
    spec = tmp_path / "marked.yaml"
    spec.write_text(
        """openapi: 3.0.3
info: {title: Marked, version: '1'}
paths:
  /badges/{id}:
    get:
      operationId: getBadge
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: string}
                  holder: {type: string, x-pii: true}
                  colour: {type: string}
"""
    )
    marked = yaml.safe_load(suggest(Path(spec)))
    assert marked["tools"]["getBadge"]["pii"] == ["$.holder"]
    found = [r for r in lint(Path(spec), use_default_hints=False).findings if r.rule == "AR040"]
    assert found and "holder" in found[0].message
    # Apideck's form: the object lists its personal properties.
    spec.write_text(
        spec.read_text()
        .replace("holder: {type: string, x-pii: true}", "holder: {type: string}")
        .replace("type: object\n", "type: object\n                x-pii: [holder, nobody]\n")
    )
    listed = yaml.safe_load(suggest(Path(spec)))
    assert listed["tools"]["getBadge"]["pii"] == ["$.holder"]


def test_version_tags_the_writes_take_are_never_suggested_away(tmp_path):
    """Box's writes take the file's `etag` as `if_match`: suggest must not drop it, nor lint
    call it bookkeeping; on an API that takes no tag it is still noise."""
    box = suggest(shared_spec("box_openapi.json"))
    assert "etag" not in box
    report = lint(shared_spec("box_openapi.json"), use_default_hints=False)
    assert not [f for f in report.findings if f.rule == "AR017" and "etag" in f.message]

    fields = {"id": {"type": "string"}, "name": {"type": "string"}, "etag": {"type": "string"}}
    record = {"type": "object", "properties": fields}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": record}}}}
    path = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Files", "version": "1"},
        "paths": {
            "/files/{id}": {
                "get": {"operationId": "getFile", "parameters": [path], "responses": ok}
            },
            "/folders/{id}": {
                "get": {"operationId": "getFolder", "parameters": [path], "responses": ok}
            },
        },
    }
    plain = tmp_path / "files.json"
    plain.write_text(json.dumps(spec))
    assert '"$..etag"' in suggest(plain)
