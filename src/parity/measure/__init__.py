"""Timing statistics: summaries of samples and a verdict on "is B faster than A?".

Pure code (no I/O): ``stats`` (median, p95, MAD, bootstrap interval), ``mannwhitney``
(the rank test and Cliff's delta), ``compare`` (the decision rule and the refusal to
compare different cache states), ``power`` (the simulation behind the decision rule).
The live ``parity measure`` command collects samples and hands them to these.
"""

from __future__ import annotations

from parity.measure.compare import (
    REFUSAL,
    CacheStatus,
    Comparison,
    Sample,
    Verdict,
    cache_mix,
    compare,
    shift_verdict,
)
from parity.measure.mannwhitney import MannWhitney, mann_whitney_u, null_rejection_rate
from parity.measure.stats import Summary, bootstrap_median_ci, mad, median, percentile, summarize

__all__ = [
    "REFUSAL",
    "CacheStatus",
    "Comparison",
    "MannWhitney",
    "Sample",
    "Summary",
    "Verdict",
    "bootstrap_median_ci",
    "cache_mix",
    "compare",
    "mad",
    "mann_whitney_u",
    "median",
    "null_rejection_rate",
    "percentile",
    "shift_verdict",
    "summarize",
]
