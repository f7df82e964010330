"""Celery, with Redis as broker, as the queue of distributed runs.

Celery only carries ``(run_id, batch number)``: what a batch holds, who did it and how it
ended live in the state store (``parity.jobs.batches``), which is what makes a redelivery
harmless (celery #5935: a long task is delivered again after the visibility timeout). So
tasks are acknowledged late (a worker killed mid-batch leaves its message to the broker)
and no result backend is used.

Import this module only inside a command: Celery is heavy, and CLI startup time matters.

    app = celery_app(broker_url)
    dispatcher(app)(run_id, 3)                          # the coordinator's side
    start_worker(app, settings, concurrency=2)          # `parity worker`
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery import Celery

from parity.errors import ConfigError
from parity.jobs.presence import QUEUE

if TYPE_CHECKING:
    from parity.config import Settings
    from parity.jobs.distributed import BatchWorker

__all__ = ["QUEUE", "TASK", "broker_url", "celery_app", "dispatcher", "start_worker"]

log = logging.getLogger(__name__)

#: The one task (batches go through the queue QUEUE).
TASK = "parity.run_batch"

# Set in each worker process by start_worker (inherited by forked pool processes).
_SETTINGS: Settings | None = None
_WORKERS: dict[int, BatchWorker] = {}


def broker_url(settings: Settings, given: str | None = None) -> str:
    """The broker: ``given`` (``--broker``), else ``[jobs] broker``, else a ConfigError."""
    from parity.jobs.settings import jobs_settings

    url = given or jobs_settings(settings).broker
    if not url:
        raise ConfigError(
            "no Celery broker is configured",
            hint='set [jobs] broker = "redis://..." in parity.toml (the sandbox sets it with'
            " `parity sandbox up --with redis,postgres`) or pass --broker",
        )
    if not url.startswith(("redis://", "rediss://")):
        raise ConfigError(
            "[jobs] broker must be a redis:// URL",
            hint="parity's workers use Redis as broker (Debian's redis-server)",
        )
    return url


def celery_app(broker: str, *, lease: timedelta = timedelta(minutes=5)) -> Celery:
    """The Celery app for ``broker`` with the one task registered."""
    app = Celery("parity", broker=broker, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # Redelivery of an unacknowledged batch is safe (the ledger), but the coordinator
        # already hands out batches of dead workers itself: no need to hurry the broker.
        broker_transport_options={"visibility_timeout": max(3600, 4 * lease.total_seconds())},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    app.task(name=TASK, bind=False, acks_late=True)(_run_batch)
    return app


def dispatcher(app: Celery) -> Any:
    """``dispatch(run_id, number)`` for :class:`~parity.jobs.distributed.DistributedRunner`."""

    def dispatch(run_id: int, number: int) -> None:
        app.send_task(TASK, args=[run_id, number], queue=QUEUE)

    return dispatch


def _worker() -> BatchWorker:
    """This process's batch worker (one store per process: never shared across a fork)."""
    pid = os.getpid()
    found = _WORKERS.get(pid)
    if found is not None:
        return found
    from parity.jobs.distributed import BatchWorker
    from parity.jobs.rebuild import rebuild_work
    from parity.jobs.settings import jobs_settings
    from parity.store.state import open_store

    settings = _SETTINGS
    if settings is None:
        raise ConfigError("this worker was not started by `parity worker`")
    store = open_store(settings.state_url())
    worker = BatchWorker(
        store,
        lambda run: rebuild_work(settings, run),
        settings=settings,
        lease_ttl=timedelta(seconds=jobs_settings(settings).lease_seconds),
    )
    _WORKERS.clear()
    _WORKERS[pid] = worker
    return worker


def _run_batch(run_id: int, number: int) -> str:
    started, cpu = time.perf_counter(), time.process_time()
    outcome = _worker().run_batch(int(run_id), int(number))
    log.info(
        "run %s batch %s: %s in %.2f s (CPU %.2f s)",
        run_id,
        number,
        outcome,
        time.perf_counter() - started,
        time.process_time() - cpu,
    )
    return outcome


def start_worker(
    app: Celery, settings: Settings, *, concurrency: int = 1, loglevel: str = "WARNING"
) -> None:
    """Run a worker in this process until it is stopped (Ctrl-C or SIGTERM).

    One process runs batches itself (``--concurrency 1``, Celery's solo pool); more start
    that many forked processes, each with its own store connection and worker name.
    """
    global _SETTINGS
    _SETTINGS = settings
    pool = "solo" if concurrency <= 1 else "prefork"
    app.worker_main(
        argv=[
            "worker",
            f"--concurrency={max(1, concurrency)}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            f"--queues={QUEUE}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
