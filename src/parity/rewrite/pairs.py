"""Check search/replace pairs before anything is compiled from them."""

from __future__ import annotations

from collections.abc import Sequence

from parity.errors import InputError

__all__ = ["InvalidPairs", "rerun_warnings", "validate_pairs"]


class InvalidPairs(InputError):
    """The search/replace pairs are invalid."""


def validate_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs as a list, or :class:`InvalidPairs` naming the first problem.

    A search string must be non-empty text that encodes to UTF-8, and appear once.

    >>> validate_pairs([("http://example.com", "https://example.com")])
    [('http://example.com', 'https://example.com')]
    """
    checked: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, pair in enumerate(pairs, start=1):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidPairs(f"pair {number} is not a (search, replace) pair")
        search, replace = pair
        if not isinstance(search, str) or not isinstance(replace, str):
            raise InvalidPairs(f"pair {number}: search and replace must be text")
        if not search:
            raise InvalidPairs(f"pair {number}: the search string is empty")
        for text in (search, replace):
            try:
                text.encode()
            except UnicodeEncodeError:
                raise InvalidPairs(f"pair {number} is not valid Unicode text") from None
        if search in seen:
            raise InvalidPairs(f"pair {number}: the search string appears in an earlier pair")
        seen.add(search)
        checked.append((search, replace))
    if not checked:
        raise InvalidPairs("no search/replace pair given")
    return checked


def rerun_warnings(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """One line for each pair whose replacement contains its search text.

    Such a replacement is left as it is wherever it is already written (so a rerun, or
    a run resumed after it was killed, changes nothing more); text that already read
    NEW before the first run is therefore not rewritten either.

    >>> rerun_warnings([("http://a.test", "http://a.test/sub")])[0][:60]
    "'http://a.test/sub' contains 'http://a.test': where it is al"
    >>> rerun_warnings([("http://a.test", "https://b.test")])
    []
    """
    return [
        f"{new!r} contains {old!r}: where it is already written it is left as it is, so"
        f" running this again changes nothing more (text that already read {new!r}"
        " before this run is not rewritten either)"
        for old, new in pairs
        if old in new
    ]
