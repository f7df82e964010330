"""The in-process runner: recorded runs, idempotent reruns, resumption, no overlap."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from jobs_fakes import DictWork, dict_job

from parity.errors import LockHeld
from parity.jobs import (
    InProcessRunner,
    Item,
    ItemStatus,
    JobRecords,
    RunStatus,
    Step,
)
from parity.store import Store, acquire_lease

# The ledger, leases and checkpoints are the state store: test them on both backends.
pytestmark = pytest.mark.store_backends


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_is_recorded_with_owner_counts_check_and_log(store: Store) -> None:
    work = DictWork({"a": "1", "b": "2", "c": "3"})
    record = InProcessRunner(store).run(dict_job(), work)
    assert record.status is RunStatus.succeeded
    assert (record.items_done, record.items_skipped, record.items_failed) == (3, 0, 0)
    assert record.owner == "platform team"
    assert record.rollback_note == "Clear the target"
    assert record.rollback_command == "clear-target"
    assert record.check_status == "passed"
    assert record.ended_at is not None
    assert record.summary == {"target_size": 3}
    assert record.parameters == {"keys": 3}
    assert work.started_runs == [record.id]
    messages = [line.message for line in JobRecords(store).log_lines(record.id)]
    assert messages[0] == "starting"
    assert "finished: 3 done, 0 skipped, 0 failed" in messages


def test_a_rerun_skips_done_items_without_planning_them(store: Store) -> None:
    runner = InProcessRunner(store)
    InProcessRunner(store).run(dict_job(), DictWork({"a": "1", "b": "2"}))
    again = DictWork({"a": "1", "b": "2"}, target={"a": "1", "b": "2"})
    record = runner.run(dict_job(), again)
    assert (record.items_done, record.items_skipped) == (0, 2)
    assert again.planned == []


def test_a_changed_item_is_done_again_and_recheck_plans_everything(store: Store) -> None:
    runner = InProcessRunner(store)
    work = DictWork({"a": "1", "b": "2"})
    runner.run(dict_job(), work)
    changed = DictWork({"a": "1", "b": "20"}, target=work.target)
    record = runner.run(dict_job(), changed)
    assert changed.planned == ["b"]
    assert record.items_done == 1
    assert JobRecords(store).action_counts(record.id) == {"done": {"updated": 1}}
    rechecked = DictWork({"a": "1", "b": "20"}, target=work.target)
    record = runner.run(dict_job(), rechecked, recheck=True)
    assert rechecked.planned == ["a", "b"]
    assert (record.items_done, record.items_skipped) == (0, 2)  # planned: unchanged


def test_a_failed_item_fails_the_run_and_is_retried_next_time(store: Store) -> None:
    runner = InProcessRunner(store)
    record = runner.run(dict_job(), DictWork({"a": "1", "b": "bad"}))
    assert record.status is RunStatus.failed
    assert record.items_failed == 1
    assert not record.ok
    retry = DictWork({"a": "1", "b": "2"}, target={"a": "1"})
    record = runner.run(dict_job(), retry)
    assert retry.planned == ["b"]
    assert record.status is RunStatus.succeeded


def test_a_failing_check_makes_the_run_not_ok(store: Store) -> None:
    work = DictWork({"a": "1"})
    runner = InProcessRunner(store)
    runner.run(dict_job(), work)
    # The target lost its key, but the store says it is done: skipped, and the check fails.
    record = runner.run(dict_job(), DictWork({"a": "1"}, target={}))
    assert record.status is RunStatus.succeeded
    assert record.check_status == "failed"
    assert record.check_detail == "1 missing"
    assert not record.ok


def test_an_error_mid_run_leaves_items_pending_and_the_next_run_reconciles_them(
    store: Store,
) -> None:
    runner = InProcessRunner(store)
    work = DictWork({"a": "1", "b": "2", "c": "3", "d": "4"}, fail_apply_after=3)
    record = runner.run(dict_job(), work)
    assert record.status is RunStatus.failed
    assert "the target went away" in (record.error or "")
    # Both items of the failed batch were written ahead as pending; only c was applied.
    pending = JobRecords(store).pending_items("dict-copy", "test")
    assert [p.key for p in pending] == ["c", "d"]
    assert work.target == {"a": "1", "b": "2", "c": "3"}
    second = DictWork(dict(work.source), target=work.target)
    record = runner.run(dict_job(), second)
    assert record.status is RunStatus.succeeded
    assert second.target == {"a": "1", "b": "2", "c": "3", "d": "4"}
    assert second.planned == ["d"]
    assert JobRecords(store).pending_items("dict-copy", "test") == []


def test_a_killed_run_is_marked_interrupted_and_resumed_at_once(store: Store) -> None:
    records = JobRecords(store)
    dead = f"{socket.gethostname()}:{_dead_pid()}:abc"
    # What a run killed with kill -9 leaves: its lease, a 'running' run, pending items.
    acquire_lease(store, "job:dict:test", dead, timedelta(hours=1))
    run_id = records.create_run(
        dict_job(),
        scope="test",
        runner="in-process",
        holder=dead,
        parameters={},
        total=3,
        resumed_from=None,
    )
    written = Step(Item("a", "1"), "created")
    lost = Step(Item("b", "2"), "created")
    records.record_pending(run_id, "dict-copy", "test", [written, lost])
    work = DictWork({"a": "1", "b": "2", "c": "3"}, target={"a": "1"})  # a was written
    record = InProcessRunner(store).run(dict_job(), work)  # no wait for the lease's expiry
    killed = records.run(run_id)
    assert killed is not None
    assert killed.status is RunStatus.interrupted
    assert killed.items_done == 1  # a was attributed to the killed run
    assert record.resumed_from == run_id
    assert work.planned == ["b", "c"]
    assert work.target == {"a": "1", "b": "2", "c": "3"}
    statuses = {item.key: item.status for item in records.items(run_id)}
    assert statuses == {"a": ItemStatus.done, "b": ItemStatus.failed}


def test_a_live_run_holding_the_lease_blocks_another(store: Store) -> None:
    holder = f"{socket.gethostname()}:1:live"  # pid 1 is alive
    acquire_lease(store, "job:dict:test", holder, timedelta(minutes=5))
    with pytest.raises(LockHeld, match="another run is in progress"):
        InProcessRunner(store).run(dict_job(), DictWork({"a": "1"}))
    assert JobRecords(store).runs() == []


def test_an_expired_lease_of_another_host_is_taken_over(store: Store) -> None:
    acquire_lease(store, "job:dict:test", "elsewhere:42:x", timedelta(seconds=-1))
    record = InProcessRunner(store).run(dict_job(), DictWork({"a": "1"}))
    assert record.status is RunStatus.succeeded


def test_the_lease_is_released_after_a_run(store: Store) -> None:
    runner = InProcessRunner(store)
    runner.run(dict_job(), DictWork({"a": "1"}))
    acquire_lease(store, "job:dict:test", "someone-else", timedelta(minutes=1))


def test_a_key_seen_twice_in_one_run_fails_the_second(store: Store) -> None:
    class Twice(DictWork):
        def items(self):  # type: ignore[no-untyped-def]
            yield Item("a", "1", "1", label="one.txt")
            yield Item("a", "2", "2", label="two.txt")

    record = InProcessRunner(store).run(dict_job(), Twice({"a": "1"}))
    assert (record.items_done, record.items_failed) == (1, 1)
    messages = [line.message for line in JobRecords(store).log_lines(record.id)]
    assert any("a (two.txt) appears twice" in m for m in messages)


def test_progress_is_reported_batch_by_batch(store: Store) -> None:
    seen: list[tuple[int, int, int]] = []

    class Sink:
        def started(self, total: int | None) -> None:
            seen.append((-1, total or 0, 0))

        def advanced(self, done: int, skipped: int, failed: int) -> None:
            seen.append((done, skipped, failed))

    InProcessRunner(store, progress=Sink()).run(
        dict_job(), DictWork({"a": "1", "b": "2", "c": "3"})
    )
    assert seen == [(-1, 3, 0), (2, 0, 0), (1, 0, 0)]


def test_history_lists_runs_newest_first_and_by_job(store: Store) -> None:
    runner = InProcessRunner(store)
    first = runner.run(dict_job(), DictWork({"a": "1"}))
    second = runner.run(dict_job("other-job"), DictWork({"a": "1"}, lock="other"))
    records = JobRecords(store)
    assert [r.id for r in records.runs()] == [second.id, first.id]
    assert [r.id for r in records.runs("dict-copy")] == [first.id]
    assert set(records.last_runs()) == {"dict-copy", "other-job"}
