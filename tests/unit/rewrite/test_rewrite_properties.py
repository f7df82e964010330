"""Property tests: generated structures and pairs, checked against PHP in batches."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from php_oracle import BOX, JSON, NULL, SER, A, B, F, I, Node, O, Php, S

from parity.rewrite import Rewriter

# Search strings: no "k" and no digits, so they never reach into the unique key suffixes
# ("k0", "k1", ...) and rewritten keys stay distinct.
SEARCH_ALPHABET = "abcxyz/:.-_é€😀 "
TEXT_ALPHABET = SEARCH_ALPHABET + "ABC\"';:{}\0\n"


@st.composite
def pair_lists(draw: st.DrawFn) -> list[tuple[str, str]]:
    searches = draw(
        st.lists(
            st.text(SEARCH_ALPHABET, min_size=1, max_size=6), min_size=1, max_size=3, unique=True
        )
    )
    pairs = []
    for search in searches:
        around = st.text(SEARCH_ALPHABET + "kK", max_size=4)
        replace = draw(
            st.one_of(
                st.text(SEARCH_ALPHABET + "kK", max_size=8),
                st.tuples(around, around).map(lambda t, s=search: t[0] + s + t[1]),
            )
        )
        pairs.append((search, replace))
    return pairs


def _text(searches: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(searches), st.text(TEXT_ALPHABET, max_size=5))
    # Ends with "z": plain text never looks serialized (";" or "}") or like JSON.
    return st.lists(piece, max_size=5).map(lambda parts: "".join(parts) + "z")


def _tree(searches: list[str]) -> st.SearchStrategy[Node]:
    text = _text(searches)
    leaves = st.one_of(
        text.map(S),
        st.integers(-(2**40), 2**40).map(I),
        st.sampled_from(["0.1", "1.5e300", "-2.25", "3.0"]).map(F),
        st.booleans().map(B),
        st.just(NULL),
    )

    def containers(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        keyed = st.lists(st.tuples(st.one_of(text, st.integers(0, 50)), children), max_size=4)

        def array(items: list[tuple[Any, Node]]) -> Node:
            seen: set[Any] = set()
            unique = []
            for i, (key, child) in enumerate(items):
                key = f"{key}k{i}" if isinstance(key, str) else key
                if key not in seen:
                    seen.add(key)
                    unique.append((key, child))
            return A(unique)

        props = st.lists(
            st.tuples(st.sampled_from(["public", "protected", "private"]), children), max_size=3
        )
        return st.one_of(
            keyed.map(array),
            st.tuples(st.sampled_from(["Foo", "Ns\\Bar", "wp_widget"]), props).map(
                lambda t: O(t[0], [(f"p{i}", vis, child) for i, (vis, child) in enumerate(t[1])])
            ),
            children.map(SER),
            keyed.map(array).map(lambda node: JSON(node, 0)),
            keyed.map(array).map(lambda node: JSON(node, 320)),
            children.map(BOX),
        )

    return st.recursive(leaves, containers, max_leaves=12)


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[Node]]:
    pairs = draw(pair_lists())
    trees = draw(st.lists(_tree([s for s, _r in pairs]), min_size=1, max_size=8))
    return pairs, trees


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=batches())
def test_generated_structures_rewrite_like_php(php: Php, batch: tuple[Any, Any]) -> None:
    pairs, trees = batch
    originals = php.build(trees)
    rewriter = Rewriter(pairs, encodings=("raw", "json"))
    cases = [(value, rewriter.rewrite(value)) for value in originals]
    php.assert_rewrites_like_php(cases, pairs)
    assert rewriter.report.malformed_count == 0


@settings(max_examples=200, deadline=None)
@given(value=st.binary(max_size=200), like=st.binary(max_size=50))
def test_sql_escaping_round_trips_any_bytes(value: bytes, like: bytes) -> None:
    from parity.rewrite.sqldump import sql_escape, sql_unescape

    assert sql_unescape(sql_escape(value)) == value
    assert sql_unescape(sql_escape(value, sql_escape(like))) == value
