"""Inlining reuses each `$ref` target's walk, and the schemas come out exactly as before.

Issue 18, item 3: a held-out spec of 417 operations took 7.2 s, walking 2.3 million schema
nodes for 185 responses because the same `$ref` subtrees were walked again and again.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from shared_refs import shared_refs_spec

import adaptgen.plan.schemas as schemas_module
from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.plan.schemas import MAX_REF_DEPTH, SchemaInliner


class WalkingAgain(SchemaInliner):
    """The reference: the same inliner, never reusing a recorded walk."""

    def _holds(self, walked, base):  # noqa: ANN001, ANN202 - test double
        return False


def loaded(tmp_path: Path, document: dict):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_spec(path)


def pointers(document: dict) -> list[str]:
    """Every component schema and every response schema of `document`."""
    found = [f"/components/schemas/{name}" for name in document["components"]["schemas"]]
    for path, item in document["paths"].items():
        escaped = path.replace("~", "~0").replace("/", "~1")
        for method in item:
            if method != "parameters":
                found.append(
                    f"/paths/{escaped}/{method}/responses/200/content/application~1json/schema"
                )
    return found


def resolve(document: dict, pointer: str):
    value = document
    for token in pointer[1:].split("/"):
        value = value[token.replace("~1", "/").replace("~0", "~")]
    return value


def assert_same_as_walking_again(spec, flavours, order_seed: int) -> None:
    targets = pointers(spec.document)
    random.Random(order_seed).shuffle(targets)
    for for_input, depth in flavours:
        reusing = SchemaInliner(spec.resolver, for_input=for_input, max_depth=depth)
        for pointer in targets:
            schema = resolve(spec.document, pointer)
            expected = WalkingAgain(spec.resolver, for_input=for_input, max_depth=depth).inline(
                schema, spec.source, pointer
            )
            got = reusing.inline(schema, spec.source, pointer)
            assert json.dumps(got) == json.dumps(expected), (for_input, depth, pointer)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_shared_graph_with_cycles_inlines_as_walking_again(tmp_path, seed):
    spec = loaded(tmp_path, shared_refs_spec(resources=6, links=2))
    assert_same_as_walking_again(spec, [(True, 12), (False, 5), (False, 8)], seed)


def test_walks_cut_by_the_node_budget_inline_as_walking_again(tmp_path, monkeypatch):
    # A small budget makes most walks run out part way, at different points for each schema.
    monkeypatch.setattr(schemas_module, "MAX_SCHEMA_NODES", 300)
    spec = loaded(tmp_path, shared_refs_spec(resources=6, links=3))
    assert_same_as_walking_again(spec, [(True, 12), (False, 8)], 3)


def test_chains_of_refs_past_the_ref_depth_limit_inline_as_walking_again(tmp_path):
    # allOf adds no depth, so only MAX_REF_DEPTH stops this chain; entering it at different
    # links puts the cut at a different place in each walk.
    count = MAX_REF_DEPTH + 10
    chain = {
        f"Link{i}": {
            "allOf": [
                {"type": "object", "properties": {f"field{i}": {"type": "string"}}},
                {"$ref": f"#/components/schemas/Link{i + 1}"},
            ]
        }
        for i in range(count)
    }
    chain[f"Link{count}"] = {"type": "object", "properties": {"end": {"type": "boolean"}}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Chain", "version": "1"},
        "paths": {},
        "components": {"schemas": chain},
    }
    spec = loaded(tmp_path, document)
    assert_same_as_walking_again(spec, [(True, 12), (False, 5)], 4)
    deepest = json.dumps(SchemaInliner(spec.resolver).inline(chain["Link0"], spec.source, ""))
    assert "its $refs nest too deep to inline" in deepest


def test_a_shared_graph_is_walked_once_per_context_not_once_per_use(tmp_path, monkeypatch):
    walks = 0
    walk = SchemaInliner._walk

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - counting
        nonlocal walks
        walks += 1
        return walk(self, *args, **kwargs)

    monkeypatch.setattr(SchemaInliner, "_walk", counted)
    sizes = {}
    for resources in (20, 40):
        walks = 0
        spec = loaded(tmp_path, shared_refs_spec(resources=resources, links=4))
        plan(spec, "shared", PlanOptions())
        sizes[resources] = walks
    # Twice the operations, twice the walking (it was 120 thousand and 850 thousand nodes).
    assert sizes[40] <= 2.2 * sizes[20]
    assert sizes[40] < 10_000
