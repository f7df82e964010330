"""`parity rehearse` against the real sandbox, with staging's postmeta grown to 200k rows.

Runs on a private sandbox (the module grows staging's postmeta for good). Each test runs
the real command (a subprocess, as a user would) and checks that staging's own tables
are unchanged (CHECKSUM TABLE before and after) and that no scratch table is left.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parity.sandbox import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARITY = str(Path(sys.executable).parent / "parity")
GROWN_ROWS = 200_000


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """The module grows staging's postmeta: it runs on a sandbox of its own."""
    return private_sandbox


def sql(root: Any, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with root.cursor() as cur:
        cur.execute(query, params)
        return list(cur.fetchall())


@pytest.fixture(scope="module")
def grown(root: Any) -> int:
    """Staging's postmeta with 200k more rows (1000 keys, one value each), fast on the server."""
    sql(
        root,
        "INSERT INTO wp_postmeta (post_id, meta_key, meta_value)"
        " SELECT 1 + seq MOD 50, CONCAT('grown_', seq MOD 1000),"
        f" CONCAT('value ', seq) FROM seq_1_to_{GROWN_ROWS}",
    )
    sql(root, "ANALYZE TABLE wp_postmeta")
    return int(sql(root, "SELECT COUNT(*) FROM wp_postmeta")[0][0])


def checksums(root: Any) -> dict[str, int]:
    tables = [r[0] for r in sql(root, "SHOW TABLES")]
    marks = ", ".join(f"`{t}`" for t in tables)
    return {str(name): int(value) for name, value in sql(root, f"CHECKSUM TABLE {marks}")}


@pytest.fixture
def unchanged(root: Any, grown: int) -> Iterator[None]:
    """Staging's own tables hold the same data after the test, and no scratch is left."""
    before = checksums(root)
    yield
    after = checksums(root)
    assert [t for t in after if "prh_" in t] == [], "a scratch table was left behind"
    assert after == before


def parity(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PARITY, "--config", str(config), *args], capture_output=True, text=True, timeout=300
    )


