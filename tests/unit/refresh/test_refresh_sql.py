"""SQL the refresh builds: resume conditions, checksums, definitions."""

from __future__ import annotations

import pytest

from parity.refresh.copy import after_key_condition
from parity.refresh.verify import checksum_sql, normalise_definition


def test_resume_condition_for_single_and_composite_keys() -> None:
    assert after_key_condition(["ID"], (b"41",)) == ("`ID` > %s", [b"41"])
    sql, params = after_key_condition(["object_id", "term_taxonomy_id"], (b"3", b"9"))
    assert sql == "(`object_id` > %s) OR (`object_id` = %s AND `term_taxonomy_id` > %s)"
    assert params == [b"3", b"3", b"9"]
    with pytest.raises(ValueError):
        after_key_condition(["a"], (b"1", b"2"))


def test_checksum_casts_columns_to_bytes_and_marks_nulls() -> None:
    sql = checksum_sql("wp_terms", ["term_id", "name"], "term_id > 0")
    assert "CAST(`term_id` AS BINARY), CAST(`name` AS BINARY)" in sql
    assert "ISNULL(`name`)" in sql
    assert sql.endswith("FROM `wp_terms` WHERE term_id > 0")


def test_definitions_are_compared_without_auto_increment() -> None:
    a = "CREATE TABLE `t` (\n  `id` int\n) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4"
    b = "CREATE TABLE `t` (\n  `id` int\n) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4"
    assert normalise_definition(a) == normalise_definition(b)
