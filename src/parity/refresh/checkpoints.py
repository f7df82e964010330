"""A refresh's memory in parity's state store: runs, per-table checkpoints, rollback points.

* a **run** is one ``parity refresh``: its stage (``cleanup``, ``copy``, ``verify``,
  ``swap``, ``prune``, ``done``), status (``running``, ``completed``, ``failed``,
  ``abandoned``) and summary. A run found ``running`` while nobody holds the target's
  lease was killed.
* a **checkpoint** per table says how far its copy got (the last primary key written, as
  hex) and what the copy did so far, so a rerun resumes where the dead run stopped.
* a **rollback point** lists, per live table, the table that holds its previous data
  (or none when the refresh created it). It is recorded ``pending`` before the swap and
  made ``active`` after; a ``pending`` point found later is resolved by looking at the
  database (the swap is one statement: it happened for all tables or for none).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from parity.store import Store, schema

__all__ = [
    "Checkpoint",
    "RollbackPoint",
    "RunRecord",
    "add_rollback_point",
    "delete_checkpoints",
    "finish_run",
    "list_rollback_points",
    "list_runs",
    "load_checkpoints",
    "save_checkpoint",
    "set_rollback_status",
    "set_stage",
    "set_status",
    "start_run",
    "unfinished_runs",
]


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RunRecord:
    """One refresh run as stored."""

    id: str
    source: str
    target: str
    target_key: str
    owner: str
    fingerprint: str
    token: str
    status: str
    stage: str
    started_at: datetime
    finished_at: datetime | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``parity refresh history``)."""
        return {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "status": self.status,
            "stage": self.stage,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "rollback_token": self.token,
            "error": self.error,
        }


@dataclass(frozen=True)
class Checkpoint:
    """How far the copy of one table got."""

    source_table: str
    status: str  # copying, copied
    last_key: tuple[bytes, ...] | None
    stats: dict[str, Any]


@dataclass(frozen=True)
class RollbackPoint:
    """The previous tables of a target, kept so a refresh can be undone."""

    id: int
    run_id: str
    target: str
    target_key: str
    token: str
    status: str  # pending, active, restored, dropped
    tables: tuple[tuple[str, str | None], ...]  # (live table, rollback table or None)
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "target": self.target,
            "token": self.token,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "tables": [{"table": live, "rollback_table": kept} for live, kept in self.tables],
        }


def _run(row: Any) -> RunRecord:
    return RunRecord(
        id=row.id,
        source=row.source,
        target=row.target,
        target_key=row.target_key,
        owner=row.owner,
        fingerprint=row.fingerprint,
        token=row.token,
        status=row.status,
        stage=row.stage,
        started_at=_aware(row.started_at) or _now(),
        finished_at=_aware(row.finished_at),
        summary=json.loads(row.summary) if row.summary else None,
        error=row.error,
    )


def start_run(store: Store, run: RunRecord) -> None:
    """Record a new run."""
    with store.engine.begin() as conn:
        conn.execute(
            insert(schema.refresh_runs).values(
                id=run.id,
                source=run.source,
                target=run.target,
                target_key=run.target_key,
                owner=run.owner,
                fingerprint=run.fingerprint,
                token=run.token,
                status=run.status,
                stage=run.stage,
                started_at=run.started_at,
            )
        )


def set_stage(store: Store, run_id: str, stage: str, *, owner: str | None = None) -> None:
    """Record the stage a run reached (and, on resume, its new owner)."""
    values: dict[str, Any] = {"stage": stage}
    if owner is not None:
        values["owner"] = owner
        values["status"] = "running"
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.refresh_runs).where(schema.refresh_runs.c.id == run_id).values(**values)
        )


def finish_run(
    store: Store,
    run_id: str,
    status: str,
    *,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
    stage: str | None = None,
) -> None:
    """Record how a run ended."""
    values: dict[str, Any] = {"status": status, "finished_at": _now(), "error": error}
    if summary is not None:
        values["summary"] = json.dumps(summary, default=str)
    if stage is not None:
        values["stage"] = stage
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.refresh_runs).where(schema.refresh_runs.c.id == run_id).values(**values)
        )


def set_status(store: Store, run_id: str, status: str) -> None:
    """Change a finished run's status (``rolled back``), keeping its times."""
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.refresh_runs)
            .where(schema.refresh_runs.c.id == run_id)
            .values(status=status)
        )


