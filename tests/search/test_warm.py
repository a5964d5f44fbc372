"""A long-running server makes its tool search ready before it serves (`SearchEngine.warm`,
`network.ready_to_serve`): the first caller to search does not wait for the sentence encoder
to load, and what a search answers is the same either way."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from adaptgen.build import BuildOptions, build
from adaptgen.runtime import network
from adaptgen.runtime.loader import load_server_module
from adaptgen.search import INDEX_FILE
from adaptgen.search.rank import SearchEngine

REQUESTS = ["find contacts at acme", "create a new deal", "delete contact 42", "show me companies"]


@pytest.fixture(scope="module")
def search_mode_crm(tmp_path_factory) -> Path:
    """The CRM built in search mode: its generated server's folder."""
    tmp = tmp_path_factory.mktemp("warm")
    hints = yaml.safe_load((ROOT / "specs" / "crm.hints.yaml").read_text())
    hints["search"] = {"mode": "search"}
    (tmp / "crm.hints.yaml").write_text(yaml.safe_dump(hints))
    options = BuildOptions(
        spec=ROOT / "specs" / "crm.yaml", out=tmp / "out", hints=tmp / "crm.hints.yaml"
    )
    return build(options).out_dir


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # other tests must not run with a frozen heap


def ready(engine: SearchEngine) -> dict[str, bool]:
    """What the first search makes, made or not."""
    return {
        "encoder": engine.semantic is not None and engine.semantic._matrix is not None,  # noqa: SLF001
        "arrays": engine._arrays is not None,  # noqa: SLF001
        "speller": engine._speller is not None,  # noqa: SLF001
    }


def test_warm_makes_what_the_first_search_would_and_changes_no_answer(search_mode_crm):
    index = json.loads((search_mode_crm / INDEX_FILE).read_text())
    cold, warmed = SearchEngine(index), SearchEngine(index)
    assert warmed.semantic is not None  # the index has the encoder's vectors
    assert ready(warmed) == {"encoder": False, "arrays": False, "speller": False}
    warmed.warm()
    assert ready(warmed) == {"encoder": True, "arrays": True, "speller": True}
    for request in REQUESTS:
        assert warmed.search(request, limit=5) == cold.search(request, limit=5)


def test_a_server_without_search_is_only_frozen(monkeypatch, unfrozen):
    from fastmcp import FastMCP

    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        network.anyio, "run", lambda *a, **k: seen.update(frozen=gc.get_freeze_count())
    )
    network.serve_http(FastMCP("plain"), host="127.0.0.1", port=0)
    assert seen["frozen"] > 1000


def test_serve_warms_a_search_mode_server_before_it_serves(search_mode_crm, monkeypatch, unfrozen):
    monkeypatch.setenv("CRM_BASE_URL", "http://127.0.0.1:9")  # nothing is called
    server = load_server_module(search_mode_crm).mcp
    searches = [t for t in server.transforms if hasattr(t, "warm")]
    assert len(searches) == 1
    engine = searches[0]._engine  # noqa: SLF001
    assert ready(engine)["encoder"] is False
    seen: dict[str, Any] = {}

    def run(*args: Any, **kwargs: Any) -> None:  # in place of the event loop: nothing served
        seen.update(ready(engine), frozen=gc.get_freeze_count())

    monkeypatch.setattr(network.anyio, "run", run)
    network.serve_http(server, host="127.0.0.1", port=0)
    assert seen == {"encoder": True, "arrays": True, "speller": True, "frozen": seen["frozen"]}
    assert seen["frozen"] > 1000


def test_a_warm_up_that_fails_is_logged_and_the_server_serves(monkeypatch, unfrozen, caplog):
    from fastmcp import FastMCP
    from fastmcp.server.transforms import Transform

    class Broken(Transform):
        def warm(self) -> None:
            raise RuntimeError("no encoder here")

    server = FastMCP("broken")
    server.add_transform(Broken())
    seen: dict[str, Any] = {}
    monkeypatch.setattr(network.anyio, "run", lambda *a, **k: seen.update(served=True))
    with caplog.at_level("WARNING"):
        network.serve_http(server, host="127.0.0.1", port=0)
    assert seen == {"served": True}
    assert "search warm-up failed (no encoder here)" in caplog.text
