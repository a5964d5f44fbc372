"""Adding search hints to a hints file as text (`adaptgen.hints.edit`): what the file says
stays as it says it (comments, order, quoting); what is added reads back as meant."""

from __future__ import annotations

import os
import stat

import pytest
import yaml

from adaptgen.hints import Hints
from adaptgen.hints.edit import HintsEditError, add_search_hints, write_search_hints

ADD = {
    "doTransition": {"keywords": ["close", "done"], "examples": ["we're good, it can go"]},
    "createCustomer": {"keywords": ["client"]},
}
EXPECTED_TAIL = """  doTransition:
    search:
      keywords:
        - close
        - done
      examples:
        - "we're good, it can go"
  createCustomer:
    search:
      keywords:
        - client
"""


def _reads_as_added(old: str, new: str) -> None:
    """`new` reads as `old` with ADD in, and as valid hints."""
    data = yaml.safe_load(old) or {}
    tools = data.setdefault("tools", {})
    for operation, kinds in ADD.items():
        search = (tools.setdefault(operation, {}) or {}).get("search") or {}
        tools[operation] = {**(tools[operation] or {}), "search": search}
        for kind, values in kinds.items():
            search[kind] = [
                *(search.get(kind) or []),
                *(v for v in values if v not in (search.get(kind) or [])),
            ]
    assert yaml.safe_load(new) == data
    Hints.model_validate(yaml.safe_load(new))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", "tools:\n" + EXPECTED_TAIL),
        ("# my hints\n", "# my hints\ntools:\n" + EXPECTED_TAIL),
        (
            "# top\ndefaults:\n  drop: [a]   # noise\n",
            "# top\ndefaults:\n  drop: [a]   # noise\ntools:\n" + EXPECTED_TAIL,
        ),
        (  # a file's last comment stays last
            'tools:\n  listThings:\n    description: "x"  # why\n# the end\n',
            'tools:\n  listThings:\n    description: "x"  # why\n' + EXPECTED_TAIL + "# the end\n",
        ),
        (  # no newline at the end
            "tools:\n  doTransition:\n    pin: true",
            "tools:\n  doTransition:\n    pin: true\n    search:\n      keywords:\n"
            '        - close\n        - done\n      examples:\n        - "we\'re good, it can go"\n'
            "  createCustomer:\n    search:\n      keywords:\n        - client\n",
        ),
    ],
)
def test_new_blocks_keep_the_file_as_it_was(old, new):
    assert add_search_hints(old, ADD) == new
    _reads_as_added(old, new)


def test_lists_get_new_items_at_their_own_dashes_and_values_are_not_repeated():
    old = (
        "tools:\n  doTransition:\n    search:\n      keywords:\n        - finish   # ours\n"
        '        - close\n      examples:\n      - "shut it"\n'
    )
    new = add_search_hints(old, ADD)
    assert new.startswith(
        "tools:\n  doTransition:\n    search:\n      keywords:\n        - finish   # ours\n"
        '        - close\n        - done\n      examples:\n      - "shut it"\n'
        '      - "we\'re good, it can go"\n  createCustomer:\n'
    )
    _reads_as_added(old, new)
    assert add_search_hints(new, ADD) == new  # all there: nothing to add


def test_flow_collections_are_written_again_whole():
    old = "tools:\n  doTransition:\n    search: {keywords: [finish]}  # short\n    pin: true\n"
    new = add_search_hints(old, ADD)
    assert new.startswith(
        'tools:\n  doTransition:\n    search: {"keywords": ["finish", "close", "done"], '
        '"examples": ["we\'re good, it can go"]}  # short\n    pin: true\n'
    )
    _reads_as_added(old, new)
    old = 'tools:\n  "doTransition":\n    search:\n      keywords: []\n'
    new = add_search_hints(old, ADD)
    assert '      keywords: ["close", "done"]\n' in new
    _reads_as_added(old, new)


def test_empty_values_become_the_block_and_the_file_indent_is_kept():
    old = "tools:\n  doTransition:\n    search:\n  createCustomer:\n    search: ~\n"
    new = add_search_hints(old, ADD)
    assert "    search:\n      keywords:\n        - client\n" in new and "~" not in new
    _reads_as_added(old, new)
    old = "tools:\n    doTransition:\n        pin: true\n"
    new = add_search_hints(old, ADD)
    assert new.startswith(
        "tools:\n    doTransition:\n        pin: true\n        search:\n            keywords:\n"
        "                - close\n"
    )
    _reads_as_added(old, new)


def test_a_block_scalar_before_the_addition_keeps_its_text():
    old = "tools:\n  doTransition:\n    description: |\n      Two\n      lines\n# after\n"
    new = add_search_hints(old, ADD)
    assert yaml.safe_load(new)["tools"]["doTransition"]["description"] == "Two\nlines\n"
    _reads_as_added(old, new)


@pytest.mark.parametrize(
    ("old", "line"),
    [
        ("tools:\n  doTransition:\n    search:\n      keywords: close\n", 4),
        ("tools:\n  doTransition: [pin]\n", 2),
        ("- a\n- b\n", 1),
    ],
)
def test_what_cannot_take_the_hints_is_an_error_at_its_line(old, line):
    with pytest.raises(HintsEditError) as caught:
        add_search_hints(old, ADD, "h.yaml")
    assert caught.value.location is not None and caught.value.location.line == line


def test_strings_yaml_would_read_otherwise_are_quoted():
    new = add_search_hints("", {"op": {"keywords": ["yes", "null", "on call", "a: b", "#x"]}})
    assert yaml.safe_load(new)["tools"]["op"]["search"]["keywords"] == [
        "yes",
        "null",
        "on call",
        "a: b",
        "#x",
    ]
    assert "- on call\n" in new and '- "yes"\n' in new


def test_writing_is_atomic_keeps_the_mode_and_makes_a_missing_file(tmp_path):
    path = tmp_path / "api.hints.yaml"
    write_search_hints(path, ADD)
    assert path.read_text() == "tools:\n" + EXPECTED_TAIL
    path.write_text("# x\n")
    os.chmod(path, 0o640)
    write_search_hints(path, ADD)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["api.hints.yaml"]  # nothing staged left


def test_a_file_with_crlf_line_ends_keeps_them():
    old = "# ours\r\ntools:\r\n  doTransition:\r\n    pin: true\r\n"
    new = add_search_hints(old, ADD)
    assert new.startswith(old) and "\n" not in new.replace("\r\n", "")
    _reads_as_added(old, new)


def test_writing_a_crlf_file_keeps_its_line_ends(tmp_path):
    path = tmp_path / "api.hints.yaml"
    path.write_bytes(b"# ours\r\ntools:\r\n  doTransition:\r\n    pin: true\r\n")
    write_search_hints(path, ADD)
    raw = path.read_bytes()
    assert raw.startswith(b"# ours\r\ntools:\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
