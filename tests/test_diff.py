"""`adaptgen diff`: agent-facing changes between specs and generated servers, on real inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, shared_spec

from adaptgen.cli import main
from adaptgen.diff import Change, catalog_surface, diff_surfaces

CRM = ROOT / "specs" / "crm.yaml"

# What the edited HubSpot copy changes, as (kind, tool, param, breaking).
HUBSPOT_CHANGES = [
    ("param.removed", "get_contact", "archived", True),
    ("tool.renamed", "list_contacts_all", None, True),
    ("param.now_required", "update_contact", "id_property", True),
    ("param.added", "get_contact", "include_deleted", False),
]


def _diff(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main(["diff", *map(str, args)])
    return code, capsys.readouterr().out


def _edited_hubspot(tmp_path: Path) -> tuple[Path, Path]:
    """The HubSpot contacts spec and a copy with a parameter removed, one added, one made
    required and an operationId renamed (so its tool is renamed)."""
    original = shared_spec("hubspot_contacts_v3.json")
    document = json.loads(original.read_text())
    paths = document["paths"]
    get_by_id = paths["/crm/v3/objects/contacts/{contactId}"]["get"]
    get_by_id["parameters"] = [p for p in get_by_id["parameters"] if p.get("name") != "archived"]
    get_by_id["parameters"].append(
        {"name": "includeDeleted", "in": "query", "schema": {"type": "boolean"}}
    )
    paths["/crm/v3/objects/contacts"]["get"]["operationId"] = "get-/crm/v3/objects/contacts_listAll"
    for param in paths["/crm/v3/objects/contacts/{contactId}"]["patch"]["parameters"]:
        if param.get("name") == "idProperty":
            param["required"] = True
    edited = tmp_path / "hubspot_contacts_v3.json"
    edited.write_text(json.dumps(document, indent=2))
    return original, edited


def test_hubspot_json_lists_each_change_with_its_breaking_flag(tmp_path, capsys):
    old, new = _edited_hubspot(tmp_path)
    code, out = _diff(capsys, old, new, "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["old"] == str(old) and report["new"] == str(new)
    assert report["summary"] == {"breaking": 3, "non_breaking": 1}
    found = [(c["kind"], c["tool"], c["param"], c["breaking"]) for c in report["changes"]]
    assert found == HUBSPOT_CHANGES  # breaking first, then by tool
    removed, renamed = report["changes"][0], report["changes"][1]
    assert removed["pointer"] == "/properties/archived"
    assert removed["old"]["type"] == "boolean" and removed["new"] is None
    assert renamed["old"] == "list_contacts" and renamed["new"] == "list_contacts_all"
    assert "GET /crm/v3/objects/contacts" in renamed["detail"]


def test_hubspot_text_groups_by_tool_and_marks_breaking(tmp_path, capsys):
    old, new = _edited_hubspot(tmp_path)
    code, out = _diff(capsys, old, new)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"3 breaking, 1 non-breaking changes ({old} -> {new})"
    assert lines[2:5] == [
        "get_contact",
        "  BREAKING  archived: parameter removed (was boolean, optional)",
        "            include_deleted: new optional parameter (boolean)",
    ]
    assert (
        "  BREAKING  renamed from `list_contacts` (same operation GET "
        "/crm/v3/objects/contacts)" in lines
    )
    assert "  BREAKING  id_property: optional -> required" in lines


def test_hubspot_markdown_puts_breaking_changes_first(tmp_path, capsys):
    old, new = _edited_hubspot(tmp_path)
    code, out = _diff(capsys, old, new, "--format", "markdown")
    assert code == 1
    assert out.startswith("## Agent-facing changes")
    assert "**3 breaking**, 1 non-breaking changes." in out
    breaking, other = out.index("### ⚠️ Breaking changes"), out.index("### Other changes")
    assert breaking < other
    removed = "| `get_contact` | `archived` | parameter removed (was boolean, optional) |"
    assert breaking < out.index(removed) < other
    assert other < out.index("| `get_contact` | `include_deleted` |")


@pytest.mark.parametrize(("fail_on", "expected"), [("breaking", 1), ("any", 1), ("never", 0)])
def test_fail_on_decides_the_exit_code(tmp_path, capsys, fail_on, expected):
    old, new = _edited_hubspot(tmp_path)
    assert _diff(capsys, old, new, "--fail-on", fail_on)[0] == expected


def test_only_non_breaking_changes_fail_only_with_fail_on_any(tmp_path, capsys):
    old = shared_spec("hubspot_contacts_v3.json")
    document = json.loads(old.read_text())
    get_page = document["paths"]["/crm/v3/objects/contacts"]["get"]
    get_page["parameters"].append({"name": "email", "in": "query", "schema": {"type": "string"}})
    new = tmp_path / "hubspot.json"
    new.write_text(json.dumps(document))
    code, out = _diff(capsys, old, new)
    assert code == 0
    assert out.startswith("0 breaking, 1 non-breaking change (")
    assert _diff(capsys, old, new, "--fail-on", "any")[0] == 1


def test_identical_specs_report_no_changes(capsys):
    spec = shared_spec("hubspot_contacts_v3.json")
    code, out = _diff(capsys, spec, spec)
    assert code == 0
    assert out == f"no agent-facing changes ({spec} -> {spec})\n"
    code, out = _diff(capsys, spec, spec, "--format", "json", "--fail-on", "any")
    assert code == 0
    assert json.loads(out)["changes"] == []
    assert "No agent-facing changes." in _diff(capsys, spec, spec, "--format", "markdown")[1]


def _edit(text: str, old: str, new: str, *, within: tuple[str, str]) -> str:
    """Replace `old` once, between the two markers (the same lines recur in other schemas)."""
    start, end = text.index(within[0]), text.index(within[1])
    section = text[start:end]
    assert section.count(old) == 1, old
    return text[:start] + section.replace(old, new) + text[end:]


def _edited_crm(tmp_path: Path) -> Path:
    """specs/crm.yaml with its hints and workflows beside it, and its contact input changed:
    lifecycle stage `churned` gone, `address.city` gone, `company_id` widened to a number; and
    the deal_context workflow's `dealId` input now a string."""
    folder = tmp_path / "edited"
    folder.mkdir()
    shutil.copy(CRM.with_name("crm.hints.yaml"), folder / "crm.hints.yaml")
    arazzo = CRM.with_name("crm.arazzo.yaml").read_text()
    arazzo = _edit(arazzo, "type: integer", "type: string", within=("dealId:", "steps:"))
    (folder / "crm.arazzo.yaml").write_text(arazzo)
    text = CRM.read_text()
    text = _edit(
        text,
        "enum: [lead, mql, sql, opportunity, customer, churned]",
        "enum: [lead, mql, sql, opportunity, customer]",
        within=("    LifecycleStage:", "    Salutation:"),
    )
    text = _edit(
        text,
        "        city:\n          type: string\n          nullable: true\n"
        "          maxLength: 255\n",
        "",
        within=("    AddressInput:", "    TagList:"),
    )
    text = _edit(
        text,
        "        company_id:\n          type: integer\n",
        "        company_id:\n          type: number\n",
        within=("    ContactInput:", "    ContactPatch:"),
    )
    (folder / "crm.yaml").write_text(text)
    return folder / "crm.yaml"


