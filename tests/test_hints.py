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
    assert {"defaults", "include", "exclude", "search", "tools"} == set(schema["properties"])
