"""Long-running servers freeze what start-up made before serving (`network.freeze_startup_objects`):
full collections then skip it, and start-up garbage is collected first, never frozen."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from fastmcp import FastMCP

from adaptgen.runtime import agentcore, network


class Cycle:
    """Garbage only a collection frees (it refers to itself)."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # other tests must not run with a frozen heap


def made_garbage() -> weakref.ref:
    cycle = Cycle()
    return weakref.ref(cycle)


def test_serve_http_freezes_start_up_objects_after_collecting_garbage(monkeypatch, unfrozen):
    seen: dict[str, Any] = {}

    def run(*args: Any, **kwargs: Any) -> None:  # in place of the event loop: nothing served
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(network.anyio, "run", run)
    garbage = made_garbage()
    assert garbage() is not None
    network.serve_http(FastMCP("frozen"), host="127.0.0.1", port=0)
    assert seen["frozen"] > 1000  # modules, classes, models: everything made so far
    assert garbage() is None  # collected before the freeze, not kept in the frozen set


def test_agentcore_freezes_start_up_objects_before_uvicorn_runs(monkeypatch, unfrozen):
    seen: dict[str, Any] = {}

    def run(*args: Any, **kwargs: Any) -> None:
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(agentcore.uvicorn, "run", run)
    monkeypatch.setenv("FROZEN_ALLOW_ANONYMOUS", "1")  # this test serves nothing
    agentcore.serve(FastMCP("frozen"), allow_anonymous_env="FROZEN_ALLOW_ANONYMOUS")
    assert seen["frozen"] > 1000
