"""Is a route slow? Did a deployment change its speed? (pure, on ``parity.measure``'s statistics)

Timings are always compared within one cache state (HIT with HIT, MISS with MISS): a
window of MISSes after a purge is not a regression.

- :func:`slow_verdict`: slow when the recent window's p95 is over the route's SLO, or
  when, for a cache state, the recent window is significantly slower than the baseline
  window just before it (Mann-Whitney ``p < alpha``, median ratio at least ``min_ratio``
  and at least ``min_difference_ms`` apart).
- :func:`deploy_verdict`: samples before a deploy marker against samples after it, in
  the cache state both sides have most of: "slower", "faster", "no change" or "not
  enough data yet".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from parity.measure.compare import Verdict, shift_verdict
from parity.measure.stats import median, percentile

__all__ = [
    "DeployVerdict",
    "SlowVerdict",
    "Timing",
    "cache_label",
    "deploy_verdict",
    "slow_verdict",
]


@dataclass(frozen=True)
class Timing:
    """One successful probe's time and the cache status it got (None: no cache header)."""

    at: datetime
    duration_s: float
    cache: str | None = None


def cache_label(cache: str | None) -> str:
    """``HIT``, ``MISS``, ``PASS`` or ``no cache status``."""
    return cache or "no cache status"


SlowState = Literal["ok", "slow", "not enough data"]


@dataclass(frozen=True)
class SlowVerdict:
    """Whether a route is slow now, and why, in words."""

    state: SlowState
    reason: str
    p95_ms: float | None = None
    cache: str | None = None
    baseline_median_ms: float | None = None
    recent_median_ms: float | None = None
    p_value: float | None = None

    @property
    def slow(self) -> bool:
        """True when the verdict is slow."""
        return self.state == "slow"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "state": self.state,
            "reason": self.reason,
            "p95_ms": self.p95_ms,
            "cache": self.cache,
            "baseline_median_ms": self.baseline_median_ms,
            "recent_median_ms": self.recent_median_ms,
            "p_value": self.p_value,
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def slow_verdict(
    timings: Sequence[Timing],
    *,
    slo_ms: float | None = None,
    recent: int = 10,
    baseline: int = 60,
    alpha: float = 0.01,
    min_ratio: float = 1.25,
    min_difference_ms: float = 50.0,
) -> SlowVerdict:
    """Slow, ok, or not enough data, from a route's timings (oldest first).

    >>> from datetime import UTC, datetime
    >>> t = [Timing(datetime(2026, 1, 1, tzinfo=UTC), 0.9, "MISS")] * 5
    >>> slow_verdict(t, slo_ms=800).reason
    'p95 900 ms over the last 5 probes is over its SLO of 800 ms'
    """
    window = list(timings[-recent:])
    if len(window) < 3:
        return SlowVerdict("not enough data", f"{len(window)} probes so far, needs 3")
    p95 = _ms(percentile([t.duration_s for t in window], 95))
    if slo_ms is not None and p95 > slo_ms:
        return SlowVerdict(
            "slow",
            f"p95 {p95:g} ms over the last {len(window)} probes is over its SLO of {slo_ms:g} ms",
            p95_ms=p95,
        )
    earlier = timings[: len(timings) - len(window)]
    compared = False
    for state in sorted({t.cache for t in window}, key=lambda c: c or ""):
        now = [t.duration_s for t in window if t.cache == state]
        before = [t.duration_s for t in earlier if t.cache == state][-baseline:]
        if len(now) < 3 or len(before) < max(5, len(now)):
            continue
        compared = True
        was_s, is_s = median(before), median(now)
        if is_s <= was_s * min_ratio or is_s - was_s < min_difference_ms / 1000:
            # Not slower by the rule's own effect sizes, whatever the U test says: skip
            # the test (most probes; it is most of the cost of judging one).
            continue
        verdict, test, ratio = shift_verdict(
            before,
            now,
            alpha=alpha,
            noise=min_ratio - 1,
            min_difference_s=min_difference_ms / 1000,
        )
        if verdict is Verdict.slower:
            was, is_ = _ms(median(before)), _ms(median(now))
            return SlowVerdict(
                "slow",
                f"median {is_:g} ms ({cache_label(state)}) against {was:g} ms in its"
                f" baseline window: {ratio:.1f}x slower, p = {test.p_value:.2g}",
                p95_ms=p95,
                cache=state,
                baseline_median_ms=was,
                recent_median_ms=is_,
                p_value=test.p_value,
            )
    if not compared and slo_ms is None:
        return SlowVerdict(
            "not enough data",
            "no baseline window of the same cache status yet",
            p95_ms=p95,
        )
    within = f"within its SLO of {slo_ms:g} ms" if slo_ms is not None else "as fast as its baseline"
    return SlowVerdict("ok", f"p95 {p95:g} ms, {within}", p95_ms=p95)


DeployChange = Literal["slower", "faster", "no change", "not enough data yet"]


@dataclass(frozen=True)
class DeployVerdict:
    """A route's latency after a deploy marker against before it."""

    change: DeployChange
    reason: str
    cache: str | None = None
    before_median_ms: float | None = None
    after_median_ms: float | None = None
    p_value: float | None = None
    n_before: int = 0
    n_after: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "change": self.change,
            "reason": self.reason,
            "cache": self.cache,
            "before_median_ms": self.before_median_ms,
            "after_median_ms": self.after_median_ms,
            "p_value": self.p_value,
            "n_before": self.n_before,
            "n_after": self.n_after,
        }


def deploy_verdict(
    before: Sequence[Timing],
    after: Sequence[Timing],
    *,
    window: int = 30,
    min_samples: int = 8,
    alpha: float = 0.05,
    noise: float = 0.10,
    min_difference_ms: float = 5.0,
) -> DeployVerdict:
    """ "slower", "faster", "no change" or "not enough data yet" (Mann-Whitney, one cache state).

    Uses the last ``window`` timings before the marker and the first ``window`` after it,
    of the cache state with the most samples on the thinner side.
    """
    best: tuple[int, str | None] | None = None
    for state in {t.cache for t in before} & {t.cache for t in after}:
        n = min(
            len([t for t in before if t.cache == state]),
            len([t for t in after if t.cache == state]),
        )
        if best is None or n > best[0]:
            best = (n, state)
    if best is None or best[0] < min_samples:
        have = best[0] if best else 0
        return DeployVerdict(
            "not enough data yet",
            f"{have} probes of the same cache status on each side so far, needs {min_samples}",
        )
    state = best[1]
    a = [t.duration_s for t in before if t.cache == state][-window:]
    b = [t.duration_s for t in after if t.cache == state][:window]
    verdict, test, ratio = shift_verdict(
        a, b, alpha=alpha, noise=noise, min_difference_s=min_difference_ms / 1000
    )
    was, is_ = _ms(median(a)), _ms(median(b))
    change: DeployChange = (
        "slower"
        if verdict is Verdict.slower
        else "faster"
        if verdict is Verdict.faster
        else "no change"
    )
    words = {
        "slower": f"changed: slower, median {was:g} -> {is_:g} ms ({ratio:.2f}x)",
        "faster": f"changed: faster, median {was:g} -> {is_:g} ms ({ratio:.2f}x)",
        "no change": f"no change: median {was:g} -> {is_:g} ms, p = {test.p_value:.2g}",
    }
    return DeployVerdict(
        change,
        f"{words[change]} ({cache_label(state)})",
        cache=state,
        before_median_ms=was,
        after_median_ms=is_,
        p_value=test.p_value,
        n_before=len(a),
        n_after=len(b),
    )
