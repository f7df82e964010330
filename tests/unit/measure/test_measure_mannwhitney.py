"""Mann-Whitney U and Cliff's delta: examples worked out by hand, and SciPy's figures.

The worked examples are the ones the own implementation was checked against before the
test moved to SciPy: the same samples give the same U, p-values and verdicts.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from parity.errors import InputError
from parity.measure.mannwhitney import (
    EXACT_MAX,
    _u_counts,
    cliffs_delta_magnitude,
    mann_whitney_u,
    null_rejection_rate,
)


def test_fully_separated_samples_give_u_0_and_exact_p_one_in_ten() -> None:
    result = mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert (result.u_a, result.u_b) == (0.0, 9.0)
    # Only 1 of the C(6, 3) = 20 orderings is this extreme, doubled for two sides.
    assert result.p_value == pytest.approx(2 / 20)
    assert result.method == "exact"
    assert result.cliffs_delta == 1.0


def test_exact_p_counts_orderings_at_least_as_extreme() -> None:
    # One pair has a > b (5 > 4): U_a = 1. Of the C(8, 4) = 70 orderings, one gives
    # U = 0 and one U = 1: p = 2 * 2 / 70.
    result = mann_whitney_u([1.0, 2.0, 3.0, 5.0], [4.0, 6.0, 7.0, 8.0])
    assert result.u_a == 1.0
    assert result.p_value == pytest.approx(4 / 70)


def test_asymptotic_p_uses_the_normal_approximation_with_continuity_correction() -> None:
    result = mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], method="asymptotic")
    # mean 9/2 = 4.5, variance 3 * 3 * 7 / 12 = 5.25, z = (4.5 - 0.5) / sqrt(5.25)
    z = 4.0 / math.sqrt(5.25)
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert result.p_value == pytest.approx(0.0808556, abs=1e-7)


def test_ties_count_half_and_shrink_the_variance() -> None:
    # Pooled 1, 2, 2, 2, 3, 4: ranks 1, 3, 3, 3, 5, 6. R_a = 1 + 3 + 3 = 7, U_a = 7 - 6 = 1
    # (two a = 2 tie the b = 2: half a pair each). Ties: one group of 3, 3^3 - 3 = 24.
    # variance 3 * 3 / 12 * (7 - 24 / 30) = 4.65, z = (|1 - 4.5| - 0.5) / sqrt(4.65)
    result = mann_whitney_u([1.0, 2.0, 2.0], [2.0, 3.0, 4.0])
    assert result.u_a == 1.0
    assert result.method == "asymptotic"
    assert result.p_value == pytest.approx(math.erfc(3 / math.sqrt(4.65) / math.sqrt(2)))


def test_identical_samples_give_p_1() -> None:
    result = mann_whitney_u([0.2] * 10, [0.2] * 10)
    assert result.p_value == 1.0
    assert result.cliffs_delta == 0.0


def test_exact_method_refuses_ties_and_empty_sides_are_refused() -> None:
    with pytest.raises(InputError):
        mann_whitney_u([1.0, 2.0], [2.0, 3.0], method="exact")
    with pytest.raises(InputError):
        mann_whitney_u([], [1.0])


def test_u_distribution_counts_every_ordering_once() -> None:
    assert sum(_u_counts(5, 7)) == math.comb(12, 5)
    assert _u_counts(2, 2) == (1, 1, 2, 1, 1)


def test_exact_false_positive_rate_of_the_test_at_30_a_side_is_below_5_percent() -> None:
    rate = null_rejection_rate(30, 30)
    assert 0.04 < rate <= 0.05
    # Three a side can never reach p < 0.05 (the smallest p is 0.1).
    assert null_rejection_rate(3, 3) == 0


@pytest.mark.parametrize(
    ("delta", "label"),
    [(0.1, "negligible"), (-0.2, "small"), (0.4, "medium"), (-0.9, "large")],
)
def test_cliffs_delta_labels(delta: float, label: str) -> None:
    assert cliffs_delta_magnitude(delta) == label


SIDE = st.lists(st.floats(min_value=0.001, max_value=10), min_size=1, max_size=25)


@given(a=SIDE, b=SIDE)
def test_swapping_sides_swaps_u_and_keeps_p(a: list[float], b: list[float]) -> None:
    forward, backward = mann_whitney_u(a, b), mann_whitney_u(b, a)
    assert forward.u_a + forward.u_b == len(a) * len(b)
    assert forward.u_a == pytest.approx(backward.u_b)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert forward.cliffs_delta == pytest.approx(-backward.cliffs_delta)
    assert 0 <= forward.p_value <= 1


TIMINGS = st.lists(
    st.sampled_from([0.1, 0.11, 0.12, 0.2, 0.21, 0.3, 0.5, 0.8, 1.3, 2.1]) | st.floats(0.01, 5),
    min_size=2,
    max_size=40,
)


@given(a=TIMINGS, b=TIMINGS)
def test_p_values_and_u_equal_scipys_on_the_same_samples(a: list[float], b: list[float]) -> None:
    """Same samples, same figures as scipy.stats.mannwhitneyu with the method parity picks
    (exact only when both sides are small and nothing is tied)."""
    ours = mann_whitney_u(a, b)
    tied = len(set(a + b)) < len(a + b)
    expected_method = "exact" if not tied and max(len(a), len(b)) <= EXACT_MAX else "asymptotic"
    assert ours.method == expected_method
    if len(set(a + b)) == 1:
        assert ours.p_value == 1.0
        return
    theirs = stats.mannwhitneyu(a, b, alternative="two-sided", method=expected_method)
    assert ours.u_a == pytest.approx(float(theirs.statistic))
    assert ours.p_value == pytest.approx(min(1.0, float(theirs.pvalue)), rel=1e-12, abs=1e-15)


def test_exact_null_distribution_matches_scipys_exact_p_values() -> None:
    """The own exact distribution (kept for the false-positive rate) agrees with SciPy."""
    a, b = [1.0, 2.5, 4.0, 7.0], [3.0, 5.0, 6.0, 8.0, 9.0]
    theirs = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact")
    assert mann_whitney_u(a, b).p_value == pytest.approx(float(theirs.pvalue))
    assert sum(_u_counts(4, 5)) == math.comb(9, 4)
