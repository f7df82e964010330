"""Is B really faster or slower than A? A verdict that a lucky cache hit cannot fool.

``compare(a, b)`` first checks that both sides were measured in the same cache state: when
the mix of cache statuses (HIT, MISS, PASS, unknown) differs by more than
``mix_tolerance`` for any status, it refuses ("you are comparing a cold page with a
cached one"). Otherwise:

- **Decision rule** (``shift_verdict``): B is *slower* (or *faster*) when the two-sided
  Mann-Whitney U test gives ``p < alpha`` (0.05) **and** the ratio of medians B/A is
  beyond the noise threshold (``noise``, 2%) in the same direction as Cliff's delta;
  otherwise *no difference*. The threshold, as in criterion-style benchmark tools, keeps
  statistically significant but negligible shifts from being reported as changes.
- **Reported with it**: the p-value, U, Cliff's delta and its magnitude label, the median
  ratio B/A with a percentile-bootstrap interval, and each side's summary.

Statistical goal (``parity.measure.power`` and docs/measure.md): with 30 samples a side
and timings spread like a real page (lognormal, sigma 0.10), a 10% shift of the median
is detected in at least 90% of trials, and A/A comparisons report a difference in at
most 5%. Wider spreads need more samples; the docs show the curve.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from parity.errors import InputError
from parity.measure.mannwhitney import MannWhitney, cliffs_delta_magnitude, mann_whitney_u
from parity.measure.stats import Summary, check_samples, percentile, summarize

__all__ = [
    "MIN_DIFFERENCE_S",
    "REFUSAL",
    "CacheStatus",
    "Comparison",
    "Sample",
    "Verdict",
    "cache_mix",
    "compare",
    "median_ratio_ci",
    "shift_verdict",
]

CacheStatus = Literal["HIT", "MISS", "PASS"]

#: The refusal's message, word for word.
REFUSAL = "you are comparing a cold page with a cached one"


@dataclass(frozen=True)
class Sample:
    """One timed request: seconds, the cache status it got (X-Cache) and its Age."""

    seconds: float
    cache_status: CacheStatus | None = None
    age: int | None = None


class Verdict(StrEnum):
    """What ``compare`` concludes about B relative to A."""

    faster = "faster"
    slower = "slower"
    no_difference = "no difference"
    refused = "refused"


def cache_mix(samples: Sequence[Sample]) -> dict[str, int]:
    """How many samples had each cache status (``unknown`` for no status)."""
    mix: dict[str, int] = {}
    for sample in samples:
        key = sample.cache_status or "unknown"
        mix[key] = mix.get(key, 0) + 1
    return mix


def _mix_text(mix: dict[str, int], n: int) -> str:
    parts = sorted(mix.items(), key=lambda item: -item[1])
    return ", ".join(f"{round(100 * count / n)}% {status}" for status, count in parts)


def _mix_differs(a: Sequence[Sample], b: Sequence[Sample], tolerance: float) -> bool:
    mix_a, mix_b = cache_mix(a), cache_mix(b)
    return any(
        abs(mix_a.get(s, 0) / len(a) - mix_b.get(s, 0) / len(b)) > tolerance
        for s in {*mix_a, *mix_b}
    )


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


#: Medians closer than this (seconds) are no difference whatever the test says: below a
#: millisecond, two runs of the same cached page differ by client and scheduler noise.
MIN_DIFFERENCE_S = 0.001


def shift_verdict(
    a: Sequence[float],
    b: Sequence[float],
    *,
    alpha: float = 0.05,
    noise: float = 0.02,
    min_difference_s: float = MIN_DIFFERENCE_S,
) -> tuple[Verdict, MannWhitney, float]:
    """The decision rule alone: (verdict, the U test, the median ratio B/A).

    Slower or faster needs ``p < alpha``, a median ratio beyond ``1 ± noise`` in the
    direction the U test points to, and medians at least ``min_difference_s`` apart;
    anything else is no difference.
    """
    test = mann_whitney_u(a, b)
    ratio = _median(b) / _median(a)
    delta = test.cliffs_delta
    if test.p_value < alpha and abs(_median(b) - _median(a)) >= min_difference_s:
        if delta > 0 and ratio > 1 + noise:
            return Verdict.slower, test, ratio
        if delta < 0 and ratio < 1 - noise:
            return Verdict.faster, test, ratio
    return Verdict.no_difference, test, ratio


def median_ratio_ci(
    a: Sequence[float],
    b: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """A percentile-bootstrap interval of median(B) / median(A), resampling each side."""
    rng = random.Random(seed)
    ratios = sorted(
        _median(rng.choices(b, k=len(b))) / _median(rng.choices(a, k=len(a)))
        for _ in range(resamples)
    )
    tail = (1 - confidence) / 2 * 100
    return percentile(ratios, tail), percentile(ratios, 100 - tail)


@dataclass(frozen=True)
class Comparison:
    """The verdict on B against A, with the numbers behind it.

    When the verdict is ``refused`` the test fields are None: numbers from two different
    cache states would only mislead.
    """

    verdict: Verdict
    message: str
    a: Summary
    b: Summary
    mix_a: dict[str, int]
    mix_b: dict[str, int]
    alpha: float
    noise: float
    p_value: float | None = None
    u_statistic: float | None = None
    test_method: str | None = None
    cliffs_delta: float | None = None
    effect: str | None = None
    median_ratio: float | None = None
    ratio_ci: tuple[float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (documented in docs/measure.md)."""
        return {
            "verdict": self.verdict.value,
            "message": self.message,
            "a": {**self.a.as_dict(), "cache_mix": self.mix_a},
            "b": {**self.b.as_dict(), "cache_mix": self.mix_b},
            "alpha": self.alpha,
            "noise": self.noise,
            "p_value": self.p_value,
            "u": self.u_statistic,
            "test_method": self.test_method,
            "cliffs_delta": self.cliffs_delta,
            "effect": self.effect,
            "median_ratio": self.median_ratio,
            "median_ratio_ci": list(self.ratio_ci) if self.ratio_ci else None,
        }


