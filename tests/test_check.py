"""`adaptgen check`: exit 0 when generated/ is fresh, 1 with a unified diff when stale, 2 for bad
input, and nothing written either way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from adaptgen.cli import main


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the CRM spec with its hints and workflows, built into tmp/generated."""
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("crm.yaml", "crm.hints.yaml", "crm.arazzo.yaml"):
        shutil.copy(ROOT / "specs" / name, specs / name)
    assert main(["build", "-q", str(specs / "crm.yaml"), "--out", str(tmp_path / "generated")]) == 0
    return tmp_path


def check(project: Path, *extra: str) -> int:
    return main(
        ["check", str(project / "specs/crm.yaml"), "--out", str(project / "generated")]
        + list(extra)
    )


def test_committed_crm_server_is_fresh(capsys):
    """What .ci/run checks too: generated/crm is exactly what specs/crm.yaml builds to."""
    assert main(["check", str(ROOT / "specs/crm.yaml"), "--out", str(ROOT / "generated")]) == 0
    assert "up to date" in capsys.readouterr().out


def test_fresh_then_stale_after_a_spec_change(project, capsys):
    before = snapshot(project / "generated/crm")
    assert check(project) == 0
    spec = project / "specs/crm.yaml"
    text = spec.read_text()
    assert "summary: Get a contact\n" in text
    spec.write_text(
        text.replace("summary: Get a contact\n", "summary: Fetch one contact by id\n", 1)
    )
    assert check(project) == 1
    captured = capsys.readouterr()
    assert f"--- a/{(project / 'generated/crm/catalog.json').as_posix()}" in captured.out
    assert "+" in captured.out and "Fetch one contact by id" in captured.out
    assert "is stale" in captured.err and "adaptgen build" in captured.err
    assert snapshot(project / "generated/crm") == before  # check never writes


def test_hand_edits_extra_and_missing_files_are_drift(project, capsys):
    folder = project / "generated/crm"
    server = folder / "server.py"
    server.write_text(
        server.read_text().replace("async def get_contact(", "async def get_contact2(")
    )
    (folder / "notes.txt").write_text("mine\n")
    (folder / "template.yaml").unlink()
    (folder / "__pycache__").mkdir(exist_ok=True)
    (folder / "__pycache__" / "server.cpython-311.pyc").write_bytes(b"\0")  # ignored
    assert check(project) == 1
    captured = capsys.readouterr()
    assert "-async def get_contact2(" in captured.out and "+async def get_contact(" in captured.out
    assert "+++ /dev/null" in captured.out  # notes.txt: the build would not make it
    assert "--- /dev/null" in captured.out  # template.yaml: the build would
    assert "notes.txt (extra)" in captured.err and "template.yaml (missing)" in captured.err
    assert "server.py (stale)" in captured.err and "pycache" not in captured.err
    assert check(project, "-q") == 1
    assert capsys.readouterr().out == ""


def test_never_built_is_stale(project):
    shutil.rmtree(project / "generated")
    assert check(project, "-q") == 1
    assert not (project / "generated").exists()


def test_bad_input_is_exit_2(project, capsys):
    (project / "specs/crm.hints.yaml").write_text("tools:\n  nope: [\n")
    assert check(project) == 2
    assert "crm.hints.yaml:" in capsys.readouterr().err


def test_a_search_index_whose_model_vectors_moved_by_a_rounding_step_is_fresh(tmp_path):
    """Opt-in sentence-model vectors come from floating point that another CPU may round one
    int8 step apart: `check` takes that index as fresh; any other change is drift."""
    from adaptgen.check import find_drift
    from adaptgen.search.index import index_json
    from adaptgen.search.semantic import pack

    def index(vector: list[float], name: str = "list_invoices") -> str:
        entry = {"name": name, "semantic": pack(vector)}
        return index_json({"format": 1, "tools": [entry]})

    built = index([0.5, 0.25, -0.125])
    step = pack([0.5, 0.25, -0.125])[0]
    (tmp_path / "search_index.json").write_text(index([0.5, 0.25 + step, -0.125]))
    assert find_drift(tmp_path, {"search_index.json": built}) == []
    (tmp_path / "search_index.json").write_text(index([0.5, 0.25, -0.125], "get_invoice"))
    assert [d.name for d in find_drift(tmp_path, {"search_index.json": built})] == [
        "search_index.json"
    ]
    (tmp_path / "other.json").write_text(index([0.5, 0.25 + step, -0.125]))
    drift = find_drift(tmp_path, {"search_index.json": built, "other.json": built})
    assert [d.name for d in drift] == ["other.json", "search_index.json"]  # only the index
