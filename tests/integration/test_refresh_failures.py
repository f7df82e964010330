"""A refresh that cannot go on says why in one line; a bad prefix never reaches SQL.

On this module's private sandbox (MariaDB is killed here, and a regression would make
tables on staging):

* MariaDB killed with SIGKILL while a refresh copies: the run ends with exit 2, one
  ``error:`` line, and its warnings (the lock it could not give back, the shadow tables
  it could not drop) are one line each: no traceback without ``--debug``.
* ``table_prefix = "wp_\\n"``: refused before anything is written; no table whose name
  holds a newline appears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
import tomli_w

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Any) -> Any:
    """This module's own sandbox: it kills MariaDB and refreshes staging."""
    return private_sandbox


def _config(sandbox: Any, folder: Path, **staging: Any) -> Path:
    data = tomllib.loads(Path(sandbox.config_path).read_text("utf-8"))
    data["environments"]["staging"].update(staging)
    # One row per chunk and no worker processes: the copy lasts long enough to be hit.
    data["refresh"] = {"chunk_rows": 1, "workers": 0}
    path = folder / "parity.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    path.chmod(0o600)
    return path


def _refresh(config: Path, **hooks: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARITY_")}
    env.update({"PARITY_CONFIG": str(config), "COLUMNS": "200", **hooks})
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "parity.cli.main",
            "refresh",
            "--from",
            "production",
            "--to",
            "staging",
            "--yes",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _staging_tables(sandbox: Any) -> list[str]:
    conn = MySQLdb.connect(**sandbox.root_connect_args(), charset="utf8mb4", autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (sandbox.database("staging"),),
        )
        return [str(row[0]) for row in cur.fetchall()]
    finally:
        conn.close()


def test_table_prefix_with_a_newline_is_refused_and_no_table_is_made(
    sandbox: Any, tmp_path: Path
) -> None:
    before = _staging_tables(sandbox)
    proc = _refresh(_config(sandbox, tmp_path, table_prefix="wp_\n"))
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "table_prefix" in lines[0]
    after = _staging_tables(sandbox)
    assert not [t for t in after if "\n" in t or "\r" in t]
    assert sorted(after) == sorted(before)


def test_mariadb_killed_mid_refresh_ends_in_one_error_line_without_a_traceback(
    sandbox: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "paused-at-copy"
    proc = _refresh(
        _config(sandbox, tmp_path),
        PARITY_REFRESH_PAUSE_AT="copy",
        PARITY_REFRESH_PAUSE_FILE=str(marker),
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # the refresh stopped inside its copy (test hook)
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the refresh never started copying"
            time.sleep(0.05)
        pid = int(sandbox.layout.mariadb_pid.read_text().strip())
        os.kill(pid, signal.SIGKILL)
        marker.unlink()  # let the refresh go on, against a dead server
        _out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        sandbox.up()  # MariaDB back for whatever runs next
    assert proc.returncode == 2, err
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines[-1].startswith("error: "), err
    others = lines[:-1]
    assert not any(line.startswith("error: ") for line in others), err
    # Stage lines and one-line warnings only: a traceback's frames are indented.
    assert not any(line[:1].isspace() for line in lines), err
    warnings = [line for line in others if " WARNING " in line]
    assert all("could not" in line or "failed" in line for line in warnings), err
