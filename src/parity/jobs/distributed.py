"""Running a job's batches on workers, with effects that happen exactly once.

The coordinator (:class:`DistributedRunner`, a :class:`~parity.jobs.runner.Runner`):

1. takes the job's lease and records the run in the ledger, like the in-process runner
   (runs left ``running`` are marked interrupted, items they left pending reconciled);
2. splits the items into numbered batches, each described by a small JSON ``ref``
   (``{"start": 0, "count": 500}``: positions in the work's items), records them
   (``parity.jobs.batches``) and hands each to the broker (``dispatch``);
3. watches the batches until every one is done: a batch whose worker's lease expired (by
   the store's clock) or whose worker is a dead process of this host is handed out again
   at once; one still queued is sent again after ``resend_after``, or after
   ``stall_after`` when no batch finished for that long (a broker that lost it: a
   restarted Redis drops what workers had reserved); duplicates are harmless;
4. runs the job's expected-result check and records the outcome.

A worker (:class:`BatchWorker`) rebuilds the run's work from its recorded parameters and
runs one batch under the lease ``job-batch:<run>:<number>``. It reads what its batch
needs, not what the run or the ledger holds: a work with ``batch_fingerprints(ref)``
(the fingerprints its batch's items may have, known before they are built) is told only
about the done records of those fingerprints, and each item is compared with the latest
done record of its own key. Exactly once, whatever the broker does:

* a batch already ``done`` is acknowledged and nothing else happens (a redelivery, or a
  worker killed after applying but before acknowledging);
* in a batch taken over from a worker that died, items this run already recorded ``done``
  are not applied again, and items left ``pending`` are reconciled from the target's
  state (``Work.recover``) before the rest are applied;
* two workers never hold the same batch: the lease decides.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from parity.errors import LockHeld
from parity.jobs.batches import DONE, QUEUED, RUNNING, JobBatches, batch_lease
from parity.jobs.model import (
    Counts,
    Item,
    ItemStatus,
    Job,
    PendingItem,
    RunStatus,
    Work,
)
from parity.jobs.records import RunRecord
from parity.jobs.runner import DEFAULT_LEASE, InProcessRunner, ProgressSink, StoreLog
from parity.store.holders import new_holder
from parity.store.leases import release_lease, take_lease
from parity.store.state import Store

if TYPE_CHECKING:
    from parity.config import Settings

__all__ = [
    "BatchWorker",
    "DistributedRunner",
    "Rebuild",
    "batch_items",
    "batch_refs",
]

log = logging.getLogger(__name__)

#: Seconds before a batch the broker refused is sent again.
_BROKER_RETRY_S = 2.0
#: Seconds between looks at the batches once none waits for a worker (the run's end).
_CLOSING_POLL_S = 0.1

#: Hands batch ``number`` of run ``run_id`` to the workers (the broker's job).
Dispatch = Callable[[int, int], None]
#: Builds, in a worker, the job and work of a recorded run from its parameters.
Rebuild = Callable[[RunRecord], tuple[Job, Work]]


def batch_refs(work: Work, total: int | None) -> list[dict[str, Any]]:
    """The refs of a run's batches: consecutive positions in ``work.items()``.

    >>> batch_refs(type("W", (), {"batch_size": 2})(), 5)
    [{'start': 0, 'count': 2}, {'start': 2, 'count': 2}, {'start': 4, 'count': 1}]
    """
    if total is None:
        total = sum(1 for _ in work.items())
    size = max(1, work.batch_size)
    return [{"start": s, "count": min(size, total - s)} for s in range(0, total, size)]


def batch_items(work: Work, ref: dict[str, Any]) -> list[Item]:
    """The items of one batch: the work's own ``batch_items(ref)`` when it has one (it can
    skip to the batch cheaply), else a slice of ``work.items()``."""
    own = getattr(work, "batch_items", None)
    if own is not None:
        return list(own(ref))
    start, count = int(ref["start"]), int(ref["count"])
    return list(islice(work.items(), start, start + count))


def _batch_fingerprints(work: Work) -> Callable[[dict[str, Any]], Iterable[str]] | None:
    """The work's ``batch_fingerprints(ref)``, if it has one."""
    found: Callable[[dict[str, Any]], Iterable[str]] | None = getattr(
        work, "batch_fingerprints", None
    )
    return found


