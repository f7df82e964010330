"""Jobs failing: from the ledger's last runs, with owner, expected result and rollback note."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from parity.jobs.model import RunStatus
from parity.jobs.records import RunRecord
from parity.monitor.job_health import JobFacts, job_problems

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)

RUN = RunRecord(
    id=7,
    job="sitemap",
    scope="default",
    owner="seo team",
    description="rebuild",
    expected="HTTP /wp-sitemap.xml answers 200",
    rollback_note="Nothing to undo.",
    rollback_command=None,
    status=RunStatus.succeeded,
    runner="cli",
    started_at=NOW - timedelta(minutes=30),
    heartbeat_at=NOW - timedelta(minutes=29),
    ended_at=NOW - timedelta(minutes=29),
    items_total=1,
    items_done=1,
    items_skipped=0,
    items_failed=0,
    check_status="passed",
    check_detail="HTTP 200",
    parameters={},
    summary=None,
    error=None,
    resumed_from=None,
    rolled_back_by=None,
)
FACTS = JobFacts("sitemap", "seo team", "HTTP /wp-sitemap.xml answers 200", "Nothing to undo.")


def test_a_good_last_run_is_no_problem() -> None:
    assert job_problems({"sitemap": RUN}, [FACTS], now=NOW) == []


def test_a_failed_expected_result_is_failing_with_owner_and_rollback_note() -> None:
    run = replace(RUN, check_status="failed", check_detail="HTTP 404 (expected 200)")
    [problem] = job_problems({"sitemap": run}, [FACTS], now=NOW)
    assert problem.severity == "error"
    assert "expected result failed: HTTP 404" in problem.problem
    assert problem.owner == "seo team"
    assert problem.rollback_note == "Nothing to undo."
    assert problem.expected == "HTTP /wp-sitemap.xml answers 200"


def test_failed_and_interrupted_runs_are_failing() -> None:
    failed = replace(RUN, status=RunStatus.failed, error="exit 1", check_status=None)
    interrupted = replace(RUN, job="other", status=RunStatus.interrupted, check_status=None)
    problems = job_problems({"sitemap": failed, "other": interrupted}, [FACTS], now=NOW)
    assert {(p.job, p.severity) for p in problems} == {("sitemap", "error"), ("other", "error")}
    assert any("was interrupted" in p.problem for p in problems)


def test_a_missed_schedule_is_a_warning() -> None:
    facts = replace(FACTS, schedule="0 * * * *")
    old = replace(RUN, started_at=NOW - timedelta(hours=3), ended_at=NOW - timedelta(hours=3))
    [problem] = job_problems({"sitemap": old}, [facts], now=NOW)
    assert problem.severity == "warn"
    assert problem.problem.startswith("missed its schedule (0 * * * *)")
    assert job_problems({"sitemap": RUN}, [facts], now=NOW) == []


def test_a_run_outside_its_duration_range_is_a_warning() -> None:
    too_fast = replace(FACTS, min_duration_s=300)
    [problem] = job_problems({"sitemap": RUN}, [too_fast], now=NOW)
    assert problem.severity == "warn" and "expected at least 300 s" in problem.problem
    too_slow = replace(FACTS, max_duration_s=10)
    [problem] = job_problems({"sitemap": RUN}, [too_slow], now=NOW)
    assert "expected at most 10 s" in problem.problem


def test_failing_jobs_come_first() -> None:
    facts = [replace(FACTS, schedule="0 * * * *"), JobFacts("b", "x", "y", "z")]
    old = replace(RUN, started_at=NOW - timedelta(hours=3), ended_at=NOW - timedelta(hours=3))
    failed = replace(RUN, job="b", status=RunStatus.failed)
    problems = job_problems({"sitemap": old, "b": failed}, facts, now=NOW)
    assert [p.severity for p in problems] == ["error", "warn"]
