"""Renderers: the terminal table, markdown for pull requests, and the JSON shape."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from parity.cli.drift_render import (
    MAX_ROWS_PER_CATEGORY,
    markdown_report,
    snapshot_table,
    summary_line,
    table_report,
)
from parity.cli.output import PIPED_WIDTH
from parity.drift.diff import compare
from parity.drift.findings import DriftReport
from parity.drift.model import OptionInfo, PluginInfo, Snapshot

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


LONG_URL = "https://staging.example.com/wp-content/uploads/2026/11/a-long-file-name-for-a-photo.jpg"


def wide_report(make_snapshot: Make, findings: int = 6) -> DriftReport:
    """Findings whose keys and values are far wider than an 80-column terminal."""
    key = "parity_demo_settings[integrations][newsletter][endpoints][subscribe][url]"
    a = make_snapshot(
        options={f"{key}{i}": OptionInfo(value=f"{LONG_URL}?v={i}") for i in range(findings)}
    )
    b = make_snapshot(
        environment="staging",
        options={f"{key}{i}": OptionInfo(value=f"{LONG_URL}?v={i}&x") for i in range(findings)},
        plugins={
            "a-plugin-with-a-long-folder-name/a-plugin-with-a-long-file.php": PluginInfo(
                version="2.0.0-beta.1+build.20261203", source="rest"
            )
        },
    )
    return compare(a, b, a_label="production (live)", b_label="staging (live)")


def table_lines(renderable: object, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text().splitlines()


def test_table_at_80_columns_has_one_line_per_finding(make_snapshot: Make) -> None:
    report = wide_report(make_snapshot)
    lines = table_lines(table_report(report, "warn"), 80)
    assert all(len(line) <= 80 for line in lines)
    # Each finding is one row: the rows that name a severity are the findings, and the
    # line after each is another finding, a section rule or the table's end.
    rows = [line for line in lines if any(f"│ {s} " in line for s in ("error", "warn", "info"))]
    assert len(rows) == len(report.findings)
    for row in rows:
        following = lines[lines.index(row) + 1]
        assert any(f"│ {s} " in following for s in ("error", "warn", "info")) or following[:1] in (
            "├",
            "└",
            "╰",
            "┣",
            "┗",
        )
    # The key information survives: the start and end of the keys, and the plugin.
    text = "\n".join(lines)
    assert all(f"parity_de…[url]{i}" in text for i in range(6))
    assert "a-plugin-…le.php" in text and "2.0.0-b" in text
    assert "7 findings" in text


def test_table_says_how_many_findings_it_leaves_out(make_snapshot: Make) -> None:
    report = wide_report(make_snapshot, findings=MAX_ROWS_PER_CATEGORY + 5)
    text = "\n".join(table_lines(table_report(report, "warn"), 80))
    assert "… 5 more" in text
    assert f"{MAX_ROWS_PER_CATEGORY + 6} findings" in text


def test_drift_command_piped_at_80_columns_keeps_one_line_per_finding(
    make_snapshot: Make, tmp_path: Path, run_parity: Callable[..., Any]
) -> None:
    report = wide_report(make_snapshot)
    a = make_snapshot(options={f.key: OptionInfo(value=f.a) for f in report.findings if f.a})
    b = make_snapshot(
        environment="staging",
        options={f.key: OptionInfo(value=f.b) for f in report.findings if f.category == "options"},
    )
    (tmp_path / "parity.toml").write_text("", encoding="utf-8")
    (tmp_path / "a.json").write_text(a.to_json(), encoding="utf-8")
    (tmp_path / "b.json").write_text(b.to_json(), encoding="utf-8")
    result = run_parity("drift", "a.json", "b.json", env={"COLUMNS": "80"})
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), result.stdout
    rows = [line for line in lines if "│ warn " in line or "│ error " in line]
    assert len(rows) == 6, result.stdout
    assert all("parity_de" in row and "[url]" in row for row in rows)
    # Piped with COLUMNS unset: PIPED_WIDTH wide, not rich's 80, and still one line each.
    piped = run_parity("drift", "a.json", "b.json", env={"COLUMNS": ""})
    lines = piped.stdout.splitlines()
    assert 100 < max(len(line) for line in lines) <= PIPED_WIDTH, piped.stdout
    rows = [line for line in lines if "│ warn " in line]
    assert len(rows) == 6 and all("parity_demo_settings" in row for row in rows), piped.stdout
