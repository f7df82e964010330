"""A refresh's memory in parity's state store: per-table checkpoints, rollback points.

(The run itself is a run of the one ledger, job ``refresh``: see ``parity.refresh.runs``.)

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
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from parity.store import Store, schema
from parity.store.clock import as_utc, utc_now

__all__ = [
    "Checkpoint",
    "RollbackPoint",
    "add_rollback_point",
    "delete_checkpoints",
    "hand_over_checkpoints",
    "list_rollback_points",
    "load_checkpoints",
    "save_checkpoint",
    "set_rollback_status",
]


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
    run_id: int | None  # the refresh that made it (None: its run was not recorded)
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
            "environment": self.target,
            "token": self.token,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "tables": [{"table": live, "rollback_table": kept} for live, kept in self.tables],
        }


def _key_json(key: Sequence[bytes] | None) -> str | None:
    return None if key is None else json.dumps([part.hex() for part in key])


def save_checkpoint(
    store: Store,
    run_id: int,
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
        "updated_at": utc_now(),
    }
    where = and_(table.c.run_id == run_id, table.c.source_table == source_table)
    with store.engine.begin() as conn:
        done = conn.execute(update(table).where(where).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(table).values(run_id=run_id, source_table=source_table, **values))


def load_checkpoints(store: Store, run_id: int) -> dict[str, Checkpoint]:
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


def delete_checkpoints(store: Store, run_id: int) -> None:
    """Forget a run's checkpoints (once it finished, or will never be resumed)."""
    table = schema.refresh_checkpoints
    with store.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.run_id == run_id))


def hand_over_checkpoints(store: Store, from_run: int, to_run: int) -> dict[str, Checkpoint]:
    """Give a dead run's checkpoints to the run that resumes it; returns them."""
    table = schema.refresh_checkpoints
    with store.engine.begin() as conn:
        conn.execute(update(table).where(table.c.run_id == from_run).values(run_id=to_run))
    return load_checkpoints(store, to_run)


def _point(row: Any) -> RollbackPoint:
    return RollbackPoint(
        id=int(row.id),
        run_id=row.run_id,
        target=row.target,
        target_key=row.target_key,
        token=row.token,
        status=row.status,
        tables=tuple((str(live), kept) for live, kept in json.loads(row.tables)),
        created_at=as_utc(row.created_at),
    )


def add_rollback_point(
    store: Store,
    *,
    run_id: int,
    target: str,
    target_key: str,
    token: str,
    tables: Sequence[tuple[str, str | None]],
) -> int:
    """Record a rollback point as ``pending`` (before the swap); returns its id."""
    now = utc_now()
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
            update(table).where(table.c.id == point_id).values(status=status, updated_at=utc_now())
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
