"""Refresh runs in the one run ledger: a refresh is a run of job ``refresh``.

Every ``parity refresh`` is recorded like any job run (``parity.jobs.records``): job
``refresh``, scope the target environment, an integer id, ``status`` ``running``,
``succeeded``, ``failed`` or ``interrupted``, ``started_at``/``ended_at``, the tables as
its items, the verification as its expected-result check. A rollback is a run of job
``refresh-rollback``; the refresh it undid gets ``rolled_back_by``. So ``parity refresh
history`` and ``parity jobs history`` show the same records.

What only a refresh has lives beside its run, keyed by the run's id (``refresh_runs``):
the source, the target's key (server + schema + prefix, what the lease is per), the plan's
fingerprint, the rollback token, the stage reached (``cleanup``, ``copy``, ``verify``,
``swap``, ``prune``, ``done``) and whether a later refresh may still continue its shadow
tables (``resumable``). A refresh killed with ``kill -9`` stays ``running`` until the next
refresh of the target, which holds the lease and so knows it is dead: it is marked
``interrupted`` (ended at its last heartbeat), and the new run resumes its checkpoints
(``resumed_from``) or leaves them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from parity.jobs.model import (
    CheckContext,
    CheckOutcome,
    CheckStatus,
    Counts,
    Job,
    RollbackNote,
    RunStatus,
)
from parity.jobs.records import JobRecords, RunRecord
from parity.store import Store, schema

__all__ = [
    "REFRESH_JOB",
    "ROLLBACK_JOB",
    "RefreshDetails",
    "RefreshRun",
    "RunStatus",
    "chain_started_at",
    "finish_run",
    "heartbeat",
    "interrupt_dead_runs",
    "list_history",
    "listed_jobs",
    "refresh_job",
    "refresh_rollback_job",
    "set_resumable",
    "set_stage",
    "settle_swapped",
    "start_run",
    "unfinished_runs",
]

#: The job name of a refresh, and of a refresh's rollback, in the run ledger.
REFRESH_JOB = "refresh"
ROLLBACK_JOB = "refresh-rollback"

#: What a refresh checks before its swap (its "expected result").
EXPECTED = (
    "every shadow table matches the source before the swap: row counts, definitions,"
    " checksums, serialized values"
)

#: The note a run killed after its swap gets when a later refresh finishes it.
FINISHED_LATER = "stopped after the swap; finished by a later run"


@dataclass(frozen=True)
class _CheckedBeforeSwap:
    """A refresh verifies its copy inside the run, before the swap (``refresh/verify.py``)."""

    label: str = EXPECTED

    def describe(self) -> str:
        """What is expected, on one line."""
        return self.label

    def evaluate(self, context: CheckContext) -> CheckOutcome:
        """Nothing to do after the run: the refresh checked before it swapped."""
        return CheckOutcome(True, "verified by the refresh itself, before its swap")


def refresh_job(owner: str, source: str, target: str) -> Job:
    """The ``refresh`` job of one source and target, as its runs record it."""
    return Job(
        name=REFRESH_JOB,
        owner=owner,
        description=f"Copy {source}'s database onto {target}: rewritten, scrubbed, verified,"
        " swapped in atomically.",
        expected=_CheckedBeforeSwap(),
        rollback=RollbackNote(
            "Puts back the tables this refresh replaced, in one RENAME TABLE, while its"
            " rollback point is kept",
            command=f"parity refresh rollback {target}",
        ),
        run_hint=f"parity refresh --from {source} --to {target}",
    )


def refresh_rollback_job(owner: str, target: str, refresh_run: int) -> Job:
    """The ``refresh-rollback`` job that undoes refresh ``refresh_run`` of ``target``."""
    return Job(
        name=ROLLBACK_JOB,
        owner=owner,
        description=f"Put back {target}'s tables from before refresh {refresh_run}.",
        expected=_CheckedBeforeSwap("the tables of the rollback point are live again"),
        rollback=RollbackNote(
            "Refresh again to redo the refresh", command=f"parity refresh --to {target}"
        ),
        run_hint=f"parity refresh rollback {target}",
    )


def listed_jobs(owner: str) -> list[Job]:
    """``refresh`` and ``refresh-rollback`` as ``parity jobs list`` shows them: for any
    source and target (each run records its own)."""
    rollback = refresh_rollback_job(owner, "TARGET", 0)
    return [
        refresh_job(owner, "SOURCE", "TARGET"),
        replace(rollback, description="Put back TARGET's tables from before a refresh."),
    ]


@dataclass(frozen=True)
class RefreshDetails:
    """What a refresh run has beyond its row in the ledger."""

    source: str
    target_key: str
    fingerprint: str
    token: str
    stage: str
    resumable: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``refresh`` key of a run in ``refresh history``)."""
        return {"source": self.source, "stage": self.stage, "rollback_token": self.token}


