"""``--expect``: the forms parity can check, the ones it refuses, and how each is judged."""

from __future__ import annotations

import pytest

from parity.changes.expect import (
    CommandOutcome,
    QueryOutcome,
    TimingOutcome,
    evaluate,
    parse_expectation,
    parse_expectations,
)
from parity.changes.query import check_select
from parity.errors import InputError


def _timing(verdict: str, before: float, after: float, mode: str = "cold") -> TimingOutcome:
    return TimingOutcome(
        "/p/", mode, verdict, f"B is {verdict}", before, after, before * 1.2, after * 1.2, 0.001,
        after / before,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind", "mode", "stat", "op", "threshold"),
    [
        ("median -20%", "relative", None, "median", "<=", 0.8),
        ("cold p95 +10%", "relative", "cold", "p95", "<=", 1.1),
        ("p95 < 300ms", "absolute", None, "p95", "<", 0.3),
        ("logged-in median <= 1.5s", "absolute", "logged-in", "median", "<=", 1.5),
        ("query rows_examined < 1000", "query", None, "rows_examined", "<", 1000),
        ("query duration < 50ms", "query", None, "duration", "<", 0.05),
        ("command exit 0", "command", None, "exit", "=", 0),
    ],
)
def test_every_documented_form_parses(
    text: str, kind: str, mode: str | None, stat: str, op: str, threshold: float
) -> None:
    e = parse_expectation(text)
    assert (e.kind, e.mode, e.stat, e.op) == (kind, mode, stat, op)
    assert e.threshold == pytest.approx(threshold)


@pytest.mark.parametrize(
    "text", ["faster please", "median -120%", "p95 < 300", "query rows_examined < 10ms", ""]
)
def test_anything_else_is_refused_with_a_one_line_reason(text: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_expectations([text])
    line = refused.value.one_line()
    assert line.startswith("--expect") or line.startswith("a change needs an expectation")


def test_and_joins_several_expectations() -> None:
    parsed = parse_expectations(["median -20% and query rows_examined < 100", "command exit 0"])
    assert [e.kind for e in parsed] == ["relative", "query", "command"]


def test_a_decrease_is_met_only_when_parity_calls_it_faster_and_large_enough() -> None:
    [expect] = parse_expectations(["median -20%"])
    assert evaluate([expect], [_timing("faster", 0.400, 0.100)])[0].met
    assert not evaluate([expect], [_timing("faster", 0.400, 0.350)])[0].met  # only 12.5% lower
    # As low as hoped but not significant: a lucky run is not a fix.
    assert not evaluate([expect], [_timing("no difference", 0.400, 0.100)])[0].met


def test_a_refused_comparison_never_meets_an_expectation() -> None:
    [expect] = parse_expectations(["median -20%"])
    [result] = evaluate([expect], [_timing("refused", 0.400, 0.100)])
    assert not result.met and "refused" in result.detail


def test_without_a_mode_the_expectation_is_about_cold_mode() -> None:
    [expect] = parse_expectations(["median -20%"])
    timings = [_timing("no difference", 0.002, 0.002, "warm"), _timing("faster", 0.4, 0.1)]
    [result] = evaluate([expect], timings)
    assert result.met and "cold" in result.detail and "warm" not in result.detail


def test_absolute_query_and_command_expectations_are_judged_on_their_numbers() -> None:
    parsed = parse_expectations(
        ["p95 < 300ms", "query rows_examined < 1000", "command exit 0", "query duration < 1ms"]
    )
    results = evaluate(
        parsed,
        [_timing("faster", 0.4, 0.2)],  # p95 after = 0.24 s
        QueryOutcome(rows_examined=120, rows_estimated=500, duration_s=0.004),
        CommandOutcome(exit_code=0),
    )
    assert [r.met for r in results] == [True, True, True, False]


def test_a_query_or_command_expectation_without_its_evidence_is_not_met() -> None:
    results = evaluate(parse_expectations(["query rows_examined < 10", "command exit 0"]), [])
    assert [r.met for r in results] == [False, False]
    assert "--query" in results[0].detail and "--command" in results[1].detail


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DELETE FROM wp_posts",
        "/*!50000 DELETE FROM wp_posts */ SELECT 1",
        "SELECT ID FROM wp_posts FOR UPDATE",
        "SELECT ID INTO OUTFILE '/tmp/x' FROM wp_posts",
        "DELETE FROM wp_posts",
    ],
)
def test_only_one_read_only_select_is_run_with_analyze(sql: str) -> None:
    with pytest.raises(InputError):
        check_select(sql)
    assert check_select("SELECT ID FROM wp_posts WHERE post_title = 'a;b';").endswith("'a;b'")
