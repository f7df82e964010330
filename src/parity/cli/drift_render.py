"""Drift reports for people: a terminal table and markdown for pull requests.

Pure formatting (the CLI's side of :mod:`parity.drift`): each function takes a report (or
a snapshot) and returns something to print; nothing here writes to the terminal. The
table fits the width it is printed at: one line per finding, long keys and values
shortened in the middle (:mod:`parity.cli.fit`), and past :data:`MAX_ROWS_PER_CATEGORY`
findings a category ends with a ``… N more`` row (``--format json`` has them all).
"""

from __future__ import annotations

import json

from pydantic import JsonValue
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from parity.cli.fit import (
    ELLIPSIS,
    FitToWidth,
    one_line_table,
    share,
    shorten_end,
    shorten_middle,
    table_overhead,
)
from parity.drift.findings import DriftReport, Finding
from parity.drift.model import Snapshot
from parity.drift.settings import Severity

__all__ = [
    "ABSENT_TEXT",
    "MAX_ROWS_PER_CATEGORY",
    "cell",
    "markdown_report",
    "snapshot_summary",
    "snapshot_table",
    "summary_line",
    "table_report",
]

#: How a side that lacks the key is shown.
ABSENT_TEXT = "(absent)"

#: Findings shown per category in the table; the rest are counted in a ``… N more`` row.
MAX_ROWS_PER_CATEGORY = 40

_STYLE = {"error": "bold red", "warn": "yellow", "info": "dim"}
_WIDTH = 60
#: Long enough for any value a table cell starts from (it is shortened to fit).
_WHOLE = 10_000
#: How the width left after category and severity is shared: key, A, B, note.
_WEIGHTS = (4, 3, 3, 2)