class _Quiet:
    """A run log that keeps warnings and errors but not the per-batch chatter."""

    def __init__(self, log: StoreLog) -> None:
        self._log = log

    def info(self, message: str) -> None:
        """Dropped."""

    def warning(self, message: str) -> None:
        """Kept."""
        self._log.warning(message)

    def error(self, message: str) -> None:
        """Kept."""
        self._log.error(message)


class DistributedRunner(InProcessRunner):
    """Records a run and hands its batches to workers through ``dispatch``."""

    name = "celery"

    def __init__(
        self,
        store: Store,
        dispatch: Dispatch,
        *,
        settings: Settings | None = None,
        lease_ttl: timedelta = DEFAULT_LEASE,
        progress: ProgressSink | None = None,
        poll_s: float = 0.5,
        resend_after: timedelta = timedelta(minutes=5),
        stall_after: timedelta = timedelta(seconds=30),
        name: str = "celery",
    ) -> None:
        super().__init__(store, settings=settings, lease_ttl=lease_ttl, progress=progress)
        self.dispatch = dispatch
        self.batches = JobBatches(store)
        self.poll_s = poll_s
        self.resend_after = resend_after
        self.stall_after = stall_after
        self._lost_sent: dict[tuple[int, int], float] = {}
        self.name = name

    def run(self, job: Job, work: Work, *, recheck: bool = False) -> RunRecord:
        """Record the run, hand out its batches, wait for them, check; see the module doc."""
        holder = new_holder(job.name)
        lease = self._take_lease(f"job:{work.lock}", holder)
        try:
            interrupted = self.records.interrupt_running(job.name, work.scope)
            run_id = self.records.create_run(
                job,
                scope=work.scope,
                runner=self.name,
                holder=holder,
                parameters=dict(work.parameters()),
                total=work.total(),
                resumed_from=max(interrupted) if interrupted else None,
            )
            run_log = StoreLog(self.records, run_id)
            for old in interrupted:
                run_log.warning(f"run {old} was interrupted (its process stopped); resuming")
            counts = Counts()
            try:
                self._recover(job, work, run_log)

                def start() -> None:
                    done = {} if recheck else self.records.done_fingerprints(job.name, work.scope)
                    work.start(run_id, run_log, done)

                if work.total() is None:  # batching walks the items: the work starts first
                    start()
                    self._hand_out(work, run_id, run_log, counts, lease.renew_if_due)
                else:
                    # The workers need nothing of this process's start (its reads of the
                    # ledger and the target): they begin on their batches meanwhile.
                    self._hand_out(work, run_id, run_log, counts, lease.renew_if_due, start)
                # Walk the items once more, knowing what is done now (cheap: a done .txt
                # article is recognised by its hash), so the work knows what its source
                # holds for the report and the check.
                work.start(
                    run_id, _Quiet(run_log), self.records.done_fingerprints(job.name, work.scope)
                )
                for _ in work.items():
                    pass
            except (KeyboardInterrupt, Exception) as exc:
                return self._ended_by(
                    exc,
                    work,
                    run_id,
                    run_log,
                    counts,
                    interrupted="stopped by the user (Ctrl-C); queued batches are dropped",
                )
            return self._finish(job, work, run_id, run_log, counts)
        finally:
            try:
                work.close()
            finally:
                release_lease(self.store, lease.lease)

    def _hand_out(
        self,
        work: Work,
        run_id: int,
        run_log: StoreLog,
        counts: Counts,
        renew: Callable[[], None],
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """Record and send the batches, run ``meanwhile`` (if given), wait for them all."""
        total = work.total()
        refs = batch_refs(work, total)
        self.batches.create(run_id, refs)
        run_log.info(f"{len(refs)} batch(es) of up to {work.batch_size} items for the workers")
        if self.progress is not None:
            self.progress.started(total)
        resent: dict[int, float] = {}
        for number in range(len(refs)):
            self._send(run_id, run_log, number, resent, time.monotonic())
        if meanwhile is not None:
            meanwhile()
        finished: set[int] = set()
        progressed = time.monotonic()
        looked = float("-inf")
        while len(finished) < len(refs):
            batches = self.batches.batches(run_id)
            for batch in batches:
                if batch.status == DONE and batch.number not in finished:
                    finished.add(batch.number)
                    progressed = time.monotonic()
                    counts.add(batch.counts)
                    if self.progress is not None:
                        c = batch.counts
                        self.progress.advanced(c.done, c.skipped, c.failed)
            if len(finished) == len(refs):
                break
            if time.monotonic() - looked >= self.poll_s:
                looked = time.monotonic()
                self.records.heartbeat(run_id, counts)
                renew()
                stalled = time.monotonic() - progressed >= self.stall_after.total_seconds()
                self._resend(run_id, run_log, batches, resent, stalled=stalled)
            # Once no batch waits for a worker, the run ends with the next batch that
            # finishes: look more often (only at the batches), so the command goes on to
            # its check without idling up to a whole poll after the last one.
            closing = all(batch.status != QUEUED for batch in batches)
            time.sleep(min(self.poll_s, _CLOSING_POLL_S) if closing else self.poll_s)
        self.records.heartbeat(run_id, counts)

    def _resend(
        self,
        run_id: int,
        run_log: StoreLog,
        batches: Sequence[Any],
        resent: dict[int, float],
        *,
        stalled: bool,
    ) -> None:
        now = time.monotonic()
        # While batches keep finishing, a queued one is only waiting its turn; when none
        # finished for a while, the broker may have lost what it held (a restart drops
        # the messages workers had reserved): queued ones are sent again.
        pause = (self.stall_after if stalled else self.resend_after).total_seconds()

        def due(number: int) -> bool:
            return now - resent.get(number, float("-inf")) >= pause

        running = [b for b in batches if b.status == RUNNING]
        lost = set(self.batches.lost(run_id, [b.number for b in running]))
        for batch in running:
            # At once the first time; again only if no worker took it meanwhile.
            again = self._lost_sent.get((run_id, batch.number))
            if batch.number in lost and (
                again is None or now - again >= self.stall_after.total_seconds()
            ):
                self._lost_sent[(run_id, batch.number)] = now
                run_log.warning(
                    f"batch {batch.number}: its worker {batch.worker} stopped; handed out again"
                )
                self._send(run_id, run_log, batch.number, resent, now)
        for batch in batches:
            if batch.status == QUEUED and due(batch.number):
                run_log.warning(f"batch {batch.number}: no worker took it yet; sent again")
                self._send(run_id, run_log, batch.number, resent, now)

    def _send(
        self, run_id: int, run_log: StoreLog, number: int, resent: dict[int, float], now: float
    ) -> None:
        resent[number] = now
        self.batches.sent(run_id, number)
        try:
            self.dispatch(run_id, number)
        except Exception as exc:  # the broker is down or restarting: try again soon
            run_log.warning(
                f"batch {number}: the broker did not take it ({exc.__class__.__name__});"
                " trying again"
            )
            resent[number] = now - self.resend_after.total_seconds() + _BROKER_RETRY_S


class BatchWorker(InProcessRunner):
    """Runs batches of recorded runs in a worker process (see the module docstring)."""

    name = "worker"

    def __init__(
        self,
        store: Store,
        rebuild: Rebuild,
        *,
        settings: Settings | None = None,
        lease_ttl: timedelta = DEFAULT_LEASE,
        holder: str | None = None,
    ) -> None:
        super().__init__(store, settings=settings, lease_ttl=lease_ttl)
        self.rebuild = rebuild
        self.batches = JobBatches(store)
        #: This worker's name in the ledger: ``host:pid:worker-<token>``.
        self.holder = holder or new_holder("worker")

    def run_batch(self, run_id: int, number: int) -> str:
        """Run batch ``number`` of run ``run_id`` unless it is done or held; what happened:
        ``done``, ``already done``, ``held`` (a live worker has it), ``run ended``,
        ``unknown``."""
        batch = self.batches.batch(run_id, number)
        if batch is None:
            return "unknown"
        if batch.done:
            return "already done"
        run = self.records.run(run_id)
        if run is None or run.status is not RunStatus.running:
            return "run ended"
        try:
            lease = take_lease(self.store, batch_lease(run_id, number), self.holder, self.lease_ttl)
        except LockHeld:
            return "held"
        try:
            batch = self.batches.batch(run_id, number)  # again, now that we hold it
            if batch is None or batch.done:
                return "already done"
            self.batches.claimed(run_id, number, self.holder)
            job, work = self.rebuild(run)
            try:
                counts = self._settle(job, work, run, number, batch.ref)
            finally:
                work.close()
            self.batches.finished(run_id, number, self.holder, counts)
        finally:
            release_lease(self.store, lease)
        return "done"

    def _settle(
        self, job: Job, work: Work, run: RunRecord, number: int, ref: dict[str, Any]
    ) -> Counts:
        run_id = run.id
        run_log = StoreLog(self.records, run_id)
        recheck = bool(run.parameters.get("recheck"))
        done = {} if recheck else self._done_for(job, work, ref)
        work.start(run_id, _Quiet(run_log), done)
        items = batch_items(work, ref)
        if not recheck and _batch_fingerprints(work) is not None:
            # What the runner compares each item with: the latest done fingerprint of each
            # of the batch's keys (an indexed read of this batch's keys only).
            keys = [item.key for item in items]
            done = self.records.done_fingerprints(job.name, work.scope, keys=keys)
        counts = Counts()
        settled = self._already_recorded(job, work, run_id, number, run_log, items, counts)
        fresh = [item for item in items if item.key not in settled]
        seen: set[str] = set()
        counts.add(self._batch(job, work, run_id, run_log, fresh, done, seen))
        return counts

    def _done_for(self, job: Job, work: Work, ref: dict[str, Any]) -> dict[str, str]:
        """What ``work.start`` is told is done. A work that can name its batch's
        fingerprints before it builds the items (``batch_fingerprints(ref)``: a ``.txt``
        article's is the hash of its file) is told about those only: a read of the batch,
        not of every item the ledger holds for the job and scope, which grows with the run
        (and with every run before it)."""
        fingerprints = _batch_fingerprints(work)
        if fingerprints is None:
            return self.records.done_fingerprints(job.name, work.scope)
        return self.records.done_fingerprints(
            job.name, work.scope, fingerprints=list(fingerprints(ref))
        )

    def _already_recorded(
        self,
        job: Job,
        work: Work,
        run_id: int,
        number: int,
        run_log: StoreLog,
        items: Iterable[Item],
        counts: Counts,
    ) -> set[str]:
        """Keys an earlier delivery of this batch settled (counted into ``counts``);
        items it left pending are reconciled first."""
        records = list(self.records.latest_items(run_id, [item.key for item in items]).values())
        pending = [r for r in records if r.status is ItemStatus.pending]
        settled: set[str] = set()
        if pending:
            run_log.warning(
                f"batch {number}: {len(pending)} item(s) were left pending by a worker that"
                " stopped; reconciling"
            )
            asked = [
                PendingItem(r.id, r.run_id, r.key, r.fingerprint, r.action, r.target, r.undo)
                for r in pending
            ]
            results = {result.key: result for result in work.recover(asked, run_log)}
            resolved = []
            for item in asked:
                result = results.get(item.key)
                if result is None:
                    continue
                resolved.append((item, result))
                if result.ok:  # applied before the worker stopped: not again
                    settled.add(item.key)
                    counts.count(ItemStatus.done, result.action)
            self.records.resolve_pending(resolved)
        for record in records:
            if record.status in (ItemStatus.done, ItemStatus.skipped):
                settled.add(record.key)
                counts.count(record.status, record.action)
        return settled