def unfinished_runs(store: Store, target_key: str) -> list[RunRecord]:
    """Runs of this target that may be resumed: ``running`` (dead, when the caller holds
    the lease) or ``stopped`` (ended by an error that left the shadow tables usable)."""
    table = schema.refresh_runs
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(table)
            .where(
                table.c.target_key == target_key,
                table.c.status.in_(["running", "stopped"]),
            )
            .order_by(table.c.started_at.desc())
        ).all()
    return [_run(row) for row in rows]


def list_runs(store: Store, target: str | None = None, *, limit: int = 20) -> list[RunRecord]:
    """The latest runs, newest first (of one target environment when named)."""
    table = schema.refresh_runs
    query = select(table).order_by(table.c.started_at.desc()).limit(limit)
    if target is not None:
        query = query.where(table.c.target == target)
    with store.engine.connect() as conn:
        return [_run(row) for row in conn.execute(query).all()]


def _key_json(key: Sequence[bytes] | None) -> str | None:
    return None if key is None else json.dumps([part.hex() for part in key])


def save_checkpoint(
    store: Store,
    run_id: str,
    source_table: str,
    *,
    status: str,
    last_key: Sequence[bytes] | None,
    stats: dict[str, Any],
) -> None:
    """Record how far the copy of ``source_table`` got (insert or update)."""
    table = schema.refresh_checkpoints
    values = {
        "status": status,
        "last_key": _key_json(last_key),
        "stats": json.dumps(stats),
        "updated_at": _now(),
    }
    where = and_(table.c.run_id == run_id, table.c.source_table == source_table)
    with store.engine.begin() as conn:
        done = conn.execute(update(table).where(where).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(table).values(run_id=run_id, source_table=source_table, **values))


def load_checkpoints(store: Store, run_id: str) -> dict[str, Checkpoint]:
    """Every checkpoint of a run, by source table."""
    table = schema.refresh_checkpoints
    with store.engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.run_id == run_id)).all()
    found: dict[str, Checkpoint] = {}
    for row in rows:
        key = None
        if row.last_key is not None:
            key = tuple(bytes.fromhex(part) for part in json.loads(row.last_key))
        found[row.source_table] = Checkpoint(
            row.source_table, row.status, key, json.loads(row.stats)
        )
    return found


def delete_checkpoints(store: Store, run_id: str) -> None:
    """Forget a run's checkpoints (once it finished, or will never be resumed)."""
    table = schema.refresh_checkpoints
    with store.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.run_id == run_id))


def _point(row: Any) -> RollbackPoint:
    return RollbackPoint(
        id=int(row.id),
        run_id=row.run_id,
        target=row.target,
        target_key=row.target_key,
        token=row.token,
        status=row.status,
        tables=tuple((str(live), kept) for live, kept in json.loads(row.tables)),
        created_at=_aware(row.created_at) or _now(),
    )


def add_rollback_point(
    store: Store,
    *,
    run_id: str,
    target: str,
    target_key: str,
    token: str,
    tables: Sequence[tuple[str, str | None]],
) -> int:
    """Record a rollback point as ``pending`` (before the swap); returns its id."""
    now = _now()
    with store.engine.begin() as conn:
        result = conn.execute(
            insert(schema.refresh_rollback_points).values(
                run_id=run_id,
                target=target,
                target_key=target_key,
                token=token,
                status="pending",
                tables=json.dumps([list(pair) for pair in tables]),
                created_at=now,
                updated_at=now,
            )
        )
        key = result.inserted_primary_key
    return int(key[0]) if key else 0


def set_rollback_status(store: Store, point_id: int, status: str) -> None:
    """Record what became of a rollback point."""
    table = schema.refresh_rollback_points
    with store.engine.begin() as conn:
        conn.execute(
            update(table).where(table.c.id == point_id).values(status=status, updated_at=_now())
        )


def list_rollback_points(
    store: Store,
    *,
    target_key: str | None = None,
    target: str | None = None,
    statuses: Sequence[str] | None = None,
    limit: int = 50,
) -> list[RollbackPoint]:
    """Rollback points, newest first, filtered by target and status."""
    table = schema.refresh_rollback_points
    query = select(table).order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
    if target_key is not None:
        query = query.where(table.c.target_key == target_key)
    if target is not None:
        query = query.where(table.c.target == target)
    if statuses is not None:
        query = query.where(table.c.status.in_(list(statuses)))
    with store.engine.connect() as conn:
        return [_point(row) for row in conn.execute(query).all()]
