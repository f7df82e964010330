"""`parity replace --env` attacked on the real sandbox: reruns, kill -9, keyless tables.

Each test works on a scratch copy of staging's database on the sandbox's server (the
shared staging stays as installed), reached as an environment of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import MySQLdb
import pytest

from parity.sandbox import Sandbox

pytestmark = pytest.mark.integration

OLD = "http://a.test"
NEW = "http://a.test/sub"
SCRATCH = "parity_replace_rerun"


def _root(sandbox: Sandbox, database: str | None = None) -> Any:
    args: dict[str, Any] = dict(sandbox.root_connect_args())
    if database:
        args["database"] = database
    return MySQLdb.connect(**args, charset="utf8mb4", autocommit=True)


def _query(sandbox: Sandbox, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = _root(sandbox, SCRATCH)
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        conn.close()


@pytest.fixture
def scratch(sandbox: Sandbox, tmp_path: Path) -> Iterator[Path]:
    """A copy of staging's database, and a parity.toml whose ``scratch`` environment is it."""
    conn = _root(sandbox)
    cur = conn.cursor()
    cur.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
    cur.execute(f"CREATE DATABASE {SCRATCH} CHARACTER SET utf8mb4")
    socket = str(sandbox.root_socket)
    dump = subprocess.run(
        [
            *("mariadb-dump", "--no-defaults", "-S", socket, "-uroot", "--single-transaction"),
            sandbox.database("staging"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(
        ["mariadb", "--no-defaults", "-S", socket, "-uroot", SCRATCH], input=dump, check=True
    )
    conn.close()
    config = tmp_path / "parity.toml"
    config.write_text(
        "[environments.scratch]\n"
        'url = "http://127.0.0.1:1"\n'
        f'db = "mysql://root@localhost/{SCRATCH}?socket={socket}"\n',
        encoding="utf-8",
    )
    try:
        yield config
    finally:
        conn = _root(sandbox)
        conn.cursor().execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        conn.close()


def _values(n: int) -> list[str]:
    """Values shaped as WordPress stores them, each holding OLD (some already NEW)."""
    json_url = (OLD + "/x").replace("/", "\\/")
    serialized = f'a:2:{{s:3:"url";s:{len(OLD) + 3}:"{OLD}/p/";s:3:"new";s:{len(NEW)}:"{NEW}";}}'
    shapes = [
        f"<a href='{OLD}/page-{{i}}/'>page {{i}}</a> and {OLD}",
        serialized,
        '{"link":"' + json_url + '","n":{i}}',
        "https%3A%2F%2Fshare.example%2F%3Fu%3Dhttp%3A%2F%2Fa.test%2F{i}",
    ]
    return [shapes[i % len(shapes)].replace("{i}", str(i)) for i in range(n)]


def _create(sandbox: Sandbox, table: str, rows: int) -> None:
    _query(sandbox, f"DROP TABLE IF EXISTS {table}")
    _query(sandbox, f"CREATE TABLE {table} (id INT PRIMARY KEY, v LONGTEXT) CHARSET utf8mb4")
    values = _values(rows)
    for start in range(0, rows, 500):
        chunk = list(enumerate(values[start : start + 500], start=start))
        marks = ", ".join(["(%s, %s)"] * len(chunk))
        _query(sandbox, f"INSERT INTO {table} VALUES {marks}", [x for row in chunk for x in row])


def _table(sandbox: Sandbox, table: str) -> list[tuple[Any, ...]]:
    return _query(sandbox, f"SELECT * FROM {table} ORDER BY id")


def _replace(run_parity: Any, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_parity("--config", str(config), "replace", "scratch", OLD, NEW, *args)


def test_replacing_with_a_new_that_contains_old_twice_equals_one_run(
    sandbox: Sandbox, scratch: Path, run_parity: Any
) -> None:
    _create(sandbox, "wp_parity_rerun", 40)
    first = _replace(run_parity, scratch, "--format", "json")
    assert first.returncode == 0, first.stderr
    once = json.loads(first.stdout)
    assert once["occurrences"] > 0
    assert any("contains" in w and "changes nothing more" in w for w in once["warnings"])
    after_one = {t: _query(sandbox, f"SELECT * FROM {t}") for t in ("wp_parity_rerun", "wp_posts")}

    second = _replace(run_parity, scratch, "--format", "json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["occurrences"] == 0 and again["rows_written"] == 0
    after_two = {t: _query(sandbox, f"SELECT * FROM {t}") for t in ("wp_parity_rerun", "wp_posts")}
    assert after_two == after_one
    text = json.dumps([[str(v) for v in row] for row in after_two["wp_parity_rerun"]])
    assert "/sub/sub" not in text and "%2Fsub%2Fsub" not in text
    # The table output warns too, on stderr.
    table = _replace(run_parity, scratch)
    assert table.returncode == 0 and "warning:" in table.stderr


def test_a_replace_killed_mid_run_then_run_again_equals_one_clean_run(
    sandbox: Sandbox, scratch: Path, run_parity: Any
) -> None:
    rows = 3000
    _create(sandbox, "wp_parity_clean", rows)
    _create(sandbox, "wp_parity_killed", rows)
    clean = _replace(run_parity, scratch, "--tables", "wp_parity_clean", "--format", "json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["malformed"] == 0

    environ = {k: v for k, v in os.environ.items() if k != "PARITY_CONFIG"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "parity.cli.main", "--config", str(scratch)),
            *("replace", "scratch", OLD, NEW, "--tables", "wp_parity_killed"),
            *("--chunk-size", "1"),
        ],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Rows of the first shape, once rewritten (other shapes hold NEW from the start).
    count = "SELECT COUNT(*) FROM wp_parity_killed WHERE v LIKE %s"
    params = ["%a.test/sub/page-%"]
    deadline = time.monotonic() + 60
    try:
        while _query(sandbox, count, params)[0][0] < 50:
            assert process.poll() is None, "the replace ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    done = _query(sandbox, count, params)[0][0]
    assert 0 < done < rows // 4, "the kill did not land mid-run"

    rerun = _replace(run_parity, scratch, "--tables", "wp_parity_killed")
    assert rerun.returncode == 0, rerun.stderr
    assert _table(sandbox, "wp_parity_killed") == _table(sandbox, "wp_parity_clean")


def test_a_table_without_primary_key_is_rewritten_whole_and_reported_truly(
    sandbox: Sandbox, scratch: Path, run_parity: Any
) -> None:
    _query(sandbox, "DROP TABLE IF EXISTS wp_parity_nokey")
    _query(
        sandbox,
        "CREATE TABLE wp_parity_nokey (url VARCHAR(100), ratio FLOAT, score DOUBLE,"
        " seen DATETIME, note TEXT) CHARSET utf8mb4",
    )
    rows = [
        # Two rows holding a FLOAT that does not read back exactly (3.14 as a single).
        (f"{OLD}/a", 3.14, 0.1, "0000-00-00 00:00:00", "x"),
        (f"{OLD}/b", 2.71, 1e-7, None, f"see {OLD}"),
        # Rows that the column's collation would confuse: case and trailing space differ.
        (f"X {OLD}", 1.5, 2.5, "2024-01-01 00:00:00", "same"),
        (f"x {OLD}", 1.5, 2.5, "2024-01-01 00:00:00", "same"),
        (f"x {OLD} ", 1.5, 2.5, "2024-01-01 00:00:00", "same"),
        ("no url here", 1.0, 1.0, None, "nothing"),
    ]
    _query(
        sandbox,
        "INSERT INTO wp_parity_nokey VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows)),
        [v for row in rows for v in row],
    )
    result = _replace(run_parity, scratch, "--tables", "wp_parity_nokey", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    stored = _query(sandbox, "SELECT url, note FROM wp_parity_nokey")
    expected = [(u.replace(OLD, NEW), n.replace(OLD, NEW)) for u, _r, _s, _d, n in rows]
    assert sorted(stored) == sorted(expected)
    assert report["rows_written"] == 5
    assert report["rows_not_rewritten"] == 0
    (plan,) = [t for t in report["tables"] if t["table"] == "wp_parity_nokey"]
    assert plan["key"] is None and set(plan["not_compared"]) == {"ratio", "score", "seen"}
    assert plan["rows_not_rewritten"] == 0
