"""Tables for people: ``cache verify`` and ``cache purge`` reports as rich renderables.

Pure formatting: each function takes a report and returns something to print; nothing
here writes to the terminal. Only names of cookies and headers are shown, never values.
"""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from parity.cache.purge import PurgeReport
from parity.cache.verify_report import EnvironmentReport, ProbeResult, VerifyReport

__all__ = ["purge_table", "verify_tables"]

_SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "dim"}
# WordPress names cookies after md5(site URL): shown as {hash} to keep the table narrow.
_COOKIE_HASH = re.compile(r"_[0-9a-f]{32}$")


def _verdict(result: ProbeResult) -> Text:
    if result.skipped:
        return Text("skipped", style="dim")
    if result.failed:
        return Text("FAIL", style="bold red")
    if result.passed is None:
        return Text("-", style="dim")
    return Text("ok", style="green")


def _expected(result: ProbeResult) -> str:
    if result.skipped or result.expected is None:
        return "-"
    text: str = result.expected
    if result.expected == "cache" and result.ttl is not None:
        text += f" {result.ttl}s"
    return text


def _rule(result: ProbeResult) -> str:
    offline, live = result.decided_by or "-", result.live_rule
    if live is None or live == offline:
        return offline
    return f"{offline} / live {live}"


def _what(result: ProbeResult) -> str:
    probe = result.probe
    text = probe.label()
    names = [_COOKIE_HASH.sub("_{hash}", n) for n in probe.cookies] + list(probe.headers)
    if probe.logged_in:
        names.insert(0, "real session")
    if names and probe.check not in ("browser cookies",):
        text += ": " + ", ".join(names)
    elif probe.check == "browser cookies":
        text += f" ({len(probe.cookies)})"
    return text


def _environment_table(env: EnvironmentReport) -> Table:
    protected = " (protected)" if env.protected else ""
    who = f", logged in as {env.logged_in_as}" if env.logged_in_as else ""
    table = Table(title=f"cache verify: {env.name} {env.url}{protected}{who}", title_justify="left")
    table.add_column("route", overflow="fold", max_width=32)
    table.add_column("check", overflow="fold", max_width=40)
    table.add_column("expected")
    table.add_column("rule", overflow="fold")
    table.add_column("live", overflow="fold")
    table.add_column("verdict")
    previous = None
    for result in env.results:
        route = result.probe.route
        shown = "" if route == previous else route
        previous = route
        live = result.skipped or result.detail
        table.add_row(
            Text(shown),
            Text(_what(result)),
            _expected(result),
            Text(_rule(result)),
            Text(live),
            _verdict(result),
        )
    return table


def _findings(env: EnvironmentReport) -> list[Text]:
    lines = []
    for finding in env.findings:
        if finding.kind == "expectation":
            continue  # already in the table, as FAIL
        line = Text(
            f"{finding.severity} ({finding.kind}): ", style=_SEVERITY_STYLE[finding.severity]
        )
        line.append(f"{env.name} {finding.message}")
        lines.append(line)
    return lines


def verify_tables(report: VerifyReport) -> RenderableType:
    """A table per environment, its findings, the differences, and a summary line."""
    parts: list[RenderableType] = []
    for env in report.environments:
        parts.append(_environment_table(env))
        parts += _findings(env)
    if len(report.environments) == 2:
        a, b = (env.name for env in report.environments)
        if report.differences:
            table = Table(title=f"differences: {a} vs {b}", title_justify="left")
            table.add_column("probe", overflow="fold")
            table.add_column("what")
            table.add_column(a)
            table.add_column(b)
            for diff in report.differences:
                table.add_row(
                    Text(diff.key), diff.field, Text(diff.values[0]), Text(diff.values[1])
                )
            parts.append(table)
        else:
            parts.append(Text(f"no differences between {a} and {b}"))
    summary = []
    for env in report.environments:
        counts = env.counts()
        summary.append(
            f"{env.name}: {counts['probes']} probes, {counts['failed']} failed, "
            f"{counts['leaks']} leaks, {counts['skipped']} skipped"
        )
    verdict = Text("ok: " if report.ok else "FAILED: ", style="green" if report.ok else "bold red")
    verdict.append("; ".join(summary))
    parts.append(verdict)
    return Group(*parts)


def purge_table(report: PurgeReport) -> RenderableType:
    """The purged routes and the control route: before, purge, after, verdict."""
    protected = " (protected: purge logged)" if report.protected else ""
    table = Table(title=f"cache purge: {report.environment}{protected}", title_justify="left")
    table.add_column("route", overflow="fold")
    table.add_column("role")
    table.add_column("before")
    table.add_column("purge")
    table.add_column("after")
    table.add_column("verdict")
    for check in report.checks:
        table.add_row(
            Text(check.route),
            "purged" if check.purged else "control (not purged)",
            Text(", ".join(o.label() for o in check.before)),
            "-" if check.purge_status is None else f"HTTP {check.purge_status}",
            Text(", ".join(o.label() for o in check.after)),
            Text("ok", style="green") if check.passed else Text("FAIL", style="bold red"),
        )
    lines: list[RenderableType] = [table]
    for check in report.checks:
        if not check.passed:
            lines.append(Text(f"FAIL {check.route}: {check.detail}", style="bold red"))
    lines.append(
        Text("ok: only the purged routes were dropped", style="green")
        if report.ok
        else Text("FAILED: the purge did not behave as expected", style="bold red")
    )
    return Group(*lines)
