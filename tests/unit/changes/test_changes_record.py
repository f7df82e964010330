"""The change record without a site: what changed, the checklist, Markdown, the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from parity.changes.checklist import CHECKLIST, checklist
from parity.changes.model import (
    ChangeCheck,
    ChangeRecord,
    ChangeStatus,
    CheckKind,
    back_in_range,
    one_variable_warning,
    things_changed,
)
from parity.changes.query import check_select, plan_figures
from parity.changes.records import add_check, list_changes, load_change, save_change
from parity.changes.render import markdown_record
from parity.errors import InputError
from parity.store import Store

AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _measurement(mode: str, median: float, n: int = 8) -> dict[str, Any]:
    status = {"cold": "MISS", "warm": "HIT", "logged-in": "PASS"}[mode]
    return {
        "route": "/p/", "mode": mode, "measurement_id": 1, "n": n, "median_s": median,
        "p95_s": median * 1.1, "cache_mix": {status: n}, "unexpected": 0, "non_2xx": 0,
    }  # fmt: skip


def _record() -> ChangeRecord:
    seen = {"http_status": 200, "cache_status": "HIT", "x_cache": "HIT", "age": 3}
    logged = {"http_status": 200, "cache_status": "PASS", "x_cache": "PASS", "age": 0}
    return ChangeRecord(
        name="faster-p",
        environment="staging",
        owner="ana",
        expect=["median -20%"],
        rollback_command="restore-the-slowness",
        routes=["/p/"],
        modes=["cold", "warm", "logged-in"],
        samples=8,
        opened_at=AT,
        baseline={
            "taken_at": "2026-12-03T10:00:00+00:00",
            "snapshot_id": 1,
            "headers": [{"route": "/p/", "anonymous": seen, "logged_in": logged}],
            "measurements": [_measurement(m, 0.4) for m in ("cold", "warm", "logged-in")],
            "query": None,
            "command": None,
        },
        commands=[
            {
                "at": "2026-12-03T10:00:00+00:00",
                "command": "parity snapshot staging",
                "why": "drift snapshot",
            }
        ],
        assumptions=["timings are client-side"],
    )


def _comparison(mode: str, verdict: str, before: float, after: float) -> dict[str, Any]:
    return {
        "route": "/p/", "mode": mode, "verdict": verdict, "message": "", "p_value": 0.0002,
        "median_ratio": after / before, "a": {"median": before}, "b": {"median": after},
    }  # fmt: skip


def _check(record: ChangeRecord) -> ChangeCheck:
    assert record.id is not None
    body = {
        "drift": {"snapshot_id": 2, "things": ["plugin mu-plugins/slow.php (removed)"]},
        "purge": {
            "ok": True,
            "routes": [{"route": "/p/", "detail": "MISS age 0, HIT age 0"}],
            "control": {
                "route": "/",
                "detail": "stayed cached (HIT age 4 before, HIT age 4 after)",
            },
        },
        "measurements": [_measurement("cold", 0.1), _measurement("logged-in", 0.1)],
        "comparisons": [_comparison("cold", "faster", 0.4, 0.1)],
        "expectations": [{"expect": "median -20%", "met": True, "detail": "faster"}],
        "warnings": [],
    }
    return ChangeCheck(record.id, CheckKind.check, AT, "met", "faster, expectation met", body)


def test_things_changed_counts_plugins_and_options_once_each_and_skips_info() -> None:
    findings = [
        {
            "category": "plugins",
            "key": "mu-plugins/x.php",
            "change": "removed",
            "severity": "error",
        },
        {"category": "options", "key": "seo[a][b]", "change": "changed", "severity": "warn"},
        {"category": "options", "key": "seo[a][c]", "change": "changed", "severity": "warn"},
        {"category": "volume", "key": "posts", "change": "changed", "severity": "info"},
    ]
    things = things_changed(findings)
    assert things == ["plugin mu-plugins/x.php (removed)", "option seo (changed)"]
    warning = one_variable_warning(things)
    assert warning is not None and warning.startswith("two things changed")
    assert "mu-plugins/x.php" in warning and "option seo" in warning
    assert one_variable_warning(things[:1]) is None


def test_back_in_range_allows_no_difference_a_small_ratio_or_a_few_milliseconds() -> None:
    assert back_in_range(_comparison("cold", "no difference", 0.4, 0.41))
    assert back_in_range(_comparison("cold", "faster", 0.4, 0.35))  # 12.5%: in range
    assert not back_in_range(_comparison("cold", "faster", 0.4, 0.1))  # still the change
    assert back_in_range(_comparison("warm", "slower", 0.002, 0.007))  # 5 ms of a HIT
    assert not back_in_range(_comparison("cold", "refused", 0.4, 0.4))


def test_the_query_must_be_one_read_only_select() -> None:
    assert check_select(" SELECT 1; ") == "SELECT 1"
    assert check_select("SELECT 'a;b' AS x") == "SELECT 'a;b' AS x"  # ; inside quotes is fine
    for bad in ("DELETE FROM wp_posts", "SELECT 1; DROP TABLE x", "SELECT * INTO OUTFILE '/x'",
                "SELECT * FROM wp_posts FOR UPDATE", "SELECT SLEEP(10)"):  # fmt: skip
        with pytest.raises(InputError):
            check_select(bad)


def test_plan_figures_sum_every_table_access_of_a_nested_plan() -> None:
    plan = {
        "query_block": {
            "r_total_time_ms": 12.0,
            "nested_loop": [
                {"table": {"table_name": "p", "rows": 100, "r_loops": 1, "r_rows": 120}},
                {"table": {"table_name": "m", "rows": 2, "r_loops": 120, "r_rows": 3}},
            ],
        }
    }
    assert plan_figures(plan) == (480.0, 102.0, 0.012)
    assert plan_figures({"query_block": {"table": {"table_name": "p", "rows": 5}}}) == (
        None,
        5.0,
        None,
    )


def test_markdown_has_every_checklist_item_with_its_evidence(store: Store) -> None:
    record = save_change(store, _record())
    check = add_check(store, _check(record))
    text = markdown_record(record, [check])
    for _key, title in CHECKLIST:
        assert f"**{title}**" in text
    items = {item.key: item for item in checklist(record, [check])}
    assert all(item.done for item in items.values())
    assert "X-Cache: HIT" in items["cache-headers"].evidence
    assert "PASS" in items["logged-in"].evidence
    assert "purged /p/" in items["purge"].evidence and "stayed cached" in items["purge"].evidence
    assert "faster" in items["response-time"].evidence
    assert "mu-plugins/slow.php" in items["one-variable"].evidence
    assert "restore-the-slowness" in items["rollback"].evidence
    assert "parity snapshot staging" in text and "timings are client-side" in text


def test_before_any_check_the_items_that_need_one_are_not_done(store: Store) -> None:
    record = save_change(store, _record())
    done = {item.key: item.done for item in checklist(record, [])}
    assert done == {
        "baseline": True, "cache-headers": True, "logged-in": True, "purge": False,
        "response-time": False, "one-variable": False, "rollback": True,
    }  # fmt: skip


def test_the_store_keeps_every_check_and_refuses_a_second_change_of_the_same_name(
    store: Store,
) -> None:
    record = save_change(store, _record())
    add_check(store, _check(record))
    add_check(store, _check(record))
    record.status = ChangeStatus.rolled_back
    save_change(store, record)
    again, checks = load_change(store, "faster-p")
    assert again.status is ChangeStatus.rolled_back and len(checks) == 2
    assert again.baseline == record.baseline
    [(listed, last, _at)] = list_changes(store)
    assert listed.name == "faster-p" and last is not None and last.id == checks[-1].id
    with pytest.raises(InputError):
        save_change(store, _record())
    with pytest.raises(InputError):
        load_change(store, "no-such-change")
