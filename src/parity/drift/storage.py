"""Snapshots in parity's state store (table ``snapshots``): save, load, find the last one.

The body is the snapshot's JSON (already normalised and free of secrets); environment and
time are columns so that "the last snapshot of staging" is one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import insert, select

from parity.drift.model import Snapshot
from parity.errors import InputError
from parity.store import Store, schema
from parity.store.clock import as_utc

__all__ = ["SnapshotRow", "latest_snapshot", "list_snapshots", "load_snapshot", "save_snapshot"]


@dataclass(frozen=True)
class SnapshotRow:
    """A stored snapshot without its body: for listings."""

    id: int
    environment: str
    taken_at: datetime


def save_snapshot(store: Store, snapshot: Snapshot) -> Snapshot:
    """Store ``snapshot``; returns it with the id the store gave it."""
    table = schema.snapshots
    with store.engine.begin() as conn:
        result = conn.execute(
            insert(table).values(
                environment=snapshot.environment,
                taken_at=snapshot.taken_at,
                format=snapshot.format,
                body=snapshot.to_json(indent=None),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        new_id = int(key[0])
    return snapshot.with_id(new_id)


def _parse(snapshot_id: int, body: str) -> Snapshot:
    try:
        return Snapshot.from_json(body).with_id(snapshot_id)
    except ValidationError:
        raise InputError(
            f"stored snapshot #{snapshot_id} cannot be read (written by another version?)"
        ) from None


def load_snapshot(store: Store, snapshot_id: int) -> Snapshot:
    """The snapshot with this id, or InputError."""
    table = schema.snapshots
    with store.engine.connect() as conn:
        row = conn.execute(select(table.c.body).where(table.c.id == snapshot_id)).first()
    if row is None:
        raise InputError(
            f"no snapshot #{snapshot_id} in the state store",
            hint="`parity snapshot ENV` takes one; snapshot ids are whole numbers",
        )
    return _parse(snapshot_id, row.body)


def latest_snapshot(store: Store, environment: str) -> Snapshot | None:
    """The newest stored snapshot of ``environment``, or None when there is none."""
    table = schema.snapshots
    with store.engine.connect() as conn:
        row = conn.execute(
            select(table.c.id, table.c.body)
            .where(table.c.environment == environment)
            .order_by(table.c.taken_at.desc(), table.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else _parse(int(row.id), row.body)


def list_snapshots(store: Store, environment: str | None = None) -> list[SnapshotRow]:
    """Stored snapshots, newest first (of one environment when given)."""
    table = schema.snapshots
    query = select(table.c.id, table.c.environment, table.c.taken_at)
    if environment is not None:
        query = query.where(table.c.environment == environment)
    query = query.order_by(table.c.taken_at.desc(), table.c.id.desc())
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [SnapshotRow(int(r.id), str(r.environment), as_utc(r.taken_at)) for r in rows]
