"""Cookie blame: bisection finds the cookie(s) that make the cache pass a request."""

from __future__ import annotations

from collections.abc import Sequence

from parity.cache.blame import bisect_cookies

BROWSER = ["_ga", "_gid", "_gcl_au", "_fbp", "consent", "wp-settings-1", "wp-settings-time-1", "x"]


def oracle(*culprits: str, together: bool = False) -> tuple[list[list[str]], object]:
    """A fake cache that passes requests carrying the culprits; records each request."""
    calls: list[list[str]] = []

    def bypassed(names: Sequence[str]) -> bool:
        calls.append(list(names))
        if together:
            return all(c in names for c in culprits)
        return any(c in names for c in culprits)

    return calls, bypassed


def test_one_culprit_among_eight_is_found_in_a_few_requests() -> None:
    calls, bypassed = oracle("_fbp")
    blame = bisect_cookies(BROWSER, bypassed)  # type: ignore[arg-type]
    assert blame.culprits == (("_fbp",),)
    assert blame.complete
    # log2(8) = 3 halvings (at most 2 requests each), then one to see the rest is clean.
    assert blame.requests == len(calls) <= 7
    assert blame.describe() == "cookie _fbp"


def test_two_independent_culprits_are_both_named() -> None:
    _, bypassed = oracle("_gid", "wp-settings-1")
    blame = bisect_cookies(BROWSER, bypassed)  # type: ignore[arg-type]
    assert set(blame.culprits) == {("_gid",), ("wp-settings-1",)}


def test_a_combination_that_only_bypasses_together_is_reported_as_one() -> None:
    _, bypassed = oracle("_ga", "x", together=True)
    blame = bisect_cookies(BROWSER, bypassed)  # type: ignore[arg-type]
    assert blame.culprits == (("_ga", "x"),)
    assert "together" in blame.describe()


def test_the_request_budget_stops_the_search_and_says_so() -> None:
    _, bypassed = oracle(*BROWSER)
    blame = bisect_cookies(BROWSER, bypassed, budget=3)  # type: ignore[arg-type]
    assert blame.requests == 3
    assert not blame.complete
    assert blame.describe().endswith("(search stopped early)")


def test_when_the_full_set_is_not_known_to_bypass_it_is_tried_first() -> None:
    calls, bypassed = oracle()
    blame = bisect_cookies(BROWSER, bypassed, known_bypass=False)  # type: ignore[arg-type]
    assert blame.culprits == ()
    assert calls == [BROWSER]


def test_blame_as_json_has_names_only() -> None:
    _, bypassed = oracle("_fbp")
    data = bisect_cookies(["_ga", "_fbp"], bypassed).as_dict()  # type: ignore[arg-type]
    assert data == {"culprits": [["_fbp"]], "requests": data["requests"], "complete": True}
