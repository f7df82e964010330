"""How often ``compare``'s decision rule detects a shift: a seeded Monte Carlo simulation.

Timings are simulated as lognormal around a median (the usual shape of response times:
bounded below, skewed right) with spread ``sigma`` (the standard deviation of the log;
0.10 means about ±10% around the median for most requests), optionally with a fraction
of slow outliers (1.5× to 3×, e.g. a garbage collection or a slow first byte). B's
median is A's times ``1 + shift``; ``shift=0`` gives A/A comparisons, whose detection
rate is the false-positive rate.

Run ``python -m parity.measure.power`` for the tables in docs/measure.md.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from parity.measure.compare import Verdict, shift_verdict

__all__ = ["Scenario", "detection_rate", "simulated_timings"]


@dataclass(frozen=True)
class Scenario:
    """A simulated comparison: spread, shift of B's median, samples a side, outliers."""

    sigma: float = 0.10
    shift: float = 0.10
    n: int = 30
    median: float = 0.200
    outliers: float = 0.0


def simulated_timings(
    rng: random.Random, n: int, median: float, sigma: float, outliers: float
) -> list[float]:
    """``n`` lognormal timings around ``median``, a fraction ``outliers`` of them slow."""
    timings = []
    for _ in range(n):
        value = median * math.exp(rng.gauss(0.0, sigma))
        if outliers and rng.random() < outliers:
            value *= rng.uniform(1.5, 3.0)
        timings.append(value)
    return timings


def detection_rate(
    scenario: Scenario,
    *,
    trials: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    noise: float = 0.02,
) -> float:
    """The fraction of ``trials`` in which the decision rule reports a difference.

    Counts only differences in the true direction when ``shift`` is not 0 (a "faster"
    verdict on a slower B is a miss, not a detection).
    """
    rng = random.Random(seed)
    expected = Verdict.slower if scenario.shift > 0 else Verdict.faster
    hits = 0
    for _ in range(trials):
        a = simulated_timings(rng, scenario.n, scenario.median, scenario.sigma, scenario.outliers)
        b = simulated_timings(
            rng,
            scenario.n,
            scenario.median * (1 + scenario.shift),
            scenario.sigma,
            scenario.outliers,
        )
        verdict, _, _ = shift_verdict(a, b, alpha=alpha, noise=noise)
        if scenario.shift == 0:
            hits += verdict is not Verdict.no_difference
        else:
            hits += verdict is expected
    return hits / trials


def main() -> None:
    """Print the detection rates of docs/measure.md (takes about half a minute)."""
    from parity.measure.mannwhitney import null_rejection_rate

    sigmas = (0.05, 0.08, 0.10, 0.12, 0.15, 0.20)
    print("Detection of a 10% slower median (2000 trials each)")
    print("outliers  n    " + "  ".join(f"sigma {s:.2f}" for s in sigmas))
    for outliers in (0.0, 0.05):
        for n in (30, 50, 80):
            rates = [
                detection_rate(Scenario(sigma=s, n=n, outliers=outliers), trials=2000, seed=21)
                for s in sigmas
            ]
            print(f"{outliers:8.0%}  {n:<3}  " + "  ".join(f"{r:10.3f}" for r in rates))
    print()
    print("A/A false positives, n = 30 a side")
    print(f"  exact (from the distribution of U): {null_rejection_rate(30, 30):.4f}")
    aa = detection_rate(Scenario(shift=0.0, outliers=0.05), trials=40_000, seed=13)
    print(f"  simulated, 40 000 trials:           {aa:.4f}")


if __name__ == "__main__":
    main()
