"""Up/down with failure and success thresholds; alerts once on failure, once on resolve."""

from __future__ import annotations

from collections.abc import Sequence

from parity.monitor.state import CheckState, advance, alert_due, mark_alerted


def run(oks: Sequence[bool], state: CheckState | None = None) -> CheckState:
    state = state or CheckState()
    for ok in oks:
        state = advance(state, ok, reason="" if ok else "status was 500, expected == 200")
    return state


def test_first_good_probe_makes_a_check_up() -> None:
    assert run([True]).health == "up"


def test_one_blip_is_not_down() -> None:
    state = run([True, False, False, True])
    assert state.health == "up"
    assert alert_due(state, in_maintenance=False) is None


def test_three_failures_in_a_row_make_it_down_with_the_reason() -> None:
    state = run([True, False, False, False])
    assert state.health == "down"
    assert state.reason == "status was 500, expected == 200"


def test_down_needs_two_good_probes_to_be_up_again() -> None:
    down = run([True, False, False, False])
    assert run([True], down).health == "down"
    assert run([True, True], down).health == "up"
    assert run([True, False, True], down).health == "down"


def test_one_failure_alert_and_one_resolve_alert() -> None:
    state = run([True, False, False, False])
    assert alert_due(state, in_maintenance=False) == "failure"
    state = mark_alerted(state, "failure")
    state = run([False, False], state)
    assert alert_due(state, in_maintenance=False) is None  # still down: no second alert
    state = run([True, True], state)
    assert alert_due(state, in_maintenance=False) == "resolve"
    state = mark_alerted(state, "resolve")
    assert alert_due(state, in_maintenance=False) is None


def test_no_alert_in_maintenance_and_the_pending_one_is_sent_after() -> None:
    state = run([True, False, False, False])
    assert alert_due(state, in_maintenance=True) is None
    assert alert_due(state, in_maintenance=False) == "failure"


def test_a_check_down_and_up_within_maintenance_sends_nothing() -> None:
    state = run([True, False, False, False, True, True])
    assert state.health == "up"
    assert alert_due(state, in_maintenance=False) is None


def test_custom_thresholds_apply() -> None:
    state = CheckState()
    state = advance(state, False, failure_threshold=1, success_threshold=1)
    assert state.health == "down"
    assert advance(state, True, failure_threshold=1, success_threshold=1).health == "up"
