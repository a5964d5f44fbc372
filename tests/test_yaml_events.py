"""The one-pass YAML reader: PyYAML's data and positions, from a single parse of the text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import adaptgen.load.source as source_module
from adaptgen.errors import InputError
from adaptgen.load import load_spec
from adaptgen.load.source import SpecLoader, escape_pointer_token, parse_text
from adaptgen.load.yaml_events import read_yaml, string_keys

DOCUMENTS = {
    "plain": 'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths: {}\n',
    "scalars": (
        "a: 1\nb: -0x1F\nc: 0o17\nd: 1_000\ne: 1.5\nf: .inf\ng: ~\nh: null\ni: true\nj: no\n"
        "k: 2020-01-01\nl: '7'\nm: \"x\\ty\"\nn: |\n  block\n  text\no: >\n  folded\n  text\n"
        "p: !!str 12\nq: !!int '12'\nr: ''\ns:\nt: 017\nu: 1:30\n"
    ),
    "keys": "200: {description: ok}\ntrue: yes\n~: nothing\n1.5: x\n'quoted': 1\n",
    "nesting": "a:\n  - b: [1, 2, {c: d}]\n  - - e\n    - f\n  -\ng: {}\nh: []\n",
    "aliases": "base: &b {type: object, properties: {x: {type: string}}}\nuse: *b\nl: [*b, *b]\n",
    "scalar anchor": "a: &s hello\nb: *s\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "merge key": "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "timestamp tag": "a: !!timestamp 2020-01-01\n",
    "set": "a: !!set {x, y}\n",
    "empty": "",
    "scalar root": "just text\n",
    "list root": "- 1\n- two\n",
}


def reference_data(text: str) -> object:
    """PyYAML's own construction, keys made strings as OpenAPI means them."""
    return string_keys(yaml.load(text, Loader=SpecLoader))  # noqa: S506 - a safe loader


def reference_marks(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """Every pointer's position as PyYAML's composed nodes give it (a key's, for its value)."""
    marks: dict[tuple[str, ...], tuple[int, int]] = {}
    root = yaml.compose(text, Loader=SpecLoader)
    stack = [(root, ())] if root is not None else []
    while stack:
        node, tokens = stack.pop()
        marks.setdefault(tokens, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*tokens, str(key.value))
                marks.setdefault(child, (key.start_mark.line + 1, key.start_mark.column + 1))
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((value, (*tokens, str(i))) for i, value in enumerate(node.value))
    return marks


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_data_is_what_pyyaml_constructs(name):
    data, _ = read_yaml(DOCUMENTS[name], SpecLoader)
    assert data == reference_data(DOCUMENTS[name])


def test_aliases_are_copies_not_shared_objects():
    data, _ = read_yaml(DOCUMENTS["aliases"], SpecLoader)
    data["use"]["type"] = "changed"
    assert data["base"]["type"] == data["l"][0]["type"] == "object"


@pytest.mark.parametrize("name", ["plain", "scalars", "keys", "nesting", "duplicate key"])
def test_every_position_is_where_pyyaml_puts_it(name):
    _, marks = read_yaml(DOCUMENTS[name], SpecLoader)
    expected = reference_marks(DOCUMENTS[name])
    assert {tokens: marks.find(list(tokens)) for tokens in expected} == expected
    assert marks.find(["no such key"]) is None


def test_the_crm_spec_reads_the_same_data_and_positions():
    text = (Path(__file__).resolve().parents[1] / "specs" / "crm.yaml").read_text()
    data, marks = read_yaml(text, SpecLoader)
    assert data == reference_data(text)
    expected = reference_marks(text)
    assert {t: marks.find(list(t)) for t in expected} == expected


def test_a_spec_and_its_positions_cost_one_parse(tmp_path, monkeypatch):
    made: list[str] = []

    class CountingLoader(SpecLoader):
        def __init__(self, stream):
            made.append("parser")
            super().__init__(stream)

    monkeypatch.setattr(source_module, "SpecLoader", CountingLoader)
    spec_file = tmp_path / "s.yaml"
    spec_file.write_text(
        'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths:\n  /a:\n    get:\n'
        "      responses: {'200': {description: ok}}\n"
    )
    spec = load_spec(spec_file)
    where = spec.location("/paths/" + escape_pointer_token("/a") + "/get/responses/200")
    assert (where.line, where.col) == (6, 19)
    assert made == ["parser"]


def test_a_syntax_error_is_located_as_before(tmp_path):
    with pytest.raises(InputError) as caught:
        parse_text("a: 1\nb: [1, 2\nc: 3\n", tmp_path / "bad.yaml")
    assert caught.value.location.line == 3
    assert "invalid YAML" in str(caught.value)


def test_a_second_document_is_refused_as_pyyaml_refuses_it(tmp_path):
    with pytest.raises(InputError, match="expected a single document"):
        parse_text("a: 1\n---\nb: 2\n", tmp_path / "two.yaml")


@pytest.mark.parametrize("text", ["a: *nowhere\n", "? [1, 2]\n: v\n"])
def test_what_pyyaml_refuses_is_refused_with_its_message(tmp_path, text):
    with pytest.raises(InputError, match="invalid YAML"):
        parse_text(text, tmp_path / "odd.yaml")


def test_an_alias_inside_its_own_anchor_is_refused_where_it_is(tmp_path):
    # PyYAML builds a list that holds itself; copying it used to recurse until Python gave up.
    with pytest.raises(InputError, match="alias inside the value it names") as caught:
        parse_text("a: 1\nb: &x [1, {c: *x}]\n", tmp_path / "loop.yaml")
    assert (caught.value.location.line, caught.value.location.col) == (2, 15)
