"""One refresh (or rollback) per target at a time: a lease, renewed, plus a server lock.

The lease lives in parity's state store and expires if its holder dies, so it never blocks
forever; while the refresh runs a thread renews it. It is taken with the store's one
lease layer (:func:`parity.store.leases.take_lease`): a holder on this machine whose
process is gone (``kill -9``, or a zombie) is recognised at once and its lease taken over,
so a rerun right after a kill does not wait for the expiry. A second lock, ``GET_LOCK``
on the target's server, covers two parity installations (two state stores) pointed at the
same target: the server drops it the moment the holder's connection dies.

``parity content import`` and ``content rollback`` take the same lock on the environment
they write (their holder, ``host:pid:content-import-<token>``, says so), so an import and
a refresh of one environment never overlap; the refusal names whichever holds it.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from types import TracebackType

from parity.errors import LockHeld, ParityError
from parity.store import Store
from parity.store.holders import holder_label
from parity.store.leases import RenewedLease, lease_holder
from parity.targets.database import Database

__all__ = [
    "TargetLock",
    "describe_holder",
    "failure_reason",
    "server_lock_name",
    "warn_failure",
]

log = logging.getLogger(__name__)


def failure_reason(exc: BaseException) -> str:
    """Why ``exc`` happened, in one line safe to log (no traceback, no secret).

    >>> failure_reason(ConnectionResetError(104, "Connection reset by peer"))
    'ConnectionResetError: [Errno 104] Connection reset by peer'
    """
    if isinstance(exc, ParityError):
        return exc.one_line()
    lines = str(exc).strip().splitlines()
    first = " ".join(lines[0].split())[:200] if lines else ""
    return f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__


def warn_failure(logger: logging.Logger, message: str, exc: BaseException) -> None:
    """Log ``message: <one-line reason>`` as a warning; the traceback only under --debug."""
    debug = logger.isEnabledFor(logging.DEBUG)
    logger.warning("%s: %s", message, failure_reason(exc), exc_info=exc if debug else None)


def server_lock_name(target_key: str) -> str:
    """The ``GET_LOCK`` name for a target (at most 64 characters)."""
    return "parity-refresh:" + hashlib.sha1(target_key.encode()).hexdigest()


def describe_holder(holder: str, target: str) -> str:
    """What the run holding ``target``'s lock is, from its ``host:pid:what`` holder name.

    >>> describe_holder("web1:42:content-import-0f3a9c1d2e4f", "staging")
    'a content import into staging is running'
    >>> describe_holder("web1:42:refresh-rollback-0f3a9c1d2e4f", "staging")
    'a rollback of staging is running'
    >>> describe_holder("web1:42:refresh-9c1d2e4f5a6b", "staging")
    'a refresh of staging is already running'
    """
    what = holder_label(holder)
    if what.startswith("content-"):
        return f"a content import into {target} is running"
    if what.startswith("refresh-rollback-"):
        return f"a rollback of {target} is running"
    return f"a refresh of {target} is already running"


class TargetLock:
    """Holds the target's lease (renewed in the background) and its server lock.

    ``holder`` is a :func:`parity.store.holders.new_holder` name saying what takes it
    (``new_holder("refresh")``, ``new_holder("content-import")``).
    """

    def __init__(
        self, store: Store, db: Database, *, target: str, key: str, holder: str, ttl_s: int
    ) -> None:
        self._store = store
        self._db = db
        self._name = f"refresh:{key}"
        self._target = target
        self.holder = holder
        self._lease = RenewedLease(store, self._name, holder, timedelta(seconds=ttl_s))
        self._server_lock = server_lock_name(key)
        self._has_server_lock = False

    def __enter__(self) -> TargetLock:
        try:
            self._lease.__enter__()
        except LockHeld as exc:
            holder = lease_holder(self._store, self._name) or ""
            raise LockHeld(
                f"{describe_holder(holder, self._target)} ({exc.message})",
                hint=exc.hint,
            ) from None
        if not self._db.try_lock(self._server_lock):
            self._lease.__exit__(None, None, None)
            raise LockHeld(
                f"a refresh or content import of {self._target} is already running"
                " (its database server holds parity's lock)",
                hint="another parity installation may be refreshing the same database",
            )
        self._has_server_lock = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._has_server_lock:
            try:
                self._db.release_lock(self._server_lock)
            except Exception as error:
                warn_failure(log, "could not release the server lock", error)
        self._lease.__exit__(exc_type, exc, tb)