def test_generated_folder_against_an_edited_spec(tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert main(["build", str(CRM), "--out", str(out_dir), "-q"]) == 0
    server = out_dir / "crm"
    capsys.readouterr()

    code, out = _diff(capsys, CRM, server, "--fail-on", "any")
    assert (code, out) == (0, f"no agent-facing changes ({CRM} -> {server})\n")

    code, out = _diff(capsys, server, _edited_crm(tmp_path), "--format", "json")
    assert code == 1
    changes = {
        (c["kind"], c["param"]): c
        for c in json.loads(out)["changes"]
        if c["tool"] == "create_contact"
    }
    assert set(changes) == {
        ("param.enum_narrowed", "lifecycle_stage"),
        ("param.removed", "address.city"),
        ("param.type_changed", "company_id"),
    }
    assert changes["param.enum_narrowed", "lifecycle_stage"]["breaking"]
    assert changes["param.enum_narrowed", "lifecycle_stage"]["detail"] == (
        'enum values removed: "churned"'
    )
    city = changes["param.removed", "address.city"]
    assert city["breaking"] and city["pointer"] == "/properties/address/properties/city"
    company = changes["param.type_changed", "company_id"]
    assert not company["breaking"] and company["detail"] == "type integer -> number (widened)"
    chain = [c for c in json.loads(out)["changes"] if c["tool"] == "deal_context"]
    assert [(c["kind"], c["param"], c["breaking"], c["detail"]) for c in chain] == [
        ("param.type_changed", "dealId", True, "type integer -> string")
    ]


def test_hints_beside_the_spec_count_unless_no_hints(tmp_path, capsys):
    # The hints hide the session-login tool and exclude logout; without them agents see both.
    code, out = _diff(capsys, CRM, CRM)
    assert code == 0
    bare = tmp_path / "crm.yaml"
    shutil.copy(CRM, bare)
    code, out = _diff(capsys, CRM, bare, "--format", "json")
    removed = {c["tool"] for c in json.loads(out)["changes"] if c["kind"] == "tool.removed"}
    assert {"open_deals_for_email", "company_overview"} <= removed  # chains from the hints
    code, out = _diff(capsys, CRM, bare, "--no-hints", "--fail-on", "any")
    assert (code, out) == (0, f"no agent-facing changes ({CRM} -> {bare})\n")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.yaml", "missing.yaml: file not found"),
        (lambda tmp: tmp, "no catalog.json here"),
        (lambda tmp: _write(tmp / "bad.yaml", "openapi: 3.0.0\ninfo: {title: x\n"), "bad.yaml:3"),
        (lambda tmp: _write(tmp / "catalog.json", '{"api": {}}'), "not an adaptgen catalog"),
    ],
    ids=["missing-file", "folder-without-catalog", "invalid-yaml", "not-a-catalog"],
)
def test_bad_input_exits_2_with_where(tmp_path, capsys, make, message):
    assert main(["diff", str(CRM), str(make(tmp_path))]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# The rules, on hand-written catalog entries (the shape catalog.json has).


def _tool(name: str = "get_thing", **schema: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "description": "Get a thing.",
        "annotations": schema.pop("annotations", {}),
        "input_schema": {"type": "object", "properties": schema.pop("properties", {}), **schema},
        "upstream": {"operation_id": "getThing", "method": "GET", "path": "/things/{id}"},
    }
    return entry


def _diff_tools(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    return diff_surfaces(
        catalog_surface("old", {"tools": old}), catalog_surface("new", {"tools": new})
    ).changes


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str | None, bool]]:
    return [(c.kind, c.param, c.breaking) for c in _diff_tools([old], [new])]


