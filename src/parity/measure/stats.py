"""Summaries of response-time samples: median, p95, MAD and a bootstrap interval of the median.

Pure Python, no I/O. Timings are skewed and carry outliers (a slow first byte, a garbage
collection), so parity summarises them with robust statistics: the median and the
median absolute deviation rather than the mean and standard deviation.

    >>> s = summarize([0.20, 0.21, 0.19, 0.22, 0.95])
    >>> s.median, round(s.mad, 3)
    (0.21, 0.01)
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from parity.errors import InputError

__all__ = [
    "Summary",
    "bootstrap_median_ci",
    "check_samples",
    "mad",
    "median",
    "percentile",
    "summarize",
]


def check_samples(values: Iterable[float], what: str = "samples") -> list[float]:
    """The values as a list; InputError when empty, negative, NaN or infinite."""
    checked = [float(v) for v in values]
    if not checked:
        raise InputError(f"no {what} to summarise")
    for value in checked:
        if not math.isfinite(value) or value < 0:
            raise InputError(f"{what} must be finite, non-negative seconds (got {value!r})")
    return checked


def _median_sorted(ordered: Sequence[float]) -> float:
    n = len(ordered)
    middle = n // 2
    if n % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def median(values: Iterable[float]) -> float:
    """The median (the mean of the two middle values for an even count).

    >>> median([3, 1, 2, 10])
    2.5
    """
    ordered = sorted(check_samples(values, "values"))
    return _median_sorted(ordered)


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between order statistics.

    This is Hyndman and Fan's type 7, the default of R, NumPy and spreadsheets: the
    value at rank ``1 + (n - 1) * q / 100``.

    >>> percentile([1, 2, 3, 4, 5], 95)
    4.8
    """
    if not 0 <= q <= 100:
        raise InputError(f"percentile {q} is not between 0 and 100")
    ordered = sorted(check_samples(values, "values"))
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def mad(values: Iterable[float]) -> float:
    """The median absolute deviation from the median (raw: not scaled by 1.4826).

    >>> mad([1, 2, 3, 4, 100])
    1.0
    """
    checked = check_samples(values, "values")
    centre = _median_sorted(sorted(checked))
    return _median_sorted(sorted(abs(v - centre) for v in checked))


def bootstrap_median_ci(
    values: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """A percentile-bootstrap confidence interval of the median.

    ``resamples`` resamples with replacement, drawn with ``random.Random(seed)`` so the
    same samples always give the same interval.
    """
    if not 0 < confidence < 1:
        raise InputError(f"confidence {confidence} is not between 0 and 1")
    if resamples < 1:
        raise InputError(f"resamples must be at least 1 (got {resamples})")
    checked = check_samples(values)
    rng = random.Random(seed)
    n = len(checked)
    medians = sorted(_median_sorted(sorted(rng.choices(checked, k=n))) for _ in range(resamples))
    tail = (1 - confidence) / 2 * 100
    return percentile(medians, tail), percentile(medians, 100 - tail)


@dataclass(frozen=True)
class Summary:
    """The robust summary of one set of timings (seconds)."""

    n: int
    median: float
    p95: float
    mad: float
    ci_low: float
    ci_high: float
    confidence: float
    minimum: float
    maximum: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "n": self.n,
            "median": self.median,
            "p95": self.p95,
            "mad": self.mad,
            "median_ci": [self.ci_low, self.ci_high],
            "confidence": self.confidence,
            "min": self.minimum,
            "max": self.maximum,
        }


def summarize(
    samples: Iterable[float],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Summary:
    """n, median, p95, MAD and a bootstrap confidence interval of the median.

    Deterministic: the interval uses ``random.Random(seed)``.
    """
    values = check_samples(samples)
    ordered = sorted(values)
    low, high = bootstrap_median_ci(ordered, confidence=confidence, resamples=resamples, seed=seed)
    return Summary(
        n=len(ordered),
        median=_median_sorted(ordered),
        p95=percentile(ordered, 95),
        mad=mad(ordered),
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        minimum=ordered[0],
        maximum=ordered[-1],
    )
