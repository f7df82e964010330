"""Several pairs in one pass: longest match wins, replacements are never matched again."""

from __future__ import annotations

import pytest

from parity.errors import InputError
from parity.rewrite import InvalidPairs, Rewriter, rewrite


def test_a_replacement_that_contains_the_search_string_is_not_rewritten_again() -> None:
    pairs = [("example.com", "staging.example.com")]
    once = rewrite(b's:11:"example.com";', pairs)
    assert once == b's:19:"staging.example.com";'
    assert rewrite(once, pairs) == once


def test_the_longest_match_wins_at_a_position() -> None:
    pairs = [("example.com", "B"), ("https://example.com", "A")]
    assert rewrite(b"https://example.com example.com", pairs) == b"A B"


def test_a_replacement_is_never_matched_by_another_pair() -> None:
    pairs = [("a", "b"), ("b", "c")]
    assert rewrite(b"ab", pairs) == b"bc"


def test_overlapping_pairs_are_resolved_left_to_right() -> None:
    pairs = [("abc", "X"), ("cde", "Y")]
    assert rewrite(b"abcde", pairs) == b"Xde"


def test_counts_are_kept_per_pair_and_per_encoding() -> None:
    rewriter = Rewriter([("https://a.example", "https://b.example"), ("c.example", "d.example")])
    rewriter.rewrite(b"https://a.example https:\\/\\/a.example c.example")
    assert rewriter.report.by_pair == {
        ("https://a.example", "https://b.example"): 2,
        ("c.example", "d.example"): 1,
    }
    assert rewriter.report.by_encoding == {"raw": 2, "json": 1}
    assert rewriter.report.as_dict()["occurrences"] == 3


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([], "no search/replace pair"),
        ([("", "x")], "empty"),
        ([("a", "b"), ("a", "c")], "earlier pair"),
        ([("a",)], "not a"),
        ([(b"a", "b")], "must be text"),
        ([("\ud800", "b")], "not valid Unicode"),
    ],
)
def test_invalid_pairs_are_refused_with_a_reason(pairs: list, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidPairs, match=message) as caught:
        Rewriter(pairs)
    assert isinstance(caught.value, InputError)
