"""``bulk_sql`` escapes a post's meta rows in one go: exactly as value by value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.content import synthesize
from parity.content.importer.postdata import build_post
from parity.content.importer.sql_literals import POST_ID, bulk_sql, sql_string


def one_by_one(meta: list[tuple[str, str]]) -> str:
    return ", ".join(f"({POST_ID}, {sql_string(k)}, {sql_string(v)})" for k, v in meta)


def test_synthesized_posts_have_the_same_meta_rows_either_way() -> None:
    for article in synthesize(100, seed=8):
        post = build_post(article, "h", typed=False, bulk=True)
        assert post.bulk is not None
        assert post.bulk.meta_rows == one_by_one(list(post.stored_meta))


_TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "é", "'", '"', "\\", "\0", "\n", "\r", "\x1a", "\x01", "\x02", " ", ","]
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=5))
def test_any_meta_has_the_same_rows_either_way(meta: list[tuple[str, str]]) -> None:
    assert bulk_sql("c", "t", "e", meta).meta_rows == one_by_one(meta)
