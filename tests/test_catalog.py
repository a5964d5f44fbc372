"""The catalog is the IR: one typed model the planner makes, render writes and the runtime reads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from adaptgen.build import BuildOptions, generate
from adaptgen.cli import main
from adaptgen.runtime.catalog import CATALOG_VERSION, Catalog, CatalogError
from adaptgen.runtime.loader import load_server_module

ROOT = Path(__file__).resolve().parents[1]
CRM = ROOT / "generated" / "crm"


def test_the_written_catalog_reads_back_as_the_planned_one():
    report = generate(BuildOptions(spec=ROOT / "specs" / "crm.yaml"))
    loaded = Catalog.from_json(report.files["catalog.json"])
    assert loaded == report.api  # parameters get their schema back from the input schema
    assert loaded.to_json() == report.files["catalog.json"]
    assert {c.name for c in loaded.chains} >= {"open_deals_for_email", "deal_context"}
    assert loaded.tool("list_contacts").pagination.style == "page"


def _with_examples(examples: list) -> Catalog:
    catalog = Catalog.from_json((CRM / "catalog.json").read_text())
    first, *rest = catalog.tools
    schema = {**first.input_schema, "examples": examples}
    return catalog.model_copy(
        update={"tools": (first.model_copy(update={"input_schema": schema}), *rest)}
    )


def _as_json_writes(catalog: Catalog) -> str:
    data = catalog.model_dump(mode="json", by_alias=True)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_catalog_text_is_jsons_whichever_way_it_was_written(seed):
    """`to_json` writes with pydantic (fast) unless its text has a float that json writes
    otherwise: numbers of every size, and strings that look like those floats, come out as
    `json.dumps` of the dumped model writes them, byte for byte."""
    import random

    rng = random.Random(seed)
    floats = [rng.random() * 10 ** rng.randint(-30, 30) * rng.choice((1, -1)) for _ in range(400)]
    floats += [1e-05, 2.5e-06, 1e-09, 1e-10, 0.0001, 1e16, 1e22, 0.1, -0.0, 5e-324]
    values = [*floats, "0.00001", "1e-5", "é \u2028 \x1f \x7f /", 10**30, True, None, []]
    catalog = _with_examples(rng.sample(values, 40))
    assert catalog.to_json() == _as_json_writes(catalog)


@pytest.mark.parametrize("small", [1e-05, 2.5e-05, 9.99e-05, 1e-06, 3.25e-07, 1e-09])
def test_a_float_under_one_ten_thousandth_alone_is_written_as_json_writes_it(small):
    catalog = _with_examples([small, 0.5])
    assert catalog.to_json() == _as_json_writes(catalog)


def test_a_catalog_without_such_floats_is_written_by_pydantic(monkeypatch):
    import adaptgen.runtime.catalog as module

    values = [0.1, 0.0001, 1e-10, 1e16, 1e22, 123.456, "é \u2028 \x1f \x7f /", 10**30, None]
    catalog = _with_examples(values)
    expected = _as_json_writes(catalog)

    class NoJson:
        @staticmethod
        def dumps(*args, **kwargs):
            raise AssertionError("written the slow way")

    monkeypatch.setattr(module, "json", NoJson)
    assert catalog.to_json() == expected


def test_a_catalog_of_another_version_is_refused_with_what_to_do(tmp_path: Path):
    server = tmp_path / "crm"
    shutil.copytree(CRM, server)
    catalog = json.loads((server / "catalog.json").read_text())
    catalog["version"] = CATALOG_VERSION + 1
    (server / "catalog.json").write_text(json.dumps(catalog))
    with pytest.raises(CatalogError) as refused:
        load_server_module(server)
    message = str(refused.value)
    assert f"catalog version {CATALOG_VERSION + 1}" in message
    assert f"reads version {CATALOG_VERSION}" in message and "adaptgen build" in message


def test_a_catalog_without_a_version_is_refused(tmp_path: Path):
    text = json.dumps(
        {k: v for k, v in json.loads((CRM / "catalog.json").read_text()).items() if k != "version"}
    )
    with pytest.raises(CatalogError, match="catalog version None"):
        Catalog.from_json(text, "old/catalog.json")


def test_a_broken_catalog_names_the_field(tmp_path: Path):
    catalog = json.loads((CRM / "catalog.json").read_text())
    catalog["tools"][0]["upstream"]["method"] = 7
    with pytest.raises(
        CatalogError,
        match=r"not a valid catalog: tools\.0\.upstream\.method: Input should be a valid string",
    ):
        Catalog.from_json(json.dumps(catalog))


def test_schema_catalog_prints_the_published_json_schema(capsys):
    assert main(["schema", "catalog"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"version", "api", "tools", "chains", "skipped"} <= set(schema["properties"])
    # The committed catalog is valid under it, and a catalog missing its tools' upstream is not.
    catalog = json.loads((CRM / "catalog.json").read_text())
    jsonschema.validate(catalog, schema)
    del catalog["tools"][0]["upstream"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(catalog, schema)


def test_serving_a_catalog_imports_no_build_code():
    """The runtime reads the catalog with the same model, without the planner, loader or Jinja
    (a Lambda cold start pays for every module it imports)."""
    build_time = ["adaptgen.plan", "adaptgen.load", "adaptgen.hints", "adaptgen.render", "jinja2"]
    code = (
        "import json, sys; from adaptgen.runtime.loader import load_server_module; "
        f"load_server_module({str(CRM)!r}); "
        f"print(json.dumps([m for m in {build_time!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
