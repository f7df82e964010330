"""Cookie blame: which cookie of a browser's set makes the cache pass a request?

When an anonymous request carrying a realistic set of cookies is not cached, the culprit
is found by bisection: try half of the cookies; keep the half that still bypasses; repeat
until one cookie is left. When neither half bypasses alone, the culprit is a combination,
shrunk one cookie at a time. After a culprit is found it is taken out and the rest is
tried again, so several independent culprits are all named. Pure: the live request is a
callable the caller passes (``bypassed(names) -> bool``).

    blame = bisect_cookies(["_ga", "comment_author_x", "_gid"], bypassed)
    blame.culprits       # (("comment_author_x",),)
    blame.requests       # how many live requests it took
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Blame", "bisect_cookies"]

Bypassed = Callable[[Sequence[str]], bool]


@dataclass(frozen=True)
class Blame:
    """The cookies (or combinations) that make the cache pass, and the cost of finding them.

    ``complete`` is False when the request budget ran out before the search ended.
    """

    culprits: tuple[tuple[str, ...], ...]
    requests: int
    complete: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        """Every cookie name involved in a culprit."""
        return tuple(name for group in self.culprits for name in group)

    def describe(self) -> str:
        """One line, e.g. ``cookie comment_author_x`` or ``cookies a + b (together)``."""
        if not self.culprits:
            return "no single cookie or combination reproduces the bypass"
        parts = []
        for group in self.culprits:
            if len(group) == 1:
                parts.append(f"cookie {group[0]}")
            else:
                parts.append("cookies " + " + ".join(group) + " (together)")
        text = "; ".join(parts)
        return text if self.complete else text + " (search stopped early)"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (names only)."""
        return {
            "culprits": [list(group) for group in self.culprits],
            "requests": self.requests,
            "complete": self.complete,
        }


class _Budget(Exception):
    """The request budget is spent."""


class _Counter:
    def __init__(self, bypassed: Bypassed, budget: int) -> None:
        self.bypassed = bypassed
        self.budget = budget
        self.requests = 0

    def __call__(self, names: Sequence[str]) -> bool:
        if self.requests >= self.budget:
            raise _Budget
        self.requests += 1
        return self.bypassed(list(names))


def _shrink(part: list[str], fixed: list[str], test: _Counter) -> list[str]:
    """Drop from ``part`` every cookie the bypass does not need (``fixed`` stays)."""
    kept = list(part)
    for name in list(part):
        trial = [n for n in kept if n != name]
        if trial and test(fixed + trial):
            kept = trial
    return kept


def _narrow(candidates: list[str], test: _Counter) -> list[str]:
    """A small group of ``candidates`` that alone still bypasses."""
    while len(candidates) > 1:
        half = len(candidates) // 2
        first, second = candidates[:half], candidates[half:]
        if test(first):
            candidates = first
        elif test(second):
            candidates = second
        else:
            first = _shrink(first, second, test)
            second = _shrink(second, first, test)
            return first + second
    return candidates


def bisect_cookies(
    names: Sequence[str], bypassed: Bypassed, *, known_bypass: bool = True, budget: int = 48
) -> Blame:
    """Find the cookies among ``names`` that make ``bypassed`` true.

    ``bypassed(subset)`` sends the request with just those cookies and says whether the
    cache passed it. ``known_bypass`` says the caller already saw the full set bypass
    (saves one request). At most ``budget`` requests are made.
    """
    test = _Counter(bypassed, budget)
    remaining = list(dict.fromkeys(names))
    culprits: list[tuple[str, ...]] = []
    complete = True
    try:
        full_bypasses = known_bypass or test(remaining)
        while remaining and full_bypasses:
            group = _narrow(remaining, test)
            culprits.append(tuple(group))
            remaining = [n for n in remaining if n not in group]
            full_bypasses = bool(remaining) and test(remaining)
    except _Budget:
        complete = False
    return Blame(tuple(culprits), test.requests, complete)
