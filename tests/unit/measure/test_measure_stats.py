"""Median, p95, MAD and the bootstrap interval, against values computed by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.errors import InputError
from parity.measure.stats import bootstrap_median_ci, mad, median, percentile, summarize


def test_median_of_odd_and_even_counts() -> None:
    assert median([3, 1, 2]) == 2
    assert median([3, 1, 2, 10]) == 2.5
    assert median([7]) == 7


def test_percentile_interpolates_between_order_statistics() -> None:
    # rank 1 + 4 * 0.95 = 4.8: 4 + 0.8 * (5 - 4)
    assert percentile([5, 1, 4, 2, 3], 95) == pytest.approx(4.8)
    # rank 1 + 3 * 0.5 = 2.5: halfway between 20 and 30
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([10, 20, 30, 40], 0) == 10
    assert percentile([10, 20, 30, 40], 100) == 40


def test_mad_is_the_median_distance_from_the_median_and_ignores_an_outlier() -> None:
    # median 3; distances 2, 1, 0, 1, 97; their median 1
    assert mad([1, 2, 3, 4, 100]) == 1
    # median 2.5; distances 1.5, 0.5, 0.5, 1.5; their median 1
    assert mad([1, 2, 3, 4]) == 1
    assert mad([5, 5, 5]) == 0


def test_summary_of_timings_with_one_slow_request() -> None:
    summary = summarize([0.20, 0.21, 0.19, 0.22, 0.95])
    assert summary.n == 5
    assert summary.median == 0.21
    assert summary.mad == pytest.approx(0.01)
    # rank 1 + 4 * 0.95 = 4.8: 0.22 + 0.8 * (0.95 - 0.22)
    assert summary.p95 == pytest.approx(0.804)
    assert (summary.minimum, summary.maximum) == (0.19, 0.95)
    assert summary.ci_low <= summary.median <= summary.ci_high
    assert summary.as_dict()["median_ci"] == [summary.ci_low, summary.ci_high]


def test_bootstrap_interval_is_reproducible_with_its_seed() -> None:
    values = [0.1 + 0.01 * ((i * 7) % 13) for i in range(30)]
    first = bootstrap_median_ci(values, seed=3)
    assert bootstrap_median_ci(values, seed=3) == first
    low, high = first
    assert low < median(values) < high


def test_bootstrap_interval_of_identical_values_is_that_value() -> None:
    assert bootstrap_median_ci([0.5] * 10) == (0.5, 0.5)
    assert bootstrap_median_ci([0.5]) == (0.5, 0.5)


@pytest.mark.parametrize("values", [[], [-0.1], [math.nan], [math.inf]])
def test_invalid_samples_are_refused(values: list[float]) -> None:
    with pytest.raises(InputError):
        summarize(values)


def test_percentile_outside_0_to_100_is_refused() -> None:
    with pytest.raises(InputError):
        percentile([1.0], 101)


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=40))
def test_median_and_p95_lie_within_the_samples(values: list[float]) -> None:
    low, high = min(values), max(values)
    assert low <= median(values) <= high
    assert median(values) <= percentile(values, 95) + 1e-9
    assert percentile(values, 95) <= high
    assert mad(values) <= high - low
