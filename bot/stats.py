"""Percentiles for latency reports (the CLI benchmarks, the evaluation, scripts/bench_*).
Standard library only.

One definition everywhere: the *nearest-rank* percentile. The q-th percentile (0 < q ≤ 1) of n values is the
smallest value with at least q·n of the values at or below it, i.e. the ⌈q·n⌉-th smallest. It is always one of
the measured values (no interpolation), so "p95 300 ms" means 95 % of the measured requests took at most 300 ms.
Medians stay `statistics.median`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile of `values`, `q` in [0, 1] (0.95 for p95); q = 0 is the minimum. 0.0 for no values."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be between 0 and 1, not {q}")
    xs = sorted(values)
    if not xs:
        return 0.0
    rank = max(1, math.ceil(round(q * len(xs), 9)))  # 1-based; rounding drops float noise (0.07 · 100)
    return xs[min(rank, len(xs)) - 1]
