"""The one rule every benchmark reports a median and a tail percentile by.

- A median is `statistics.median`: the middle value, or the mean of the two middle values.
- A tail percentile (p90, p99) is the *nearest rank*: the smallest value that at least `q` of
  the values are at or below, so a reported p99 is never better than 99% of the samples. With
  fewer than 100 samples a p99 is therefore the largest one.

Before this module each bench had its own index arithmetic, which moved a p99 by a rank either
way, so a figure published earlier may differ from a rerun by that rank.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable

median = statistics.median


def percentile(values: Iterable[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 < q <= 1) of `values`; NaN when there are none."""
    if not 0 < q <= 1:
        raise ValueError(f"a percentile's q is in (0, 1], not {q}")
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = math.ceil(round(q * len(ordered), 9))  # 0.28 * 25 is 7.000000000000001: rank 7
    return ordered[rank - 1]
