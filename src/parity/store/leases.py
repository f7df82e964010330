"""Leases: one holder at a time for a named piece of work, expiring if the holder dies.

A refresh of staging and a run of a job each take a lease, so two never overlap; a lease
whose holder was killed expires after its time-to-live, so it never blocks forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from parity.errors import LockHeld
from parity.store import schema
from parity.store.state import Store

__all__ = ["Lease", "acquire_lease", "release_lease"]


@dataclass(frozen=True)
class Lease:
    """A held lease."""

    name: str
    owner: str
    expires_at: datetime


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def acquire_lease(
    store: Store, name: str, owner: str, ttl: timedelta, *, now: datetime | None = None
) -> Lease:
    """Take the lease ``name`` for ``owner``, or raise LockHeld naming the holder.

    An expired lease is taken over; the same owner taking it again renews it.
    """
    now = now or datetime.now(UTC)
    expires = now + ttl
    table = schema.leases
    with store.engine.begin() as conn:
        row = conn.execute(select(table).where(table.c.name == name)).first()
        if row is None:
            try:
                conn.execute(
                    insert(table).values(
                        name=name, owner=owner, acquired_at=now, expires_at=expires
                    )
                )
            except IntegrityError:
                raise LockHeld(f"{name} was just taken by another run") from None
            return Lease(name, owner, expires)
        if row.owner != owner and _aware(row.expires_at) > now:
            raise LockHeld(
                f"{name} is held by {row.owner} until {_aware(row.expires_at):%Y-%m-%d %H:%M:%S}"
                " UTC",
                hint="wait for that run to finish; a dead run's lease expires by itself",
            )
        result = conn.execute(
            update(table)
            .where(table.c.name == name, table.c.owner == row.owner)
            .where(table.c.expires_at == row.expires_at)
            .values(owner=owner, acquired_at=now, expires_at=expires)
        )
        if result.rowcount != 1:
            raise LockHeld(f"{name} was just taken by another run")
    return Lease(name, owner, expires)


def release_lease(store: Store, lease: Lease) -> None:
    """Give the lease back (only if still held by its owner)."""
    table = schema.leases
    with store.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.name == lease.name, table.c.owner == lease.owner))
