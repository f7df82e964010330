"""Running a job: the runner interface, and the built-in in-process runner.

The in-process runner, for one run of a job:

1. takes the job's lease (a holder that died on this host is replaced at once; one on
   another host only when its lease expires), so two runs never overlap;
2. marks runs still 'running' as interrupted and reconciles the items they left
   pending (``Work.recover``), so their effects are attributed and can be rolled back;
   then starts the work, telling it what is already done;
3. walks the items in batches: an item whose key was last done with the same
   fingerprint is skipped; the others are planned, recorded as pending with their undo
   data, applied, then recorded done or failed; the lease is renewed as it goes;
4. runs the job's expected-result check and records the outcome.

The :class:`Runner` protocol is the seam for other runners: a distributed queue can
record the run the same way and hand batches to workers that rebuild the ``Work`` from
the run's recorded parameters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import TYPE_CHECKING, Protocol

from parity.errors import LockHeld, ParityError
from parity.jobs.model import (
    UNCHANGED,
    CheckContext,
    CheckOutcome,
    CheckStatus,
    Counts,
    Item,
    ItemResult,
    ItemStatus,
    Job,
    RunStatus,
    Step,
    Work,
)
from parity.jobs.records import JobRecords, RunRecord
from parity.store.holders import new_holder
from parity.store.leases import Lease, acquire_lease, release_lease, take_lease
from parity.store.state import Store

if TYPE_CHECKING:
    from parity.config import Settings

__all__ = ["DEFAULT_LEASE", "InProcessRunner", "ProgressSink", "Runner", "StoreLog"]

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=5)


class ProgressSink(Protocol):
    """Told how a run advances (the CLI draws a progress bar from it)."""

    def started(self, total: int | None) -> None:
        """The run starts; ``total`` items are expected (None when unknown)."""
        ...

    def advanced(self, done: int, skipped: int, failed: int) -> None:
        """This many more items were done, skipped and failed."""
        ...


class Runner(Protocol):
    """Runs a job's work and records the run."""

    name: str

    def run(self, job: Job, work: Work, *, recheck: bool = False) -> RunRecord:
        """Run ``work`` for ``job``; returns the recorded run."""
        ...


class StoreLog:
    """A run's log: each line goes to the state store and to Python logging."""

    def __init__(self, records: JobRecords, run_id: int) -> None:
        self.records = records
        self.run_id = run_id

    def _add(self, level: int, message: str) -> None:
        log.log(level, "run %d: %s", self.run_id, message)
        self.records.add_log(self.run_id, logging.getLevelName(level).lower(), message)

    def info(self, message: str) -> None:
        """Record an informational line."""
        self._add(logging.INFO, message)

    def warning(self, message: str) -> None:
        """Record a warning."""
        self._add(logging.WARNING, message)

    def error(self, message: str) -> None:
        """Record an error."""
        self._add(logging.ERROR, message)


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, max(1, size))):
        yield batch


@dataclass
class _Lease:
    """The run's lease, renewed when a third of its time has gone."""

    store: Store
    lease: Lease
    ttl: timedelta
    renewed_at: float

    def renew_if_due(self) -> None:
        if time.monotonic() - self.renewed_at < self.ttl.total_seconds() / 3:
            return
        # The same owner renews; if another run took it over (we stalled past the
        # expiry), this raises LockHeld and the run stops rather than overlap.
        self.lease = acquire_lease(self.store, self.lease.name, self.lease.owner, self.ttl)
        self.renewed_at = time.monotonic()