def rehearse(config: Path, tmp_path: Path, migration: str) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "migration.sql"
    path.write_text(migration, encoding="utf-8")
    done = parity(config, "rehearse", "staging", str(path), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def documented_keys() -> list[str]:
    """The ``Top-level keys:`` line under ``## rehearse`` in docs/json-output.md."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"
    section = doc.read_text(encoding="utf-8").split("\n## rehearse\n", 1)[1]
    line = next(x for x in section.splitlines() if x.startswith("Top-level keys: "))
    return re.findall(r"`([^`]+)`", line)


def plan(report: dict[str, Any], query: str) -> dict[str, Any]:
    return next(p for p in report["plans"] if p["query"] == query)


def test_postmeta_holds_at_least_200k_rows(grown: int) -> None:
    assert grown >= GROWN_ROWS


def test_add_column_at_the_end_runs_instant_without_blocked_writes(
    sandbox: Sandbox, tmp_path: Path, unchanged: None
) -> None:
    code, report = rehearse(
        sandbox.config_path,
        tmp_path,
        "ALTER TABLE wp_postmeta ADD COLUMN parity_note varchar(20) NULL;",
    )
    run = report["runs"][0]
    assert (code, report["ok"], run["algorithm"]) == (0, True, "INSTANT")
    assert run["load"]["writes"] > 0 and run["load"]["blocked_writes"] == 0
    assert run["table_rows"] >= GROWN_ROWS
    assert report["rollback"]["restored"] is True
    assert report["schema_version"] == 1 and report["environment"] == "staging"
    assert sorted(report) == sorted(documented_keys())
    assert report["copies"][0]["how"] == "made" and report["copies"][0]["kept_as"] is None
    assert report["overhead_s"] >= report["copy_s"] > 0
    assert report["started_at"].endswith("+00:00")


def test_add_index_on_meta_value_keeps_writes_flowing_and_the_value_lookup_uses_it(
    sandbox: Sandbox, tmp_path: Path, unchanged: None
) -> None:
    code, report = rehearse(
        sandbox.config_path,
        tmp_path,
        "ALTER TABLE wp_postmeta ADD INDEX meta_value (meta_value(32));",
    )
    run = report["runs"][0]
    assert code == 0
    assert run["algorithm"] in ("NOCOPY", "INPLACE")
    assert run["load"]["writes"] > 0 and run["load"]["blocked_writes"] == 0
    lookup = plan(report, "meta lookup by value")
    assert lookup["before"]["tables"][0]["access_type"] == "ALL"
    assert lookup["after"]["tables"][0]["key"] == "meta_value"
    assert lookup["status"] == "improved"
    assert "wp_postmeta: ALL -> ref (meta_value)" in lookup["reasons"]
    assert report["rollback"]["restored"] is True


def test_a_column_type_change_needs_copy_blocks_writes_and_fails(
    sandbox: Sandbox, tmp_path: Path, unchanged: None
) -> None:
    # A write waiting 50 ms counts as blocked: a copy of 200k rows takes longer than that
    # however fast the machine (the default, 0.5 s, can be longer than the whole copy).
    config = tmp_path / "parity.toml"
    text = sandbox.config_path.read_text("utf-8")
    config.write_text(f"{text}\n[rehearse]\nblocked_write_s = 0.05\n", "utf-8")
    config.chmod(0o600)
    code, report = rehearse(
        config,
        tmp_path,
        "ALTER TABLE wp_postmeta MODIFY meta_key varchar(191) CHARACTER SET latin1 NULL;",
    )
    run = report["runs"][0]
    assert (code, report["ok"], run["algorithm"]) == (1, False, "COPY")
    assert [a["algorithm"] for a in run["refused"]] == ["INSTANT", "NOCOPY", "INPLACE"]
    # The writers waited on the table's metadata lock for about the whole copy.
    assert run["load"]["blocked_writes"] > 0
    assert run["load"]["metadata_lock_wait_s"] > 0
    assert run["load"]["longest_stall_s"] >= run["duration_s"] / 2
    assert any("needs ALGORITHM=COPY on wp_postmeta" in r for r in report["verdict"]["reasons"])
    assert report["rollback"]["restored"] is True, report["rollback"]


def test_dropping_meta_key_regresses_the_meta_lookup_to_a_full_scan_and_fails(
    sandbox: Sandbox, tmp_path: Path, unchanged: None
) -> None:
    code, report = rehearse(sandbox.config_path, tmp_path, "DROP INDEX meta_key ON wp_postmeta;")
    lookup = plan(report, "meta lookup by key")
    assert code == 1
    assert lookup["before"]["tables"][0]["access_type"] == "ref"
    assert lookup["before"]["tables"][0]["key"] == "meta_key"
    assert lookup["after"]["tables"][0]["access_type"] == "ALL"
    assert lookup["status"] == "regressed" and lookup["significant"] is True
    assert any(
        r.startswith("query 'meta lookup by key' regresses") for r in report["verdict"]["reasons"]
    )
    removed = [f for f in report["index_findings"] if f["kind"] == "removed_in_use"]
    assert [f["index"] for f in removed] == ["meta_key"]
    assert report["rollback"]["restored"] is True


def test_the_user_query_file_is_compared_too(
    sandbox: Sandbox, tmp_path: Path, unchanged: None
) -> None:
    queries = tmp_path / "queries.sql"
    queries.write_text("SELECT post_id FROM wp_postmeta WHERE meta_key = 'grown_7';\n", "utf-8")
    migration = tmp_path / "migration.sql"
    migration.write_text("DROP INDEX meta_key ON wp_postmeta;", "utf-8")
    done = parity(
        sandbox.config_path, "rehearse", "staging", str(migration),
        "--queries", str(queries), "--write-load", "1", "--format", "markdown",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "| query 1 of the query file |" in done.stdout
    assert "**regressed**" in done.stdout
    assert "ADD KEY `meta_key` (`meta_key`(191));" in done.stdout


def rehearse_keep(config: Path, tmp_path: Path, migration: str, *extra: str) -> dict[str, Any]:
    path = tmp_path / "keep.sql"
    path.write_text(migration, encoding="utf-8")
    done = parity(
        config, "rehearse", "staging", str(path), "--write-load", "1",
        "--format", "json", *extra,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return dict(json.loads(done.stdout))


KEPT = "prh_kept_wp_postmeta"


def test_keep_leaves_the_copy_and_the_next_rehearsal_reuses_it_until_staging_changes(
    sandbox: Sandbox, tmp_path: Path, root: Any, grown: int
) -> None:
    before = checksums(root)
    meta_id, value = sql(
        root, "SELECT meta_id, meta_value FROM wp_postmeta WHERE meta_key = 'grown_1' LIMIT 1"
    )[0]
    try:
        first = rehearse_keep(
            sandbox.config_path, tmp_path, "ALTER TABLE wp_postmeta ADD COLUMN kept int;", "--keep"
        )
        copy = first["copies"][0]
        assert (copy["how"], copy["origin"], copy["rows"]) == ("made", "staging", grown)
        assert (copy["kept_as"], copy["not_reusable"]) == (KEPT, None)
        assert first["kept"] is True and first["runs"][0]["load"]["threads"] == 1
        # Rolled back (and rebuilt after the column change): staging's schema and rows.
        assert sql(root, f"SELECT COUNT(*) FROM `{KEPT}`")[0][0] == grown
        assert "kept" not in [r[0] for r in sql(root, f"SHOW COLUMNS FROM `{KEPT}`")]
        assert sql(root, f"CHECKSUM TABLE `{KEPT}`")[0][1] == before["wp_staging.wp_postmeta"]

        second = rehearse_keep(
            sandbox.config_path, tmp_path, "DROP INDEX meta_key ON wp_postmeta;", "--keep"
        )
        assert second["copies"][0]["how"] == "reused"
        assert second["copies"][0]["kept_as"] == KEPT
        # The copy holds staging's rows: the plans are the same as on a fresh copy.
        lookup = plan(second, "meta lookup by key")
        assert lookup["before"]["tables"][0]["access_type"] == "ref"
        assert lookup["after"]["tables"][0]["access_type"] == "ALL"

        # Staging's table changes: the kept copy is made again, and says why.
        sql(root, "UPDATE wp_postmeta SET meta_value = 'changed' WHERE meta_id = %s", [meta_id])
        third = rehearse_keep(
            sandbox.config_path, tmp_path, "ALTER TABLE wp_postmeta ADD INDEX v (meta_value(8));"
        )
        assert third["copies"][0]["how"] == "made"
        assert "changed since the copy was made" in third["copies"][0]["reason"]
    finally:
        sql(root, f"DROP TABLE IF EXISTS `{KEPT}`")
        sql(root, "UPDATE wp_postmeta SET meta_value = %s WHERE meta_id = %s", [value, meta_id])
    assert checksums(root) == before


def test_without_keep_a_reused_copy_is_dropped_afterwards(
    sandbox: Sandbox, tmp_path: Path, root: Any, unchanged: None
) -> None:
    rehearse_keep(
        sandbox.config_path,
        tmp_path,
        "ALTER TABLE wp_postmeta ADD INDEX v (meta_value(8));",
        "--keep",
    )
    report = rehearse_keep(
        sandbox.config_path, tmp_path, "ALTER TABLE wp_postmeta ADD INDEX v (meta_value(8));"
    )
    assert report["copies"][0]["how"] == "reused" and report["copies"][0]["kept_as"] is None
    assert sql(root, "SHOW TABLES LIKE 'prh\\_%'") == []


def test_fresh_copy_refreshes_the_copy_from_production_rewritten_and_leaves_production_alone(
    sandbox: Sandbox, tmp_path: Path, root: Any, unchanged: None
) -> None:
    production = sandbox.database("production")
    url = sql(
        root, f"SELECT option_value FROM `{production}`.wp_options WHERE option_name = 'siteurl'"
    )[0][0]
    staging_url = sql(root, "SELECT option_value FROM wp_options WHERE option_name = 'siteurl'")[0][
        0
    ]
    sql(
        root,
        f"INSERT INTO `{production}`.wp_postmeta (post_id, meta_key, meta_value)"
        " VALUES (1, 'parity_fresh', %s)",
        [f"{url}/from-production/"],
    )
    before = sql(root, f"CHECKSUM TABLE `{production}`.wp_postmeta")
    rows = sql(root, f"SELECT COUNT(*) FROM `{production}`.wp_postmeta")[0][0]
    try:
        report = rehearse_keep(
            sandbox.config_path, tmp_path, "ALTER TABLE wp_postmeta ADD COLUMN fresh int;",
            "--fresh-copy", "--keep",
        )  # fmt: skip
        copy = report["copies"][0]
        assert (copy["how"], copy["origin"], copy["rows"]) == ("refreshed", "production", rows)
        assert report["rollback"]["restored"] is True
        # Production's rows, with production's URL rewritten to staging's (as a refresh).
        value = sql(root, f"SELECT meta_value FROM `{KEPT}` WHERE meta_key = 'parity_fresh'")
        assert value == [(f"{staging_url}/from-production/",)]
        assert sql(root, f"CHECKSUM TABLE `{production}`.wp_postmeta") == before
        # Production unchanged since: the next rehearsal reuses the copy it refreshed.
        again = rehearse_keep(sandbox.config_path, tmp_path, "DROP INDEX meta_key ON wp_postmeta;")
        assert (again["copies"][0]["how"], again["copies"][0]["origin"]) == ("reused", "production")
    finally:
        sql(root, f"DROP TABLE IF EXISTS `{KEPT}`")
        sql(root, f"DELETE FROM `{production}`.wp_postmeta WHERE meta_key = 'parity_fresh'")
    assert sql(root, f"SHOW TABLES FROM `{production}` LIKE 'prh\\_%'") == []


def test_unparseable_sql_exits_2_naming_the_statement(
    sandbox: Sandbox, tmp_path: Path, unchanged: None
) -> None:
    path = tmp_path / "bad.sql"
    path.write_text(
        "ALTER TABLE wp_postmeta ADD COLUMN a int;\nALTER TABLE wp_postmeta ADD COLUMN;"
    )
    done = parity(sandbox.config_path, "rehearse", "staging", str(path))
    assert done.returncode == 2
    assert "statement 2" in done.stderr and "Traceback" not in done.stderr


def test_a_table_that_does_not_exist_exits_2_naming_the_statement(
    sandbox: Sandbox, tmp_path: Path, unchanged: None
) -> None:
    path = tmp_path / "missing.sql"
    path.write_text(
        "ALTER TABLE wp_postmeta ADD COLUMN a int;\nALTER TABLE wp_nothing ADD COLUMN b int;"
    )
    done = parity(sandbox.config_path, "rehearse", "staging", str(path))
    assert done.returncode == 2
    assert "statement 2" in done.stderr and "wp_nothing does not exist" in done.stderr


def test_a_protected_environment_exits_2_and_production_is_unchanged(
    sandbox: Sandbox, tmp_path: Path, root: Any
) -> None:
    production = sandbox.database("production")
    before = sql(root, f"CHECKSUM TABLE `{production}`.`wp_postmeta`")
    path = tmp_path / "m.sql"
    path.write_text("ALTER TABLE wp_postmeta ADD COLUMN a int;")
    done = parity(sandbox.config_path, "rehearse", "production", str(path))
    assert done.returncode == 2
    assert "protected" in done.stderr
    assert sql(root, f"CHECKSUM TABLE `{production}`.`wp_postmeta`") == before
    tables = sql(root, f"SHOW TABLES FROM `{production}` LIKE 'prh\\_%'")
    assert tables == []


def explain(config: Path, query: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return parity(config, "rehearse", "staging", "--format", "json", "--explain", query, *extra)


def test_explain_shows_the_plan_of_one_query_on_a_copy_dropped_afterwards(
    sandbox: Sandbox, unchanged: None
) -> None:
    lookup = "SELECT post_id FROM wp_postmeta WHERE meta_key = 'grown_3'"
    done = explain(sandbox.config_path, lookup)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["plan"]["tables"][0]["access_type"] == "ref"
    assert report["plan"]["tables"][0]["key"] == "meta_key"
    # It ran on a copy, dropped afterwards (the fixture checks none is left), and the
    # server's documents name the real table.
    copy = report["copies"][0]
    assert (copy["table"], copy["how"], copy["kept_as"]) == ("wp_postmeta", "made", None)
    assert copy["scratch"].startswith("prh_")
    assert "prh_" not in json.dumps(report["explain"]) + json.dumps(report["analyze"])
    assert '"table_name": "wp_postmeta"' in json.dumps(report["explain"])


def test_explain_uses_a_kept_copy_and_puts_it_back(sandbox: Sandbox, root: Any, grown: int) -> None:
    before = checksums(root)
    lookup = "SELECT meta_id FROM wp_postmeta WHERE meta_key = 'parity_only_in_the_copy'"
    try:
        first = explain(sandbox.config_path, lookup, "--keep")
        assert first.returncode == 0, first.stderr
        made = json.loads(first.stdout)["copies"][0]
        assert (made["how"], made["kept_as"]) == ("made", KEPT)
        assert json.loads(first.stdout)["plan"]["tables"][0]["rows_read"] == 0
        # A row only the kept copy holds (staging's table, the one checked, is unchanged):
        # the next look reads it, so it ran on the copy.
        sql(
            root,
            f"INSERT INTO `{KEPT}` (post_id, meta_key, meta_value)"
            " VALUES (1, 'parity_only_in_the_copy', 'x')",
        )
        second = explain(sandbox.config_path, lookup)
        assert second.returncode == 0, second.stderr
        report = json.loads(second.stdout)
        assert report["plan"]["tables"][0]["rows_read"] == 1
        # Only read: the kept copy goes back, --keep or not.
        assert (report["copies"][0]["how"], report["copies"][0]["kept_as"]) == ("reused", KEPT)
        assert sql(root, f"SHOW TABLES LIKE '{KEPT}'") == [(KEPT,)]
    finally:
        sql(root, f"DROP TABLE IF EXISTS `{KEPT}`")
    assert checksums(root) == before


def test_explain_refuses_a_protected_environment_and_a_missing_table(
    sandbox: Sandbox, root: Any, unchanged: None
) -> None:
    production = sandbox.database("production")
    before = sql(root, f"CHECKSUM TABLE `{production}`.`wp_postmeta`")
    done = parity(
        sandbox.config_path, "rehearse", "production", "--explain",
        "SELECT meta_id FROM wp_postmeta WHERE meta_key = 'a'",
    )  # fmt: skip
    assert done.returncode == 2 and "protected" in done.stderr
    assert sql(root, f"CHECKSUM TABLE `{production}`.`wp_postmeta`") == before
    assert sql(root, f"SHOW TABLES FROM `{production}` LIKE 'prh\\_%'") == []
    missing = explain(sandbox.config_path, "SELECT 1 FROM wp_nothing")
    assert missing.returncode == 2
    assert "wp_nothing" in missing.stderr and "Traceback" not in missing.stderr