def _param(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str | None, bool]]:
    return _changes(_tool(properties={"x": old}), _tool(properties={"x": new}))


@pytest.mark.parametrize(
    ("old", "new", "breaking"),
    [
        ({"type": "integer"}, {"type": "number"}, False),
        ({"type": "number"}, {"type": "integer"}, True),
        ({"type": "string"}, {"anyOf": [{"type": "string"}, {"type": "integer"}]}, False),
        ({"type": "string"}, {"type": "integer"}, True),
        ({"type": ["string", "null"]}, {"type": "string"}, True),
        ({"type": "string"}, {}, False),
    ],
)
def test_type_changes_break_unless_they_widen(old, new, breaking):
    assert _param(old, new) == [("param.type_changed", "x", breaking)]


def test_enum_values_removed_break_and_added_do_not():
    old = {"type": "string", "enum": ["a", "b"]}
    new = {"type": "string", "enum": ["b", "c"]}
    assert _param(old, new) == [
        ("param.enum_narrowed", "x", True),
        ("param.enum_widened", "x", False),
    ]
    assert _param({"type": "string"}, old) == [("param.enum_narrowed", "x", True)]


def test_required_default_format_and_limits():
    old = _tool(properties={"x": {"type": "string", "maxLength": 10}, "y": {"type": "integer"}})
    new = _tool(
        properties={
            "x": {"type": "string", "maxLength": 5, "format": "email"},
            "y": {"type": "integer", "default": 3},
        },
        required=["x"],
    )
    assert _changes(old, new) == [
        ("param.constraint_changed", "x", True),
        ("param.format_changed", "x", True),
        ("param.now_required", "x", True),
        ("param.default_changed", "y", False),
    ]
    assert _changes(new, old) == [
        ("param.constraint_changed", "x", False),
        ("param.format_changed", "x", False),
        ("param.now_optional", "x", False),
        ("param.default_changed", "y", False),
    ]


