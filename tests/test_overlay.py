"""OpenAPI Overlays 1.0/1.1: loading with file:line errors, and applying update/remove/copy."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_spec

from adaptgen.errors import InputError
from adaptgen.load.overlay import Overlay, apply_overlay, apply_overlays, load_overlay

HEAD = "overlay: {version}\ninfo:\n  title: Test overlay\n  version: '1'\nactions:\n"


def write(tmp_path: Path, text: str, name: str = "test.overlay.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def overlay(tmp_path: Path, actions: str, version: str = "1.1.0") -> Overlay:
    """An overlay with the usual header (5 lines: the first action is on line 6)."""
    return load_overlay(write(tmp_path, HEAD.format(version=version) + textwrap.dedent(actions)))


def apply(
    tmp_path: Path, document: dict[str, Any], actions: str, version: str = "1.1.0"
) -> tuple[dict[str, Any], list[str]]:
    """Apply, check the input was left alone, and return the result and the warning texts."""
    before = copy.deepcopy(document)
    result, warnings = apply_overlay(document, overlay(tmp_path, actions, version))
    assert document == before
    return result, [w.message for w in warnings]


def petstore() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1.0.0"},
        "servers": [{"url": "https://a.example"}, {"url": "https://b.example"}],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "summary": "List pets",
                    "tags": ["pets", "dummy", "public", "dummy"],
                    "parameters": [
                        {"name": "limit", "in": "query"},
                        {"name": "filter", "in": "query"},
                        {"name": "filter", "in": "header"},
                    ],
                    "responses": {"200": {"description": "ok"}, "500": {"description": "boom"}},
                },
                "post": {
                    "operationId": "createPet",
                    "x-internal": True,
                    "responses": {"201": {"description": "made"}},
                },
            },
            "/pets/{id}": {
                "get": {
                    "operationId": "getPet",
                    "tags": ["pets"],
                    "responses": {"200": {"description": "ok"}, "500": {"description": "boom"}},
                }
            },
        },
        "components": {"schemas": {"Pet": {"type": "object", "required": ["id"]}}},
    }


# --------------------------------------------------------------------------------------------
# Loading


def test_minimal_overlay_loads(tmp_path):
    ov = overlay(
        tmp_path,
        """\
        - target: $.info
          description: Brand it
          update: {x-brand: acme}
        - target: $.servers
          remove: true
        """,
    )
    assert (ov.version, ov.minor, ov.title, ov.info_version) == ("1.1.0", 1, "Test overlay", "1")
    assert [(a.number, a.kind, a.target) for a in ov.actions] == [
        (1, "update", "$.info"),
        (2, "remove", "$.servers"),
    ]
    assert ov.actions[0].description == "Brand it"
    assert ov.warnings == []


def test_extends_description_and_extensions_are_accepted(tmp_path):
    path = write(
        tmp_path,
        """\
        overlay: 1.1.2
        x-owner: api-team
        info:
          title: T
          version: 2.0.0
          description: Patches the petstore
          x-ticket: 42
        extends: ./petstore.yaml
        actions:
          - target: $
            update: {}
            x-why: because
        """,
    )
    ov = load_overlay(path)
    assert (ov.extends, ov.description, ov.minor, ov.warnings) == (
        "./petstore.yaml",
        "Patches the petstore",
        1,
        [],
    )


def test_json_overlays_load_and_errors_point_into_them(tmp_path):
    good = {
        "overlay": "1.0.0",
        "info": {"title": "T", "version": "1"},
        "actions": [{"target": "$", "update": {"x-a": 1}}],
    }
    ov = load_overlay(write(tmp_path, json.dumps(good), "ok.json"))
    assert apply_overlay({"openapi": "3.0.3"}, ov)[0] == {"openapi": "3.0.3", "x-a": 1}

    bad = json.dumps({**good, "actions": [{"target": "$", "remove": "no"}]}, indent=2)
    path = write(tmp_path, bad, "bad.json")
    with pytest.raises(InputError) as err:
        load_overlay(path)
    assert err.value.location.line == 10
    assert str(err.value).startswith(f"{path}:10:")
    assert "'remove' must be true or false" in err.value.message


BAD_OVERLAYS = [
    pytest.param(
        "info: {title: T, version: '1'}\nactions: [{target: $, update: {}}]\n",
        1,
        "",
        "missing required field 'overlay'",
        id="no-version",
    ),
    pytest.param(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\n",
        1,
        "",
        "this is an OpenAPI document, not an Overlay",
        id="openapi-instead",
    ),
    pytest.param(
        "info: {title: T, version: '1'}\noverlay: 2.0.0\nactions: [{target: $, update: {}}]\n",
        2,
        "/overlay",
        "unsupported Overlay version '2.0.0' (supported: 1.0.x, 1.1.x)",
        id="version-2",
    ),
    pytest.param(
        "overlay: 1.2.0\ninfo: {title: T, version: '1'}\nactions: [{target: $, update: {}}]\n",
        1,
        "/overlay",
        "unsupported Overlay version '1.2.0'",
        id="version-1.2",
    ),
    pytest.param(
        "overlay: 1.1\ninfo: {title: T, version: '1'}\nactions: [{target: $, update: {}}]\n",
        1,
        "/overlay",
        "'overlay' must be a string such as \"1.1.0\", not a number (1.1)",
        id="version-not-string",
    ),
    pytest.param(
        "overlay: 1.0.0\nactions: [{target: $, update: {}}]\n",
        1,
        "",
        "missing required field 'info'",
        id="no-info",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo:\n  title: T\nactions: [{target: $, update: {}}]\n",
        2,
        "/info",
        "missing required field 'info.version'",
        id="no-info-version",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: {version: '1'}\nactions: [{target: $, update: {}}]\n",
        2,
        "/info",
        "missing required field 'info.title'",
        id="no-info-title",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo:\n  title: T\n  version: 1\nactions: [{target: $, update: {}}]\n",
        4,
        "/info/version",
        "'info.version' must be a string, not a number (1); quote it in YAML",
        id="info-version-number",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: [T]\nactions: [{target: $, update: {}}]\n",
        2,
        "/info",
        "'info' must be a mapping, not an array",
        id="info-not-mapping",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: {title: T, version: '1', titel: x}\nactions: [{target: $}]\n",
        2,
        "/info/titel",
        "unknown key 'titel' in info (did you mean 'title'?)",
        id="info-unknown-key",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: {title: T, version: '1'}\nactoins: []\n",
        3,
        "/actoins",
        "unknown key 'actoins' in the overlay (did you mean 'actions'?)",
        id="root-unknown-key",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: {title: T, version: '1'}\nextends: [a.yaml]\nactions: []\n",
        3,
        "/extends",
        "'extends' must be a string, not an array",
        id="extends-not-string",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: {title: T, version: '1'}\n",
        1,
        "",
        "missing required field 'actions'",
        id="no-actions",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: {title: T, version: '1'}\nactions:\n  target: $\n  remove: true\n",
        3,
        "/actions",
        "'actions' must be a list of actions, not an object",
        id="actions-not-list",
    ),
    pytest.param(
        "overlay: 1.0.0\ninfo: {title: T, version: '1'}\nactions: []\n",
        3,
        "/actions",
        "'actions' must contain at least one action",
        id="actions-empty",
    ),
    pytest.param(
        HEAD + "  - target: $\n    update: {}\n  - $.paths\n",
        8,
        "/actions/1",
        "action 2 must be a mapping, not a string",
        id="action-not-mapping",
    ),
    pytest.param(
        HEAD + "  - target: $\n    update: {}\n  - description: no target\n    remove: true\n",
        8,
        "/actions/1",
        "action 2 has no 'target' (a JSONPath query)",
        id="action-without-target",
    ),
    pytest.param(
        HEAD + "  - target: 42\n    remove: true\n",
        6,
        "/actions/0/target",
        "action 1 'target' must be a string, not a number",
        id="target-not-string",
    ),
    pytest.param(
        HEAD + "  - target: info.description\n    update: x\n",
        6,
        "/actions/0/target",
        "action 1 target 'info.description' is not a JSONPath query: it must start with '$'",
        id="target-without-dollar",
    ),
    pytest.param(
        HEAD + "  - target: $\n    update: {}\n  - target: $.paths[\n    remove: true\n",
        8,
        "/actions/1/target",
        "action 2 target '$.paths[' is not valid JSONPath: Parse error",
        id="target-bad-syntax",
    ),
    pytest.param(
        HEAD + "  - target: $.paths[?length(@) > 1]\n    remove: true\n",
        6,
        "/actions/0/target",
        "not valid JSONPath: Parse error at 1:15 near token ( ((); RFC 9535 functions (length, "
        "count, match, search, value) are not supported",
        id="target-function-extension",
    ),
    pytest.param(
        HEAD + "  - target: $.paths.`len`\n    remove: true\n",
        6,
        "/actions/0/target",
        "uses `len`, a jsonpath-ng extension that selects values rather than document nodes",
        id="target-jsonpath-ng-extension",
    ),
    pytest.param(
        HEAD + "  - target: $.info | $.paths\n    remove: true\n",
        6,
        "/actions/0/target",
        "uses `|` (union)",
        id="target-union-operator",
    ),
    pytest.param(
        HEAD + "  - target: $.servers\n    remove: yes\n",
        7,
        "/actions/0/remove",
        "action 1: 'remove' must be true or false, not a string ('yes')",
        id="remove-not-boolean",
    ),
    pytest.param(
        HEAD + "  - target: $.servers\n    description: forgot what to do\n",
        6,
        "/actions/0",
        "action 1 has no update, copy or remove: true",
        id="no-modifier",
    ),
    pytest.param(
        HEAD.format(version="1.0.0") + "  - target: $.servers\n",
        6,
        "/actions/0",
        "action 1 has no update or remove: true",
        id="no-modifier-1.0",
    ),
    pytest.param(
        HEAD + "  - target: $.servers\n    update: [{url: x}]\n    remove: true\n",
        6,
        "/actions/0",
        "action 1 has update and remove: true: an action does exactly one of",
        id="update-and-remove-1.1",
    ),
    pytest.param(
        HEAD + "  - target: $.info\n    update: {}\n    copy: $.servers[0]\n",
        6,
        "/actions/0",
        "action 1 has update and copy",
        id="update-and-copy",
    ),
    pytest.param(
        HEAD + "  - target: $.info\n    copy: $.servers[0]\n    remove: true\n",
        6,
        "/actions/0",
        "action 1 has copy and remove: true",
        id="copy-and-remove",
    ),
    pytest.param(
        HEAD.format(version="1.0.1") + "  - target: $.info\n    copy: $.servers[0]\n",
        7,
        "/actions/0/copy",
        "action 1: 'copy' needs Overlay 1.1 (this overlay says 1.0.1; set overlay: 1.1.0)",
        id="copy-in-1.0",
    ),
    pytest.param(
        HEAD + "  - target: $.info\n    copy: $.servers[\n",
        7,
        "/actions/0/copy",
        "action 1 copy '$.servers[' is not valid JSONPath",
        id="copy-bad-syntax",
    ),
    pytest.param(
        HEAD + "  - target: $.info\n    udpate: {x-a: 1}\n",
        7,
        "/actions/0/udpate",
        "unknown key 'udpate' in action 1 (did you mean 'update'?)",
        id="action-unknown-key",
    ),
    pytest.param(
        HEAD + "  - target: $.info\n    description: 5\n    update: {}\n",
        7,
        "/actions/0/description",
        "action 1 'description' must be a string, not a number",
        id="description-not-string",
    ),
    pytest.param(
        HEAD
        + "  - target: $.servers\n    remove: true\n"
        + "  - target: $.info\n    update: {x-a: 1}\n"
        + "  - remove: true\n    target: $.servers\n",
        10,
        "/actions/2",
        "action 3 repeats action 1 (actions must be unique)",
        id="duplicate-action",
    ),
    pytest.param("- overlay: 1.0.0\n", 1, "", "the top level must be a mapping", id="a-list"),
    pytest.param("", 1, None, "empty file", id="empty-file"),
    pytest.param("overlay: 1.0.0\ninfo: {title: T\n", 3, None, "invalid YAML", id="bad-yaml"),
]


@pytest.mark.parametrize(("text", "line", "pointer", "message"), BAD_OVERLAYS)
def test_structural_errors_have_file_line_and_pointer(tmp_path, text, line, pointer, message):
    path = write(tmp_path, text.replace("{version}", "1.1.0"))
    with pytest.raises(InputError) as err:
        load_overlay(path)
    assert message in err.value.message
    assert err.value.location.file == str(path)
    assert err.value.location.line == line
    assert err.value.location.pointer == pointer
    assert str(err.value).startswith(f"{path}:{line}:")
    assert err.value.exit_code == 2


def test_missing_overlay_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_overlay(tmp_path / "nope.yaml")


def test_update_with_remove_in_1_0_removes_and_warns(tmp_path):
    # Overlay 1.0: "update has no impact if remove is true" (1.1 makes this an error).
    result, warnings = apply(
        tmp_path,
        petstore(),
        """\
        - target: $.servers
          update: {url: https://c.example}
          remove: true
        """,
        version="1.0.0",
    )
    assert "servers" not in result
    assert warnings == ["action 1: update is ignored, remove is true"]


def test_remove_false_alone_does_nothing_with_a_warning(tmp_path):
    ov = overlay(tmp_path, "- target: $.servers\n  remove: false\n")
    result, warnings = apply_overlay(petstore(), ov)
    assert result == petstore()
    assert [(w.location.line, w.message) for w in warnings] == [
        (7, "action 1 does nothing: remove is false and there is no update or copy")
    ]


def test_remove_false_beside_update_is_the_default_not_a_conflict(tmp_path):
    result, _ = apply(
        tmp_path, petstore(), "- target: $.info\n  update: {x-a: 1}\n  remove: false\n"
    )
    assert result["info"]["x-a"] == 1


def test_info_description_in_1_0_is_a_warning(tmp_path):
    path = write(
        tmp_path,
        """\
        overlay: 1.0.0
        info: {title: T, version: '1', description: d}
        actions: [{target: $, update: {}}]
        """,
    )
    [warning] = load_overlay(path).warnings
    assert (warning.location.line, warning.message) == (
        2,
        "'info.description' is an Overlay 1.1 field; this overlay says 1.0.0",
    )


def test_non_rfc_syntax_jsonpath_ng_accepts_is_applied_with_a_warning(tmp_path):
    result, warnings = apply(
        tmp_path,
        petstore(),
        "- target: $.paths.*[?@.operationId == createPet]\n  update: {x-seen: true}\n",
    )
    assert result["paths"]["/pets"]["post"]["x-seen"] is True
    assert len(warnings) == 1
    assert warnings == [
        "action 1 target is not RFC 9535 JSONPath: An unquoted word as a comparison operand is "
        "deprecated; Write `'createPet'` instead"
    ]


# --------------------------------------------------------------------------------------------
# update


def test_update_merges_objects_recursively_keeping_key_order(tmp_path):
    result, warnings = apply(
        tmp_path,
        petstore(),
        """\
        - target: $.paths['/pets'].get
          update:
            summary: Browse pets
            x-agent: {keep: [$.id]}
            responses:
              '200': {description: the pets, x-note: n}
              '404': {description: none}
        """,
    )
    get = result["paths"]["/pets"]["get"]
    # Replaced in place; new keys appended at the end, also one level down.
    assert list(get) == ["operationId", "summary", "tags", "parameters", "responses", "x-agent"]
    assert get["summary"] == "Browse pets"
    assert get["x-agent"] == {"keep": ["$.id"]}
    assert get["responses"] == {
        "200": {"description": "the pets", "x-note": "n"},
        "500": {"description": "boom"},
        "404": {"description": "none"},
    }
    assert warnings == []


def test_update_concatenates_nested_arrays(tmp_path):
    result, _ = apply(tmp_path, petstore(), "- target: $.paths.*.get\n  update: {tags: [agent]}\n")
    assert result["paths"]["/pets"]["get"]["tags"] == ["pets", "dummy", "public", "dummy", "agent"]
    assert result["paths"]["/pets/{id}"]["get"]["tags"] == ["pets", "agent"]


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        ("{url: https://c.example}", [{"url": "https://c.example"}]),  # an object is appended
        (  # an array is concatenated
            "[{url: https://c.example}, {url: https://d.example}]",
            [{"url": "https://c.example"}, {"url": "https://d.example"}],
        ),
        ("https://c.example", ["https://c.example"]),  # and so is a primitive
    ],
)
def test_update_on_an_array_appends_or_concatenates(tmp_path, update, expected):
    result, _ = apply(tmp_path, petstore(), f"- target: $.servers\n  update: {update}\n")
    assert result["servers"] == petstore()["servers"] + expected


def test_update_applies_to_every_selected_node_with_its_own_copy(tmp_path):
    result, _ = apply(
        tmp_path, petstore(), "- target: $.paths.*.get\n  update: {x-agent: {keep: [a]}}\n"
    )
    first = result["paths"]["/pets"]["get"]["x-agent"]
    second = result["paths"]["/pets/{id}"]["get"]["x-agent"]
    assert first == second == {"keep": ["a"]}
    assert first is not second and first["keep"] is not second["keep"]


def test_update_replaces_primitives_in_1_1(tmp_path):
    result, _ = apply(
        tmp_path,
        petstore(),
        """\
        - target: $.info.title
          update: Pet Store
        - target: $.paths.*.get.tags[?@ == 'dummy']
          update: hidden
        """,
    )
    assert result["info"] == {"title": "Pet Store", "version": "1.0.0"}
    assert result["paths"]["/pets"]["get"]["tags"] == ["pets", "hidden", "public", "hidden"]


def test_update_on_primitives_is_an_error_in_1_0(tmp_path):
    ov = overlay(
        tmp_path, "- target: $.info\n  update: {}\n- target: $.info.title\n  update: x\n", "1.0.0"
    )
    with pytest.raises(InputError) as err:
        apply_overlay(petstore(), ov)
    assert err.value.location.line == 8
    assert err.value.message == (
        "action 2 target $.info.title selects a string at /info/title; Overlay 1.0 targets must "
        "be objects or arrays (select the containing object and update the property, or set "
        "overlay: 1.1.0)"
    )


def test_update_targets_must_all_be_the_same_kind(tmp_path):
    ov = overlay(tmp_path, "- target: $.paths['/pets'].get.*\n  update: {}\n")
    with pytest.raises(InputError) as err:
        apply_overlay(petstore(), ov)
    assert err.value.location.line == 6
    assert "selects nodes of different kinds (a string at /paths/~1pets/get/operationId, " in (
        err.value.message
    )
    assert "an array at /paths/~1pets/get/tags, an object at" in err.value.message


@pytest.mark.parametrize(
    ("actions", "line", "message"),
    [
        (
            "- target: $.info\n  update: [x]\n",
            7,
            "action 1: the update value is an array, but /info is an object, which only merges "
            "with an object",
        ),
        (
            "- target: $.paths.*.get\n  update:\n    x-ok: 1\n    tags:\n      first: x\n",
            9,
            "action 1: the update value at /tags is an object, but the document has an array at "
            "/paths/~1pets/get/tags; only objects, arrays or primitives merge with their own kind",
        ),
        (
            # A null placeholder doesn't mean "leave it alone": the spec calls it incompatible.
            "- target: $\n  update:\n    info:\n    components:\n",
            8,
            "action 1: the update value at /info is null, but the document has an object at /info",
        ),
        (
            "- target: $.info.title\n  update: {text: x}\n",
            7,
            "the update value is an object, but /info/title is a string, which only a primitive "
            "value can replace",
        ),
    ],
)
def test_incompatible_update_values_point_at_the_value(tmp_path, actions, line, message):
    ov = overlay(tmp_path, actions)
    with pytest.raises(InputError) as err:
        apply_overlay(petstore(), ov)
    assert message in err.value.message
    assert err.value.location.line == line


def test_null_replaces_primitives_and_fills_new_keys(tmp_path):
    result, _ = apply(
        tmp_path, petstore(), "- target: $.info\n  update: {title: null, x-n: null}\n"
    )
    assert result["info"] == {"title": None, "version": "1.0.0", "x-n": None}


def test_the_root_can_be_updated(tmp_path):
    result, _ = apply(tmp_path, petstore(), "- target: $\n  update: {info: {x-overlaid: true}}\n")
    assert result["info"]["x-overlaid"] is True


# --------------------------------------------------------------------------------------------
# remove


def test_remove_drops_object_members(tmp_path):
    result, _ = apply(tmp_path, petstore(), "- target: $.paths..responses['500']\n  remove: true\n")
    assert result["paths"]["/pets"]["get"]["responses"] == {"200": {"description": "ok"}}
    assert result["paths"]["/pets/{id}"]["get"]["responses"] == {"200": {"description": "ok"}}


def test_remove_several_items_of_one_array(tmp_path):
    result, _ = apply(
        tmp_path,
        petstore(),
        """\
        - target: $.paths.*.get.tags[?@ == 'dummy']
          remove: true
        - target: $.paths.*.get.parameters[?@.name == 'filter' && @.in == 'query' || @.in == 'x']
          remove: true
        - target: $.paths.*.get.parameters[?@.in == 'header']
          remove: true
        """,
    )
    get = result["paths"]["/pets"]["get"]
    assert get["tags"] == ["pets", "public"]
    assert get["parameters"] == [{"name": "limit", "in": "query"}]


def test_remove_by_negative_index_slice_and_overlap(tmp_path):
    document = {"a": [0, 1, 2, 3, 4, 5], "b": [{"x": {"x": 1}}, {"y": 2}], "c": [9, 9]}
    result, _ = apply(
        tmp_path,
        document,
        """\
        - target: $.a[-1]
          remove: true
        - target: $.a[0:4:2]
          remove: true
        - target: $.b..[?@.x]
          remove: true
        - target: $.c[0,0,-2]
          remove: true
        """,
    )
    # [0..5] -> drop 5 -> drop indexes 0 and 2; a node and its own descendant both go; a node
    # selected three times is removed once.
    assert result == {"a": [1, 3, 4], "b": [{"y": 2}], "c": [9]}


def test_remove_primitive_in_1_0_works_with_a_warning(tmp_path):
    result, warnings = apply(
        tmp_path, petstore(), "- target: $.paths['/pets'].get.summary\n  remove: true\n", "1.0.0"
    )
    assert "summary" not in result["paths"]["/pets"]["get"]
    assert warnings == [
        "action 1 removes a string at /paths/~1pets/get/summary; Overlay 1.0 targets must be "
        "objects or arrays (set overlay: 1.1.0)"
    ]


def test_the_root_cannot_be_removed(tmp_path):
    ov = overlay(tmp_path, "- target: $\n  remove: true\n")
    with pytest.raises(InputError, match="selects the document root, which cannot be removed"):
        apply_overlay(petstore(), ov)


# --------------------------------------------------------------------------------------------
# targets, order, warnings


def test_a_target_matching_nothing_is_a_located_warning(tmp_path):
    ov = overlay(
        tmp_path,
        """\
        - target: $.info
          update: {x-a: 1}
        - target: $.paths
          update: {}
        - target: $.paths['/nope']
          update: {summary: x}
        """,
    )
    result, warnings = apply_overlay(petstore(), ov)
    assert result["info"]["x-a"] == 1
    [warning] = warnings
    assert warning.message == "action 3 target $.paths['/nope'] matched nothing"
    assert (warning.location.line, warning.location.pointer) == (10, "/actions/2/target")
    assert str(warning).startswith(f"{ov.source.path}:10:")


def test_actions_apply_in_order_each_seeing_the_last(tmp_path):
    # The spec's own example: delete servers, then re-create them.
    result, warnings = apply(
        tmp_path,
        petstore(),
        """\
        - target: $.servers
          remove: true
        - target: $
          update:
            servers: [{url: http://localhost:8080}]
        - target: $.servers[0]
          update: {description: local}
        - target: $.servers[1]
          remove: true
        """,
    )
    assert result["servers"] == [{"url": "http://localhost:8080", "description": "local"}]
    assert list(result)[-1] == "servers"  # re-created, so now last
    assert warnings == ["action 4 target $.servers[1] matched nothing"]


@pytest.mark.parametrize(
    "target",
    [
        "$.paths.*[?@.operationId == 'getPet']",
        "$.paths.*[?(@.operationId == 'getPet')]",
        '$.paths.*[?@.operationId == "getPet"]',
        "$.paths.*[?@.operationId == '\\u0067etPet']",  # RFC escapes are decoded
        "$.paths['/pets/{id}'].get",
        '$["paths"]["/pets/{id}"]["get"]',
        "$.paths[?@.get.operationId == 'getPet' && !@.post].get",
        "$..[?@.operationId == 'getPet' || @.operationId == 'nope']",
        "$.paths[?@.get.responses['200'].description == 'ok' && @.get.tags[0] == 'pets'"
        " && !@.get.summary].get",
    ],
)
def test_rfc_9535_forms_select_the_same_operation(tmp_path, target):
    quoted = target.replace("\\", "\\\\").replace('"', '\\"')  # a YAML double-quoted string
    result, warnings = apply(
        tmp_path, petstore(), f'- target: "{quoted}"\n  update: {{x-hit: 1}}\n'
    )
    hits = [
        (path, method)
        for path, item in result["paths"].items()
        for method, op in item.items()
        if op.get("x-hit")
    ]
    assert hits == [("/pets/{id}", "get")]
    assert warnings == []


def test_filters_may_compare_with_the_root_and_escapes_are_decoded(tmp_path):
    document = {"x-pick": "getPet", "\U0001f600": {"tab\there": {}}, **petstore()}
    result, warnings = apply(
        tmp_path,
        document,
        """\
        - target: $.paths.*[?@.operationId == $.x-pick]
          update: {x-hit: 1}
        - target: "$['\\\\uD83D\\\\uDE00']['tab\\\\there']"
          update: {x-hit: 2}
        """,
    )
    assert result["paths"]["/pets/{id}"]["get"]["x-hit"] == 1
    assert result["\U0001f600"]["tab\there"] == {"x-hit": 2}
    assert warnings == []


def test_regex_filters_work_with_a_warning(tmp_path):
    result, warnings = apply(
        tmp_path, petstore(), "- target: $.paths.*[?@.operationId =~ '^get']\n  update: {x-r: 1}\n"
    )
    assert result["paths"]["/pets/{id}"]["get"]["x-r"] == 1
    assert "x-r" not in result["paths"]["/pets"]["get"]
    assert warnings == ["action 1 target uses `=~` (a jsonpath-ng regex extension), not RFC 9535"]


def test_an_old_jsonpath_ng_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    from jsonpath_ng.exceptions import JsonPathParserError

    from adaptgen.errors import BuildError
    from adaptgen.load import overlay as module

    def old_parse(text: str) -> Any:
        raise JsonPathParserError("Parse error at 1:3 near token ? (?)")

    module._require_rfc_jsonpath.cache_clear()
    monkeypatch.setattr(module, "_parse_jsonpath", old_parse)
    try:
        with pytest.raises(BuildError, match="Overlay targets need jsonpath-ng >= 1.16"):
            overlay(tmp_path, "- target: $\n  update: {}\n")
    finally:
        module._require_rfc_jsonpath.cache_clear()


def test_spec_wildcard_example(tmp_path):
    result, _ = apply(
        tmp_path,
        petstore(),
        """\
        - target: $.paths.*.get
          update:
            x-safe: true
        - target: $.paths.*.get.parameters[?@.name=='filter' && @.in=='query']
          update:
            schema:
              $ref: '#/components/schemas/filterSchema'
        """,
        version="1.0.0",
    )
    pets = result["paths"]["/pets"]
    assert pets["get"]["x-safe"] is True and "x-safe" not in pets["post"]
    assert pets["get"]["parameters"][1] == {
        "name": "filter",
        "in": "query",
        "schema": {"$ref": "#/components/schemas/filterSchema"},
    }
    assert "schema" not in pets["get"]["parameters"][2]


def test_spec_traits_example(tmp_path):
    document = {
        "openapi": "3.1.0",
        "paths": {
            "/items": {"get": {"x-oai-traits": ["paged"], "responses": {}}},
            "/items/{id}/subitems": {
                "get": {
                    "x-oai-traits": ["paged"],
                    "parameters": [{"name": "id", "in": "path", "required": True}],
                    "responses": {},
                }
            },
            "/other": {"get": {"responses": {}}},
        },
    }
    result, _ = apply(
        tmp_path,
        document,
        """\
        - target: $.paths[?(@.get['x-oai-traits'][?(@ == 'paged')])].get
          update:
            parameters:
              - {name: top, in: query}
              - {name: skip, in: query}
        """,
    )
    paging = [{"name": "top", "in": "query"}, {"name": "skip", "in": "query"}]
    assert result["paths"]["/items"]["get"]["parameters"] == paging
    assert result["paths"]["/items/{id}/subitems"]["get"]["parameters"] == [
        {"name": "id", "in": "path", "required": True},
        *paging,
    ]
    assert result["paths"]["/other"] == document["paths"]["/other"]


# --------------------------------------------------------------------------------------------
# copy (1.1)


def copy_document() -> dict[str, Any]:
    ok = {"responses": {"200": {"description": "OK"}}}
    return {
        "openapi": "3.1.0",
        "paths": {"/items": {"get": copy.deepcopy(ok)}, "/some-items": {"delete": ok}},
    }


def test_spec_simple_copy_example(tmp_path):
    result, _ = apply(
        tmp_path,
        copy_document(),
        """\
        - target: '$.paths["/some-items"]'
          copy: '$.paths["/items"]'
        """,
    )
    assert result["paths"]["/some-items"] == {
        "delete": {"responses": {"200": {"description": "OK"}}},
        "get": {"responses": {"200": {"description": "OK"}}},
    }
    assert result["paths"]["/items"] is not None
    assert result["paths"]["/some-items"]["get"] is not result["paths"]["/items"]["get"]


def test_spec_move_example(tmp_path):
    result, warnings = apply(
        tmp_path,
        copy_document(),
        """\
        - target: '$.paths'
          update: { "/new-items": {} }
        - target: '$.paths["/new-items"]'
          copy: '$.paths["/items"]'
        - target: '$.paths["/items"]'
          remove: true
          description: 'moves (renames) the "items" path item to "new-items"'
        """,
    )
    assert result["paths"] == {
        "/some-items": {"delete": {"responses": {"200": {"description": "OK"}}}},
        "/new-items": {"get": {"responses": {"200": {"description": "OK"}}}},
    }
    assert warnings == []


def test_copy_follows_the_update_rules(tmp_path):
    document = {
        "info": {"title": "T"},
        "tags": ["a"],
        "x-more": ["b", "c"],
        "x-obj": {"tags": ["d"]},
    }
    result, _ = apply(
        tmp_path,
        document,
        """\
        - target: $.tags
          copy: $.x-more
        - target: $.x-obj
          copy: $
        - target: $.info.title
          copy: $.tags[0]
        """,
    )
    assert result["tags"] == ["a", "b", "c"]
    # The whole (current) root merged into one of its own members, from a snapshot.
    assert result["x-obj"]["tags"] == ["d", "a", "b", "c"]
    assert result["x-obj"]["x-obj"] == {"tags": ["d"]}
    assert result["info"]["title"] == "a"


@pytest.mark.parametrize(
    ("source", "count"),
    [("$.components.schemas.Nope", 0), ("$.paths.*.get.responses['200']", 2)],
)
def test_copy_source_must_be_exactly_one_node(tmp_path, source, count):
    ov = overlay(tmp_path, f'- target: $.info\n  copy: "{source}"\n')
    with pytest.raises(InputError) as err:
        apply_overlay(petstore(), ov)
    assert err.value.message == (
        f"action 1 copy {source} must select exactly one node; it selected {count}"
    )
    assert (err.value.location.line, err.value.location.pointer) == (7, "/actions/0/copy")


def test_copy_of_an_incompatible_value_is_located_at_copy(tmp_path):
    ov = overlay(tmp_path, "- target: $.components.schemas.Pet\n  copy: $.servers\n")
    with pytest.raises(InputError) as err:
        apply_overlay(petstore(), ov)
    assert err.value.location.line == 7
    assert err.value.message == (
        "action 1: the copied value at /servers is an array, but /components/schemas/Pet is "
        "an object, which only merges with an object"
    )


# --------------------------------------------------------------------------------------------
# documents and several overlays


def test_input_is_never_mutated_and_output_is_deterministic(tmp_path):
    document = petstore()
    frozen = json.dumps(document)
    ov = overlay(
        tmp_path,
        """\
        - target: $.paths.*.*
          update: {x-agent: {keep: [$.id]}, tags: [x]}
        - target: $.paths.*.get.tags[?@ == 'dummy']
          remove: true
        - target: $.components.schemas
          update: {Copy: {}}
        - target: $.components.schemas.Copy
          copy: $.components.schemas.Pet
        """,
    )
    first, _ = apply_overlay(document, ov)
    second, _ = apply_overlay(document, ov)
    assert json.dumps(document) == frozen
    assert json.dumps(first) == json.dumps(second)
    first["components"]["schemas"]["Copy"]["required"].append("name")
    assert document["components"]["schemas"]["Pet"]["required"] == ["id"]


def test_overlays_apply_in_order(tmp_path):
    one_text = HEAD.format(version="1.0.0") + "  - target: $.info\n    update: {x-step: [1]}\n"
    two_text = HEAD.format(version="1.1.0") + (
        "  - target: $.info.x-step\n    update: 2\n  - target: $.nope\n    remove: true\n"
    )
    one = load_overlay(write(tmp_path, one_text, "one.yaml"))
    two = load_overlay(write(tmp_path, two_text, "two.yaml"))
    document = petstore()
    result, warnings = apply_overlays(document, [one, two])
    assert result["info"]["x-step"] == [1, 2]
    assert document == petstore()
    assert [(Path(w.location.file).name, w.message) for w in warnings] == [
        ("two.yaml", "action 2 target $.nope matched nothing")
    ]
    assert apply_overlays(document, []) == (document, [])


# --------------------------------------------------------------------------------------------
# A real spec


@pytest.mark.shared
def test_overlay_over_the_hubspot_contacts_spec(tmp_path):
    from adaptgen.hints import load_hints
    from adaptgen.load import load_spec

    spec_path = shared_spec("hubspot_contacts_v3.json")
    document = json.loads(spec_path.read_text(encoding="utf-8"))
    before = json.dumps(document)
    list_id = "get-/crm/v3/objects/contacts_getPage"
    purge_id = "post-/crm/v3/objects/contacts/gdpr-delete_purge"
    ov = overlay(
        tmp_path,
        f"""\
        - description: Say what the agent should use it for
          target: $.paths.*[?@.operationId == '{list_id}']
          update:
            summary: List contacts
            description: Page through contacts, newest first. Use search to find one person.
        - target: $.paths.*[?(@.operationId == '{list_id}')]
          update:
            x-agent:
              keep: ['$.results[*].id', '$.results[*].properties.email']
        - description: Agents must never purge contacts
          target: $.paths.*[?@.operationId == '{purge_id}']
          remove: true
        - target: $.components.schemas
          update: {{ContactId: {{}}}}
        - target: $.components.schemas.ContactId
          copy: $.components.schemas.PublicObjectId
        - target: $.paths['/crm/v3/objects/companies']
          remove: true
        """,
    )
    result, warnings = apply_overlay(document, ov)

    operation = result["paths"]["/crm/v3/objects/contacts"]["get"]
    assert operation["operationId"] == list_id
    assert operation["summary"] == "List contacts"
    assert operation["description"].startswith("Page through contacts, newest first.")
    assert operation["x-agent"] == {"keep": ["$.results[*].id", "$.results[*].properties.email"]}
    assert list(operation)[-1] == "x-agent"
    assert list(operation)[:4] == list(document["paths"]["/crm/v3/objects/contacts"]["get"])[:4]

    def operation_ids(doc: dict[str, Any]) -> list[str]:
        return [
            op["operationId"]
            for item in doc["paths"].values()
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        ]

    assert purge_id not in operation_ids(result)
    assert operation_ids(result) == [i for i in operation_ids(document) if i != purge_id]
    assert "post" not in result["paths"]["/crm/v3/objects/contacts/gdpr-delete"]

    schemas = result["components"]["schemas"]
    assert schemas["ContactId"] == document["components"]["schemas"]["PublicObjectId"]
    assert schemas["ContactId"] is not schemas["PublicObjectId"]
    assert list(schemas)[-1] == "ContactId"

    assert [(w.location.line, w.message) for w in warnings] == [
        (22, "action 6 target $.paths['/crm/v3/objects/companies'] matched nothing")
    ]
    assert json.dumps(document) == before
    assert json.dumps(apply_overlay(document, ov)[0]) == json.dumps(result)

    # The patched document is still a spec adaptgen loads, and the x-agent block is tool hints.
    patched = tmp_path / "patched.json"
    patched.write_text(json.dumps(result), encoding="utf-8")
    hints = load_hints(None, load_spec(patched).source).hints
    assert hints.tools[list_id].keep == ["$.results[*].id", "$.results[*].properties.email"]
