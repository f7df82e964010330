"""The one run/lease layer of the state store: holders, leases, the clock, the store as a
context manager, and migration 7 carrying old refresh runs into the run ledger."""

from __future__ import annotations

import doctest
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from parity.errors import LockHeld
from parity.jobs.model import RunStatus
from parity.jobs.records import JobRecords, RunRecord
from parity.refresh import checkpoints as cp
from parity.refresh import runs as ledger
from parity.store import SCHEMA_VERSION, Store, acquire_lease, open_store, schema, take_lease
from parity.store import migrations as m
from parity.store.clock import as_utc, utc_now
from parity.store.holders import holder_is_dead, holder_label, new_holder

# The ledger, leases and checkpoints are the state store: test them on both backends.
pytestmark = pytest.mark.store_backends


def _here(pid: int, what: str = "refresh-0123456789ab") -> str:
    return f"{socket.gethostname()}:{pid}:{what}"


def _gone_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


# -- the store ------------------------------------------------------------------------------


def test_the_store_is_a_context_manager_that_closes_itself(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'state.db'}") as store:
        assert isinstance(store, Store)
        disposed: list[bool] = []
        store.engine.dispose = lambda *a, **k: disposed.append(True)  # type: ignore[method-assign]
    assert disposed == [True]
    with pytest.raises(RuntimeError), open_store(f"sqlite:///{tmp_path / 'state.db'}") as again:
        again.engine.dispose = lambda *a, **k: disposed.append(True)  # type: ignore[method-assign]
        raise RuntimeError("boom")
    assert disposed == [True, True]


def test_the_clock_is_aware_utc_and_reads_naive_store_values_as_utc() -> None:
    assert utc_now().tzinfo is UTC
    naive = datetime(2026, 1, 2, 3, 4, 5)
    assert as_utc(naive) == naive.replace(tzinfo=UTC)
    assert as_utc(None) is None


@pytest.mark.parametrize(
    "module", ["parity.store.clock", "parity.store.holders", "parity.refresh.locking"]
)
def test_the_run_lease_layer_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


# -- holders and leases ---------------------------------------------------------------------


def test_one_holder_format_says_what_holds_the_lease() -> None:
    holder = new_holder("content-import")
    host, pid, what = holder.split(":")
    assert (host, int(pid)) == (socket.gethostname(), os.getpid())
    assert what.startswith("content-import-") and holder_label(holder) == what
    with pytest.raises(ValueError):
        new_holder("a:b")


