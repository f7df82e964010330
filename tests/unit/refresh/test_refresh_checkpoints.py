"""The refresh's records in the state store: runs of the one ledger, checkpoints, rollback
points."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from parity.jobs.model import CheckStatus, RunStatus
from parity.jobs.records import JobRecords
from parity.refresh import checkpoints as cp
from parity.refresh import runs as ledger
from parity.store import Store

# The ledger, leases and checkpoints are the state store: test them on both backends.
pytestmark = pytest.mark.store_backends


def _dead_holder() -> str:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return f"{socket.gethostname()}:{proc.stdout.strip()}:refresh-0123456789ab"


def _start(
    store: Store, key: str = "k", target: str = "staging", resumed_from: int | None = None
) -> ledger.RefreshRun:
    details = ledger.RefreshDetails(
        source="production",
        target_key=key,
        fingerprint="f",
        token="ab12",
        stage="cleanup",
        resumable=True,
    )
    return ledger.start_run(
        store,
        ledger.refresh_job("ops team", "production", target),
        target=target,
        holder=_dead_holder(),
        details=details,
        tables=3,
        resumed_from=resumed_from,
    )


def test_a_refresh_is_a_run_of_the_ledger_with_the_jobs_vocabulary(store: Store) -> None:
    run = _start(store)
    ledger.set_stage(store, run.id, "copy", tables_done=1)
    ledger.finish_run(
        store,
        run.id,
        RunStatus.succeeded,
        tables_done=3,
        check_status=CheckStatus.passed,
        summary={"rows": 3},
        stage="done",
    )
    (record,) = JobRecords(store).runs("refresh")
    assert record.id == run.id and isinstance(record.id, int)
    assert record.status is RunStatus.succeeded and record.ok
    assert (record.job, record.scope, record.owner) == ("refresh", "staging", "ops team")
    assert record.items_total == 3 and record.items_done == 3
    assert record.rollback_command == "parity refresh rollback staging"
    (entry,) = ledger.list_history(store, "staging")
    data = entry.as_dict()
    # The same RUN jobs history prints, plus what only a refresh has.
    assert set(data) == set(record.as_dict()) | {"refresh"}
    assert data["refresh"] == {"source": "production", "stage": "done", "rollback_token": "ab12"}
    assert data["ended_at"].endswith("+00:00") and data["duration_s"] >= 0
    assert data["parameters"] == {"source": "production", "environment": "staging"}
    assert ledger.list_history(store, "other") == []


def test_a_dead_running_refresh_is_interrupted_and_stays_resumable(store: Store) -> None:
    killed = _start(store)
    ledger.set_stage(store, killed.id, "copy", tables_done=1)
    other = _start(store, key="other-key", target="qa")
    assert ledger.interrupt_dead_runs(store, "k", "staging") == [killed.id]
    record = JobRecords(store).run(killed.id)
    assert record is not None and record.status is RunStatus.interrupted
    assert record.ended_at is not None and record.items_done == 1
    (resumable,) = ledger.unfinished_runs(store, "k")
    assert resumable.id == killed.id and resumable.refresh.stage == "copy"
    still = JobRecords(store).run(other.id)
    assert still is not None and still.status is RunStatus.running


def test_a_run_that_failed_without_verifying_is_resumable_a_verified_failure_is_not(
    store: Store,
) -> None:
    stopped = _start(store)
    ledger.finish_run(
        store, stopped.id, RunStatus.failed, tables_done=1, error="lost", resumable=True
    )
    refused = _start(store)
    ledger.finish_run(
        store,
        refused.id,
        RunStatus.failed,
        tables_done=3,
        check_status=CheckStatus.failed,
        error="wp_posts: 2 rows, expected 3",
    )
    assert [r.id for r in ledger.unfinished_runs(store, "k")] == [stopped.id]
    ledger.set_resumable(store, stopped.id, False)
    assert ledger.unfinished_runs(store, "k") == []


def test_a_run_killed_after_its_swap_is_settled_as_succeeded_at_its_last_heartbeat(
    store: Store,
) -> None:
    run = _start(store)
    ledger.set_stage(store, run.id, "prune", tables_done=3)
    ledger.interrupt_dead_runs(store, "k", "staging")
    before = JobRecords(store).run(run.id)
    assert before is not None and before.ended_at is not None
    ledger.settle_swapped(store, run.id)
    after = JobRecords(store).run(run.id)
    assert after is not None
    assert after.status is RunStatus.succeeded and after.error is None
    assert after.ended_at == before.ended_at
    assert (after.summary or {})["note"] == ledger.FINISHED_LATER


def test_a_resumed_run_counts_its_window_from_the_first_start(store: Store) -> None:
    first = _start(store)
    ledger.finish_run(store, first.id, RunStatus.failed, tables_done=0, resumable=True)
    second = _start(store, resumed_from=first.id)
    assert second.record.resumed_from == first.id
    assert ledger.chain_started_at(store, second) == first.started_at
    assert second.started_at - first.started_at < timedelta(seconds=5)


def test_checkpoints_keep_binary_keys_and_stats_and_follow_the_resuming_run(store: Store) -> None:
    cp.save_checkpoint(
        store, 1, "wp_posts", status="copying", last_key=(b"\x00\xff", b"7"), stats={"rows": 5}
    )
    cp.save_checkpoint(store, 1, "wp_posts", status="copied", last_key=(b"9",), stats={"rows": 9})
    found = cp.load_checkpoints(store, 1)
    assert found["wp_posts"].status == "copied"
    assert found["wp_posts"].last_key == (b"9",)
    cp.save_checkpoint(store, 1, "wp_x", status="copying", last_key=(b"\x00\xff", b"7"), stats={})
    assert cp.load_checkpoints(store, 1)["wp_x"].last_key == (b"\x00\xff", b"7")
    moved = cp.hand_over_checkpoints(store, 1, 2)
    assert set(moved) == {"wp_posts", "wp_x"} and cp.load_checkpoints(store, 1) == {}
    cp.delete_checkpoints(store, 2)
    assert cp.load_checkpoints(store, 2) == {}


def test_rollback_points_are_listed_newest_first_by_status(store: Store) -> None:
    first = cp.add_rollback_point(
        store,
        run_id=1,
        target="staging",
        target_key="k",
        token="aaaa",
        tables=[("wp_posts", "_poaaaa_wp_posts")],
    )
    second = cp.add_rollback_point(
        store, run_id=2, target="staging", target_key="k", token="bbbb", tables=[("wp_new", None)]
    )
    cp.set_rollback_status(store, first, "active")
    cp.set_rollback_status(store, second, "active")
    points = cp.list_rollback_points(store, target_key="k", statuses=["active"])
    assert [p.token for p in points] == ["bbbb", "aaaa"]
    assert points[0].tables == (("wp_new", None),)
    data = points[1].as_dict()
    assert data["run_id"] == 1 and data["environment"] == "staging"
    assert data["tables"] == [{"table": "wp_posts", "rollback_table": "_poaaaa_wp_posts"}]
    cp.set_rollback_status(store, first, "dropped")
    assert [
        p.token for p in cp.list_rollback_points(store, target="staging", statuses=["active"])
    ] == ["bbbb"]
