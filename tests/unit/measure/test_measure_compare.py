"""`compare`: verdicts, the noise threshold, and refusing to compare cold with cached."""

from __future__ import annotations

import pytest

from parity.errors import InputError
from parity.measure.compare import REFUSAL, Sample, Verdict, cache_mix, compare

BASE = [0.200 + 0.001 * ((i * 7) % 30) for i in range(30)]


def samples(seconds: list[float], status: str | None = "HIT", factor: float = 1.0) -> list[Sample]:
    return [Sample(s * factor, status, 5) for s in seconds]  # type: ignore[arg-type]


def test_cold_against_cached_is_refused_with_the_reason() -> None:
    result = compare(samples(BASE, "MISS"), samples(BASE, "HIT", 0.2))
    assert result.verdict is Verdict.refused
    assert REFUSAL in result.message
    assert "100% MISS" in result.message and "100% HIT" in result.message
    assert result.p_value is None and result.median_ratio is None
    assert result.as_dict()["verdict"] == "refused"


def test_a_different_mix_of_statuses_is_refused_and_a_close_mix_is_not() -> None:
    mixed = samples(BASE[:20], "HIT") + samples(BASE[20:], "MISS")
    assert compare(samples(BASE), mixed).verdict is Verdict.refused
    one_miss = samples(BASE[:29], "HIT") + samples(BASE[29:], "MISS")
    assert compare(samples(BASE), one_miss).verdict is not Verdict.refused


def test_clearly_slower_b_is_slower_and_clearly_faster_b_is_faster() -> None:
    slower = compare(samples(BASE), samples(BASE, factor=1.2))
    assert slower.verdict is Verdict.slower
    assert slower.median_ratio == pytest.approx(1.2)
    assert slower.ratio_ci is not None and slower.ratio_ci[0] > 1
    assert slower.cliffs_delta is not None and slower.cliffs_delta > 0.474
    assert slower.effect == "large"
    faster = compare(samples(BASE), samples(BASE, factor=0.8))
    assert faster.verdict is Verdict.faster
    assert faster.message.startswith("B is faster")


def test_same_timings_are_no_difference() -> None:
    result = compare(samples(BASE), samples(list(reversed(BASE))))
    assert result.verdict is Verdict.no_difference
    assert result.p_value is not None and result.p_value > 0.9
    assert result.median_ratio == 1.0


def test_significant_shift_within_the_noise_threshold_is_no_difference() -> None:
    tight = [1.0 + 0.0001 * i for i in range(30)]
    result = compare(samples(tight), samples(tight, factor=1.01))
    assert result.p_value is not None and result.p_value < 0.05
    assert result.verdict is Verdict.no_difference
    assert "noise threshold" in result.message
    assert compare(samples(tight), samples(tight, factor=1.01), noise=0.0).verdict is (
        Verdict.slower
    )


def test_comparison_is_deterministic_and_json_ready() -> None:
    a, b = samples(BASE), samples(BASE, factor=1.1)
    first, second = compare(a, b), compare(a, b)
    assert first == second
    data = first.as_dict()
    assert data["a"]["cache_mix"] == {"HIT": 30}
    assert set(data) >= {"verdict", "p_value", "cliffs_delta", "median_ratio", "median_ratio_ci"}


def test_samples_without_status_count_as_unknown() -> None:
    assert cache_mix(samples(BASE[:3], None)) == {"unknown": 3}


@pytest.mark.parametrize("bad", [[], [Sample(0.0)], [Sample(-1.0)]])
def test_empty_or_zero_samples_are_refused(bad: list[Sample]) -> None:
    with pytest.raises(InputError):
        compare(bad, samples(BASE))


def test_sub_millisecond_gap_is_no_difference_however_significant() -> None:
    # A cached page at ~0.7 ms, B 14 % quicker: the test is certain, the gap is 0.1 ms.
    cached = [s / 300 for s in BASE]
    result = compare(samples(cached), samples(cached, factor=0.86))
    assert result.p_value is not None and result.p_value < 0.05
    assert result.verdict is Verdict.no_difference
    assert "ms apart" in result.message
    # The same relative shift on a 200 ms page is a real difference.
    assert compare(samples(BASE), samples(BASE, factor=0.86)).verdict is Verdict.faster
