"""Batches on workers: every item once, a redelivered batch changes nothing, a batch whose
worker died is taken over and its pending items reconciled (no broker: dispatch calls the
worker directly, so the ledger's rules are tested alone)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import timedelta

import pytest
from jobs_fakes import DictWork, dict_job

from parity.jobs import JobRecords, RunStatus
from parity.jobs.batches import JobBatches, batch_lease
from parity.jobs.distributed import BatchWorker, DistributedRunner
from parity.jobs.model import Item, ItemResult, Job, Step, Work
from parity.jobs.records import RunRecord
from parity.store import Store
from parity.store.leases import acquire_lease

pytestmark = pytest.mark.store_backends

SOURCE = {f"k{n:02d}": f"v{n}" for n in range(9)}


def _dead_holder() -> str:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          check=True, capture_output=True, text=True)  # fmt: skip
    return f"{socket.gethostname()}:{proc.stdout.strip()}:worker-0123456789ab"


class Cluster:
    """Workers sharing one target (the shared database of a real deployment)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.target: dict[str, str] = {}
        self.works: list[DictWork] = []
        self.outcomes: list[str] = []

    def rebuild(self, run: RunRecord) -> tuple[Job, Work]:
        work = DictWork(dict(SOURCE), target=self.target, batch_size=3)
        self.works.append(work)
        return dict_job(), work

    def worker(self) -> BatchWorker:
        return BatchWorker(self.store, self.rebuild, lease_ttl=timedelta(minutes=5))

    def applied(self) -> Counter[str]:
        return Counter(key for work in self.works for key in work.applied)


def _run(store: Store, dispatch: Callable[[int, int], None]) -> RunRecord:
    runner = DistributedRunner(store, dispatch, poll_s=0.01, resend_after=timedelta(minutes=5))
    return runner.run(dict_job(), DictWork(dict(SOURCE), batch_size=3))


def test_every_item_is_applied_once_across_two_workers(store: Store) -> None:
    cluster = Cluster(store)
    workers = [cluster.worker(), cluster.worker()]

    def dispatch(run_id: int, number: int) -> None:
        cluster.outcomes.append(workers[number % 2].run_batch(run_id, number))

    record = _run(store, dispatch)
    assert record.status is RunStatus.succeeded and record.runner == "celery"
    assert (record.items_done, record.items_failed) == (9, 0)
    assert cluster.target == SOURCE
    assert set(cluster.applied().values()) == {1}
    shares = JobBatches(store).workers([record.id])[record.id]
    assert sorted(s.worker for s in shares) == sorted(w.holder for w in workers)
    assert sum(s.batches for s in shares) == 3


def test_a_redelivered_batch_that_was_applied_changes_nothing(store: Store) -> None:
    cluster = Cluster(store)
    worker = cluster.worker()
    record = _run(store, lambda run_id, number: cluster.outcomes.append(
        worker.run_batch(run_id, number)))  # fmt: skip
    before = dict(cluster.target), cluster.applied()
    items_before = JobRecords(store).items(record.id)
    # The broker delivers batch 1 again (a worker killed after applying, before its ack).
    record = _reopen(store, record.id)
    assert worker.run_batch(record.id, 1) == "already done"
    assert cluster.target == before[0] and cluster.applied() == before[1]
    assert JobRecords(store).items(record.id) == items_before


def _reopen(store: Store, run_id: int) -> RunRecord:
    """Mark the run running again, as if the coordinator still waited for it."""
    from sqlalchemy import update

    from parity.store import schema

    with store.engine.begin() as conn:
        conn.execute(
            update(schema.job_runs).where(schema.job_runs.c.id == run_id).values(status="running")
        )
    found = JobRecords(store).run(run_id)
    assert found is not None
    return found


def test_a_batch_whose_worker_died_mid_batch_is_taken_over_and_reconciled(store: Store) -> None:
    cluster = Cluster(store)
    live = cluster.worker()
    records, batches = JobRecords(store), JobBatches(store)
    dead = _dead_holder()
    died: list[int] = []

    def dispatch(run_id: int, number: int) -> None:
        if number == 0 and not died:
            # A worker takes batch 0, records its items pending, applies the first one,
            # and is killed (SIGKILL: no cleanup, its lease stays).
            died.append(run_id)
            acquire_lease(store, batch_lease(run_id, 0), dead, timedelta(minutes=5))
            batches.claimed(run_id, 0, dead)
            work = DictWork(dict(SOURCE), target=cluster.target, batch_size=3)
            cluster.works.append(work)
            items = list(work.items())[:3]
            steps = work.plan(items, _NoLog())
            records.record_pending(run_id, "dict-copy", "test", steps)
            work.apply(steps[:1], _NoLog())
            return
        cluster.outcomes.append(live.run_batch(run_id, number))

    record = _run(store, dispatch)
    assert record.status is RunStatus.succeeded
    assert (record.items_done, record.items_failed) == (9, 0)
    assert cluster.target == SOURCE
    assert set(cluster.applied().values()) == {1}, "an item applied twice"
    assert batches.batch(record.id, 0) is not None
    taken = batches.batch(record.id, 0)
    assert taken is not None and taken.worker == live.holder and taken.attempts == 2
    lines = [line.message for line in records.log_lines(record.id)]
    assert any("its worker" in line and "handed out again" in line for line in lines)
    assert any("left pending by a worker that stopped" in line for line in lines)


