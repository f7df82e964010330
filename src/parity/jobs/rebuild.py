"""A recorded run's job and work, rebuilt in a worker from the run's parameters.

The built-in content import rebuilds from its recorded parameters
(``parity.content.importer.on_workers``); a declared job builds its work from the
worker's own parity.toml, as ``parity jobs run`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.jobs.catalogue import find_job
from parity.jobs.model import Job, Work
from parity.jobs.records import RunRecord
from parity.jobs.settings import jobs_settings

if TYPE_CHECKING:
    from parity.config import Settings

__all__ = ["rebuild_work"]


def rebuild_work(settings: Settings, run: RunRecord) -> tuple[Job, Work]:
    """The job and work of ``run``, or an InputError when this worker cannot build it."""
    # Imported here: the content importer builds on parity.jobs, not the reverse.
    from parity.content.importer.job import IMPORT_JOB

    if run.job == IMPORT_JOB:
        from parity.content.importer.on_workers import rebuild_import

        return rebuild_import(settings, run.parameters, run_id=run.id)
    entry = find_job(jobs_settings(settings), run.job)
    if entry.make_work is None:
        raise InputError(f"job {run.job} cannot be rebuilt by a worker")
    return entry.job, entry.make_work(settings)