@dataclass(frozen=True)
class RefreshRun:
    """A run of the ledger as ``refresh history`` shows it: a refresh (with its details)
    or a rollback (``details`` None)."""

    record: RunRecord
    details: RefreshDetails | None = None

    @property
    def id(self) -> int:
        """The run's id in the ledger."""
        return self.record.id

    @property
    def target(self) -> str:
        """The environment refreshed (the run's scope)."""
        return self.record.scope

    @property
    def started_at(self) -> datetime:
        """When the run started (UTC)."""
        return self.record.started_at

    @property
    def refresh(self) -> RefreshDetails:
        """The refresh's details (only for runs of job ``refresh``)."""
        assert self.details is not None, f"run {self.id} is not a refresh"
        return self.details

    def as_dict(self) -> dict[str, Any]:
        """A RUN (as ``jobs history`` prints it) plus ``refresh``: its source, stage and
        rollback token (null for a rollback run)."""
        return {
            **self.record.as_dict(),
            "refresh": None if self.details is None else self.details.as_dict(),
        }


def _details(row: Any) -> RefreshDetails:
    return RefreshDetails(
        source=row.source,
        target_key=row.target_key,
        fingerprint=row.fingerprint,
        token=row.token,
        stage=row.stage,
        resumable=bool(row.resumable),
    )


def _details_of(store: Store, run_ids: Sequence[int]) -> dict[int, RefreshDetails]:
    if not run_ids:
        return {}
    table = schema.refresh_runs
    with store.engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.run_id.in_(list(run_ids)))).all()
    return {int(row.run_id): _details(row) for row in rows}


def start_run(
    store: Store,
    job: Job,
    *,
    target: str,
    holder: str,
    details: RefreshDetails,
    tables: int,
    resumed_from: int | None = None,
) -> RefreshRun:
    """Record a new running refresh (its ledger row, then its details)."""
    records = JobRecords(store)
    run_id = records.create_run(
        job,
        scope=target,
        runner="in-process",
        holder=holder,
        parameters={"source": details.source, "environment": target},
        total=tables,
        resumed_from=resumed_from,
    )
    with store.engine.begin() as conn:
        conn.execute(
            insert(schema.refresh_runs).values(
                run_id=run_id,
                source=details.source,
                target_key=details.target_key,
                fingerprint=details.fingerprint,
                token=details.token,
                stage=details.stage,
                resumable=details.resumable,
            )
        )
    record = records.run(run_id)
    assert record is not None
    return RefreshRun(record, details)


def set_stage(store: Store, run_id: int, stage: str, *, tables_done: int | None = None) -> None:
    """Record the stage a run reached (and that it is alive)."""
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.refresh_runs)
            .where(schema.refresh_runs.c.run_id == run_id)
            .values(stage=stage)
        )
    if tables_done is not None:
        heartbeat(store, run_id, tables_done)


def heartbeat(store: Store, run_id: int, tables_done: int) -> None:
    """The run is alive and has copied ``tables_done`` tables."""
    JobRecords(store).heartbeat(run_id, Counts(done=tables_done))


