"""Every job parity knows: its built-in jobs and the ones declared in parity.toml."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.jobs.declared import declared_job, declared_work
from parity.jobs.model import Job, Work
from parity.jobs.settings import JobsSection

if TYPE_CHECKING:
    from parity.config import Settings

__all__ = ["JobEntry", "find_job", "job_catalogue"]


@dataclass(frozen=True)
class JobEntry:
    """A job and, when ``parity jobs run NAME`` can start it alone, how to build its work."""

    job: Job
    make_work: Callable[[Settings | None], Work] | None = None
    builtin: bool = False


def _builtin_jobs(section: JobsSection, refresh_owner: str | None) -> list[Job]:
    # Imported here: the content importer and refresh build on this package, not the reverse.
    from parity.content.importer.job import content_import_job, content_rollback_job
    from parity.refresh.runs import listed_jobs
    from parity.refresh.settings import RefreshSection

    owner = refresh_owner or RefreshSection().owner
    return [content_import_job(section), content_rollback_job(section), *listed_jobs(owner)]


def job_catalogue(section: JobsSection, *, refresh_owner: str | None = None) -> dict[str, JobEntry]:
    """Name -> entry for the built-in jobs (the content import and its rollback, refresh
    and its rollback: their runs are in the same ledger), then the declared ones.

    ``refresh_owner`` is ``[refresh] owner`` (its default when None).
    """
    entries = {
        job.name: JobEntry(job, builtin=True) for job in _builtin_jobs(section, refresh_owner)
    }
    for spec in section.declared:
        entries[spec.name] = JobEntry(
            declared_job(spec),
            make_work=lambda settings, spec=spec: declared_work(spec, settings),  # type: ignore[misc]
        )
    return entries


def find_job(section: JobsSection, name: str, *, refresh_owner: str | None = None) -> JobEntry:
    """The job called ``name``, or an InputError listing the known names."""
    entries = job_catalogue(section, refresh_owner=refresh_owner)
    try:
        return entries[name]
    except KeyError:
        known = ", ".join(entries) or "none"
        raise InputError(
            f"no job named {name!r} (known: {known})",
            hint="declare it in parity.toml under [[jobs.declared]]",
        ) from None
