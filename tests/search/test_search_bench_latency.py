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
