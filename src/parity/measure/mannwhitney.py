"""The Mann-Whitney U test (from SciPy) and Cliff's delta.

Mann-Whitney asks whether one set of timings tends to be larger than the other without
assuming a distribution, which suits skewed, outlier-prone response times. The test
itself is ``scipy.stats.mannwhitneyu``; parity only chooses its method and reads its
result. Conventions:

- ``u_a`` counts the pairs ``(a, b)`` with ``a > b`` (ties count one half; SciPy's
  statistic for the first sample); ``u_b`` is ``n_a * n_b - u_a``.
- Two-sided p-value: exact when there are no ties and both sides have at most
  ``EXACT_MAX`` values; otherwise SciPy's normal approximation with the tie correction of
  the variance and a continuity correction. parity chooses the method itself (SciPy's
  own ``auto`` switches to exact when only *one* side is small), so the verdicts stay
  what they were.
- ``z``: the standard normal deviate of the asymptotic p-value, signed positive when B
  tends to be larger (for display; None for the exact method).
- Cliff's delta ``P(B > A) - P(B < A)`` in [-1, 1]: positive when B tends to be slower.

What SciPy does not offer stays here: Cliff's delta and its labels, and the exact
false-positive rate of the test at given sample sizes (``null_rejection_rate``).

    >>> r = mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    >>> r.u_a, r.u_b, round(r.p_value, 6), r.method
    (0.0, 9.0, 0.1, 'exact')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from parity.errors import InputError

__all__ = [
    "EXACT_MAX",
    "MannWhitney",
    "cliffs_delta_magnitude",
    "mann_whitney_u",
    "null_rejection_rate",
]

#: Largest side for which the exact p-value is used (when there are no ties).
EXACT_MAX = 8

Method = Literal["auto", "exact", "asymptotic"]


@dataclass(frozen=True)
class MannWhitney:
    """The result of a two-sided Mann-Whitney U test of A against B."""

    n_a: int
    n_b: int
    u_a: float
    u_b: float
    p_value: float
    method: Literal["exact", "asymptotic"]
    z: float | None

    @property
    def cliffs_delta(self) -> float:
        """``P(B > A) - P(B < A)``: positive when B tends to be larger (slower)."""
        return (self.u_b - self.u_a) / (self.n_a * self.n_b)


def mann_whitney_u(
    a: Sequence[float], b: Sequence[float], *, method: Method = "auto"
) -> MannWhitney:
    """Two-sided Mann-Whitney U test of ``a`` against ``b`` (``scipy.stats.mannwhitneyu``).

    ``method="auto"`` is exact for small samples without ties, asymptotic otherwise.
    """
    n_a, n_b = len(a), len(b)
    if n_a == 0 or n_b == 0:
        raise InputError("Mann-Whitney U needs at least one value on each side")
    pooled = [*a, *b]
    tied = len(set(pooled)) < len(pooled)
    if method == "auto":
        method = "exact" if not tied and max(n_a, n_b) <= EXACT_MAX else "asymptotic"
    if method == "exact" and tied:
        raise InputError("the exact Mann-Whitney p-value assumes no tied values")
    if len(set(pooled)) == 1:
        # Every value is the same: no evidence of any difference (SciPy's variance is 0).
        half = n_a * n_b / 2
        return MannWhitney(n_a, n_b, half, half, 1.0, method, None if method == "exact" else 0.0)
    # Imported here: SciPy takes a noticeable moment to load, and most commands never
    # compare anything.
    from scipy import stats

    result = stats.mannwhitneyu(a, b, alternative="two-sided", method=method, use_continuity=True)
    u_a = float(result.statistic)
    u_b = n_a * n_b - u_a
    p_value = min(1.0, float(result.pvalue))
    if method == "exact":
        return MannWhitney(n_a, n_b, u_a, u_b, p_value, "exact", None)
    deviate = float(stats.norm.isf(p_value / 2))
    return MannWhitney(n_a, n_b, u_a, u_b, p_value, "asymptotic", math.copysign(deviate, u_b - u_a))


@lru_cache(maxsize=256)
def _u_counts(m: int, n: int) -> tuple[int, ...]:
    """How many orderings of m A's and n B's give each value of U_a (0 .. m*n)."""
    if m == 0 or n == 0:
        return (1,)
    # The largest value is an A (it beats all n B's) or a B (it beats no A).
    with_a = _u_counts(m - 1, n)
    with_b = _u_counts(m, n - 1)
    counts = [0] * (m * n + 1)
    for u, count in enumerate(with_a):
        counts[u + n] += count
    for u, count in enumerate(with_b):
        counts[u] += count
    return tuple(counts)


def _exact_p(u: float, m: int, n: int) -> float:
    counts = _u_counts(m, n)
    total = sum(counts)
    smaller = min(u, m * n - u)
    tail = sum(counts[: math.floor(smaller) + 1])
    return min(1.0, 2 * tail / total)


def null_rejection_rate(n_a: int, n_b: int, alpha: float = 0.05) -> float:
    """The exact probability that ``mann_whitney_u`` gives ``p < alpha`` when A and B come
    from the same continuous distribution (the test's true false-positive rate).

    Computed from the exact distribution of U, with the p-value method ``auto`` would
    use for samples of these sizes; no simulation involved.

    >>> round(null_rejection_rate(30, 30), 4)
    0.0479
    """
    counts = _u_counts(n_a, n_b)
    total = sum(counts)
    exact = max(n_a, n_b) <= EXACT_MAX
    rejected = 0
    for u, count in enumerate(counts):
        p_value = _exact_p(u, n_a, n_b) if exact else _normal_p(u, n_a, n_b)
        if p_value < alpha:
            rejected += count
    return rejected / total


def _normal_p(u: float, n_a: int, n_b: int) -> float:
    """The asymptotic two-sided p-value of ``u`` without ties (as SciPy computes it)."""
    mean = n_a * n_b / 2
    deviation = math.sqrt(n_a * n_b * (n_a + n_b + 1) / 12)
    z = max(abs(u - mean) - 0.5, 0.0) / deviation
    return min(1.0, math.erfc(z / math.sqrt(2)))


def cliffs_delta_magnitude(delta: float) -> str:
    """Romano et al.'s labels: negligible < 0.147 <= small < 0.33 <= medium < 0.474 <= large."""
    size = abs(delta)
    if size < 0.147:
        return "negligible"
    if size < 0.33:
        return "small"
    if size < 0.474:
        return "medium"
    return "large"