def test_nested_properties_are_diffed_by_path_two_levels_deep():
    def schema(deepest: dict[str, Any]) -> dict[str, Any]:
        inner = {"type": "object", "properties": {"c": deepest, "d": {"type": "string"}}}
        return {"type": "array", "items": {"type": "object", "properties": {"b": inner}}}

    old = _tool(properties={"a": schema({"type": "object", "properties": {"e": {}}})})
    new = _tool(properties={"a": schema({"type": "object", "properties": {}})}, required=[])
    new["input_schema"]["properties"]["a"]["items"]["properties"]["b"]["required"] = ["d"]
    changes = _diff_tools([old], [new])
    # a[].b.c.e is three objects below `a`: deeper than MAX_NESTING, so not compared.
    assert [(c.kind, c.param, c.pointer, c.breaking) for c in changes] == [
        ("param.now_required", "a[].b.d", "/properties/a/items/properties/b/properties/d", True)
    ]


@pytest.mark.parametrize(
    ("old", "new", "breaking"),
    [
        ({"readOnlyHint": True}, {}, True),
        ({}, {"readOnlyHint": True}, False),
        ({}, {"destructiveHint": True}, True),
        ({"destructiveHint": True}, {}, False),
        ({"idempotentHint": True}, {"idempotentHint": False}, True),
    ],
)
def test_annotation_changes_that_make_a_tool_less_safe_break(old, new, breaking):
    assert _changes(_tool(annotations=old), _tool(annotations=new)) == [
        ("tool.annotation_changed", None, breaking)
    ]


def test_hidden_tools_are_not_agent_facing_and_renames_match_by_route():
    hidden = {**_tool("login"), "hidden": True}
    renamed = _tool("fetch_thing")
    renamed["upstream"]["operation_id"] = "fetchThing"  # same method and path
    renamed["description"] = "Fetch one thing by id."
    changes = _diff_tools([_tool(), hidden], [renamed])
    assert [(c.kind, c.tool, c.breaking) for c in changes] == [
        ("tool.renamed", "fetch_thing", True),
        ("tool.description_changed", "fetch_thing", False),
    ]
    assert changes[1].detail == 'description: "Get a thing." -> "Fetch one thing by id."'


def test_search_mode_and_pinning_are_reported_without_breaking():
    listed = {"api": {"surface": {"mode": "all"}}, "tools": [{**_tool(), "pinned": True}]}
    searched = {"api": {"surface": {"mode": "search"}}, "tools": [_tool()]}
    result = diff_surfaces(catalog_surface("old", listed), catalog_surface("new", searched))
    assert [(c.kind, c.tool, c.breaking, c.old, c.new) for c in result.changes] == [
        ("surface.changed", None, False, "all", "search"),
        ("tool.pinned_changed", "get_thing", False, True, False),
    ]
    assert result.exit_code("breaking") == 0 and result.exit_code("any") == 1
