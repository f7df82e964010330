"""The verdict: each threshold of [rehearse] fails the rehearsal, in words."""

from __future__ import annotations

from parity.rehearse.model import LoadResult, QueryError, StatementRun
from parity.rehearse.plans import PlanSummary, TableAccess, diff_plans
from parity.rehearse.queries import Samples, hot_queries
from parity.rehearse.settings import RehearseSection
from parity.rehearse.verdict import verdict_reasons

SECTION = RehearseSection()


def run(algorithm: str, rows: int, stall: float = 0.0) -> StatementRun:
    return StatementRun(
        number=1,
        table="wp_postmeta",
        kind="alter_table",
        algorithm=algorithm,
        duration_s=1.0,
        table_rows=rows,
        load=LoadResult(threads=4, writes=10, longest_stall_s=stall),
    )


def test_instant_on_a_big_table_passes() -> None:
    assert verdict_reasons([run("INSTANT", 10**6)], [], True, SECTION) == []


def test_copy_on_a_table_over_the_threshold_fails() -> None:
    reasons = verdict_reasons([run("COPY", 200_000)], [], True, SECTION)
    assert reasons == ["statement 1 needs ALGORITHM=COPY on wp_postmeta (200000 rows > 100000)"]
    assert verdict_reasons([run("COPY", 500)], [], True, SECTION) == []


def test_a_write_stall_over_the_threshold_fails() -> None:
    reasons = verdict_reasons([run("INPLACE", 10, stall=2.5)], [], True, SECTION)
    assert len(reasons) == 1 and "blocked writes" in reasons[0]


def test_a_significant_regression_fails_with_the_query_named() -> None:
    before = PlanSummary(
        tables=[TableAccess(table="m", access_type="ref", key="k", rows_estimated=2)]
    )
    after = PlanSummary(tables=[TableAccess(table="m", access_type="ALL", rows_estimated=200_000)])
    change = diff_plans("meta lookup by key", before, after, rows_ratio=2, min_rows=1000)
    reasons = verdict_reasons([], [change], True, SECTION)
    assert reasons and reasons[0].startswith("query 'meta lookup by key' regresses")


def test_a_rollback_that_does_not_restore_the_schema_fails() -> None:
    reasons = verdict_reasons([], [], False, SECTION, rollback_differences=["index k differs"])
    assert reasons == ["the rollback does not restore the schema: index k differs"]


def test_a_query_that_fails_after_the_migration_fails() -> None:
    error = QueryError(query="q", when="after", error="unknown column")
    assert verdict_reasons([], [], True, SECTION, query_errors=[error])


def test_hot_queries_cover_only_the_touched_tables() -> None:
    names = [q.name for q in hot_queries(["wp_postmeta"], "wp_", Samples(meta_key="k"))]
    assert "meta lookup by key" in names and "meta lookup by value" in names
    assert "option autoload" not in names
    assert hot_queries(["wp_links"], "wp_", Samples()) == []