def _message(
    verdict: Verdict, test: MannWhitney, ratio: float, alpha: float, noise: float, gap: float
) -> str:
    change = f"median B/A = {ratio:.3f}"
    if verdict is Verdict.slower:
        return f"B is slower: {change}, p = {test.p_value:.3g}"
    if verdict is Verdict.faster:
        return f"B is faster: {change}, p = {test.p_value:.3g}"
    if test.p_value < alpha and gap < MIN_DIFFERENCE_S and abs(ratio - 1) > noise:
        return (
            f"no difference that matters: p = {test.p_value:.3g} and {change}, but the"
            f" medians are only {gap * 1000:.2f} ms apart (under {MIN_DIFFERENCE_S * 1000:g} ms:"
            " within client and scheduler noise)"
        )
    if test.p_value < alpha:
        return (
            f"no difference that matters: p = {test.p_value:.3g} but {change} is within "
            f"the ±{noise:.0%} noise threshold"
        )
    return f"no difference: p = {test.p_value:.3g} (needs < {alpha}), {change}"


def compare(
    a: Sequence[Sample],
    b: Sequence[Sample],
    *,
    alpha: float = 0.05,
    noise: float = 0.02,
    mix_tolerance: float = 0.1,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Decide whether B is faster, slower, or no different from A (see the module doc).

    Refuses (verdict ``refused``) when the cache-status mix of A and B differs by more
    than ``mix_tolerance`` for any status. Deterministic for a given ``seed``.
    """
    seconds_a = check_samples((s.seconds for s in a), "samples of A")
    seconds_b = check_samples((s.seconds for s in b), "samples of B")
    if min(seconds_a) <= 0 or min(seconds_b) <= 0:
        raise InputError("every sample must take more than 0 seconds")
    summary_a = summarize(seconds_a, confidence=confidence, resamples=resamples, seed=seed)
    summary_b = summarize(seconds_b, confidence=confidence, resamples=resamples, seed=seed)
    mix_a, mix_b = cache_mix(a), cache_mix(b)
    if _mix_differs(a, b, mix_tolerance):
        message = (
            f"refused: A was {_mix_text(mix_a, len(a))}, B was {_mix_text(mix_b, len(b))}: "
            f"{REFUSAL}; measure both in the same mode"
        )
        return Comparison(
            Verdict.refused, message, summary_a, summary_b, mix_a, mix_b, alpha, noise
        )
    verdict, test, ratio = shift_verdict(seconds_a, seconds_b, alpha=alpha, noise=noise)
    interval = median_ratio_ci(
        seconds_a, seconds_b, confidence=confidence, resamples=resamples, seed=seed
    )
    return Comparison(
        verdict,
        _message(verdict, test, ratio, alpha, noise, abs(summary_b.median - summary_a.median)),
        summary_a,
        summary_b,
        mix_a,
        mix_b,
        alpha,
        noise,
        p_value=test.p_value,
        u_statistic=test.u_a,
        test_method=test.method,
        cliffs_delta=test.cliffs_delta,
        effect=cliffs_delta_magnitude(test.cliffs_delta),
        median_ratio=ratio,
        ratio_ci=interval,
    )
