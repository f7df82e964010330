"""The four answers for every environment, read from the state store only.

The dashboard, ``/api/status`` and ``parity status`` all call :func:`build_status`, so
they always agree; none of them probes anything (the running service does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from parity.config import Settings
from parity.jobs.records import JobRecords
from parity.jobs.settings import DeclaredJob, HttpExpectation, SqlExpectation, jobs_settings
from parity.monitor.answers import (
    QUESTIONS,
    Answer,
    CheckView,
    DeployView,
    deploy_answer,
    jobs_answer,
    slow_answer,
    up_answer,
    worst,
)
from parity.monitor.defaults import checks_for
from parity.monitor.job_health import JobFacts, job_problems, wp_cron_problem
from parity.monitor.latency import DeployVerdict, deploy_verdict
from parity.monitor.records import DeployMarker, MonitorRecords, StoredState
from parity.monitor.service import environment_facts
from parity.monitor.settings import CheckSpec, MonitorSection, monitor_settings
from parity.monitor.state import CheckState
from parity.store import Store
from parity.store.clock import utc_now

__all__ = ["EnvironmentStatus", "StatusReport", "build_status", "job_facts"]

#: Timings shown in a check's sparkline.
SPARKLINE_POINTS = 40


@dataclass(frozen=True)
class CheckLine:
    """One check as the dashboard lists it."""

    spec: CheckSpec
    stored: StoredState | None
    recent_ms: list[float]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        state = self.stored.state if self.stored else CheckState()
        slow = self.stored.slow_state if self.stored else CheckState()
        return {
            "check": self.spec.key,
            "name": self.spec.name,
            "environment": self.spec.env,
            "route": self.spec.route,
            "logged_in": self.spec.logged_in,
            "health": state.health,
            "slow": slow.health == "down",
            "reason": state.reason or slow.reason,
            "since": state.since.isoformat() if state.since else None,
            "updated_at": self.stored.updated_at.isoformat() if self.stored else None,
            "recent_ms": self.recent_ms,
        }


@dataclass(frozen=True)
class EnvironmentStatus:
    """One environment's four answers, its checks, maintenance and last deploy."""

    environment: str
    answers: dict[str, Answer]
    checks: list[CheckLine]
    maintenance_until: datetime | None
    marker: DeployMarker | None

    @property
    def level(self) -> str:
        """The worst of the four answers."""
        return worst([a.level for a in self.answers.values()])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``/api/status``; see docs/json-output.md)."""
        return {
            "environment": self.environment,
            "ok": self.level != "red",
            "level": self.level,
            "maintenance_until": (
                self.maintenance_until.isoformat() if self.maintenance_until else None
            ),
            "deploy": self.marker.as_dict() if self.marker else None,
            "answers": {q: self.answers[q].as_dict() for q in QUESTIONS},
            "checks": [c.as_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class StatusReport:
    """Every environment's status at one moment."""

    generated_at: datetime
    environments: list[EnvironmentStatus]

    @property
    def ok(self) -> bool:
        """No answer is red."""
        return all(e.level != "red" for e in self.environments)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schema_version": 1,
            "ok": self.ok,
            "generated_at": self.generated_at.isoformat(),
            "environments": [e.as_dict() for e in self.environments],
        }


def _expected(job: DeclaredJob) -> str:
    kind = job.expected
    if isinstance(kind, HttpExpectation):
        return f"HTTP {kind.http} on {kind.env} answers {kind.status}"
    if isinstance(kind, SqlExpectation):
        return f"SQL count on {kind.env}"
    return f"{kind.callable} passes"


def job_facts(settings: Settings, section: MonitorSection) -> list[JobFacts]:
    """What the configuration declares about jobs: owners, schedules, duration ranges."""
    ranges = {j.name: j for j in section.jobs}
    jobs = jobs_settings(settings)
    facts = []
    for job in jobs.declared:
        span = ranges.get(job.name)
        facts.append(
            JobFacts(
                name=job.name,
                owner=job.owner,
                expected=_expected(job),
                rollback_note=job.rollback.note,
                schedule=job.schedule,
                environment=getattr(job.expected, "env", None),
                min_duration_s=span.min_duration_s if span else None,
                max_duration_s=span.max_duration_s if span else None,
            )
        )
    declared = {f.name for f in facts}
    for span in section.jobs:
        if span.name not in declared:
            facts.append(
                JobFacts(
                    span.name,
                    "",
                    "",
                    "",
                    min_duration_s=span.min_duration_s,
                    max_duration_s=span.max_duration_s,
                )
            )
    return facts


