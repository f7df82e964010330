"""Slow against the SLO or the route's own baseline, per cache status; deploy verdicts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from parity.monitor.latency import Timing, deploy_verdict, slow_verdict

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def timings(values: list[float], cache: str | None = "HIT", start: int = 0) -> list[Timing]:
    return [Timing(T0 + timedelta(seconds=start + i), v, cache) for i, v in enumerate(values)]


def noisy(centre: float, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [centre * rng.lognormvariate(0, 0.1) for _ in range(n)]


def test_few_probes_are_not_enough_data() -> None:
    assert slow_verdict(timings([0.01, 0.01])).state == "not enough data"


def test_over_the_slo_is_slow_and_says_so() -> None:
    verdict = slow_verdict(timings([0.9] * 10), slo_ms=800)
    assert verdict.slow
    assert "over its SLO of 800 ms" in verdict.reason


def test_a_200_ms_sleep_is_slow_against_the_baseline() -> None:
    history = timings(noisy(0.02, 60, 1) + noisy(0.22, 10, 2))
    verdict = slow_verdict(history)
    assert verdict.slow
    assert verdict.cache == "HIT"
    assert "baseline window" in verdict.reason


def test_a_window_of_misses_is_not_a_regression() -> None:
    # The baseline was all HITs; a purge brings a window of (slower) MISSes.
    history = timings(noisy(0.005, 60, 3)) + timings(noisy(0.2, 10, 4), "MISS", start=60)
    verdict = slow_verdict(history)
    assert not verdict.slow
    assert verdict.state == "not enough data"


def test_the_same_speed_is_not_slow_over_many_windows() -> None:
    values = noisy(0.03, 300, 5)
    verdicts = [slow_verdict(timings(values[: n + 1])) for n in range(80, 300)]
    assert not any(v.slow for v in verdicts)
    assert verdicts[-1].state == "ok"


def test_small_absolute_shifts_are_not_slow() -> None:
    # 2 ms -> 4 ms is twice as slow but far under min_difference_ms.
    history = timings(noisy(0.002, 60, 6) + noisy(0.004, 10, 7))
    assert not slow_verdict(history).slow


def test_deploy_verdict_slower_after_the_marker() -> None:
    verdict = deploy_verdict(timings(noisy(0.02, 30, 8)), timings(noisy(0.2, 10, 9), start=30))
    assert verdict.change == "slower"
    assert verdict.reason.startswith("changed: slower")


def test_deploy_verdict_no_change_for_the_same_speed() -> None:
    verdict = deploy_verdict(timings(noisy(0.05, 30, 10)), timings(noisy(0.05, 30, 11)))
    assert verdict.change == "no change"


def test_deploy_verdict_waits_for_enough_samples_of_one_cache_status() -> None:
    verdict = deploy_verdict(timings([0.02] * 30), timings([0.02] * 30, "MISS"))
    assert verdict.change == "not enough data yet"
    verdict = deploy_verdict(timings([0.02] * 30), timings([0.02] * 3))
    assert verdict.change == "not enough data yet"
