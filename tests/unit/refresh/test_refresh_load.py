"""Loading fast: deferred secondary keys, INSERT statements, worker processes."""

from __future__ import annotations

from parity.refresh.plan import deferrable_keys, without_keys
from parity.refresh.prefix import PrefixMapper
from parity.refresh.scrub import ScrubContext
from parity.refresh.transform import TableStats
from parity.refresh.workers import SMALL_COPY_BYTES, ChunkTransformer, auto_workers
from parity.targets.database import insert_statements

POSTMETA = """CREATE TABLE `_pn_wp_postmeta` (
  `meta_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `post_id` bigint(20) unsigned NOT NULL DEFAULT 0,
  `meta_key` varchar(255) DEFAULT NULL,
  `meta_value` longtext DEFAULT NULL,
  PRIMARY KEY (`meta_id`),
  UNIQUE KEY `odd` (`post_id`,`meta_id`),
  KEY `post_id` (`post_id`),
  KEY `meta_key` (`meta_key`(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""


def test_plain_secondary_keys_are_deferred_and_removed_cleanly() -> None:
    keys = deferrable_keys(POSTMETA)
    assert keys == ("KEY `post_id` (`post_id`)", "KEY `meta_key` (`meta_key`(191))")
    load = without_keys(POSTMETA, keys)
    assert "KEY `post_id`" not in load and "KEY `meta_key`" not in load
    assert "  UNIQUE KEY `odd` (`post_id`,`meta_id`)\n) ENGINE=InnoDB" in load
    assert "  PRIMARY KEY (`meta_id`),\n" in load


def test_tables_with_foreign_keys_keep_every_key() -> None:
    with_fk = POSTMETA.replace(
        "  KEY `meta_key` (`meta_key`(191))",
        "  KEY `meta_key` (`meta_key`(191)),\n  FOREIGN KEY (`post_id`) REFERENCES `p` (`id`)",
    )
    assert deferrable_keys(with_fk) == ()


def test_insert_statements_escape_split_and_mark_binary_and_null() -> None:
    rows = [(b"1", b"it's", None), (b"2", b"back\\slash\n", b"\x00\xff")]
    statements = list(
        insert_statements("t", ["a", "b", "c"], rows, binary_columns=[False, False, True])
    )
    assert statements == [
        (
            b"INSERT INTO `t` (`a`, `b`, `c`) VALUES ('1','it\\'s',NULL),"
            b"('2','back\\\\slash\\n',_binary'\\0\xff')",
            2,
        )
    ]
    many = [(str(i).encode(), b"x" * 100) for i in range(100)]
    split = list(insert_statements("t", ["a", "b"], many, max_bytes=1000))
    assert sum(n for _, n in split) == 100
    assert all(len(sql) <= 1000 for sql, _ in split)


def test_worker_processes_only_for_big_copies_unless_asked() -> None:
    assert auto_workers(None, 1024) == 0
    assert auto_workers(0, 10 * SMALL_COPY_BYTES) == 0
    assert auto_workers(3, 10) == 3


def test_stats_since_gives_what_a_chunk_added() -> None:
    before = TableStats(rows=5, occurrences=2)
    before.by_encoding["raw"] = 2
    after = TableStats(rows=8, occurrences=5)
    after.by_encoding.update({"raw": 4, "json": 1})
    delta = after.since(before)
    assert (delta.rows, delta.occurrences) == (3, 3)
    assert delta.by_encoding == {"raw": 2, "json": 1}


def test_worker_processes_give_the_same_result_as_in_process() -> None:
    from parity.environments import EnvironmentSettings
    from parity.refresh.plan import Column, TableShape, build_plan
    from parity.refresh.settings import RefreshSection

    source, target = (
        EnvironmentSettings.model_validate(
            {"name": n, "url": f"https://{n}.example", "db": f"mysql://u:p@h:{port}/d"}
        )
        for n, port in (("production", 1), ("staging", 2))
    )
    shape = TableShape(
        "wp_postmeta",
        (
            Column("meta_id"),
            Column("post_id"),
            Column("meta_key", text=True),
            Column("meta_value", text=True),
        ),
        ("meta_id",),
        "CREATE TABLE `wp_postmeta` (\n  `meta_id` int\n) ENGINE=InnoDB",
    )
    plan = build_plan(source, target, RefreshSection(), [shape], [], {})
    table = plan.tables[0]
    rows = [
        (str(i).encode(), b"1", b"k", b's:28:"https://production.example/x";') for i in range(50)
    ]
    ctx = ScrubContext(b"k", b"h")
    results = []
    for workers in (0, 1):
        transformer = ChunkTransformer(
            plan.pairs, ctx, ("wp_", "wp_"), workers=workers, max_statement_bytes=10_000
        )
        try:
            results.append(transformer.submit(table, rows).result())
        finally:
            transformer.close()
    local, pooled = results
    assert local.statements == pooled.statements
    assert local.stats == pooled.stats
    assert local.stats.occurrences == 50
    assert b"https://staging.example/x" in local.statements[0][0]
    assert PrefixMapper("wp_", "wp_").active is False