def test_a_batch_a_live_worker_holds_is_not_run_twice(store: Store) -> None:
    cluster = Cluster(store)
    first, second = cluster.worker(), cluster.worker()

    def dispatch(run_id: int, number: int) -> None:
        if number == 2:
            lease = acquire_lease(store, batch_lease(run_id, 2), first.holder, timedelta(minutes=5))
            assert second.run_batch(run_id, 2) == "held"
            from parity.store.leases import release_lease

            release_lease(store, lease)
        cluster.outcomes.append(first.run_batch(run_id, number))

    record = _run(store, dispatch)
    assert record.status is RunStatus.succeeded
    assert set(cluster.applied().values()) == {1}


class _NoLog:
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...


def test_a_batch_reads_the_done_records_of_its_own_keys_and_fingerprints(store: Store) -> None:
    records = JobRecords(store)

    def run(steps: list[tuple[str, str]], ok: bool = True, job: str = "dict-copy") -> None:
        run_id = records.create_run(
            dict_job(), scope="test", runner="in-process", holder="h", parameters={},
            total=None, resumed_from=None,
        )  # fmt: skip
        done = [Step(Item(key, fingerprint), "created") for key, fingerprint in steps]
        records.record_pending(run_id, job, "test", done)
        records.record_results(run_id, [ItemResult(s.item.key, ok, "created") for s in done])

    run([("a", "1"), ("b", "2"), ("c", "3")])
    run([("a", "9"), ("d", "4")])  # a changed: its latest done fingerprint is 9
    run([("e", "1")], ok=False)  # failed: not done
    run([("f", "1")], job="other")  # another job's
    everything = records.done_fingerprints("dict-copy", "test")
    assert everything == {"a": "9", "b": "2", "c": "3", "d": "4"}

    def only(keys: set[str]) -> dict[str, str]:
        return {key: fp for key, fp in everything.items() if key in keys}

    # A file whose hash was a's old text is not a's current one: a maps to 9, not 1.
    assert records.done_fingerprints("dict-copy", "test", fingerprints=["1"]) == only({"a"})
    assert records.done_fingerprints("dict-copy", "test", fingerprints=["2", "4", "7"]) == only(
        {"b", "d"}
    )
    assert records.done_fingerprints("dict-copy", "test", keys=["d", "c", "e", "z"]) == only(
        {"c", "d"}
    )
    both = records.done_fingerprints("dict-copy", "test", keys=["b"], fingerprints=["9"])
    assert both == only({"a", "b"}) and list(both) == ["a", "b"]  # the unrestricted order
    assert records.done_fingerprints("dict-copy", "test", keys=[], fingerprints=[]) == {}


class _NamedWork(DictWork):
    """A work that names its batch's fingerprints before it builds the items."""

    told: list[dict[str, str]]

    def batch_fingerprints(self, ref: dict[str, object]) -> list[str]:
        start, count = int(str(ref["start"])), int(str(ref["count"]))
        return list(self.source.values())[start : start + count]

    def start(self, run_id: int, log: object, done: Mapping[str, str]) -> None:
        self.told.append(dict(done))


def test_a_rerun_on_workers_skips_what_is_done_reading_only_each_batchs_records(
    store: Store,
) -> None:
    target: dict[str, str] = {}
    works: list[_NamedWork] = []
    told: list[dict[str, str]] = []

    def rebuild(source: dict[str, str]) -> Callable[[RunRecord], tuple[Job, Work]]:
        def make(run: RunRecord) -> tuple[Job, Work]:
            work = _NamedWork(dict(source), target=target, batch_size=3)
            work.told = told
            works.append(work)
            return dict_job(), work

        return make

    def run(source: dict[str, str]) -> RunRecord:
        worker = BatchWorker(store, rebuild(source), lease_ttl=timedelta(minutes=5))
        runner = DistributedRunner(store, worker.run_batch, poll_s=0.01)
        return runner.run(dict_job(), DictWork(dict(source), batch_size=3))

    first = run(SOURCE)
    assert (first.items_done, first.items_skipped) == (9, 0)
    assert target == SOURCE
    works.clear()
    told.clear()
    changed = {**SOURCE, "k04": "new"}
    second = run(changed)
    assert (second.items_done, second.items_skipped, second.items_failed) == (1, 8, 0)
    assert [key for work in works for key in work.applied] == ["k04"]
    assert target == changed
    # Each batch was told about the done records of its own fingerprints only.
    assert sorted(len(done) for done in told) == [2, 3, 3]
    assert all(set(done.values()) <= set(SOURCE.values()) for done in told)
