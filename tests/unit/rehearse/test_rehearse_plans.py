"""Plan summaries from MariaDB's JSON plans, and their diff in words."""

from __future__ import annotations

import doctest
import json

from parity.rehearse import plans as plans_module
from parity.rehearse.plans import diff_plans, summarise_plan

# MariaDB 10.11's ANALYZE FORMAT=JSON of a meta lookup with ORDER BY (abridged).
ANALYZE_REF_FILESORT = {
    "query_optimization": {"r_total_time_ms": 0.03},
    "query_block": {
        "select_id": 1,
        "r_loops": 1,
        "r_total_time_ms": 0.05,
        "nested_loop": [
            {
                "read_sorted_file": {
                    "r_rows": 0,
                    "filesort": {
                        "sort_key": "wp_postmeta.meta_value",
                        "table": {
                            "table_name": "wp_postmeta",
                            "access_type": "ref",
                            "key": "meta_key",
                            "r_loops": 1,
                            "rows": 3,
                            "r_rows": 2,
                        },
                    },
                }
            }
        ],
    },
}


def full_scan(rows: int) -> dict[str, object]:
    return {
        "query_block": {
            "r_total_time_ms": 80.0,
            "table": {"table_name": "wp_postmeta", "access_type": "ALL", "rows": rows},
        }
    }


def test_analyze_json_is_summed_up_with_rows_read_filesort_and_time() -> None:
    summary = summarise_plan(json.dumps(ANALYZE_REF_FILESORT))
    assert [(t.table, t.access_type, t.key, t.rows) for t in summary.tables] == [
        ("wp_postmeta", "ref", "meta_key", 2)
    ]
    assert summary.filesort and not summary.temporary
    assert summary.time_s == 0.00005


def test_a_temporary_table_and_a_join_are_seen() -> None:
    plan = {
        "query_block": {
            "temporary_table": {
                "nested_loop": [
                    {"table": {"table_name": "p", "access_type": "ref", "rows": 1}},
                    {
                        "block-nl-join": {
                            "table": {"table_name": "m", "access_type": "ALL", "rows": 2}
                        }
                    },
                ]
            }
        }
    }
    summary = summarise_plan(plan)
    assert [t.table for t in summary.tables] == ["p", "m"]
    assert summary.temporary and summary.rows_examined == 3


def test_ref_to_all_is_a_regression_named_and_significant() -> None:
    change = diff_plans(
        "meta lookup by key",
        summarise_plan(ANALYZE_REF_FILESORT),
        summarise_plan(full_scan(200_000)),
        rows_ratio=2,
        min_rows=1000,
    )
    assert change.status == "regressed" and change.significant
    assert "wp_postmeta: ref (meta_key) -> ALL" in change.reasons


def test_a_full_scan_that_now_uses_an_index_is_an_improvement() -> None:
    after = {
        "query_block": {
            "table": {
                "table_name": "wp_postmeta",
                "access_type": "ref",
                "key": "meta_value",
                "rows": 2,
                "r_rows": 1,
            }
        }
    }
    change = diff_plans(
        "meta lookup by value",
        summarise_plan(full_scan(200_000)),
        summarise_plan(after),
        rows_ratio=2,
        min_rows=1000,
    )
    assert change.status == "improved" and not change.significant
    assert change.reasons[0] == "wp_postmeta: ALL -> ref (meta_value)"


def test_a_regression_on_a_small_table_is_named_but_not_significant() -> None:
    change = diff_plans(
        "q",
        summarise_plan(ANALYZE_REF_FILESORT),
        summarise_plan(full_scan(50)),
        rows_ratio=2,
        min_rows=1000,
    )
    assert change.status == "regressed" and not change.significant


def test_the_same_plan_is_the_same() -> None:
    plan = summarise_plan(full_scan(1000))
    change = diff_plans("q", plan, plan, rows_ratio=2, min_rows=0)
    assert change.status == "same" and change.reasons == []


def test_plans_doctests_pass() -> None:
    assert doctest.testmod(plans_module).failed == 0
