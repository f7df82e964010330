"""The rehearsal report as Markdown, ready to paste into a pull request.

Pure code (the shell prints it; the table view is built in the shell with rich).
"""

from __future__ import annotations

from parity.rehearse.model import CopyInfo, RehearsalReport

__all__ = ["describe_copy", "markdown_report"]


def describe_copy(copy: CopyInfo) -> str:
    """One line on where a copy's rows came from and what became of it.

    >>> line = describe_copy(CopyInfo(table="wp_postmeta", scratch="prh_ab12cd_wp_postmeta",
    ...     origin="staging", how="reused", rows=3, copied_at="2026-12-03T12:00:00+00:00",
    ...     duration_s=0.05, kept_as="prh_kept_wp_postmeta"))
    >>> line.split("; ")[1]
    'kept as prh_kept_wp_postmeta'
    >>> line.split(" (")[0]
    'wp_postmeta: reused the copy of staging made 2026-12-03T12:00:00+00:00'
    """
    verb = {"made": "copied from", "reused": "reused the copy of", "refreshed": "refreshed from"}
    text = f"{copy.table}: {verb.get(copy.how, copy.how)} {copy.origin}"
    if copy.how == "reused":
        text += f" made {copy.copied_at}"
    text += f" ({copy.rows} rows, {copy.duration_s:.2f}s)"
    if copy.reason:
        text += f", because {copy.reason}"
    if copy.kept_as:
        text += f"; kept as {copy.kept_as}"
        if copy.not_reusable:
            text += f", not for reuse: {copy.not_reusable}"
    return text


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(report: RehearsalReport) -> str:
    """The whole report: verdict, statements and how they ran, plans, indexes, rollback."""
    verdict = "passed" if report.passed else "FAILED"
    lines = [
        f"## Migration rehearsal: {report.migration} on {report.environment} — {verdict}",
        "",
        f"Rehearsed {report.started_at} on a scratch copy ({report.scratch_prefix}*)"
        f" in {report.duration_s:.2f}s; the DDL itself took {report.ddl_s:.2f}s.",
        "",
    ]
    lines += [f"- copy: {describe_copy(c)}" for c in report.copies]
    if report.copies:
        lines.append("")
    if report.reasons:
        lines += ["**Why it fails:**", ""] + [f"- {r}" for r in report.reasons] + [""]
    lines += [
        "### Statements",
        "",
        "| # | statement | algorithm | time | writes during | blocked | longest stall | MDL wait |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    sql = {s.number: s.sql for s in report.statements}
    for run in report.runs:
        load = run.load
        algo = (run.algorithm or run.kind) + (f", LOCK={run.lock}" if run.lock else "")
        lines.append(
            f"| {run.number} | `{_cell(' '.join(sql[run.number].split()))}` | {algo}"
            f" | {run.duration_s:.3f}s | {load.writes if load else '-'}"
            f" | {load.blocked_writes if load else '-'}"
            f" | {f'{load.longest_stall_s:.3f}s' if load else '-'}"
            f" | {f'{load.metadata_lock_wait_s:.3f}s' if load else '-'} |"
        )
    lines += ["", "### Query plans", "", "| query | before | after | change |"]
    lines.append("| --- | --- | --- | --- |")
    for change in report.plans:
        word = {"regressed": "**regressed**", "improved": "improved", "same": "same"}
        lines.append(
            f"| {_cell(change.query)} | {_cell(change.before.describe())}"
            f" | {_cell(change.after.describe())}"
            f" | {word[change.status]}{': ' + _cell('; '.join(change.reasons)) if change.reasons else ''} |"  # noqa: E501
        )
    for error in report.query_errors:
        lines.append(f"| {_cell(error.query)} | | | fails {error.when}: {_cell(error.error)} |")
    lines += ["", "### Indexes", ""]
    for table, indexes in report.indexes.items():
        lines.append(f"- `{table}`: " + ", ".join(f"`{i.describe()}`" for i in indexes))
    for finding in report.index_findings:
        lines.append(f"- {finding.kind.replace('_', ' ')}: {finding.detail}")
    rollback = report.rollback
    state = (
        "restores the schema exactly"
        if rollback.restored
        else "was not applied"
        if not rollback.applied
        else "does NOT restore the schema"
    )
    lines += ["", f"### Rollback ({state})", "", "```sql"]
    for item in reversed(rollback.statements):
        lines.append(
            f"{item['sql']};"
            if item["sql"]
            else f"-- statement {item['statement']}: no inverse statement"
        )
    lines.append("```")
    for item in rollback.statements:
        for note in item["notes"]:
            lines.append(f"- statement {item['statement']}: {note}")
    for difference in rollback.differences:
        lines.append(f"- {difference}")
    return "\n".join(lines) + "\n"
