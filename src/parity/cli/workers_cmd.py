"""`parity worker`, and the `--on celery` option of `jobs run` and `content import`.

A worker takes batches of recorded runs from the broker (``[jobs] broker``, Redis) and
runs them against the state store (``[state] url``, PostgreSQL when the workers are on
several machines); see docs/scale.md. Celery is imported inside the commands only.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from parity.cli.context import settings_from
from parity.cli.output import err_console
from parity.jobs.settings import jobs_settings

if TYPE_CHECKING:
    from parity.config import Settings
    from parity.jobs.runner import ProgressSink, Runner
    from parity.store.state import Store

__all__ = ["BrokerOption", "OnOption", "RunOn", "runner_for", "worker"]


class RunOn(StrEnum):
    """Where a run's batches run."""

    in_process = "in-process"
    celery = "celery"


OnOption = Annotated[
    RunOn,
    typer.Option(
        "--on",
        help="in-process: run here. celery: record the run here and hand its batches to"
        " `parity worker` processes through the broker ([jobs] broker); this command waits"
        " for them and checks the result.",
    ),
]
BrokerOption = Annotated[
    str | None,
    typer.Option(
        "--broker",
        help="Celery broker URL (redis://...) instead of [jobs] broker.",
        show_default=False,
    ),
]


def runner_for(
    settings: Settings,
    store: Store,
    on: RunOn,
    broker: str | None,
    progress: ProgressSink | None,
) -> Runner | None:
    """The runner ``--on`` asks for: None (the command's own in-process runner) or a
    distributed runner handing batches to Celery workers."""
    if on is RunOn.in_process:
        return None
    from parity.jobs.celery_app import broker_url, celery_app, dispatcher
    from parity.jobs.distributed import DistributedRunner

    lease = timedelta(seconds=jobs_settings(settings).lease_seconds)
    app = celery_app(broker_url(settings, broker), lease=lease)
    return DistributedRunner(
        store, dispatcher(app), settings=settings, lease_ttl=lease, progress=progress
    )


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            help="Processes running batches at once (1: this process itself).",
            min=1,
            max=64,
        ),
    ] = 1,
    broker: BrokerOption = None,
    loglevel: Annotated[
        str,
        typer.Option("--loglevel", help="Celery's log level: DEBUG, INFO, WARNING, ERROR."),
    ] = "WARNING",
) -> None:
    """Start a worker: run batches of `--on celery` runs until stopped (Ctrl-C, SIGTERM).

    Batches come from the broker ([jobs] broker, Redis); runs, items and leases are in
    the state store ([state] url; PostgreSQL when workers run on several machines). A
    batch delivered twice changes nothing the second time; the batch of a worker killed
    mid-way is taken over by another. See docs/scale.md.
    """
    settings = settings_from(ctx)
    from parity.jobs.celery_app import broker_url, celery_app, start_worker
    from parity.jobs.presence import WorkerPresence
    from parity.store.state import open_store

    url = broker_url(settings, broker)
    lease = timedelta(seconds=jobs_settings(settings).lease_seconds)
    # A bad [state] url fails here, not per batch; the store also holds the worker's
    # presence (shown by `parity serve`) while it runs.
    with open_store(settings.state_url()) as store, WorkerPresence(store, concurrency=concurrency):
        err_console.print(
            f"parity worker: {concurrency} process(es), queue parity, state"
            f" {settings.state_url().split('://')[0]}",
            markup=False,
        )
        start_worker(
            celery_app(url, lease=lease), settings, concurrency=concurrency, loglevel=loglevel
        )
