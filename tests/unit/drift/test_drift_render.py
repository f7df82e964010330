"""Renderers: the terminal table, markdown for pull requests, and the JSON shape."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from rich.console import Console

from parity.drift.diff import compare
from parity.drift.findings import DriftReport
from parity.drift.model import OptionInfo, PluginInfo, Snapshot
from parity.drift.render import markdown_report, snapshot_table, summary_line, table_report

Make = Callable[..., Snapshot]


def report(make_snapshot: Make) -> DriftReport:
    a = make_snapshot(options={"pipe": OptionInfo(value="a|b"), "gone": OptionInfo(value="x")})
    b = make_snapshot(
        environment="staging",
        options={"pipe": OptionInfo(value="a`b")},
        plugins={"demo/demo.php": PluginInfo(version="2.0", source="rest")},
    )
    return compare(a, b, a_label="production (live)", b_label="staging (live)")


def rendered(renderable: object) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_table_shows_both_values_the_absent_side_and_the_summary(make_snapshot: Make) -> None:
    text = rendered(table_report(report(make_snapshot), "warn"))
    assert "A = production (live)" in text and "B = staging (live)" in text
    assert "(absent)" in text
    assert "demo/demo.php" in text and "2.0" in text
    assert "3 findings (1 error, 2 warn, 0 info), 0 ignored: drift at --fail-on warn" in text


def test_no_drift_is_said_plainly(make_snapshot: Make) -> None:
    snap = make_snapshot()
    text = rendered(table_report(compare(snap, snap), "info"))
    assert "0 findings" in text and "no drift" in text


def test_markdown_has_one_table_per_category_and_escapes_cells(make_snapshot: Make) -> None:
    text = markdown_report(report(make_snapshot), "warn")
    assert text.startswith("## Drift: `production (live)` vs `staging (live)`")
    assert "### plugins (1)" in text and "### options (2)" in text
    assert "`a\\|b`" in text  # a pipe would split the cell
    assert "`a'b`" in text  # a backtick would end the code span
    for line in text.splitlines():
        if line.startswith("| ") and "---" not in line:
            assert line.count(" | ") == 4, line


def test_json_shape_is_stable(make_snapshot: Make) -> None:
    data = report(make_snapshot).as_dict("error")
    assert list(data) == ["a", "b", "fail_on", "drift", "counts", "ignored", "notes", "findings"]
    assert data["drift"] is True  # the plugin is an error
    first = data["findings"][0]  # type: ignore[index]
    assert list(first) == ["category", "key", "severity", "change", "a", "b", "group", "note"]
    json.dumps(data)


def test_snapshot_table_lists_every_area(make_snapshot: Make) -> None:
    text = rendered(snapshot_table(make_snapshot(notes=["logged-in probes skipped"])))
    for label in ("wordpress", "plugins", "options", "tables", "cron", "roles", "rows", "http"):
        assert label in text
    assert "logged-in probes skipped" in text


def test_summary_line_of_a_clean_report(make_snapshot: Make) -> None:
    snap = make_snapshot()
    assert summary_line(compare(snap, snap), "warn") == (
        "0 findings (0 error, 0 warn, 0 info), 0 ignored: no drift at --fail-on warn"
    )
