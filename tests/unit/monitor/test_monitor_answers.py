"""The four answers: green, amber or red, with the reason in words."""

from __future__ import annotations

from datetime import UTC, datetime

from parity.monitor.answers import (
    CheckView,
    DeployView,
    deploy_answer,
    jobs_answer,
    slow_answer,
    up_answer,
)
from parity.monitor.job_health import JobProblem
from parity.monitor.latency import DeployVerdict, SlowVerdict
from parity.monitor.state import CheckState

NOW = datetime(2026, 1, 1, tzinfo=UTC)
UP = CheckState("up", successes=3)
DOWN = CheckState("down", failures=3, reason="status was 502, expected == 200")


def view(name: str, state: CheckState, slow: CheckState | None = None) -> CheckView:
    verdict = SlowVerdict("ok", "p95 10 ms") if slow is None else SlowVerdict("slow", "slow!")
    return CheckView(f"staging/{name}", name, "/", state, slow or CheckState("up"), verdict)


def test_all_up_is_green() -> None:
    answer = up_answer([view("home", UP), view("post", UP)])
    assert answer.level == "green"
    assert answer.reason == "up: 2 of 2 checks passing"


def test_a_down_check_is_red_and_named_with_its_reason() -> None:
    answer = up_answer([view("home", DOWN), view("post", UP)])
    assert answer.level == "red"
    assert answer.reason == "down: home (status was 502, expected == 200)"


def test_maintenance_is_amber_and_says_so() -> None:
    answer = up_answer([view("home", DOWN)], maintenance_until=NOW)
    assert answer.level == "amber"
    assert answer.reason.startswith("maintenance until 2026-01-01 00:00 UTC")


def test_a_slow_route_is_red_and_named_while_others_stay_green() -> None:
    slow = CheckState("down", failures=3, reason="median 220 ms against 20 ms")
    answer = slow_answer([view("home", UP), view("post", UP, slow)])
    assert answer.level == "red"
    assert "post / (median 220 ms against 20 ms)" in answer.reason
    assert "home" not in answer.reason
    assert [i["slow"] for i in answer.items] == [False, True]


def test_a_failing_job_is_red_with_owner_and_rollback_note() -> None:
    problem = JobProblem("sitemap", "error", "expected result failed", "seo", "200", "rebuild")
    answer = jobs_answer([problem], 1)
    assert answer.level == "red"
    assert "owner: seo" in answer.reason and "rollback: rebuild" in answer.reason


def test_no_deploy_is_green_and_a_slower_route_after_one_is_red() -> None:
    assert deploy_answer(None).level == "green"
    deploy = DeployView(
        marker_id=3,
        at=NOW,
        version="1.2",
        note=None,
        findings=[{"category": "options", "key": "blogdescription", "severity": "warn"}],
        drift_checked_at=NOW,
        drift_error=None,
        routes={"/": DeployVerdict("slower", "changed: slower")},
    )
    answer = deploy_answer(deploy)
    assert answer.level == "red"
    assert "options blogdescription" in answer.reason and "slower: /" in answer.reason


def test_drift_alone_after_a_deploy_is_amber() -> None:
    deploy = DeployView(3, NOW, None, None, [{"category": "plugins", "key": "x"}], NOW, None, {})
    assert deploy_answer(deploy).level == "amber"
