"""Which workers are up, what they are doing, and how many batches wait in the queue.

A ``parity worker`` process says it is up by holding the lease ``worker:<host>:<pid>``
in the state store, renewed every third of its time-to-live by a thread of its own and
given back when it stops; a worker killed with ``kill -9`` drops out when its lease
expires (at once when it was on this host: :func:`parity.store.holders.holder_is_dead`).
The lease's owner says ``<host>:<pid>:worker-c<concurrency>-<token>``. What each worker
is doing comes from the ledger (the batches ``running`` under a worker's name,
:mod:`parity.jobs.batches`); how many batches wait comes from the broker: the length of
the queue's Redis lists, and the messages delivered but not yet acknowledged.

    with WorkerPresence(store, concurrency=2):      # `parity worker`
        ...
    live_workers(store)                             # `parity serve`: who is up
    queue_depth(broker)                             # waiting / delivered, or an error
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from parity.jobs.batches import InProgress, JobBatches
from parity.store import schema
from parity.store.clock import as_utc, store_now
from parity.store.holders import holder_is_dead, new_holder
from parity.store.leases import RenewedLease
from parity.store.state import Store
from parity.vocabulary import iso_utc

__all__ = [
    "WORKER_PREFIX",
    "QueueDepth",
    "WorkerPresence",
    "WorkerSeen",
    "WorkersReport",
    "live_workers",
    "queue_depth",
    "workers_report",
]

#: The queue parity's batches go through (``parity.jobs.celery_app`` uses it; that module
#: imports Celery, which this one must not).
QUEUE = "parity"

#: Leases of live workers are named ``worker:<host>:<pid>``.
WORKER_PREFIX = "worker:"
#: The queue's priority lists (kombu's Redis transport keeps one list per step).
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)


@dataclass(frozen=True)
class WorkerSeen:
    """A worker that holds its presence lease now."""

    name: str  # host:pid
    concurrency: int | None
    seen_at: datetime  # the last renewal
    expires_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the API's ``workers``)."""
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "seen_at": iso_utc(self.seen_at),
            "expires_at": iso_utc(self.expires_at),
        }


@dataclass(frozen=True)
class QueueDepth:
    """Batches waiting in the broker's queue, and delivered but not acknowledged."""

    waiting: int | None
    delivered: int | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the API's ``queue``)."""
        return {"waiting": self.waiting, "delivered": self.delivered, "error": self.error}


class WorkerPresence(RenewedLease):
    """Hold this process's ``worker:`` lease while the block runs (see the module doc):
    renewed every third of its time-to-live, given back when the worker stops."""

    def __init__(self, store: Store, *, concurrency: int, ttl: timedelta | None = None) -> None:
        ttl = ttl or timedelta(seconds=30)
        super().__init__(
            store,
            f"{WORKER_PREFIX}{socket.gethostname()}:{os.getpid()}",
            new_holder(f"worker-c{max(1, concurrency)}"),
            ttl,
            every=ttl.total_seconds() / 3,
        )

    def __enter__(self) -> WorkerPresence:
        # `--concurrency` > 1 forks pool processes: they must not touch (or close) the
        # store connections this process renews its lease on.
        os.register_at_fork(after_in_child=lambda: self.store.engine.dispose(close=False))
        super().__enter__()
        return self


def _concurrency(owner: str) -> int | None:
    """``host:pid:worker-c2-<token>`` -> 2."""
    what = owner.split(":", 2)[-1]
    if not what.startswith("worker-c"):
        return None
    number = what[len("worker-c") :].split("-", 1)[0]
    return int(number) if number.isdigit() else None


def live_workers(store: Store) -> list[WorkerSeen]:
    """The workers holding their presence lease now (by the store's clock), by name."""
    table = schema.leases
    with store.engine.connect() as conn:
        now = store_now(conn)
        rows = conn.execute(
            select(table).where(table.c.name.like(f"{WORKER_PREFIX}%")).order_by(table.c.name)
        ).all()
    return [
        WorkerSeen(
            name=row.name[len(WORKER_PREFIX) :],
            concurrency=_concurrency(row.owner),
            seen_at=as_utc(row.acquired_at),
            expires_at=as_utc(row.expires_at),
        )
        for row in rows
        if as_utc(row.expires_at) > now and not holder_is_dead(row.owner)
    ]


def queue_depth(broker: str, queue: str, *, timeout_s: float = 1.0) -> QueueDepth:
    """How many messages wait in ``queue`` on the Redis ``broker``, and how many are
    delivered but unacknowledged; an unreachable broker is an ``error`` (never its URL,
    which may hold a password)."""
    import redis

    try:
        client = redis.Redis.from_url(
            broker, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        try:
            with client.pipeline(transaction=False) as pipe:
                pipe.llen(queue)
                for step in _PRIORITY_STEPS[1:]:
                    pipe.llen(f"{queue}{_PRIORITY_SEP}{step}")
                pipe.hlen("unacked")
                *lengths, unacked = pipe.execute()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return QueueDepth(None, None, error=f"the broker did not answer ({type(exc).__name__})")
    return QueueDepth(sum(int(n) for n in lengths), int(unacked))


@dataclass(frozen=True)
class WorkersReport:
    """What ``parity serve`` shows of the workers: who is up, what runs, what waits."""

    broker_configured: bool
    workers: list[WorkerSeen]
    in_progress: InProgress
    queue: QueueDepth | None  # None without a broker

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``/api/workers``), in the CLI's words."""
        return {
            "broker_configured": self.broker_configured,
            "workers": [w.as_dict() for w in self.workers],
            "batches": {
                "queued": self.in_progress.queued,
                "running": [b.as_dict() for b in self.in_progress.running],
            },
            "queue": None if self.queue is None else self.queue.as_dict(),
        }


def workers_report(store: Store, broker: str | None) -> WorkersReport:
    """The workers up, the batches of open runs, and (with a broker) the queue's depth."""
    return WorkersReport(
        broker_configured=bool(broker),
        workers=live_workers(store),
        in_progress=JobBatches(store).in_progress(),
        queue=queue_depth(broker, QUEUE) if broker else None,
    )
