"""Schema rows from information_schema, and the check against WordPress core's indexes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parity.drift.core_schema import CORE_SCHEMAS, core_schema_for
from parity.drift.model import IndexInfo, TableInfo
from parity.drift.schema import core_index_report, normalise_default, shape_tables

SCHEMA_PHP = Path("/usr/share/wordpress/wp-admin/includes/schema.php")
VERSION_PHP = Path("/usr/share/wordpress/wp-includes/version.php")


def test_mariadb_and_mysql_spellings_compare_alike() -> None:
    mariadb = shape_tables(
        "wp_",
        [("wp_posts", "InnoDB", "utf8mb4_unicode_520_ci")],
        [("wp_posts", "ID", "bigint(20) unsigned", "NO", None, "auto_increment", None)],
        [("wp_posts", "PRIMARY", 1, "ID", None, 0, "BTREE")],
    )
    mysql = shape_tables(
        "wp_",
        [("wp_posts", "InnoDB", "utf8mb4_unicode_520_ci")],
        [("wp_posts", "ID", "bigint unsigned", "NO", None, "auto_increment", None)],
        [("wp_posts", "PRIMARY", 1, "ID", None, 0, "BTREE")],
    )
    assert mariadb == mysql
    table = mariadb["posts"]
    assert table.charset == "utf8mb4"
    assert table.indexes["PRIMARY"] == IndexInfo(columns=["ID"], unique=True)


def test_defaults_lose_mariadb_quotes() -> None:
    assert normalise_default("'0'") == "0"
    assert normalise_default("'it''s'") == "it's"
    assert normalise_default("NULL") is None
    assert normalise_default(None) is None
    assert normalise_default("current_timestamp()") == "CURRENT_TIMESTAMP"


def test_prefix_is_stripped_and_index_columns_keep_prefix_lengths() -> None:
    tables = shape_tables(
        "wpstg_",
        [("wpstg_postmeta", "InnoDB", "utf8mb4_general_ci")],
        [],
        [
            ("wpstg_postmeta", "meta_key", 1, "meta_key", 191, 1, "BTREE"),
            ("wpstg_postmeta", "pm", 1, "post_id", None, 1, "BTREE"),
            ("wpstg_postmeta", "pm", 2, "meta_key", 32, 1, "BTREE"),
        ],
    )
    assert tables["postmeta"].indexes["pm"].columns == ["post_id", "meta_key(32)"]
    assert tables["postmeta"].indexes["meta_key"].describe() == "(meta_key(191))"


def test_core_index_report_lists_missing_extra_and_changed_indexes() -> None:
    expected = CORE_SCHEMAS[53496].tables["posts"]
    indexes = {
        name: IndexInfo(columns=list(index.columns), unique=index.unique)
        for name, index in expected.items()
        if name != "post_author"
    }
    indexes["post_name"] = IndexInfo(columns=["post_name"])
    indexes["yoast_idx"] = IndexInfo(columns=["post_modified"])
    report = core_index_report({"posts": TableInfo(indexes=indexes)}, 53496, multisite=False)
    assert report.missing == {"posts": ["post_author"]}
    assert report.different == {"posts": ["post_name"]}
    assert report.extra == {"posts": ["yoast_idx"]}
    assert report.exact and report.deviations == 3


def test_unknown_db_version_uses_the_nearest_known_schema() -> None:
    schema, exact = core_schema_for(60000)
    assert schema.db_version == 53496 and not exact
    assert core_schema_for(53496)[1]


@pytest.mark.skipif(not SCHEMA_PHP.is_file(), reason="Debian's wordpress package not installed")
def test_shipped_core_indexes_match_debians_wordpress_schema() -> None:
    version = re.search(r"\$wp_db_version = (\d+);", VERSION_PHP.read_text())
    assert version is not None
    schema = CORE_SCHEMAS[int(version.group(1))]
    text = SCHEMA_PHP.read_text().replace("$max_index_length", "191")
    found: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {}
    for table, body in re.findall(r"CREATE TABLE \$wpdb->(\w+) \((.*?)\n\) \$charset", text, re.S):
        indexes = found.setdefault(table, {})
        for line in body.splitlines():
            m = re.match(r"\s*(PRIMARY KEY|UNIQUE KEY \w+|KEY \w+)\s+\((.*)\),?$", line)
            if not m:
                continue
            kind = m.group(1)
            name = "PRIMARY" if kind == "PRIMARY KEY" else kind.split()[-1]
            columns = tuple(c.strip() for c in m.group(2).split(","))
            indexes[name] = (columns, kind != "KEY " + name)
    shipped = schema.expected(multisite=True)
    assert set(shipped) == set(found)
    for table, indexes in found.items():
        assert {n: (i.columns, i.unique) for n, i in shipped[table].items()} == indexes, table
