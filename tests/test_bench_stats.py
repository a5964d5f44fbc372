"""The benches' one rule for medians and tail percentiles (bench/_stats.py)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench._stats import median, percentile


def test_a_median_is_the_middle_or_the_mean_of_the_two_middles():
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


@pytest.mark.parametrize(
    ("count", "q", "expected"),
    [
        (100, 0.99, 99.0),  # 99 of 100 values are at or below the 99th
        (1000, 0.99, 990.0),
        (3117, 0.99, 3086.0),  # ceil(3085.83): never a rank better than 99% of the samples
        (5, 0.99, 5.0),  # fewer than 100 samples: the largest
        (10, 0.9, 9.0),
        (10, 1.0, 10.0),
        (1, 0.99, 1.0),
        (25, 0.28, 7.0),  # 0.28 * 25 is 7.000000000000001 in floating point, still rank 7
    ],
)
def test_a_tail_percentile_is_the_nearest_rank(count, q, expected):
    values = [float(v) for v in range(count, 0, -1)]  # any order
    assert percentile(values, q) == expected
    share = sum(v <= expected for v in values) / count
    assert share >= q  # at least q of the values are at or below it...
    assert sum(v < expected for v in values) / count < q  # ...and it is the smallest such value


def test_no_values_have_no_percentile_and_q_is_a_share():
    assert math.isnan(percentile([], 0.99))
    for q in (0, 99, -0.5):
        with pytest.raises(ValueError, match="q is in"):
            percentile([1.0], q)


def test_every_bench_takes_its_tails_from_the_one_rule():
    """No bench keeps its own index arithmetic for a percentile (the rule moved p99s by a rank)."""
    bench = Path(__file__).resolve().parents[1] / "bench"
    own_rule = re.compile(r"(?m)^def \w*percentile|\[int\([\d.]+ \* len\(|// 2\]|times\[-2\]")
    own = {
        path.name
        for path in bench.glob("*.py")
        if path.name != "_stats.py" and own_rule.search(path.read_text())
    }
    assert not own


def test_a_packaged_lambda_child_still_starts_without_the_bench_package(tmp_path):
    """`lambda_bench` runs its packaged children as a file with only their task folder and the
    standard library on the path (`-S -s`): the shared rule must not be imported there."""
    script = Path(__file__).resolve().parents[1] / "bench" / "lambda_bench.py"
    python = getattr(sys, "_base_executable", sys.executable)
    done = subprocess.run(
        [python, "-S", "-s", str(script), "--help"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
