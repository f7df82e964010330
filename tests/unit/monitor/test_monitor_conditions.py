"""Conditions: parsed from text, evaluated on one probe, the reason said in words."""

from __future__ import annotations

import pytest

from parity.monitor.conditions import (
    ConditionError,
    Observation,
    evaluate,
    evaluate_all,
    parse_condition,
)

OK = Observation(
    status=200,
    duration_s=0.120,
    headers={"x-cache": "HIT", "content-type": "application/json; charset=UTF-8"},
    body="<html>Hello world</html>",
)


@pytest.mark.parametrize(
    "text",
    [
        "status == 200",
        "status != 500",
        "status<400",
        "duration_ms < 500",
        "p95_ms < 800",
        "p50_ms <= 300",
        'body contains "Hello world"',
        "body not contains 'Fatal error'",
        "header x-cache == HIT",
        "header content-type contains application/json",
    ],
)
def test_known_conditions_hold_on_a_good_probe(text: str) -> None:
    result = evaluate(parse_condition(text), OK)
    assert result.ok, result.reason


@pytest.mark.parametrize(
    "text",
    ["up", "status = 200", "status == ok", "latency < 5", "body has x", "header == HIT", ""],
)
def test_unknown_conditions_are_refused(text: str) -> None:
    with pytest.raises(ConditionError, match="unknown condition"):
        parse_condition(text)


def test_a_failed_status_says_what_was_seen_and_expected() -> None:
    seen = Observation(status=500, duration_s=0.01)
    result = evaluate(parse_condition("status == 200"), seen)
    assert not result.ok
    assert result.reason == "status was 500, expected == 200"
    assert result.observed == "500"


def test_a_cache_miss_fails_the_header_condition_in_words() -> None:
    seen = Observation(status=200, duration_s=0.01, headers={"x-cache": "MISS"})
    result = evaluate(parse_condition("header x-cache == HIT"), seen)
    assert not result.ok
    assert result.reason == 'header x-cache was "MISS", expected == "HIT"'


def test_a_missing_header_fails_equality_in_words() -> None:
    result = evaluate(parse_condition("header x-cache == HIT"), Observation(200, 0.01))
    assert not result.ok
    assert result.reason == "header x-cache was missing"


def test_a_body_without_the_text_fails() -> None:
    result = evaluate(parse_condition('body contains "Add to cart"'), OK)
    assert not result.ok
    assert result.reason == "body does not contain 'Add to cart'"


def test_p95_is_taken_over_the_recent_probes() -> None:
    seen = Observation(status=200, duration_s=0.1, recent_s=[0.1] * 18 + [0.9, 0.95])
    result = evaluate(parse_condition("p95_ms < 800"), seen)
    assert not result.ok
    assert "p95 over the last 20 probes" in result.reason


def test_no_answer_fails_every_condition_with_the_error() -> None:
    seen = Observation(status=None, duration_s=None, error="connection refused")
    results = evaluate_all(["status == 200", "header x-cache == HIT"], seen)
    assert [r.ok for r in results] == [False, False]
    assert all(r.reason == "no answer: connection refused" for r in results)
