"""The benchmark's latency figure: what it reports, never how fast (no wall-clock bars)."""

from __future__ import annotations

import io
import math

import pytest
from conftest import index_entry

from adaptgen.search.semantic import pack
from bench.search_bench import latency, print_latency


def _index(semantic: bool) -> dict:
    """Two tools; with vectors of the shipped encoder's width when `semantic`."""
    tools = [
        index_entry("list_deals", "list", "list deals"),
        index_entry("get_deal", "get", "get a deal"),
    ]
    if semantic:
        dim = 384
        for number, tool in enumerate(tools):
            tool["semantic"] = pack([math.cos(number + i) / math.sqrt(dim / 2) for i in range(dim)])
    return {"tools": tools}


def test_an_index_without_vectors_reports_no_encoding_time():
    timing = latency([_index(False)], ["show me the deals", "deal 7"], rounds=2)
    assert timing["searches"] == 4
    assert timing["tools"] == 2
    assert "encoding_p50_ms" not in timing
    out = io.StringIO()
    print_latency(timing, out)
    assert "search latency, 2 tools, 4 searches" in out.getvalue()
    assert "encoding" not in out.getvalue()


def test_the_encoding_time_is_reported_alone_when_the_index_has_vectors():
    pytest.importorskip("numpy")
    timing = latency([_index(True)], ["show me the deals", "close the ticket"], rounds=1)
    assert {"encoding_p50_ms", "encoding_p99_ms"} <= timing.keys()
    out = io.StringIO()
    print_latency(timing, out)
    assert "the request's encoding alone" in out.getvalue()


def test_the_figure_says_what_machine_it_was_measured_on():
    """The same search is about twice as slow on some two-core machines as on others, so a
    latency figure carries the machine: its CPU, usable cores, numpy and BLAS, and the time of
    the encoder's largest product alone (a yardstick to set two machines side by side)."""
    pytest.importorskip("numpy")
    from bench.search_bench import YARDSTICK, machine

    box = machine(repetitions=50)
    assert box["cpus"] >= 1
    assert box["cpu"]
    assert box["numpy"][0].isdigit()
    assert box["yardstick_us"] > 0
    timing = latency([_index(False)], ["show me the deals"], rounds=1) | {"machine": box}
    out = io.StringIO()
    print_latency(timing, out)
    line = out.getvalue().splitlines()[-1]
    assert line.startswith(f"measured on: {box['cpu']}, {box['cpus']} usable cores")
    assert (
        f"({YARDSTICK[0]:,} x {YARDSTICK[1]} by {YARDSTICK[1]} x {YARDSTICK[2]}, float32)" in line
    )
    # without it (an older JSON, a caller of its own), the figure prints as before
    del timing["machine"]
    out = io.StringIO()
    print_latency(timing, out)
    assert "measured on" not in out.getvalue()
