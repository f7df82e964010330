"""The migration parser: statements with kinds, tables and columns; bad SQL named."""

from __future__ import annotations

import doctest

import pytest

from parity.errors import InputError
from parity.rehearse import parse
from parity.rehearse.parse import (
    UnparseableStatement,
    UnsupportedStatement,
    only_on_scratch,
    parse_migration,
    parse_queries,
    rename_tables,
    split_statements,
    with_algorithm,
)


def test_statements_carry_their_kind_tables_and_columns() -> None:
    found = parse_migration(
        "ALTER TABLE wp_postmeta ADD COLUMN note varchar(20), ADD INDEX mv (meta_value(32));\n"
        "CREATE INDEX pd ON wp_posts (post_date);\n"
        "DROP INDEX meta_key ON wp_postmeta;\n"
        "UPDATE wp_options SET autoload = 'no' WHERE option_name = 'x';"
    )
    assert [s.kind for s in found] == ["alter_table", "create_index", "drop_index", "update"]
    assert [s.tables for s in found] == [
        ("wp_postmeta",),
        ("wp_posts",),
        ("wp_postmeta",),
        ("wp_options",),
    ]
    assert found[0].columns == ("note", "meta_value")
    assert found[2].index_name == "meta_key"
    assert [s.number for s in found] == [1, 2, 3, 4]


def test_a_semicolon_inside_a_string_does_not_split_a_statement() -> None:
    assert split_statements("UPDATE t SET a = 'x;y'; SELECT 1") == [
        "UPDATE t SET a = 'x;y'",
        "SELECT 1",
    ]


def test_unparseable_sql_is_an_input_error_naming_the_statement() -> None:
    with pytest.raises(UnparseableStatement) as caught:
        parse_migration("ALTER TABLE wp_posts ADD COLUMN a int;\nALTER TABLE wp_posts ADD COLUMN")
    assert "statement 2" in caught.value.message
    assert caught.value.exit_code == 2


def test_a_statement_in_another_schema_is_refused() -> None:
    with pytest.raises(UnsupportedStatement, match="another schema"):
        parse_migration("ALTER TABLE wp_production.wp_posts ADD COLUMN a int")


def test_statements_that_cannot_be_rehearsed_are_refused() -> None:
    with pytest.raises(InputError, match="statement 1"):
        parse_migration("SET GLOBAL max_connections = 10")


def test_an_empty_migration_is_refused() -> None:
    with pytest.raises(InputError, match="no statement"):
        parse_migration("-- nothing here\n")


def test_the_query_file_holds_selects_only() -> None:
    assert parse_queries("SELECT 1 FROM wp_posts")[0].kind == "select"
    with pytest.raises(UnsupportedStatement, match="not a SELECT"):
        parse_queries("DELETE FROM wp_posts")


def test_rename_tables_touches_identifiers_only() -> None:
    sql = "UPDATE `wp_posts` SET post_title = 'wp_posts' WHERE ID IN (SELECT 1 FROM wp_posts)"
    assert rename_tables(sql, {"wp_posts": "prh_x_wp_posts"}) == (
        "UPDATE `prh_x_wp_posts` SET post_title = 'wp_posts'"
        " WHERE ID IN (SELECT 1 FROM `prh_x_wp_posts`)"
    )


def test_algorithm_clauses_are_added_to_each_kind_of_ddl() -> None:
    alter, create, drop = parse_migration(
        "ALTER TABLE wp_postmeta ADD COLUMN a int;"
        "CREATE INDEX pd ON wp_posts (post_date);"
        "DROP INDEX meta_key ON wp_postmeta"
    )
    assert with_algorithm(alter, "c", "INPLACE", "NONE") == (
        "ALTER TABLE `c` ADD COLUMN a int, ALGORITHM=INPLACE, LOCK=NONE"
    )
    assert with_algorithm(create, "c", "INPLACE", "NONE") == (
        "CREATE INDEX pd ON `c` (post_date) ALGORITHM=INPLACE LOCK=NONE"
    )
    assert with_algorithm(drop, "c", "COPY", None) == (
        "ALTER TABLE `c` DROP INDEX `meta_key`, ALGORITHM=COPY"
    )


def test_parse_doctests_pass() -> None:
    assert doctest.testmod(parse).failed == 0


def test_a_statement_reaching_outside_the_scratch_copy_never_runs() -> None:
    assert only_on_scratch("CREATE INDEX pd ON `prh_1_t` (d) ALGORITHM=NOCOPY", "prh_1_")
    with pytest.raises(UnsupportedStatement, match="outside the scratch copy"):
        only_on_scratch("UPDATE `prh_1_t` SET a = (SELECT MAX(b) FROM wp_users)", "prh_1_")
    with pytest.raises(UnsupportedStatement, match="wp_posts"):
        only_on_scratch("ALTER TABLE wp_posts ADD COLUMN a int, ALGORITHM=INSTANT", "prh_1_")