def set_resumable(store: Store, run_id: int, resumable: bool) -> None:
    """Whether a later refresh may continue this run's shadow tables."""
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.refresh_runs)
            .where(schema.refresh_runs.c.run_id == run_id)
            .values(resumable=resumable)
        )


def finish_run(
    store: Store,
    run_id: int,
    status: RunStatus,
    *,
    tables_done: int,
    check_status: CheckStatus | None = None,
    check_detail: str | None = None,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
    stage: str | None = None,
    resumable: bool = False,
    ended_at: datetime | None = None,
) -> None:
    """Record how a refresh ended; ``resumable`` when its shadows may be continued."""
    JobRecords(store).finish_run(
        run_id,
        status,
        Counts(done=tables_done),
        check_status=None if check_status is None else str(check_status),
        check_detail=check_detail,
        summary=summary,
        error=error,
        ended_at=ended_at,
    )
    values: dict[str, Any] = {"resumable": resumable}
    if stage is not None:
        values["stage"] = stage
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.refresh_runs)
            .where(schema.refresh_runs.c.run_id == run_id)
            .values(**values)
        )


def settle_swapped(store: Store, run_id: int) -> None:
    """A run stopped after its swap (its data is live): it succeeded, finished by a later run.

    It keeps the time it stopped (its last heartbeat) as its end.
    """
    record = JobRecords(store).run(run_id)
    if record is None:
        return
    finish_run(
        store,
        run_id,
        RunStatus.succeeded,
        tables_done=record.items_done,
        check_status=CheckStatus.passed,
        check_detail=record.check_detail,
        summary={**(record.summary or {}), "note": FINISHED_LATER},
        stage="done",
        ended_at=record.ended_at or record.heartbeat_at,
    )


def interrupt_dead_runs(store: Store, target_key: str, target: str) -> list[int]:
    """Mark refreshes of this target still ``running`` as interrupted; their ids.

    Call only while holding the target's lease: a live refresh would hold it.
    """
    table = schema.refresh_runs
    with store.engine.connect() as conn:
        ids = [
            int(row[0])
            for row in conn.execute(select(table.c.run_id).where(table.c.target_key == target_key))
        ]
    records = JobRecords(store)
    # Also a run killed between its ledger row and its details (scope = the target).
    return sorted(
        set(records.interrupt_runs(ids)) | set(records.interrupt_running(REFRESH_JOB, target))
    )


def unfinished_runs(store: Store, target_key: str) -> list[RefreshRun]:
    """Runs of this target whose shadow tables a refresh may still continue, newest first.

    A run still ``running`` among them is dead when the caller holds the target's lease.
    """
    table = schema.refresh_runs
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(table).where(table.c.target_key == target_key, table.c.resumable.is_(True))
        ).all()
    details = {int(row.run_id): _details(row) for row in rows}
    return [RefreshRun(r, details[r.id]) for r in JobRecords(store).runs_with_ids(details)]


def chain_started_at(store: Store, run: RefreshRun) -> datetime:
    """When the first of the runs ``run`` continues (through ``resumed_from``) started:
    the age of the oldest data in its shadow tables."""
    records = JobRecords(store)
    started = run.started_at
    previous = run.record.resumed_from
    seen = {run.id}
    while previous is not None and previous not in seen:
        seen.add(previous)
        record = records.run(previous)
        if record is None or record.job != REFRESH_JOB:
            break
        started = record.started_at
        previous = record.resumed_from
    return started


def list_history(store: Store, target: str | None = None, *, limit: int = 20) -> list[RefreshRun]:
    """The latest refreshes and rollbacks (of one target environment when named), newest
    first."""
    records = JobRecords(store).runs([REFRESH_JOB, ROLLBACK_JOB], scope=target, limit=limit)
    details = _details_of(store, [r.id for r in records if r.job == REFRESH_JOB])
    return [RefreshRun(r, details.get(r.id)) for r in records]
