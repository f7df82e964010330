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


def _builtin_jobs(section: JobsSection) -> list[Job]:
    # Imported here: the content importer builds on this package, not the reverse.
    from parity.content.importer.job import content_import_job, content_rollback_job

    return [content_import_job(section), content_rollback_job(section)]


def job_catalogue(section: JobsSection) -> dict[str, JobEntry]:
    """Name -> entry for the built-in jobs, then the declared ones, in that order."""
    entries = {job.name: JobEntry(job, builtin=True) for job in _builtin_jobs(section)}
    for spec in section.declared:
        entries[spec.name] = JobEntry(
            declared_job(spec),
            make_work=lambda settings, spec=spec: declared_work(spec, settings),  # type: ignore[misc]
        )
    return entries


def find_job(section: JobsSection, name: str) -> JobEntry:
    """The job called ``name``, or an InputError listing the known names."""
    entries = job_catalogue(section)
    try:
        return entries[name]
    except KeyError:
        known = ", ".join(entries) or "none"
        raise InputError(
            f"no job named {name!r} (known: {known})",
            hint="declare it in parity.toml under [[jobs.declared]]",
        ) from None
