"""The run ledger: job runs, their items and log lines in the state store (SQLAlchemy Core).

Every run parity records is a row here, whatever ran it: a job through the runner, and a
refresh or its rollback (job ``refresh`` / ``refresh-rollback``, scope the target
environment, see ``parity.refresh.checkpoints``). So ``jobs history`` and ``refresh
history`` speak one vocabulary: integer ids, ``status`` in :class:`RunStatus`,
``started_at``/``ended_at`` and ``duration_s``.

Every write is one short transaction, so a run killed at any moment leaves the store
consistent: a run still marked ``running`` whose holder is gone is marked
``interrupted`` by the next start, and its ``pending`` items are reconciled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, func, insert, select, update
from sqlalchemy.engine import RowMapping

from parity.jobs.model import (
    Counts,
    ItemResult,
    ItemStatus,
    Job,
    PendingItem,
    RunStatus,
    Step,
)
from parity.store import schema
from parity.store.clock import as_utc, utc_now
from parity.store.state import Store

__all__ = ["ItemRecord", "JobRecords", "LogLine", "RunRecord"]


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class RunRecord:
    """One run as recorded."""

    id: int
    job: str
    scope: str
    owner: str
    description: str
    expected: str
    rollback_note: str
    rollback_command: str | None
    status: RunStatus
    runner: str
    started_at: datetime
    heartbeat_at: datetime
    ended_at: datetime | None
    items_total: int | None
    items_done: int
    items_skipped: int
    items_failed: int
    check_status: str | None
    check_detail: str | None
    parameters: dict[str, Any]
    summary: dict[str, Any] | None
    error: str | None
    resumed_from: int | None
    rolled_back_by: int | None

    @property
    def ok(self) -> bool:
        """Whether the run succeeded and its check did not fail."""
        return self.status is RunStatus.succeeded and self.check_status in (None, "passed")

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end (None while running)."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the stable shape of ``--format json``)."""
        return {
            "id": self.id,
            "job": self.job,
            "scope": self.scope,
            "owner": self.owner,
            "description": self.description,
            "status": str(self.status),
            "runner": self.runner,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "items": {
                "total": self.items_total,
                "done": self.items_done,
                "skipped": self.items_skipped,
                "failed": self.items_failed,
            },
            "check": {
                "expected": self.expected,
                "status": self.check_status,
                "detail": self.check_detail,
            },
            "rollback": {"note": self.rollback_note, "command": self.rollback_command},
            "parameters": self.parameters,
            "summary": self.summary,
            "error": self.error,
            "resumed_from": self.resumed_from,
            "rolled_back_by": self.rolled_back_by,
        }

    @classmethod
    def from_row(cls, row: RowMapping) -> RunRecord:
        """Build from a ``job_runs`` row."""
        started = as_utc(row["started_at"])
        heartbeat = as_utc(row["heartbeat_at"])
        return cls(
            id=int(row["id"]),
            job=row["job"],
            scope=row["scope"],
            owner=row["owner"],
            description=row["description"],
            expected=row["expected"],
            rollback_note=row["rollback_note"],
            rollback_command=row["rollback_command"],
            status=RunStatus(row["status"]),
            runner=row["runner"],
            started_at=started,
            heartbeat_at=heartbeat,
            ended_at=as_utc(row["ended_at"]),
            items_total=row["items_total"],
            items_done=int(row["items_done"]),
            items_skipped=int(row["items_skipped"]),
            items_failed=int(row["items_failed"]),
            check_status=row["check_status"],
            check_detail=row["check_detail"],
            parameters=_load(row["parameters"]) or {},
            summary=_load(row["summary"]),
            error=row["error"],
            resumed_from=row["resumed_from"],
            rolled_back_by=row["rolled_back_by"],
        )


@dataclass(frozen=True)
class ItemRecord:
    """One recorded item of a run."""

    id: int
    run_id: int
    key: str
    fingerprint: str
    status: ItemStatus
    action: str
    target: str | None
    undo: dict[str, Any] | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "key": self.key,
            "status": str(self.status),
            "action": self.action,
            "target": self.target,
            "error": self.error,
        }


