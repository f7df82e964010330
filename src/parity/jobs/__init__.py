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
