"""Leases: one holder at a time for a named piece of work, expiring if the holder dies.

A refresh of staging and a run of a job each take a lease, so two never overlap; a lease
whose holder was killed expires after its time-to-live, so it never blocks forever, and
:func:`take_lease` takes over at once a lease whose holder is a dead process of this host
(``parity.store.holders``), so a rerun right after ``kill -9`` does not wait.

Expiry is judged by the store's clock (:func:`parity.store.clock.store_now`): on
PostgreSQL the database server's, so machines whose clocks disagree still agree on who
holds a lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from parity.errors import LockHeld, ParityError
from parity.store import schema
from parity.store.clock import as_utc, store_now, utc_now
from parity.store.holders import holder_is_dead
from parity.store.state import Store

__all__ = [
    "Lease",
    "RenewedLease",
    "acquire_lease",
    "lapsed_leases",
    "lease_holder",
    "release_lease",
    "take_lease",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lease:
    """A held lease."""

    name: str
    owner: str
    expires_at: datetime


def acquire_lease(
    store: Store, name: str, owner: str, ttl: timedelta, *, now: datetime | None = None
) -> Lease:
    """Take the lease ``name`` for ``owner``, or raise LockHeld naming the holder.

    An expired lease is taken over; the same owner taking it again renews it. ``now``
    defaults to the store's clock (the database server's on PostgreSQL).
    """
    table = schema.leases
    with store.engine.begin() as conn:
        now = now or store_now(conn)
        expires = now + ttl
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
        if row.owner != owner and as_utc(row.expires_at) > now:
            raise LockHeld(
                f"{name} is held by {row.owner} until {as_utc(row.expires_at):%Y-%m-%d %H:%M:%S}"
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


def lease_holder(store: Store, name: str) -> str | None:
    """Who holds the lease ``name`` now (expired or not), or None."""
    table = schema.leases
    with store.engine.connect() as conn:
        owner = conn.execute(select(table.c.owner).where(table.c.name == name)).scalar()
    return None if owner is None else str(owner)


def lapsed_leases(store: Store, names: Sequence[str]) -> set[str]:
    """Of the leases ``names``, those nobody holds any more: absent, expired by the
    store's clock, or held by a dead process of this host."""
    if not names:
        return set()
    table = schema.leases
    with store.engine.connect() as conn:
        now = store_now(conn)
        rows = {
            row.name: row
            for row in conn.execute(select(table).where(table.c.name.in_(list(names))))
        }
    return {
        name
        for name in names
        if (row := rows.get(name)) is None
        or as_utc(row.expires_at) <= now
        or holder_is_dead(row.owner)
    }


def take_lease(store: Store, name: str, holder: str, ttl: timedelta) -> Lease:
    """Like :func:`acquire_lease`, but a holder that is a dead process of this host
    (killed, or a zombie) loses its lease at once instead of when it expires.

    Raises LockHeld naming the holder when a live run (or one on another host) holds it.
    """
    current = lease_holder(store, name)
    if current is not None and current != holder and holder_is_dead(current):
        log.info("lease %s: its holder %s is gone; taking it over", name, current)
        release_lease(store, Lease(name, current, expires_at=utc_now()))
    return acquire_lease(store, name, holder, ttl)


class RenewedLease:
    """Hold the lease ``name`` while a block runs: taken on entry (:func:`take_lease`,
    LockHeld when a live holder has it), renewed every ``every`` seconds (a quarter of
    ``ttl`` by default) by a thread of its own, given back on exit. A missed renewal is
    logged and retried; the lease's expiry is the backstop if the holder dies."""

    def __init__(
        self, store: Store, name: str, holder: str, ttl: timedelta, *, every: float | None = None
    ) -> None:
        self.store = store
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self.every = every if every is not None else max(1.0, ttl.total_seconds() / 4)
        self.lease: Lease | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RenewedLease:
        self.lease = take_lease(self.store, self.name, self.holder, self.ttl)
        self._thread = threading.Thread(target=self._renew, name="parity-lease", daemon=True)
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.lease = acquire_lease(self.store, self.name, self.holder, self.ttl)
            except Exception as exc:
                # Only parity's own one-line reason or the kind of error: a driver's
                # message may quote the connection.
                why = exc.one_line() if isinstance(exc, ParityError) else type(exc).__name__
                log.warning("could not renew the lease %s: %s", self.name, why)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.lease is not None:
            release_lease(self.store, self.lease)
