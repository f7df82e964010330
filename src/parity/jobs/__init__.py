"""Jobs that are safe to run again: declared, recorded, resumable, never overlapping.

    Job (model.py)              name, owner, description, expected result, rollback, schedule
    Work (model.py)             what one run does: items with idempotency keys, plan, apply
    InProcessRunner (runner.py) runs a Work under a lease and records it in the state store
    JobRecords (records.py)     runs, items and log lines in the state store
    SqlCount / HttpProbe / CallableCheck (checks.py)   expected-result checks
    parse_schedule (schedule.py) cron expressions: validate, next run
    JobsSection (settings.py)   the [jobs] section of parity.toml

The names below are loaded on first use, so that ``parity.config`` can import
:class:`~parity.jobs.settings.JobsSection` without pulling in the runner and its imports
of ``parity.config`` (no import cycle). See ``docs/jobs.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parity.lazy import lazy_exports

if TYPE_CHECKING:
    from parity.jobs.catalogue import JobEntry, find_job, job_catalogue
    from parity.jobs.checks import CallableCheck, HttpProbe, SqlCount
    from parity.jobs.model import (
        UNCHANGED,
        CheckContext,
        CheckOutcome,
        CheckStatus,
        Counts,
        ExpectedResult,
        Item,
        ItemResult,
        ItemStatus,
        Job,
        PendingItem,
        RollbackNote,
        RunLog,
        RunStatus,
        Step,
        Work,
    )
    from parity.jobs.records import ItemRecord, JobRecords, LogLine, RunRecord
    from parity.jobs.runner import InProcessRunner, ProgressSink, Runner
    from parity.jobs.schedule import Schedule, ScheduleError, parse_schedule
    from parity.jobs.settings import JobsSection, jobs_settings

__all__ = [
    "UNCHANGED",
    "CallableCheck",
    "CheckContext",
    "CheckOutcome",
    "CheckStatus",
    "Counts",
    "ExpectedResult",
    "HttpProbe",
    "InProcessRunner",
    "Item",
    "ItemRecord",
    "ItemResult",
    "ItemStatus",
    "Job",
    "JobEntry",
    "JobRecords",
    "JobsSection",
    "LogLine",
    "PendingItem",
    "ProgressSink",
    "RollbackNote",
    "RunLog",
    "RunRecord",
    "RunStatus",
    "Runner",
    "Schedule",
    "ScheduleError",
    "SqlCount",
    "Step",
    "Work",
    "find_job",
    "job_catalogue",
    "jobs_settings",
    "parse_schedule",
]

# Where each exported name lives (loaded on first use).
_LAZY: dict[str, str] = {
    "JobEntry": "parity.jobs.catalogue",
    "find_job": "parity.jobs.catalogue",
    "job_catalogue": "parity.jobs.catalogue",
    "CallableCheck": "parity.jobs.checks",
    "HttpProbe": "parity.jobs.checks",
    "SqlCount": "parity.jobs.checks",
    "UNCHANGED": "parity.jobs.model",
    "CheckContext": "parity.jobs.model",
    "CheckOutcome": "parity.jobs.model",
    "CheckStatus": "parity.jobs.model",
    "Counts": "parity.jobs.model",
    "ExpectedResult": "parity.jobs.model",
    "Item": "parity.jobs.model",
    "ItemResult": "parity.jobs.model",
    "ItemStatus": "parity.jobs.model",
    "Job": "parity.jobs.model",
    "PendingItem": "parity.jobs.model",
    "RollbackNote": "parity.jobs.model",
    "RunLog": "parity.jobs.model",
    "RunStatus": "parity.jobs.model",
    "Step": "parity.jobs.model",
    "Work": "parity.jobs.model",
    "ItemRecord": "parity.jobs.records",
    "JobRecords": "parity.jobs.records",
    "LogLine": "parity.jobs.records",
    "RunRecord": "parity.jobs.records",
    "InProcessRunner": "parity.jobs.runner",
    "ProgressSink": "parity.jobs.runner",
    "Runner": "parity.jobs.runner",
    "Schedule": "parity.jobs.schedule",
    "ScheduleError": "parity.jobs.schedule",
    "parse_schedule": "parity.jobs.schedule",
    "JobsSection": "parity.jobs.settings",
    "jobs_settings": "parity.jobs.settings",
}


__getattr__ = lazy_exports(__name__, _LAZY, globals())