def _short(value: JsonValue, width: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= width else text[: width - 1] + "…"


def cell(finding: Finding, side: str, width: int = _WIDTH) -> str:
    """The text of side ``"a"`` or ``"b"`` of a finding, shortened to ``width``."""
    if (side == "a" and finding.change == "added") or (side == "b" and finding.change == "removed"):
        return ABSENT_TEXT
    return _short(finding.a if side == "a" else finding.b, width)


def summary_line(report: DriftReport, fail_on: Severity) -> str:
    """One line: ``3 findings (1 error, 2 warn, 0 info), 4 ignored: drift`` or ``no drift``."""
    counts = report.counts()
    total = sum(counts.values())
    verdict = "drift" if report.exit_code(fail_on) else "no drift"
    parts = ", ".join(f"{counts[s]} {s}" for s in ("error", "warn", "info"))
    return (
        f"{total} finding{'s' if total != 1 else ''} ({parts}), {report.ignored} ignored:"
        f" {verdict} at --fail-on {fail_on}"
    )


def _findings_table(report: DriftReport, width: int) -> Table:
    """The findings, one line each, shortened to fit ``width`` characters."""
    groups = report.by_category()
    shown = {c: f[:MAX_ROWS_PER_CATEGORY] for c, f in groups.items()}
    rows = [
        (f.key, cell(f, "a", _WHOLE), cell(f, "b", _WHOLE), f.note or "")
        for findings in shown.values()
        for f in findings
    ]
    category = max(len("category"), *(len(c) for c in groups))
    severity = max(len(f.severity) for f in report.findings)
    natural = [max(len(row[i]) for row in rows) for i in range(4)]
    natural = [max(n, len(h)) for n, h in zip(natural, ("key", "A", "B", "note"), strict=True)]
    room = width - table_overhead(6) - category - max(severity, 3)
    key_w, a_w, b_w, note_w = share(natural, _WEIGHTS, room)
    table = one_line_table(
        ("category", "sev", "key", "A", "B", "note"),
        title=f"drift: A = {report.a.label}   B = {report.b.label}",
        show_lines=False,
        expand=False,
    )
    for name, findings in shown.items():
        label = name
        for f in findings:
            table.add_row(
                label,
                Text(f.severity, style=_STYLE[f.severity]),
                # Text, not str: keys like opt[a][b] must not be read as markup.
                Text(shorten_middle(f.key, key_w)),
                Text(shorten_middle(cell(f, "a", _WHOLE), a_w)),
                Text(shorten_middle(cell(f, "b", _WHOLE), b_w)),
                Text(shorten_end(f.note or "", note_w)),
            )
            label = ""
        hidden = len(groups[name]) - len(findings)
        if hidden:
            table.add_row(label, "", Text(f"{ELLIPSIS} {hidden} more", style="dim"), "", "", "")
        table.add_section()
    return table


def table_report(report: DriftReport, fail_on: Severity) -> Group:
    """A terminal report: one table of findings grouped by category, and a summary.

    The table is built for the width it is printed at (one line per finding).
    """
    parts: list[RenderableType] = []
    if report.findings:
        parts.append(FitToWidth(lambda width: _findings_table(report, width)))
    else:
        parts.append(Text(f"drift: A = {report.a.label}   B = {report.b.label}"))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    parts.append(Text(summary_line(report, fail_on)))
    return Group(*parts)


def _md(text: str) -> str:
    # Inside a table cell: pipes would split the cell; backticks would end the code span.
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def markdown_report(report: DriftReport, fail_on: Severity) -> str:
    """A markdown report for a pull request: one table per category."""
    lines = [
        f"## Drift: `{_md(report.a.label)}` vs `{_md(report.b.label)}`",
        "",
        f"**{summary_line(report, fail_on)}**",
        "",
    ]
    for category, findings in report.by_category().items():
        lines += [f"### {category} ({len(findings)})", ""]
        lines += ["| severity | key | A | B | note |", "| --- | --- | --- | --- | --- |"]
        for f in findings:
            a, b = cell(f, "a", 120), cell(f, "b", 120)
            lines.append(
                f"| {f.severity} | `{_md(f.key)}` | `{_md(a)}` | `{_md(b)}` | {_md(f.note)} |"
            )
        lines.append("")
    for note in report.notes:
        lines.append(f"> note: {_md(note)}")
    return "\n".join(lines).rstrip() + "\n"


def snapshot_summary(snapshot: Snapshot) -> list[tuple[str, str]]:
    """What ``parity snapshot`` shows: one (label, value) row per captured area."""
    wp = snapshot.wordpress
    theme = (
        wp.theme.slug + (f" {wp.theme.version}" if wp.theme.version else "") if wp.theme else "?"
    )
    if wp.parent_theme:
        theme += f" (child of {wp.parent_theme.slug})"
    masked = sum(1 for o in snapshot.options.values() if o.mask)
    routes = sum(1 for p in snapshot.http.values() if not p.error)
    core = snapshot.core_indexes
    overdue = sum(c.overdue for c in snapshot.cron.values())
    rows = [
        ("snapshot", snapshot.label()),
        ("took", f"{snapshot.duration_s:.2f} s"),
        ("wordpress", f"{wp.core_version or '?'} ({wp.core_version_source}), db {wp.db_version}"),
        ("permalinks", wp.permalink_structure or "(plain)"),
        ("language / timezone", f"{wp.language} / {wp.timezone}"),
        ("theme", theme),
        ("plugins", f"{len(snapshot.plugins)} active"),
        ("options", f"{len(snapshot.options)} ({masked} masked)"),
        ("autoloaded", f"{snapshot.autoload_bytes} bytes"),
        ("tables", f"{len(snapshot.tables)}"),
        ("core indexes", f"{core.deviations} deviation(s) from db_version {core.db_version}"),
        ("cron", f"{len(snapshot.cron)} events, {overdue} overdue"),
        ("roles", f"{len(snapshot.roles)}, {snapshot.users} users"),
        (
            "rows",
            f"{sum(v.rows for v in snapshot.volume.values())}"
            f" ({'counted' if snapshot.exact_counts else 'table statistics'})",
        ),
        ("http", f"{routes}/{len(snapshot.http)} probes answered"),
    ]
    for table, names in sorted(core.missing.items()):
        rows.append(("missing core index", f"{table}: {', '.join(names)}"))
    for table, names in sorted(core.extra.items()):
        rows.append(("extra index", f"{table}: {', '.join(names)}"))
    for table, names in sorted(core.different.items()):
        rows.append(("changed core index", f"{table}: {', '.join(names)}"))
    rows += [("note", note) for note in snapshot.notes]
    return rows


def snapshot_table(snapshot: Snapshot) -> Table:
    """The snapshot summary as a two-column table."""
    table = Table(title=f"parity snapshot {snapshot.environment}", show_header=False)
    table.add_column("what", no_wrap=True)
    table.add_column("value", overflow="fold")
    for label, value in snapshot_summary(snapshot):
        table.add_row(label, value)
    return table
