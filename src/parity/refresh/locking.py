"""One refresh (or rollback) per target at a time: a lease, renewed, plus a server lock.

The lease lives in parity's state store and expires if its holder dies, so it never blocks
forever; while the refresh runs a thread renews it. A holder on this machine whose process
is gone (``kill -9``) is recognised at once and its lease taken over, so a rerun right
after a kill does not wait for the expiry. A second lock, ``GET_LOCK`` on the target's
server, covers two parity installations (two state stores) pointed at the same target:
the server drops it the moment the holder's connection dies.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from datetime import timedelta
from types import TracebackType

from sqlalchemy import select

from parity.errors import LockHeld
from parity.store import Lease, Store, acquire_lease, release_lease, schema
from parity.targets.database import Database

__all__ = ["TargetLock", "owner_name", "server_lock_name"]

log = logging.getLogger(__name__)


def owner_name(run_id: str) -> str:
    """``host:pid:run`` — who holds a lease, in a form a later run can check."""
    return f"{socket.gethostname()}:{os.getpid()}:{run_id}"


def server_lock_name(target_key: str) -> str:
    """The ``GET_LOCK`` name for a target (at most 64 characters)."""
    return "parity-refresh:" + hashlib.sha1(target_key.encode()).hexdigest()


def _dead_here(owner: str) -> bool:
    """True when ``owner`` is a process on this machine that no longer exists."""
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _take(store: Store, name: str, owner: str, ttl: timedelta) -> Lease:
    try:
        return acquire_lease(store, name, owner, ttl)
    except LockHeld:
        table = schema.leases
        with store.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.name == name)).first()
        if row is None or not _dead_here(row.owner):
            raise
        log.info("taking over the lease %s of dead process %s", name, row.owner)
        release_lease(store, Lease(name, row.owner, row.expires_at))
        return acquire_lease(store, name, owner, ttl)


class TargetLock:
    """Holds the target's lease (renewed in the background) and its server lock."""

    def __init__(
        self, store: Store, db: Database, *, target: str, key: str, owner: str, ttl_s: int
    ) -> None:
        self._store = store
        self._db = db
        self._name = f"refresh:{key}"
        self._target = target
        self._owner = owner
        self._ttl = timedelta(seconds=ttl_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lease: Lease | None = None
        self._server_lock = server_lock_name(key)
        self._has_server_lock = False

    def __enter__(self) -> TargetLock:
        try:
            self._lease = _take(self._store, self._name, self._owner, self._ttl)
        except LockHeld as exc:
            raise LockHeld(
                f"a refresh of {self._target} is already running ({exc.message})",
                hint=exc.hint,
            ) from None
        if not self._db.try_lock(self._server_lock):
            release_lease(self._store, self._lease)
            raise LockHeld(
                f"a refresh of {self._target} is already running"
                " (its database server holds parity's lock)",
                hint="another parity installation may be refreshing the same database",
            )
        self._has_server_lock = True
        self._thread = threading.Thread(target=self._renew, name="parity-lease", daemon=True)
        self._thread.start()
        return self

    def _renew(self) -> None:
        every = max(1.0, self._ttl.total_seconds() / 4)
        while not self._stop.wait(every):
            try:
                self._lease = acquire_lease(self._store, self._name, self._owner, self._ttl)
            except Exception:  # a missed renewal is retried; expiry is the backstop
                log.warning("could not renew the lease %s", self._name, exc_info=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._has_server_lock:
            try:
                self._db.release_lock(self._server_lock)
            except Exception:
                log.warning("could not release the server lock", exc_info=True)
        if self._lease is not None:
            release_lease(self._store, self._lease)