def test_a_holder_is_dead_when_its_process_is_gone_or_a_zombie_never_when_it_is_us() -> None:
    assert holder_is_dead(_here(_gone_pid()))
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while not holder_is_dead(_here(zombie.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert holder_is_dead(_here(zombie.pid))  # exited, not reaped yet: a zombie
    finally:
        zombie.wait()
    assert not holder_is_dead(_here(os.getpid()))
    assert not holder_is_dead(_here(1))  # alive
    assert not holder_is_dead(f"elsewhere:{_gone_pid()}:x")  # another host: its lease expires
    assert not holder_is_dead("run-1")


def test_take_lease_takes_over_a_dead_holder_at_once_but_not_a_live_one(store: Store) -> None:
    acquire_lease(store, "refresh:k", _here(_gone_pid()), timedelta(hours=1))
    assert take_lease(store, "refresh:k", "me", timedelta(minutes=1)).owner == "me"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        acquire_lease(store, "refresh:live", _here(sleeper.pid), timedelta(hours=1))
        with pytest.raises(LockHeld, match="held by"):
            take_lease(store, "refresh:live", "me", timedelta(minutes=1))
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()
        assert take_lease(store, "refresh:live", "me", timedelta(minutes=1)).owner == "me"
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()


# -- migration 7: refresh runs into the run ledger ------------------------------------------


def _store_at_version_6(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as conn:
        schema.schema_version.create(conn)
        conn.execute(schema.schema_version.insert().values(version=6))
        for migration in m.MIGRATIONS[:6]:
            migration(conn)
        start = datetime(2026, 11, 1, 10, 0, 0)
        rows = [
            ("a1", "completed", "done", None, 60),
            ("b2", "rolled back", "done", None, 60),
            ("c3", "stopped", "copy", "lost connection", 30),
            ("d4", "abandoned", "copy", "killed; not resumed", 20),
            ("e5", "running", "copy", None, None),
        ]
        for number, (run_id, status, stage, error, seconds) in enumerate(rows):
            started = start + timedelta(hours=number)
            conn.execute(
                m._V4_RUNS.insert().values(
                    id=run_id,
                    source="production",
                    target="staging",
                    target_key="key",
                    owner=f"web1:4{number}:{run_id}",
                    fingerprint="fp",
                    token=f"t{run_id}x",
                    status=status,
                    stage=stage,
                    started_at=started,
                    finished_at=None if seconds is None else started + timedelta(seconds=seconds),
                    summary=json.dumps({"rows": 10}) if status == "completed" else None,
                    error=error,
                )
            )
        conn.execute(
            m._V4_CHECKPOINTS.insert().values(
                run_id="e5",
                source_table="wp_posts",
                status="copying",
                last_key=json.dumps(["07"]),
                stats="{}",
                updated_at=start,
            )
        )
        for run_id, status in (("a1", "active"), ("b2", "restored")):
            conn.execute(
                m._V4_POINTS.insert().values(
                    run_id=run_id,
                    target="staging",
                    target_key="key",
                    token=f"t{run_id}x",
                    status=status,
                    tables=json.dumps([["wp_posts", f"_pot{run_id}x_wp_posts"]]),
                    created_at=start,
                    updated_at=start + timedelta(days=1),
                )
            )
    engine.dispose()
    return url


def test_migration_7_carries_old_refresh_runs_into_the_run_ledger(tmp_path: Path) -> None:
    url = _store_at_version_6(tmp_path / "state.db")
    with open_store(url) as store:
        with store.engine.connect() as conn:
            assert conn.execute(select(schema.schema_version.c.version)).scalar() == SCHEMA_VERSION
        records = JobRecords(store)
        refreshes = _by_old_id(store)
        assert {k: str(v.status) for k, v in refreshes.items()} == {
            "a1": "succeeded",
            "b2": "succeeded",
            "c3": "failed",
            "d4": "interrupted",
            "e5": "running",
        }
        done = refreshes["a1"]
        assert done.summary == {"rows": 10} and done.duration_s == 60.0
        assert done.check_status == "passed" and done.scope == "staging"
        assert done.parameters == {"source": "production", "environment": "staging"}
        undone = refreshes["b2"]
        assert undone.rolled_back_by is not None
        rollback = records.run(undone.rolled_back_by)
        assert rollback is not None and rollback.job == "refresh-rollback"
        assert rollback.parameters["refresh_run"] == undone.id
        # Runs a later refresh may continue keep that, with their checkpoints.
        resumable = {r.id for r in ledger.unfinished_runs(store, "key")}
        assert resumable == {refreshes["c3"].id, refreshes["e5"].id}
        assert cp.load_checkpoints(store, refreshes["e5"].id)["wp_posts"].last_key == (b"\x07",)
        points = cp.list_rollback_points(store, target_key="key")
        assert {p.token: p.run_id for p in points} == {
            "ta1x": refreshes["a1"].id,
            "tb2x": refreshes["b2"].id,
        }
        history = ledger.list_history(store, "staging")
        # Newest first: the rollback (a day after its refresh), then the latest refresh.
        assert [h.record.job for h in history][:2] == ["refresh-rollback", "refresh"]
        assert history[1].id == refreshes["e5"].id and history[0].details is None
        assert all(h.details is not None for h in history if h.record.job == "refresh")


def _by_old_id(store: Store) -> dict[str, RunRecord]:
    """The migrated refresh runs, by the old string id their holder name ends with."""
    table = schema.job_runs
    with store.engine.connect() as conn:
        holders = dict(
            conn.execute(select(table.c.id, table.c.holder).where(table.c.job == "refresh")).all()
        )
    records = JobRecords(store).runs("refresh", limit=100)
    return {holders[r.id].rsplit(":", 1)[1]: r for r in records}


def test_a_refresh_run_is_listed_by_jobs_history_too(store: Store) -> None:
    details = ledger.RefreshDetails("production", "k", "f", "ab12", "cleanup", True)
    run = ledger.start_run(
        store,
        ledger.refresh_job("ops team", "production", "staging"),
        target="staging",
        holder=new_holder("refresh"),
        details=details,
        tables=2,
    )
    (record,) = JobRecords(store).runs()
    assert record.id == run.id and record.job == "refresh"
    assert record.status is RunStatus.running and record.ended_at is None
