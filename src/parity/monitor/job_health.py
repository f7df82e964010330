"""Are jobs failing? Read from the job ledger's last run of each job (pure).

A job is failing (severity ``error``) when its last run failed, was interrupted, or its
expected-result check failed or could not run. It needs a look (``warn``) when its last
run missed its declared schedule, or took less or more time than its declared duration
range. A failing job is shown with its owner, its expected result and its rollback note.

WordPress's own cron is one more job per environment (``wp-cron``): overdue events mean
nothing runs them (WP-cron disabled and no system cron, or a broken loopback), which
needs a look (``warn``); see :func:`wp_cron_problem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from parity.jobs.model import RunStatus
from parity.jobs.records import RunRecord
from parity.jobs.schedule import parse_schedule

__all__ = ["WP_CRON_JOB", "JobFacts", "JobProblem", "job_problems", "wp_cron_problem"]

Severity = Literal["info", "warn", "error"]

#: The job name WordPress's own cron is shown under.
WP_CRON_JOB = "wp-cron"


@dataclass(frozen=True)
class JobFacts:
    """What the configuration declares about a job."""

    name: str
    owner: str
    expected: str
    rollback_note: str
    schedule: str | None = None
    environment: str | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None


@dataclass(frozen=True)
class JobProblem:
    """One thing wrong with a job, in words, with who owns it and how to undo it."""

    job: str
    severity: Severity
    problem: str
    owner: str
    expected: str
    rollback_note: str
    run_id: int | None = None
    environment: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "job": self.job,
            "severity": self.severity,
            "problem": self.problem,
            "owner": self.owner,
            "expected": self.expected,
            "rollback_note": self.rollback_note,
            "run_id": self.run_id,
            "environment": self.environment,
        }


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _run_problems(run: RunRecord, facts: JobFacts | None) -> list[tuple[Severity, str]]:
    found: list[tuple[Severity, str]] = []
    if run.status is RunStatus.failed:
        found.append(("error", f"run #{run.id} failed: {run.error or 'no error recorded'}"))
    elif run.status is RunStatus.interrupted:
        found.append(("error", f"run #{run.id} was interrupted"))
    if run.check_status == "failed":
        found.append(("error", f"run #{run.id}: expected result failed: {run.check_detail}"))
    elif run.check_status == "error":
        found.append(
            ("error", f"run #{run.id}: the expected-result check could not run: {run.check_detail}")
        )
    took = run.duration_s
    if facts is not None and took is not None and run.status is RunStatus.succeeded:
        if facts.min_duration_s is not None and took < facts.min_duration_s:
            found.append(
                (
                    "warn",
                    f"run #{run.id} took {took:.1f} s, expected at least"
                    f" {facts.min_duration_s:g} s",
                )
            )
        if facts.max_duration_s is not None and took > facts.max_duration_s:
            found.append(
                (
                    "warn",
                    f"run #{run.id} took {took:.1f} s, expected at most {facts.max_duration_s:g} s",
                )
            )
    return found


def job_problems(
    last_runs: Mapping[str, RunRecord],
    declared: Sequence[JobFacts],
    *,
    now: datetime,
    schedule_grace: timedelta = timedelta(minutes=15),
) -> list[JobProblem]:
    """Every problem with the jobs, worst first.

    ``last_runs`` is the ledger's latest run per job (``JobRecords.last_runs()``).
    """
    facts = {f.name: f for f in declared}
    problems: list[JobProblem] = []

    def add(job: str, severity: Severity, text: str, run: RunRecord | None) -> None:
        fact = facts.get(job)
        problems.append(
            JobProblem(
                job=job,
                severity=severity,
                problem=text,
                owner=fact.owner if fact else (run.owner if run else ""),
                expected=fact.expected if fact else (run.expected if run else ""),
                rollback_note=fact.rollback_note if fact else (run.rollback_note if run else ""),
                run_id=run.id if run else None,
                environment=fact.environment if fact else None,
            )
        )

    for job, run in sorted(last_runs.items()):
        for severity, text in _run_problems(run, facts.get(job)):
            add(job, severity, text, run)
    for fact in declared:
        if fact.schedule is None:
            continue
        last = last_runs.get(fact.name)
        if last is None:
            add(fact.name, "info", f"never ran (schedule {fact.schedule})", None)
            continue
        due = parse_schedule(fact.schedule).next_after(last.started_at)
        if now > due + schedule_grace:
            add(
                fact.name,
                "warn",
                f"missed its schedule ({fact.schedule}): due {due:%Y-%m-%d %H:%M} UTC,"
                f" last run {_ago(now - last.started_at)} ago",
                last,
            )
    order = {"error": 0, "warn": 1, "info": 2}
    return sorted(problems, key=lambda p: (order[p.severity], p.job))


def wp_cron_problem(
    environment: str,
    overdue: Sequence[Mapping[str, Any]],
    *,
    grace_s: float,
    error: str | None = None,
) -> JobProblem | None:
    """The problem with ``environment``'s WordPress cron, if any: overdue events (``warn``,
    the latest first named) or a cron option that could not be read (``info``).

    >>> late = [{"hook": "wp_version_check", "seconds_late": 7300}]
    >>> wp_cron_problem("staging", late, grace_s=600).problem
    '1 WP-cron event overdue: wp_version_check (2 h late)'
    """

    def problem(severity: Severity, text: str) -> JobProblem:
        return JobProblem(
            job=WP_CRON_JOB,
            severity=severity,
            problem=text,
            owner="WordPress (WP-cron)",
            expected=f"every due event runs within {_ago(timedelta(seconds=grace_s))}",
            rollback_note=f"nothing to undo; `parity cron {environment}` lists the events",
            environment=environment,
        )

    if error is not None:
        return problem("info", f"WP-cron not read: {error}")
    if not overdue:
        return None
    latest = sorted(overdue, key=lambda e: -int(e.get("seconds_late", 0)))
    named = ", ".join(
        f"{e['hook']} ({_ago(timedelta(seconds=int(e.get('seconds_late', 0))))} late)"
        for e in latest[:3]
    )
    more = f" and {len(latest) - 3} more" if len(latest) > 3 else ""
    count = f"{len(latest)} WP-cron event{'s' if len(latest) > 1 else ''} overdue"
    return problem("warn", f"{count}: {named}{more}")