@dataclass(frozen=True)
class LogLine:
    """One log line of a run."""

    at: datetime
    level: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"at": self.at.isoformat(), "level": self.level, "message": self.message}


def _item(row: RowMapping) -> ItemRecord:
    return ItemRecord(
        id=int(row["id"]),
        run_id=int(row["run_id"]),
        key=row["key"],
        fingerprint=row["fingerprint"],
        status=ItemStatus(row["status"]),
        action=row["action"],
        target=row["target"],
        undo=_load(row["undo"]),
        error=row["error"],
    )


class JobRecords:
    """Reads and writes job runs in one state store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- runs ----------------------------------------------------------------------

    def create_run(
        self,
        job: Job,
        *,
        scope: str,
        runner: str,
        holder: str,
        parameters: dict[str, Any],
        total: int | None,
        resumed_from: int | None,
    ) -> int:
        """Record a new running run; returns its id."""
        now = utc_now()
        with self.store.engine.begin() as conn:
            result = conn.execute(
                insert(schema.job_runs).values(
                    job=job.name,
                    scope=scope,
                    owner=job.owner,
                    description=job.description,
                    expected=job.expected.describe(),
                    rollback_note=job.rollback.text,
                    rollback_command=job.rollback.command,
                    status=str(RunStatus.running),
                    runner=runner,
                    holder=holder,
                    started_at=now,
                    heartbeat_at=now,
                    items_total=total,
                    items_done=0,
                    items_skipped=0,
                    items_failed=0,
                    parameters=_dump(parameters) or "{}",
                    resumed_from=resumed_from,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def heartbeat(self, run_id: int, counts: Counts) -> None:
        """Store the running counts and the time (the run is alive)."""
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.job_runs)
                .where(schema.job_runs.c.id == run_id)
                .values(
                    heartbeat_at=utc_now(),
                    items_done=counts.done,
                    items_skipped=counts.skipped,
                    items_failed=counts.failed,
                )
            )

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        counts: Counts,
        *,
        check_status: str | None = None,
        check_detail: str | None = None,
        summary: dict[str, Any] | None = None,
        error: str | None = None,
        ended_at: datetime | None = None,
    ) -> None:
        """Record how the run ended (``ended_at``: now unless given)."""
        now = ended_at or utc_now()
        with self.store.engine.begin() as conn:
            conn.execute(
                update(schema.job_runs)
                .where(schema.job_runs.c.id == run_id)
                .values(
                    status=str(status),
                    ended_at=now,
                    heartbeat_at=now,
                    items_done=counts.done,
                    items_skipped=counts.skipped,
                    items_failed=counts.failed,
                    check_status=check_status,
                    check_detail=check_detail,
                    summary=_dump(summary),
                    error=error,
                )
            )

    def add_to_counts(self, run_id: int, counts: Counts) -> None:
        """Add recovered items to an ended run's counts."""
        table = schema.job_runs
        with self.store.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == run_id)
                .values(
                    items_done=table.c.items_done + counts.done,
                    items_failed=table.c.items_failed + counts.failed,
                )
            )

    def interrupt_running(self, job: str, scope: str) -> list[int]:
        """Mark runs of ``job`` on ``scope`` still 'running' as interrupted; their ids.

        Call only while holding the job's lease: a live run would hold it.
        """
        table = schema.job_runs
        with self.store.engine.connect() as conn:
            ids = [
                int(row[0])
                for row in conn.execute(
                    select(table.c.id).where(
                        table.c.job == job,
                        table.c.scope == scope,
                        table.c.status == str(RunStatus.running),
                    )
                )
            ]
        return self.interrupt_runs(ids)

    def interrupt_runs(self, run_ids: Sequence[int]) -> list[int]:
        """Mark those of ``run_ids`` still 'running' as interrupted (they ended at their
        last heartbeat); returns the ids it marked.

        Call only while holding the lease those runs held: a live run would hold it.
        """
        if not run_ids:
            return []
        table = schema.job_runs
        running = and_(table.c.id.in_(list(run_ids)), table.c.status == str(RunStatus.running))
        with self.store.engine.begin() as conn:
            ids = [int(row[0]) for row in conn.execute(select(table.c.id).where(running))]
            if ids:
                conn.execute(
                    update(table)
                    .where(table.c.id.in_(ids))
                    .values(
                        status=str(RunStatus.interrupted),
                        ended_at=table.c.heartbeat_at,
                        error="the run's process stopped before it finished",
                    )
                )
        return sorted(ids)

    def set_rolled_back(self, run_id: int, by_run: int) -> None:
        """Record that ``by_run`` rolled back ``run_id``."""
        table = schema.job_runs
        with self.store.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == run_id).values(rolled_back_by=by_run))

    def run(self, run_id: int) -> RunRecord | None:
        """The run with this id, or None."""
        with self.store.engine.connect() as conn:
            row = (
                conn.execute(select(schema.job_runs).where(schema.job_runs.c.id == run_id))
                .mappings()
                .first()
            )
        return None if row is None else RunRecord.from_row(row)

    def runs(
        self,
        job: str | Sequence[str] | None = None,
        *,
        scope: str | None = None,
        limit: int = 20,
    ) -> list[RunRecord]:
        """The latest runs (of ``job`` or of any of several, else of every job; on
        ``scope`` when given), newest first by start time."""
        table = schema.job_runs
        query = select(table).order_by(table.c.started_at.desc(), table.c.id.desc()).limit(limit)
        if isinstance(job, str):
            query = query.where(table.c.job == job)
        elif job is not None:
            query = query.where(table.c.job.in_(list(job)))
        if scope is not None:
            query = query.where(table.c.scope == scope)
        with self.store.engine.connect() as conn:
            return [RunRecord.from_row(row) for row in conn.execute(query).mappings()]

    def runs_with_ids(self, run_ids: Iterable[int]) -> list[RunRecord]:
        """The runs with these ids (those that exist), newest first by start time."""
        table = schema.job_runs
        wanted = list(run_ids)
        if not wanted:
            return []
        query = (
            select(table)
            .where(table.c.id.in_(wanted))
            .order_by(table.c.started_at.desc(), table.c.id.desc())
        )
        with self.store.engine.connect() as conn:
            return [RunRecord.from_row(row) for row in conn.execute(query).mappings()]

    def last_runs(self) -> dict[str, RunRecord]:
        """The latest run of each job."""
        table = schema.job_runs
        latest = select(func.max(table.c.id)).group_by(table.c.job).scalar_subquery()
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.id.in_(latest))).mappings()
            return {row["job"]: RunRecord.from_row(row) for row in rows}

    # -- items ---------------------------------------------------------------------

    def done_fingerprints(
        self,
        job: str,
        scope: str,
        *,
        keys: Sequence[str] | None = None,
        fingerprints: Sequence[str] | None = None,
    ) -> dict[str, str]:
        """Key -> fingerprint of the latest done (or skipped) record of each key.

        Rolled-back and failed records do not count, so a rolled-back or failed item is
        done again by the next run.

        ``keys`` and/or ``fingerprints`` restrict the answer to those keys, and to the keys
        with a done record of one of those fingerprints (a worker's batch: what it may
        recognise, not everything the ledger holds); each key still maps to its latest
        done fingerprint, in the order of the unrestricted answer.
        """
        table = schema.job_items
        settled = [str(ItemStatus.done), str(ItemStatus.skipped)]
        mine = (table.c.job == job, table.c.scope == scope, table.c.status.in_(settled))
        result: dict[str, str] = {}
        if keys is None and fingerprints is None:
            everything = select(table.c.key, table.c.fingerprint).where(*mine)
            with self.store.engine.connect() as conn:
                for key, fingerprint in conn.execute(everything.order_by(table.c.id)):
                    result[key] = fingerprint
            return result
        query = select(table.c.id, table.c.key, table.c.fingerprint).where(*mine)
        queries = [query.where(table.c.key.in_(list(chunk))) for chunk in _chunks(list(keys or ()))]
        for chunk in _chunks(list(fingerprints or ())):
            known = select(table.c.key).where(*mine, table.c.fingerprint.in_(list(chunk)))
            queries.append(query.where(table.c.key.in_(known)))
        rows: dict[int, tuple[str, str]] = {}  # several queries: merged in the ledger's order
        with self.store.engine.connect() as conn:
            for each in queries:
                for id_, key, fingerprint in conn.execute(each):
                    rows[int(id_)] = (key, fingerprint)
        for id_ in sorted(rows):
            key, fingerprint = rows[id_]
            result[key] = fingerprint
        return result

    def record_pending(self, run_id: int, job: str, scope: str, steps: Sequence[Step]) -> None:
        """Write the steps as pending before they are applied (write-ahead)."""
        self._insert(run_id, job, scope, steps, ItemStatus.pending)

    def record_skipped(self, run_id: int, job: str, scope: str, steps: Sequence[Step]) -> None:
        """Record steps that found nothing to do."""
        self._insert(run_id, job, scope, steps, ItemStatus.skipped)

    def record_failed(
        self, run_id: int, job: str, scope: str, steps: Sequence[Step], error: str
    ) -> None:
        """Record steps that failed before they were applied (e.g. a duplicate key)."""
        self._insert(run_id, job, scope, steps, ItemStatus.failed, error=error)

    def _insert(
        self,
        run_id: int,
        job: str,
        scope: str,
        steps: Sequence[Step],
        status: ItemStatus,
        *,
        error: str | None = None,
    ) -> None:
        if not steps:
            return
        now = utc_now()
        rows = [
            {
                "run_id": run_id,
                "job": job,
                "scope": scope,
                "key": step.item.key,
                "fingerprint": step.item.fingerprint,
                "status": str(status),
                "action": step.action,
                "target": step.target,
                "undo": _dump(step.undo),
                "error": error,
                "updated_at": now,
            }
            for step in steps
        ]
        with self.store.engine.begin() as conn:
            conn.execute(insert(schema.job_items), rows)

    def record_results(self, run_id: int, results: Iterable[ItemResult]) -> None:
        """Resolve this run's pending items with their results (one statement, many rows)."""
        table = schema.job_items
        where = and_(table.c.run_id == run_id, table.c.key == bindparam("b_key"))
        self._resolve(where, [({"b_key": result.key}, result) for result in results])

    def resolve_pending(self, results: Sequence[tuple[PendingItem, ItemResult]]) -> None:
        """Resolve items an ended run left pending (after ``Work.recover``)."""
        where = schema.job_items.c.id == bindparam("b_id")
        self._resolve(where, [({"b_id": item.item_id}, result) for item, result in results])

    def _resolve(self, where: Any, rows: Sequence[tuple[dict[str, Any], ItemResult]]) -> None:
        if not rows:
            return
        table = schema.job_items
        statement = (
            update(table)
            .where(where, table.c.status == str(ItemStatus.pending))
            .values(
                status=bindparam("b_status"),
                action=bindparam("b_action"),
                error=bindparam("b_error"),
                updated_at=bindparam("b_at"),
                # A result without a target or undo keeps what was planned.
                target=func.coalesce(bindparam("b_target", type_=String()), table.c.target),
                undo=func.coalesce(bindparam("b_undo", type_=String()), table.c.undo),
            )
        )
        now = utc_now()
        params = [
            {
                **keys,
                "b_status": str(ItemStatus.done if result.ok else ItemStatus.failed),
                "b_action": result.action,
                "b_error": result.error,
                "b_at": now,
                "b_target": result.target,
                "b_undo": _dump(result.undo),
            }
            for keys, result in rows
        ]
        with self.store.engine.begin() as conn:
            conn.execute(statement, params)

    def pending_items(self, job: str, scope: str) -> list[PendingItem]:
        """Items of ended runs of ``job`` on ``scope`` that are still pending."""
        items = schema.job_items
        runs = schema.job_runs
        query = (
            select(items)
            .join(runs, runs.c.id == items.c.run_id)
            .where(
                items.c.job == job,
                items.c.scope == scope,
                items.c.status == str(ItemStatus.pending),
                runs.c.status != str(RunStatus.running),
            )
            .order_by(items.c.id)
        )
        with self.store.engine.connect() as conn:
            return [
                PendingItem(
                    item_id=int(row["id"]),
                    run_id=int(row["run_id"]),
                    key=row["key"],
                    fingerprint=row["fingerprint"],
                    action=row["action"],
                    target=row["target"],
                    undo=_load(row["undo"]),
                )
                for row in conn.execute(query).mappings()
            ]

    def items(self, run_id: int, status: ItemStatus | None = None) -> list[ItemRecord]:
        """The recorded items of a run, in the order they were recorded."""
        table = schema.job_items
        query = select(table).where(table.c.run_id == run_id).order_by(table.c.id)
        if status is not None:
            query = query.where(table.c.status == str(status))
        with self.store.engine.connect() as conn:
            return [_item(row) for row in conn.execute(query).mappings()]

    def latest_items(self, run_id: int, keys: Sequence[str]) -> dict[str, ItemRecord]:
        """Key -> the latest record of that key in run ``run_id``, for those of ``keys``
        it has (a batch taken over by another worker asks what was already recorded)."""
        table = schema.job_items
        found: dict[str, ItemRecord] = {}
        with self.store.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                query = (
                    select(table)
                    .where(table.c.run_id == run_id, table.c.key.in_(chunk))
                    .order_by(table.c.id)
                )
                for row in conn.execute(query).mappings():
                    found[row["key"]] = _item(row)
        return found

    def action_counts(self, run_id: int) -> dict[str, dict[str, int]]:
        """Status -> action -> number of items, for one run."""
        table = schema.job_items
        query = (
            select(table.c.status, table.c.action, func.count())
            .where(table.c.run_id == run_id)
            .group_by(table.c.status, table.c.action)
        )
        result: dict[str, dict[str, int]] = {}
        with self.store.engine.connect() as conn:
            for status, action, number in conn.execute(query):
                result.setdefault(status, {})[action] = int(number)
        return result

    def later_items(self, run_id: int, job: str, scope: str, keys: Sequence[str]) -> set[int]:
        """Runs after ``run_id`` that did (and did not roll back) work on any of ``keys``."""
        table = schema.job_items
        found: set[int] = set()
        with self.store.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                query = select(table.c.run_id).where(
                    table.c.job == job,
                    table.c.scope == scope,
                    table.c.run_id > run_id,
                    table.c.status == str(ItemStatus.done),
                    table.c.key.in_(chunk),
                )
                found.update(int(row[0]) for row in conn.execute(query))
        return found

    def mark_rolled_back(self, item_ids: Sequence[int]) -> None:
        """Mark items as rolled back (they no longer count as done)."""
        table = schema.job_items
        now = utc_now()
        with self.store.engine.begin() as conn:
            for start in range(0, len(item_ids), 500):
                chunk = list(item_ids[start : start + 500])
                conn.execute(
                    update(table)
                    .where(table.c.id.in_(chunk))
                    .values(status=str(ItemStatus.rolled_back), updated_at=now)
                )

    # -- log lines -----------------------------------------------------------------

    def add_log(self, run_id: int, level: str, message: str) -> None:
        """Append one log line to a run."""
        with self.store.engine.begin() as conn:
            conn.execute(
                insert(schema.job_log).values(
                    run_id=run_id, at=utc_now(), level=level, message=message
                )
            )

    def log_lines(self, run_id: int, *, limit: int | None = None) -> list[LogLine]:
        """The log lines of a run, oldest first (the last ``limit`` when given)."""
        table = schema.job_log
        query = select(table).where(table.c.run_id == run_id).order_by(table.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(query).mappings())
        rows.reverse()
        return [
            LogLine(at=as_utc(row["at"]), level=row["level"], message=row["message"])
            for row in rows
        ]