def _deploy_view(
    records: MonitorRecords, section: MonitorSection, checks: list[CheckSpec], marker: DeployMarker
) -> DeployView:
    window = section.deploy.window
    routes: dict[str, DeployVerdict] = {}
    for check in checks:
        before = records.recent_timings(check.key, window, before=marker.at)
        after = records.timings_after(check.key, marker.at, window)
        # "Changed: slower" means what "slow" means: the same effect sizes.
        routes[check.name] = deploy_verdict(
            before,
            after,
            window=window,
            min_samples=section.deploy.min_samples,
            noise=section.slow.min_ratio - 1,
            min_difference_ms=section.slow.min_difference_ms,
        )
    drift = records.drift(marker.environment)
    current = drift is not None and drift.marker_id == marker.id
    return DeployView(
        marker_id=marker.id,
        at=marker.at,
        version=marker.version,
        note=marker.note,
        findings=drift.findings if drift and current else [],
        drift_checked_at=drift.checked_at if drift and current else None,
        drift_error=drift.error if drift and current else None,
        routes=routes,
    )


def _sparklines(
    records: MonitorRecords, section: MonitorSection, checks: list[CheckSpec], now: datetime
) -> dict[str, list[float]]:
    """Each check's good durations (ms) of its last ``SPARKLINE_POINTS`` intervals: one
    query per distinct interval rather than one per check (50 checks stay fast)."""
    by_interval: dict[float, list[str]] = {}
    for check in checks:
        by_interval.setdefault(check.interval_s or section.interval_s, []).append(check.key)
    found: dict[str, list[float]] = {check.key: [] for check in checks}
    for interval, keys in by_interval.items():
        since = now - timedelta(seconds=interval * (SPARKLINE_POINTS + 2))
        for key, durations in records.recent_durations(keys, since, SPARKLINE_POINTS).items():
            found[key] = [round(d * 1000, 1) for d in durations]
    return found


def build_status(
    settings: Settings, store: Store, *, environment: str | None = None, now: datetime | None = None
) -> StatusReport:
    """The four answers of every environment (or of one), from the state store."""
    now = now or utc_now()
    section = monitor_settings(settings)
    records = MonitorRecords(store)
    names = [environment] if environment else sorted(settings.environments)
    if environment:
        settings.environment(environment)  # ConfigError naming the known ones
    all_checks = checks_for(section, environment_facts(settings))
    stored = records.states()
    problems = job_problems(JobRecords(store).last_runs(), job_facts(settings, section), now=now)
    wp_cron = records.wp_cron()
    severity_order = {"error": 0, "warn": 1, "info": 2}
    report = []
    for name in names:
        checks = [c for c in all_checks if c.env == name]
        sparklines = _sparklines(records, section, checks, now)
        lines = [CheckLine(c, stored.get(c.key), sparklines[c.key]) for c in checks]
        views = [
            CheckView(
                c.key,
                c.name,
                c.route,
                s.state if s else CheckState(),
                s.slow_state if s else CheckState(),
                s.slow if s else None,
            )
            for c, s in ((c, stored.get(c.key)) for c in checks)
        ]
        until = records.maintenance_until(name, now)
        marker = records.last_marker(name)
        mine = [p for p in problems if p.environment in (None, name)]
        seen = wp_cron.get(name)
        cron = seen and wp_cron_problem(
            name, seen.overdue, grace_s=section.wp_cron.grace_s, error=seen.error
        )
        if cron:
            mine = sorted([*mine, cron], key=lambda p: severity_order[p.severity])
        answers = {
            "up": up_answer(views, until),
            "slow": slow_answer(views),
            "jobs": jobs_answer(mine, len({p.job for p in mine}) or len(problems)),
            "deploy": deploy_answer(
                _deploy_view(records, section, checks, marker) if marker else None
            ),
        }
        report.append(EnvironmentStatus(name, answers, lines, until, marker))
    return StatusReport(now, report)
