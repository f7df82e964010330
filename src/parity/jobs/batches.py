"""The batches of a run handed to workers: which items, which worker, how they ended.

A distributed run (``parity.jobs.distributed``) splits its items into numbered batches,
each described by a small JSON ``ref`` the worker rebuilds the items from. A batch is
``queued`` until a worker claims it (under the lease ``job-batch:<run>:<number>``),
``running`` while that worker works on it, and ``done`` once; a batch that is done is
never worked on again, however often the broker delivers it. ``worker`` names the holder
(``host:pid:worker-<token>``) of the attempt that ran it last.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from parity.jobs.model import Counts, RunStatus
from parity.store import schema
from parity.store.clock import as_utc, utc_now
from parity.store.leases import lapsed_leases
from parity.store.state import Store
from parity.vocabulary import iso_utc

__all__ = ["Batch", "InProgress", "JobBatches", "RunningBatch", "WorkerShare", "batch_lease"]

QUEUED, RUNNING, DONE = "queued", "running", "done"


def batch_lease(run_id: int, number: int) -> str:
    """The lease a worker holds while it works on a batch.

    >>> batch_lease(12, 3)
    'job-batch:12:3'
    """
    return f"job-batch:{run_id}:{number}"


@dataclass(frozen=True)
class Batch:
    """One batch of a run as recorded."""

    run_id: int
    number: int
    ref: dict[str, Any]
    status: str
    worker: str | None
    attempts: int
    sent_at: datetime
    counts: Counts

    @property
    def done(self) -> bool:
        """Whether a worker finished it."""
        return self.status == DONE


@dataclass(frozen=True)
class WorkerShare:
    """What one worker did in a run: its batches and their items."""

    worker: str
    batches: int
    done: int
    skipped: int
    failed: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "worker": self.worker,
            "batches": self.batches,
            "items": {"done": self.done, "skipped": self.skipped, "failed": self.failed},
        }


def _batch(row: Any) -> Batch:
    return Batch(
        run_id=int(row.run_id),
        number=int(row.number),
        ref=json.loads(row.ref),
        status=row.status,
        worker=row.worker,
        attempts=int(row.attempts),
        sent_at=as_utc(row.sent_at),
        counts=Counts(int(row.items_done), int(row.items_skipped), int(row.items_failed)),
    )


class JobBatches:
    """Reads and writes the batches of distributed runs in one state store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, run_id: int, refs: Sequence[dict[str, Any]]) -> None:
        """Record the run's batches as queued (numbered from 0)."""
        if not refs:
            return
        now = utc_now()
        rows = [
            {
                "run_id": run_id,
                "number": number,
                "ref": json.dumps(ref, sort_keys=True),
                "status": QUEUED,
                "attempts": 0,
                "sent_at": now,
                "items_done": 0,
                "items_skipped": 0,
                "items_failed": 0,
            }
            for number, ref in enumerate(refs)
        ]
        with self.store.engine.begin() as conn:
            conn.execute(insert(schema.job_batches), rows)

    def batch(self, run_id: int, number: int) -> Batch | None:
        """One batch, or None."""
        table = schema.job_batches
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(table).where(table.c.run_id == run_id, table.c.number == number)
            ).first()
        return None if row is None else _batch(row)

    def batches(self, run_id: int) -> list[Batch]:
        """Every batch of a run, by number."""
        table = schema.job_batches
        query = select(table).where(table.c.run_id == run_id).order_by(table.c.number)
        with self.store.engine.connect() as conn:
            return [_batch(row) for row in conn.execute(query)]

    def sent(self, run_id: int, number: int) -> None:
        """The batch was handed to the broker (again) now."""
        self._update(run_id, number, sent_at=utc_now())

    def claimed(self, run_id: int, number: int, worker: str) -> None:
        """``worker`` (holding the batch's lease) starts on it."""
        table = schema.job_batches
        self._update(
            run_id,
            number,
            status=RUNNING,
            worker=worker,
            attempts=table.c.attempts + 1,
            started_at=utc_now(),
        )

    def finished(self, run_id: int, number: int, worker: str, counts: Counts) -> None:
        """``worker`` finished the batch with these counts (it is never worked on again)."""
        self._update(
            run_id,
            number,
            status=DONE,
            worker=worker,
            ended_at=utc_now(),
            items_done=counts.done,
            items_skipped=counts.skipped,
            items_failed=counts.failed,
        )

    def _update(self, run_id: int, number: int, **values: Any) -> None:
        table = schema.job_batches
        with self.store.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.run_id == run_id, table.c.number == number)
                .where(table.c.status != DONE)
                .values(**values)
            )

    def lost(self, run_id: int, numbers: Sequence[int]) -> list[int]:
        """Of these running batches, those whose worker is gone: its lease expired (by the
        store's clock) or names a dead process of this host."""
        if not numbers:
            return []
        names = {batch_lease(run_id, n): n for n in numbers}
        # The leases are the store's: asked through its function, not its table.
        gone = [names[name] for name in lapsed_leases(self.store, list(names))]
        if not gone:
            return []
        # Read after the leases: a worker marks its batch done before it gives the lease
        # back, so a batch still running now really lost its worker.
        table = schema.job_batches
        query = select(table.c.number).where(
            table.c.run_id == run_id, table.c.number.in_(gone), table.c.status == RUNNING
        )
        with self.store.engine.connect() as conn:
            return sorted(int(number) for (number,) in conn.execute(query))

    def workers(self, run_ids: Sequence[int]) -> dict[int, list[WorkerShare]]:
        """Run id -> what each worker did in it (done batches only), busiest first."""
        if not run_ids:
            return {}
        table = schema.job_batches
        query = (
            select(
                table.c.run_id,
                table.c.worker,
                func.count(),
                func.sum(table.c.items_done),
                func.sum(table.c.items_skipped),
                func.sum(table.c.items_failed),
            )
            .where(table.c.run_id.in_(list(run_ids)), table.c.status == DONE)
            .group_by(table.c.run_id, table.c.worker)
        )
        found: dict[int, list[WorkerShare]] = {}
        with self.store.engine.connect() as conn:
            for run_id, worker, batches, done, skipped, failed in conn.execute(query):
                found.setdefault(int(run_id), []).append(
                    WorkerShare(str(worker), int(batches), int(done), int(skipped), int(failed))
                )
        for shares in found.values():
            shares.sort(key=lambda share: (-share.batches, share.worker))
        return found

    def in_progress(self) -> InProgress:
        """The batches of runs still running: those waiting for a worker, and those a
        worker is on now (with its name and since when), oldest first."""
        batches, runs = schema.job_batches, schema.job_runs
        open_runs = select(runs.c.id).where(runs.c.status == RunStatus.running.value)
        query = (
            select(
                batches.c.run_id,
                runs.c.job,
                batches.c.number,
                batches.c.status,
                batches.c.worker,
                batches.c.started_at,
            )
            .join(runs, runs.c.id == batches.c.run_id)
            .where(batches.c.run_id.in_(open_runs), batches.c.status != DONE)
            .order_by(batches.c.run_id, batches.c.number)
        )
        queued = 0
        running: list[RunningBatch] = []
        with self.store.engine.connect() as conn:
            for run_id, job, number, status, worker, started_at in conn.execute(query):
                if status == QUEUED:
                    queued += 1
                    continue
                running.append(
                    RunningBatch(
                        int(run_id),
                        str(job),
                        int(number),
                        str(worker or ""),
                        None if started_at is None else as_utc(started_at),
                    )
                )
        return InProgress(queued, running)


@dataclass(frozen=True)
class RunningBatch:
    """A batch a worker is on now."""

    run_id: int
    job: str
    number: int
    worker: str
    started_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "run_id": self.run_id,
            "job": self.job,
            "batch": self.number,
            "worker": self.worker,
            "started_at": None if self.started_at is None else iso_utc(self.started_at),
        }


@dataclass(frozen=True)
class InProgress:
    """The batches of open runs: how many wait for a worker, which are being worked on."""

    queued: int
    running: list[RunningBatch]
