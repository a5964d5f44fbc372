"""Hints files: renames, descriptions, exclusions, and errors that point at the line."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import ROOT

from adaptgen.build import BuildOptions, generate
from adaptgen.cli import main
from adaptgen.errors import InputError

SPEC = ROOT / "specs" / "crm.yaml"


def write(tmp_path, text):
    path = tmp_path / "crm.hints.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_rename_redescribe_exclude(tmp_path):
    hints = write(
        tmp_path,
        """\
        tools:
          listContacts:
            name: browse_contacts
            description: |
              Page through contacts.
              Use search_records to find one by name.
          deleteContact:
            exclude: true
        """,
    )
    api = generate(BuildOptions(spec=SPEC, out=tmp_path, hints=hints)).api
    tools = {t.operation_id: t for t in api.tools}
    assert tools["listContacts"].name == "browse_contacts"
    assert tools["listContacts"].description == (
        "Page through contacts.\nUse search_records to find one by name."
    )
    assert "deleteContact" not in tools
    assert ("deleteContact", "excluded by hints") in [
        (s.operation_id, s.reason) for s in api.skipped
    ]


def test_hints_beside_the_spec_are_picked_up(tmp_path):
    spec = tmp_path / "crm.yaml"
    spec.write_text(SPEC.read_text())
    write(tmp_path, "tools: {getContact: {name: fetch_contact}}\n")
    api = generate(BuildOptions(spec=spec, out=tmp_path)).api
    assert "fetch_contact" in [t.name for t in api.tools]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("tools:\n  listContacts:\n    nmae: x\n", 3, "unknown key 'nmae' (did you mean 'name'?)"),
        ("tols: {}\n", 1, "unknown key 'tols' (did you mean 'tools'?)"),
        (
            "tools:\n  getContact: {}\n  listContact:\n    name: x\n",
            3,
            "unknown operationId 'listContact' (did you mean 'listContacts'?)",
        ),
        ("tools:\n  getContact:\n    name: Not Snake\n", 3, "String should match pattern"),
        ("tools:\n  getContact:\n    name: list_contacts\n", 3, "already taken"),
        ("tools: [\n", 2, "invalid YAML"),
        (
            "tools:\n  getContact:\n    search:\n      examples: ['look up Ann', '']\n",
            4,
            "at least 1 character",
        ),
        ("tools:\n  getContact:\n    search: {examples: look up Ann}\n", 3, "valid list"),
    ],
)
def test_errors_carry_file_line_and_a_suggestion(tmp_path, text, line, message):
    hints = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        generate(BuildOptions(spec=SPEC, out=tmp_path, hints=hints))
    assert message in str(err.value)
    assert err.value.location.file.endswith("crm.hints.yaml")
    assert err.value.location.line == line


def test_cli_reports_hint_errors_with_exit_2(tmp_path, capsys):
    hints = write(tmp_path, "tools:\n  getContact:\n    exclud: true\n")
    code = main(["build", str(SPEC), "--hints", str(hints), "--out", str(tmp_path), "-q"])
    assert code == 2
    assert "crm.hints.yaml:3:5" in capsys.readouterr().err


def test_hints_schema_is_published(capsys):
    assert main(["schema", "hints"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "tools" in schema["properties"]
    tool = set(schema["$defs"]["ToolHints"]["properties"])
    assert {"name", "description", "exclude", "keep", "drop", "hide", "fix", "pii"} <= tool
    assert {"paginate", "pin", "max_response_tokens"} <= tool
    assert {"defaults", "include", "exclude", "search", "tools", "auth", "chains"} == set(
        schema["properties"]
    )


X_AGENT_SPEC = """\
openapi: 3.0.3
info: {title: X, version: "1"}
x-agent:
  defaults: {max_response_tokens: 1500, drop: [$..audit]}
paths:
  /things:
    get:
      operationId: listThings
      x-agent:
        name: browse_things
        keep: ["$.data[*].id"]
        hide: [debug]
      parameters:
        - {name: debug, in: query, schema: {type: boolean}}
        - {name: q, in: query, schema: {type: string}}
      responses: {"200": {description: ok}}
