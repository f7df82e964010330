"""The report speaks the JSON vocabulary, and its markdown is ready for a pull request."""

from __future__ import annotations

from parity.rehearse.indexes import IndexDef, IndexFinding
from parity.rehearse.model import (
    CopyInfo,
    LoadResult,
    RehearsalReport,
    Rollback,
    StatementRun,
    StatementSummary,
)
from parity.rehearse.plans import PlanSummary, TableAccess, diff_plans
from parity.rehearse.render import markdown_report
from parity.vocabulary import json_document, vocabulary_problems


def report() -> RehearsalReport:
    before = PlanSummary(
        tables=[
            TableAccess(table="wp_postmeta", access_type="ref", key="meta_key", rows_estimated=2)
        ],
        time_s=0.0001,
    )
    after = PlanSummary(
        tables=[TableAccess(table="wp_postmeta", access_type="ALL", rows_estimated=200_000)],
        time_s=0.08,
    )
    return RehearsalReport(
        environment="staging",
        migration="drop.sql",
        started_at="2026-12-03T11:00:00+00:00",
        duration_s=5.8,
        ddl_s=0.03,
        copy_s=0.2,
        overhead_s=5.77,
        scratch_prefix="prh_abc123_",
        kept=False,
        copies=[
            CopyInfo(
                table="wp_postmeta",
                scratch="prh_abc123_wp_postmeta",
                origin="staging",
                how="reused",
                rows=200_000,
                copied_at="2026-12-03T10:00:00+00:00",
                duration_s=0.2,
            )
        ],
        statements=[
            StatementSummary(
                number=1,
                kind="drop_index",
                tables=["wp_postmeta"],
                columns=[],
                sql="DROP INDEX meta_key ON wp_postmeta",
            )
        ],
        indexes={"wp_postmeta": [IndexDef(name="meta_key", columns=("meta_key(191)",))]},
        index_findings=[
            IndexFinding(
                table="wp_postmeta",
                kind="removed_in_use",
                index="meta_key",
                detail="the migration removes meta_key (meta_key(191)), used by: q",
            )
        ],
        runs=[
            StatementRun(
                number=1,
                table="wp_postmeta",
                kind="drop_index",
                algorithm="NOCOPY",
                duration_s=0.03,
                table_rows=200_000,
                load=LoadResult(threads=4, writes=50),
            )
        ],
        plans=[diff_plans("meta lookup by key", before, after, rows_ratio=2, min_rows=1000)],
        query_errors=[],
        rollback=Rollback(
            statements=[
                {
                    "statement": 1,
                    "sql": "ALTER TABLE `wp_postmeta` ADD KEY `meta_key` (`meta_key`(191))",
                    "notes": [],
                }
            ],
            applied=True,
            restored=True,
        ),
        passed=False,
        reasons=["query 'meta lookup by key' regresses: wp_postmeta: ref (meta_key) -> ALL"],
    )


def test_the_json_document_speaks_the_vocabulary() -> None:
    document = json_document(report().to_json(), ok=False)
    assert vocabulary_problems(document) == []
    assert document["verdict"] == {
        "passed": False,
        "reasons": ["query 'meta lookup by key' regresses: wp_postmeta: ref (meta_key) -> ALL"],
    }
    assert document["plans"][0]["after"]["time_s"] == 0.08


def test_the_markdown_names_the_verdict_the_regression_and_the_rollback_script() -> None:
    text = markdown_report(report())
    assert "— FAILED" in text.splitlines()[0]
    assert "- query 'meta lookup by key' regresses" in text
    assert "| meta lookup by key |" in text and "**regressed**" in text
    assert "ALTER TABLE `wp_postmeta` ADD KEY `meta_key` (`meta_key`(191));" in text
    assert "### Rollback (restores the schema exactly)" in text


def test_the_markdown_says_where_the_copy_s_rows_came_from() -> None:
    text = markdown_report(report())
    assert "- copy: wp_postmeta: reused the copy of staging made 2026-12-03T10:00:00+00:00" in text
