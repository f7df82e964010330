"""Index analysis: duplicates, left prefixes, missing primary keys, migration effects."""

from __future__ import annotations

from parity.rehearse.indexes import (
    IndexDef,
    index_findings,
    indexes_from_statistics,
    migration_index_findings,
)

POSTMETA = [
    IndexDef(name="PRIMARY", columns=("meta_id",), unique=True),
    IndexDef(name="post_id", columns=("post_id",)),
    IndexDef(name="meta_key", columns=("meta_key(191)",)),
]


def test_statistics_rows_become_indexes_with_prefix_lengths_in_order() -> None:
    found = indexes_from_statistics(
        [
            ("kv", 2, "meta_value", 32, 1, "BTREE"),
            ("kv", 1, "meta_key", 191, 1, "BTREE"),
            ("PRIMARY", 1, "meta_id", None, 0, "BTREE"),
        ]
    )
    assert [i.name for i in found] == ["PRIMARY", "kv"]
    assert found[1].columns == ("meta_key(191)", "meta_value(32)")
    assert found[0].unique and not found[1].unique


def test_wordpress_postmeta_as_installed_has_no_finding() -> None:
    assert index_findings("wp_postmeta", POSTMETA) == []


def test_a_duplicate_index_is_named_keeping_the_unique_one() -> None:
    indexes = [
        *POSTMETA,
        IndexDef(name="again", columns=("post_id",)),
        IndexDef(name="u_post", columns=("post_id",), unique=True),
    ]
    found = {(f.kind, f.index) for f in index_findings("wp_postmeta", indexes)}
    assert ("duplicate", "again") in found
    assert ("duplicate", "post_id") in found
    assert all(index != "u_post" for _, index in found)


def test_a_left_prefix_index_is_redundant_unless_unique() -> None:
    indexes = [*POSTMETA, IndexDef(name="key_value", columns=("meta_key(191)", "meta_value(32)"))]
    found = index_findings("wp_postmeta", indexes)
    assert [(f.kind, f.index) for f in found] == [("left_prefix", "meta_key")]
    unique = [
        IndexDef(name="PRIMARY", columns=("id",), unique=True),
        IndexDef(name="u", columns=("a",), unique=True),
        IndexDef(name="ab", columns=("a", "b")),
    ]
    assert index_findings("t", unique) == []


def test_a_missing_primary_key_is_named() -> None:
    found = index_findings("t", [IndexDef(name="a", columns=("a",))])
    assert [f.kind for f in found] == ["missing_primary_key"]


def test_removing_an_index_a_query_uses_is_named_with_the_query() -> None:
    after = [i for i in POSTMETA if i.name != "meta_key"]
    found = migration_index_findings(
        "wp_postmeta", POSTMETA, after, {"meta_key": ["meta lookup by key"]}
    )
    assert [(f.kind, f.index) for f in found] == [("removed_in_use", "meta_key")]
    assert "meta lookup by key" in found[0].detail


def test_removing_an_unused_index_is_not_a_finding() -> None:
    after = [i for i in POSTMETA if i.name != "meta_key"]
    assert migration_index_findings("wp_postmeta", POSTMETA, after, {}) == []


def test_an_index_the_migration_makes_redundant_is_named() -> None:
    after = [*POSTMETA, IndexDef(name="post_key", columns=("post_id", "meta_key(191)"))]
    found = migration_index_findings("wp_postmeta", POSTMETA, after, {})
    assert [(f.kind, f.index) for f in found] == [("made_redundant", "post_id")]
