"""Documents that cost more than their size: alias bombs, deep nesting, huge numbers, bad text.

Issue 12, items 5 and 12: each used to grow without bound, crash with RecursionError or a
segfault, or fail with a traceback; each is now exit 2 naming the file, line and column.
"""

from __future__ import annotations

import json

import pytest
import yaml
from sec_build import assert_input_error, run_adaptgen, spec_text, write

HEAD = 'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths: {}\n'
JSON_HEAD = '{"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {},\n'


def alias_bomb(levels: int = 9) -> str:
    """The billion laughs: each level is nine aliases of the one before (9**9 strings)."""
    lines = ['x-l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels + 1):
        lines.append(f"x-l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
    return HEAD + "\n".join(lines) + "\n"


def build(tmp_path, name: str, text: str, *extra: str):
    spec = write(tmp_path / name, text)
    return run_adaptgen("build", "-q", spec.name, "--out", "out", *extra, cwd=tmp_path)


def test_an_alias_bomb_is_refused_at_the_alias(tmp_path):
    done = build(tmp_path, "bomb.yaml", alias_bomb())
    assert_input_error(done, "bomb.yaml:10:", "aliases expand to more than 1,000,000 nodes")


def test_an_alias_bomb_in_an_overlay_is_refused_too(tmp_path):
    write(tmp_path / "spec.yaml", spec_text())
    overlay = alias_bomb().replace(HEAD, 'overlay: 1.0.0\ninfo: {title: o, version: "1"}\n')
    write(tmp_path / "bomb.overlay.yaml", overlay + "actions: []\n")
    done = run_adaptgen(
        "build", "-q", "spec.yaml", "--overlay", "bomb.overlay.yaml", "--out", "out", cwd=tmp_path
    )
    assert_input_error(done, "bomb.overlay.yaml:", "aliases expand")


def test_modest_aliases_still_build_as_copies(tmp_path):
    text = spec_text().replace(
        "      responses:", "      x-shared: &ok {'200': {description: ok}}\n      responses:"
    )
    text += "x-again: *ok\n"
    done = build(tmp_path, "fine.yaml", text)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("name", "nested"),
    [
        ("flow.yaml", HEAD + "x-deep: " + "[" * 50_000 + "]" * 50_000 + "\n"),  # old: segfault
        ("block.yaml", HEAD + "x-deep:\n" + "".join(" " * n + "- k:\n" for n in range(2, 602, 2))),
        ("deep.json", JSON_HEAD + '"x-deep": ' + "[" * 1_000 + "]" * 1_000 + "}"),
        (
            "alias.yaml",
            HEAD + "x-a: &a " + "[" * 200 + "]" * 200 + "\nx-b: " + "[" * 100 + "*a" + "]" * 100,
        ),
    ],
)
def test_deep_nesting_is_refused_before_parsing(tmp_path, name, nested):
    done = build(tmp_path, name, nested)
    assert_input_error(done, f"{name}:", "nested deeper than 256 levels")


def test_a_bracket_inside_a_string_does_not_count(tmp_path):
    text = JSON_HEAD + '"x-text": "' + "[" * 5_000 + '\\"{"}'
    done = build(tmp_path, "brackets.json", text)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", ["n.json", "n.yaml"])
def test_a_number_over_pythons_digit_limit_is_located(tmp_path, name):
    digits = "1" * 5_000
    text = JSON_HEAD + f'"x-n": {digits}}}' if name.endswith("json") else HEAD + f"x-n: {digits}\n"
    done = build(tmp_path, name, text)
    assert_input_error(done, f"{name}:", "more than 4300 digits")


def test_a_lone_surrogate_is_located(tmp_path):
    document = yaml.safe_load(spec_text())
    text = json.dumps(document, indent=1).replace('"Things"', '"Things\\ud800"')
    done = build(tmp_path, "bad.json", text)  # the old build crashed writing server.py
    assert_input_error(done, "bad.json:4:", "lone UTF-16 surrogate", "#/info/title")


def refs_spec(schemas: dict) -> str:
    document = yaml.safe_load(spec_text())
    operation = document["paths"]["/things"]["get"]
    operation["parameters"] = [
        {"name": "q", "in": "query", "schema": {"$ref": "#/components/schemas/S0"}}
    ]
    document["components"] = {"schemas": schemas}
    return json.dumps(document)


def test_a_long_chain_of_refs_builds_relaxed(tmp_path):
    chain = {f"S{i}": {"allOf": [{"$ref": f"#/components/schemas/S{i + 1}"}]} for i in range(2000)}
    chain["S2000"] = {"type": "string"}
    done = build(tmp_path, "chain.json", refs_spec(chain))  # old: RecursionError traceback
    assert done.returncode == 0, done.stderr


def test_refs_fanning_out_build_bounded(tmp_path):
    """Ten properties per level, each a $ref to the next level: 10**20 nodes if inlined whole."""
    fan = {
        f"S{i}": {
            "type": "object",
            "properties": {f"p{j}": {"$ref": f"#/components/schemas/S{i + 1}"} for j in range(10)},
        }
        for i in range(20)
    }
    fan["S20"] = {"type": "string"}
    done = build(tmp_path, "fan.json", refs_spec(fan))  # old: ran past the time guard
    assert done.returncode == 0, done.stderr
    assert "too large to inline" in (tmp_path / "out/fan/catalog.json").read_text()
