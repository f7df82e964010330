"""A job's expected.sql check on the real sandbox: one statement, stopped when too slow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import MySQLdb
import pytest

from parity.sandbox import Sandbox

pytestmark = pytest.mark.integration

MARKER = "wp_parity_sqlcheck_marker"


def _config(tmp_path: Path, parity_config: Path, sql: str, **bounds: Any) -> Path:
    expected = {"sql": sql, "env": "staging", **bounds}
    inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in expected.items())
    path = tmp_path / "parity.toml"
    path.write_text(
        parity_config.read_text(encoding="utf-8") + "\n[[jobs.declared]]\n"
        'name = "checked"\nowner = "ops"\ndescription = "A no-op with a SQL check."\n'
        f'command = [{json.dumps(sys.executable)}, "-c", "pass"]\n'
        f"expected = {{ {inline} }}\n"
        'rollback = { note = "Nothing to undo." }\n',
        encoding="utf-8",
    )
    return path


def _staging(sandbox: Sandbox, sql: str) -> list[tuple[Any, ...]]:
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(), database=sandbox.database("staging"), autocommit=True
    )
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return list(cur.fetchall())
    finally:
        conn.close()


def test_a_second_statement_in_expected_sql_is_refused_and_never_runs(
    sandbox: Sandbox, parity_config: Path, tmp_path: Path, run_parity: Any
) -> None:
    _staging(sandbox, f"CREATE TABLE IF NOT EXISTS {MARKER} (n INT)")
    try:
        attack = (
            "SELECT COUNT(*) FROM {prefix}options WHERE option_name = 'siteurl';"
            f" SET SESSION TRANSACTION READ WRITE; INSERT INTO {MARKER} VALUES (1)"
        )
        config = _config(tmp_path, parity_config, attack, equals=1)
        result = run_parity("--config", str(config), "jobs", "run", "checked")
        assert result.returncode == 2, result.stdout + result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:")
        assert "single statement" in lines[0]
        assert "Traceback" not in result.stderr
        assert _staging(sandbox, f"SELECT COUNT(*) FROM {MARKER}")[0][0] == 0
    finally:
        _staging(sandbox, f"DROP TABLE IF EXISTS {MARKER}")


def test_a_slow_expected_sql_is_stopped_by_the_server_at_its_timeout(
    parity_config: Path, tmp_path: Path, run_parity: Any
) -> None:
    config = _config(tmp_path, parity_config, "SELECT SLEEP(5)", equals=0, timeout_s=1)
    result = run_parity("--config", str(config), "jobs", "run", "checked", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    check = json.loads(result.stdout)["run"]["check"]
    assert check["status"] == "error"
    assert "longer than 1 s" in check["detail"] and "timeout_s" in check["detail"]
    # Had it run to its end, SLEEP would have returned 0 and the check passed (= 0).