"""


def test_x_agent_blocks_and_the_hints_file_make_one_model(tmp_path):
    spec = tmp_path / "x.yaml"
    spec.write_text(X_AGENT_SPEC)
    api = generate(BuildOptions(spec=spec, out=tmp_path)).api
    (tool,) = api.tools
    assert tool.name == "browse_things" and [p.name for p in tool.params] == ["q"]
    assert tool.shape.keep == ("$.data[*].id",) and tool.shape.max_tokens == 1500
    assert tool.shape.drop == ("$..audit",)
    # The hints file wins field by field; what it leaves alone stays from x-agent.
    (tmp_path / "x.hints.yaml").write_text("tools: {listThings: {name: find_things}}\n")
    (tool,) = generate(BuildOptions(spec=spec, out=tmp_path)).api.tools
    assert tool.name == "find_things" and tool.shape.keep == ("$.data[*].id",)


def test_x_agent_errors_point_into_the_spec(tmp_path):
    spec = tmp_path / "x.yaml"
    spec.write_text(X_AGENT_SPEC.replace("hide: [debug]", "hid: [debug]"))
    with pytest.raises(InputError) as err:
        generate(BuildOptions(spec=spec, out=tmp_path))
    assert "unknown key 'hid' (did you mean 'hide'?)" in str(err.value)
    assert err.value.location.file.endswith("x.yaml") and err.value.location.line == 12


def test_bad_jsonpath_in_hints_is_located(tmp_path):
    hints = write(tmp_path, "tools:\n  listContacts:\n    keep: ['$.data[']\n")
    with pytest.raises(InputError) as err:
        generate(BuildOptions(spec=SPEC, out=tmp_path, hints=hints))
    assert "invalid JSONPath" in str(err.value) and err.value.location.line == 3


def test_hide_and_fix_parameters(tmp_path):
    hints = write(
        tmp_path,
        "tools:\n  listDeals:\n    hide: [owner_id]\n    fix: {status: open}\n"
        "  getContact:\n    hide: [nope]\n",
    )
    with pytest.raises(InputError, match="getContact has no parameter 'nope'"):
        generate(BuildOptions(spec=SPEC, out=tmp_path, hints=hints))
    hints.write_text("tools:\n  listDeals:\n    hide: [owner_id]\n    fix: {status: open}\n")
    tools = {
        t.operation_id: t
        for t in generate(BuildOptions(spec=SPEC, out=tmp_path, hints=hints)).api.tools
    }
    names = [p.name for p in tools["listDeals"].params]
    assert "owner_id" not in names and "status" not in names
    assert [(f.location, f.api_name, f.value) for f in tools["listDeals"].upstream.fixed] == [
        ("query", "status", "open")
    ]


def test_include_exclude_by_tag_and_path(tmp_path):
    hints = write(
        tmp_path,
        "include: {tags: [Contacts, Search]}\nexclude: {paths: ['/contacts/*/activities']}\n",
    )
    api = generate(BuildOptions(spec=SPEC, out=tmp_path, hints=hints)).api
    names = {t.name for t in api.tools if not t.hidden}
    assert "get_contact" in names and "search_records" in names
    assert "list_deals" not in names and "list_contact_activities" not in names
    reasons = {s.operation_id: s.reason for s in api.skipped}
    assert reasons["listDeals"] == "not included by hints"
    assert reasons["listContactActivities"] == "excluded by hints"


def test_overlay_over_hubspot_adds_hints_and_removes_an_operation(tmp_path):
    from conftest import shared_spec

    spec = shared_spec("hubspot_contacts_v3.json")
    overlay = tmp_path / "agent.overlay.yaml"
    overlay.write_text(
        textwrap.dedent(
            """\
            overlay: 1.1.0
            info: {title: Agent overlay for HubSpot contacts, version: 1.0.0}
            actions:
              - target: "$.paths['/crm/v3/objects/contacts/gdpr-delete']"
                remove: true
              - target: "$.paths['/crm/v3/objects/contacts'].get"
                update:
                  summary: List contacts
                  x-agent:
                    name: list_contacts
                    keep: ["$.results[*].id", "$.results[*].properties"]
                    max_response_tokens: 2500
            """
        )
    )
    report = generate(BuildOptions(spec=spec, out=tmp_path, overlays=(overlay,)))
    tools = {t.name: t for t in report.api.tools}
    assert "list_contacts" in tools and "purge_contacts_gdpr_delete" not in tools
    listed = tools["list_contacts"]
    assert listed.description.startswith("List contacts.")
    assert listed.shape.keep == ("$.id", "$.properties") and listed.shape.max_tokens == 2500
    assert listed.pagination.style == "cursor"