class InProcessRunner:
    """The built-in runner: the work runs in this process, batch after batch."""

    name = "in-process"

    def __init__(
        self,
        store: Store,
        *,
        settings: Settings | None = None,
        lease_ttl: timedelta = DEFAULT_LEASE,
        progress: ProgressSink | None = None,
    ) -> None:
        self.store = store
        self.records = JobRecords(store)
        self.settings = settings
        self.lease_ttl = lease_ttl
        self.progress = progress

    # -- the lease -----------------------------------------------------------------

    def _take_lease(self, name: str, holder: str) -> _Lease:
        try:
            lease = take_lease(self.store, name, holder, self.lease_ttl)
        except LockHeld as exc:
            raise LockHeld(
                f"another run is in progress: {exc.message}",
                hint="wait for it to finish; a killed run's lease is taken over by the next"
                " start on the same host, or expires by itself",
            ) from None
        return _Lease(self.store, lease, self.lease_ttl, time.monotonic())

    # -- a run ---------------------------------------------------------------------

    def run(self, job: Job, work: Work, *, recheck: bool = False) -> RunRecord:
        """Run ``work`` for ``job`` and record it; see the module docstring."""
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
            return self._run(job, work, run_id, run_log, lease, recheck=recheck)
        finally:
            try:
                work.close()
            finally:
                release_lease(self.store, lease.lease)

    def _run(
        self, job: Job, work: Work, run_id: int, run_log: StoreLog, lease: _Lease, *, recheck: bool
    ) -> RunRecord:
        counts = Counts()
        try:
            self._recover(job, work, run_log)
            done = {} if recheck else self.records.done_fingerprints(job.name, work.scope)
            work.start(run_id, run_log, done)
            if self.progress is not None:
                self.progress.started(work.total())
            seen: set[str] = set()
            for batch in _batches(work.items(), work.batch_size):
                step_counts = self._batch(job, work, run_id, run_log, batch, done, seen)
                counts.add(step_counts)
                self.records.heartbeat(run_id, counts)
                lease.renew_if_due()
                if self.progress is not None:
                    self.progress.advanced(
                        step_counts.done, step_counts.skipped, step_counts.failed
                    )
        except (KeyboardInterrupt, Exception) as exc:
            return self._ended_by(exc, work, run_id, run_log, counts)
        return self._finish(job, work, run_id, run_log, counts)

    def _finish(
        self, job: Job, work: Work, run_id: int, run_log: StoreLog, counts: Counts
    ) -> RunRecord:
        """Every item is through: check the expected result and record how the run ended."""
        summary = self._report(work)
        status = RunStatus.succeeded if counts.failed == 0 else RunStatus.failed
        run_log.info(f"items finished; checking: {job.expected.describe()}")
        outcome = self._check(job, work, run_id)
        (run_log.info if outcome.passed else run_log.warning)(
            f"expected result {outcome.status}: {outcome.detail}"
        )
        run_log.info(
            f"finished: {counts.done} done, {counts.skipped} skipped, {counts.failed} failed"
        )
        self.records.finish_run(
            run_id,
            status,
            counts,
            check_status=str(outcome.status),
            check_detail=outcome.detail,
            summary=summary,
        )
        return self._record(run_id)

    def _ended_by(
        self,
        exc: BaseException,
        work: Work,
        run_id: int,
        run_log: StoreLog,
        counts: Counts,
        *,
        interrupted: str = "stopped by the user (Ctrl-C)",
    ) -> RunRecord:
        """Record a run that ``exc`` ended; call it from the ``except`` clause.

        A ParityError fails the run, which is returned; Ctrl-C interrupts it and any other
        exception fails it, and those two are raised again (after being recorded).
        """
        if isinstance(exc, ParityError):
            run_log.error(exc.one_line())
            self.records.finish_run(
                run_id,
                RunStatus.failed,
                counts,
                check_status=str(CheckStatus.not_run),
                summary=self._report(work),
                error=exc.one_line(),
            )
            return self._record(run_id)
        if isinstance(exc, KeyboardInterrupt):
            run_log.error(interrupted)
            self.records.finish_run(
                run_id, RunStatus.interrupted, counts, error="stopped by the user"
            )
        else:
            run_log.error(f"unexpected error: {exc.__class__.__name__}: {exc}")
            self.records.finish_run(
                run_id, RunStatus.failed, counts, error=f"unexpected {exc.__class__.__name__}"
            )
        raise exc

    def _record(self, run_id: int) -> RunRecord:
        record = self.records.run(run_id)
        assert record is not None
        return record

    @staticmethod
    def _report(work: Work) -> dict[str, object]:
        try:
            return dict(work.report())
        except ParityError as exc:
            return {"report_error": exc.one_line()}

    def _recover(self, job: Job, work: Work, run_log: StoreLog) -> None:
        pending = self.records.pending_items(job.name, work.scope)
        if not pending:
            return
        run_log.warning(f"{len(pending)} item(s) were left pending by earlier runs; reconciling")
        results = work.recover(pending, run_log)
        by_key = {result.key: result for result in results}
        resolved = []
        per_run: dict[int, Counts] = {}
        for item in pending:
            result = by_key.get(item.key) or ItemResult(
                item.key, False, item.action, error="not reconciled"
            )
            resolved.append((item, result))
            status = ItemStatus.done if result.ok else ItemStatus.failed
            per_run.setdefault(item.run_id, Counts()).count(status, result.action)
        self.records.resolve_pending(resolved)
        for old_run, counts in per_run.items():
            self.records.add_to_counts(old_run, counts)
            run_log.info(
                f"run {old_run}: {counts.done} pending item(s) had been applied,"
                f" {counts.failed} had not (they are done again now)"
            )

    def _batch(
        self,
        job: Job,
        work: Work,
        run_id: int,
        run_log: StoreLog,
        batch: Sequence[Item],
        done: dict[str, str],
        seen: set[str],
    ) -> Counts:
        counts = Counts()
        fresh: list[Item] = []
        duplicates: list[Step] = []
        for item in batch:
            if item.key in seen:
                duplicates.append(Step(item, "duplicate"))
                continue
            seen.add(item.key)
            if done.get(item.key) == item.fingerprint:
                counts.count(ItemStatus.skipped, "already-done")
            else:
                fresh.append(item)
        if duplicates:
            for step in duplicates:
                where = f" ({step.item.label})" if step.item.label else ""
                run_log.error(f"{step.item.key}{where} appears twice in this run; first one used")
                counts.count(ItemStatus.failed, "duplicate")
            self.records.record_failed(
                run_id, job.name, work.scope, duplicates, "the key appears twice in this run"
            )
        if not fresh:
            return counts
        steps = work.plan(fresh, run_log)
        unchanged = [step for step in steps if step.action == UNCHANGED]
        todo = [step for step in steps if step.action != UNCHANGED]
        self.records.record_skipped(run_id, job.name, work.scope, unchanged)
        for _ in unchanged:
            counts.count(ItemStatus.skipped, UNCHANGED)
        if not todo:
            return counts
        self.records.record_pending(run_id, job.name, work.scope, todo)
        results = work.apply(todo, run_log)
        self.records.record_results(run_id, results)
        for result in results:
            counts.count(ItemStatus.done if result.ok else ItemStatus.failed, result.action)
            if not result.ok:
                run_log.error(f"{result.key}: {result.error}")
        return counts

    def _check(self, job: Job, work: Work, run_id: int) -> CheckOutcome:
        context = CheckContext(settings=self.settings, work=work, run_id=run_id)
        try:
            return job.expected.evaluate(context)
        except ParityError as exc:
            return CheckOutcome(False, f"the check could not run: {exc.one_line()}", error=True)
        except Exception as exc:  # a team's own check function may raise anything
            log.debug("check of %s raised", job.name, exc_info=True)
            return CheckOutcome(
                False, f"the check raised {exc.__class__.__name__}: {exc}", error=True
            )
