"""Inverse statements derived from a statement and the table's definition before it."""

from __future__ import annotations

import doctest

from parity.rehearse import inverse as inverse_module
from parity.rehearse.inverse import inverse_of, parse_create_table
from parity.rehearse.parse import parse_migration

POSTMETA = parse_create_table(
    "CREATE TABLE `wp_postmeta` (\n"
    "  `meta_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
    "  `post_id` bigint(20) unsigned NOT NULL DEFAULT 0,\n"
    "  `meta_key` varchar(255) DEFAULT NULL,\n"
    "  `meta_value` longtext DEFAULT NULL,\n"
    "  PRIMARY KEY (`meta_id`),\n"
    "  KEY `post_id` (`post_id`),\n"
    "  KEY `meta_key` (`meta_key`(191))\n"
    ") ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4"
)


def inverse(sql: str) -> tuple[str | None, list[str]]:
    found = inverse_of(parse_migration(sql)[0], POSTMETA)
    return found.sql, found.notes


def test_show_create_table_is_read_into_columns_and_keys() -> None:
    assert [c for c, _ in POSTMETA.columns] == ["meta_id", "post_id", "meta_key", "meta_value"]
    assert POSTMETA.keys["meta_key"] == "KEY `meta_key` (`meta_key`(191))"
    assert POSTMETA.key_columns("meta_key") == ["meta_key"]
    assert POSTMETA.position_of("meta_key") == "AFTER `post_id`"


def test_an_added_column_is_dropped() -> None:
    assert inverse("ALTER TABLE wp_postmeta ADD COLUMN note varchar(20)") == (
        "ALTER TABLE `wp_postmeta` DROP COLUMN `note`",
        [],
    )


def test_an_added_index_is_dropped_named_or_not() -> None:
    assert inverse("ALTER TABLE wp_postmeta ADD INDEX mv (meta_value(32))")[0] == (
        "ALTER TABLE `wp_postmeta` DROP INDEX `mv`"
    )
    # Unnamed: MariaDB names it after its first column, numbered when that name is taken.
    assert inverse("ALTER TABLE wp_postmeta ADD INDEX (post_id, meta_key)")[0] == (
        "ALTER TABLE `wp_postmeta` DROP INDEX `post_id_2`"
    )
    assert inverse("CREATE INDEX mv ON wp_postmeta (meta_value(32))")[0] == (
        "DROP INDEX `mv` ON `wp_postmeta`"
    )


def test_a_dropped_index_comes_back_with_its_old_definition() -> None:
    assert inverse("ALTER TABLE wp_postmeta DROP INDEX meta_key")[0] == (
        "ALTER TABLE `wp_postmeta` ADD KEY `meta_key` (`meta_key`(191))"
    )


def test_a_changed_column_gets_its_definition_position_and_indexes_back() -> None:
    sql, notes = inverse(
        "ALTER TABLE wp_postmeta MODIFY meta_key varchar(191) CHARACTER SET latin1"
    )
    assert sql == (
        "ALTER TABLE `wp_postmeta` DROP INDEX `meta_key`, CHANGE COLUMN `meta_key`"
        " `meta_key` varchar(255) DEFAULT NULL AFTER `post_id`,"
        " ADD KEY `meta_key` (`meta_key`(191))"
    )
    assert notes and "not converted back" in notes[0]


def test_a_dropped_column_comes_back_but_its_values_do_not_and_it_says_so() -> None:
    sql, notes = inverse("ALTER TABLE wp_postmeta DROP COLUMN meta_key")
    assert sql == (
        "ALTER TABLE `wp_postmeta` ADD COLUMN `meta_key` varchar(255) DEFAULT NULL"
        " AFTER `post_id`, ADD KEY `meta_key` (`meta_key`(191))"
    )
    assert notes == ["the values of the dropped column meta_key are not restored"]


def test_several_actions_are_undone_in_reverse_order() -> None:
    sql, _ = inverse("ALTER TABLE wp_postmeta ADD COLUMN a int, ADD INDEX ia (a)")
    assert sql == "ALTER TABLE `wp_postmeta` DROP INDEX `ia`, DROP COLUMN `a`"


def test_a_rename_is_renamed_back() -> None:
    assert inverse("ALTER TABLE wp_postmeta RENAME COLUMN meta_key TO mk")[0] == (
        "ALTER TABLE `wp_postmeta` RENAME COLUMN `mk` TO `meta_key`"
    )


def test_what_cannot_be_derived_is_said_plainly() -> None:
    sql, notes = inverse("UPDATE wp_postmeta SET meta_value = '' WHERE meta_key = 'x'")
    assert sql is None and notes == ["rows a data change wrote are not restored"]
    sql, notes = inverse("ALTER TABLE wp_postmeta ENGINE=InnoDB")
    assert sql is None and "not reversed" in notes[0]


def test_inverse_doctests_pass() -> None:
    assert doctest.testmod(inverse_module).failed == 0
