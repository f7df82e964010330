"""A refresh whose database dies logs one line saying why; the traceback only under --debug.

MariaDB killed during a refresh made the lock's release and the shadow-table cleanup log
``exc_info=True`` warnings: a traceback on the terminal of a run without ``--debug``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from parity.errors import DatabaseUnreachable
from parity.refresh.locking import TargetLock
from parity.refresh.service import RefreshService
from parity.store import open_store
from parity.store.holders import new_holder

DEAD = DatabaseUnreachable("the database at 127.0.0.1:3506 did not answer (Lost connection)")


class _DyingDatabase:
    """Takes the server lock, then its server dies before the lock is given back."""

    def try_lock(self, name: str) -> bool:
        return True

    def release_lock(self, name: str) -> None:
        raise DEAD


class _DyingWriter:
    def execute(self, sql: str, params: Any = None) -> None:
        raise DEAD


def _records(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and r.levelno == logging.WARNING]


def _release_with_dead_server(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        lock = TargetLock(
            store,
            _DyingDatabase(),  # type: ignore[arg-type]
            target="staging",
            key="staging-key",
            holder=new_holder("run-1"),
            ttl_s=60,
        )
        with lock:
            pass
    finally:
        store.close()


def test_lost_server_lock_is_one_warning_line_with_the_reason_and_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    _release_with_dead_server(tmp_path)
    (record,) = _records(caplog, "parity.refresh.locking")
    assert record.exc_info is None
    assert record.getMessage() == (
        "could not release the server lock: the database at 127.0.0.1:3506 did not answer"
        " (Lost connection)"
    )
    assert "\n" not in caplog.text.strip()


def test_lost_server_lock_carries_the_traceback_under_debug(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _release_with_dead_server(tmp_path)
    (record,) = _records(caplog, "parity.refresh.locking")
    assert record.exc_info is not None and record.exc_info[1] is DEAD
    assert "Traceback" in caplog.text


def test_shadow_tables_not_dropped_is_one_warning_line_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    plan = SimpleNamespace(tables=[SimpleNamespace(shadow="_pn_wp_posts")])
    RefreshService._drop_shadows(None, plan, _DyingWriter())  # type: ignore[arg-type]
    (record,) = _records(caplog, "parity.refresh.service")
    assert record.exc_info is None
    assert record.getMessage().startswith("could not drop the shadow tables; the next run will:")
    assert "did not answer" in record.getMessage()


def test_failure_reason_is_one_line_for_any_exception() -> None:
    from parity.refresh.locking import failure_reason

    assert failure_reason(DEAD) == DEAD.one_line()
    assert failure_reason(RuntimeError("first line\nsecond line")) == "RuntimeError: first line"
    assert failure_reason(KeyError()) == "KeyError"
