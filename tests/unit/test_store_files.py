"""The state store's file: private modes, no folder made silently, no driver traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from parity.errors import ConfigError
from parity.store import open_store

MINIMAL = '[environments.staging]\nurl = "http://127.0.0.1:1"\ndb = "mysql://wp@127.0.0.1:1/wp"\n'


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _one_error_line(result: Any) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return str(lines[0])


def test_default_state_db_is_0600_in_a_0700_parity_folder(tmp_path: Path, run_parity: Any) -> None:
    old = os.umask(0o022)
    try:
        (tmp_path / "parity.toml").write_text(MINIMAL, encoding="utf-8")
        result = run_parity("jobs", "list")
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert _mode(tmp_path / ".parity") == 0o700
    assert _mode(tmp_path / ".parity" / "state.db") == 0o600
    for extra in ("state.db-wal", "state.db-shm"):
        if (tmp_path / ".parity" / extra).exists():
            assert _mode(tmp_path / ".parity" / extra) & 0o077 == 0


def test_an_existing_state_db_readable_by_others_is_tightened_to_0600(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    open_store(f"sqlite:///{path}").close()
    path.chmod(0o644)
    open_store(f"sqlite:///{path}").close()
    assert _mode(path) == 0o600


def test_state_url_in_a_missing_folder_is_refused_naming_the_folder(
    tmp_path: Path, run_parity: Any
) -> None:
    missing = tmp_path / "no" / "such"
    config = MINIMAL + f'[state]\nurl = "sqlite:///{missing / "state.db"}"\n'
    (tmp_path / "parity.toml").write_text(config, encoding="utf-8")
    line = _one_error_line(run_parity("jobs", "list"))
    assert str(missing) in line and "does not exist" in line
    assert not (tmp_path / "no").exists()


def test_missing_parity_folder_whose_parent_is_missing_too_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path / 'gone' / '.parity' / 'state.db'}")
    assert not (tmp_path / "gone").exists()


def test_state_url_whose_driver_is_not_installed_is_one_error_line_without_the_password(
    tmp_path: Path, run_parity: Any
) -> None:
    # pg8000 is a PostgreSQL driver parity does not install (psycopg is the one it does).
    url = "postgresql+pg8000://parity:Hunter2-secret@127.0.0.1/parity"
    config = MINIMAL + f'[state]\nurl = "{url}"\n'
    (tmp_path / "parity.toml").write_text(config, encoding="utf-8")
    line = _one_error_line(run_parity("jobs", "list"))
    assert "pg8000" in line and "not installed" in line
    assert "Hunter2-secret" not in line
