"""The statistical goal of `measure compare`, shown by a seeded simulation.

Timings: lognormal around 200 ms with sigma 0.10 (the spread of a steady page, cached or
not), plus 0-5% slow outliers. Goal: with 30 samples a side, a 10% shift of the median is
detected (p < 0.05, right direction) in at least 90% of trials, and A/A comparisons
report a difference in at most 5% of trials. The A/A run is long (40 000 trials, about
±0.1% of Monte Carlo error) because the test's true false-positive rate is 4.8%, close
to the bound; ``null_rejection_rate`` gives that 4.8% exactly.
"""

from __future__ import annotations

from parity.measure.power import Scenario, detection_rate


def test_ten_percent_slower_median_is_detected_in_at_least_90_percent_of_trials() -> None:
    rate = detection_rate(Scenario(sigma=0.10, shift=0.10, n=30), trials=2000, seed=11)
    assert rate >= 0.90


def test_ten_percent_faster_median_is_detected_in_at_least_90_percent_of_trials() -> None:
    rate = detection_rate(Scenario(sigma=0.10, shift=-0.10, n=30), trials=1000, seed=12)
    assert rate >= 0.90


def test_a_a_comparisons_report_a_difference_in_at_most_5_percent_of_trials() -> None:
    scenario = Scenario(sigma=0.10, shift=0.0, n=30, outliers=0.05)
    rate = detection_rate(scenario, trials=40_000, seed=13)
    assert rate <= 0.05


def test_simulation_is_deterministic_for_a_seed() -> None:
    scenario = Scenario(sigma=0.15, shift=0.10, n=30)
    assert detection_rate(scenario, trials=200, seed=5) == detection_rate(
        scenario, trials=200, seed=5
    )


def test_wider_spread_needs_more_samples_the_honest_limit() -> None:
    # sigma 0.20 is a noisy page: 30 samples a side miss a 10% shift most of the time.
    assert detection_rate(Scenario(sigma=0.20, shift=0.10), trials=500, seed=14) < 0.6
