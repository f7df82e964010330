"""Tables for people: ``cache verify`` and ``cache purge`` reports as rich renderables.

Pure formatting (the CLI's side of :mod:`parity.cache`): each function takes a report and
returns something to print; nothing here writes to the terminal. Only names of cookies
and headers are shown, never values. Every table row is one line at the width it is
printed at: routes and rules are shortened in the middle, details at the end
(:mod:`parity.cli.fit`).
"""

from __future__ import annotations

import re
from functools import partial

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from parity.cache.purge import PurgeReport
from parity.cache.verify_report import EnvironmentReport, ProbeResult, VerifyReport
from parity.cli.fit import (
    FitToWidth,
    one_line_table,
    share,
    shorten_end,
    shorten_middle,
    table_overhead,
)

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


def _environment_table(env: EnvironmentReport, width: int) -> Table:
    """One line per probe; each route once, on a line of its own above its probes."""
    protected = " (protected)" if env.protected else ""
    who = f", logged in as {env.logged_in_as}" if env.logged_in_as else ""
    table = one_line_table(
        ("check", "expected", "rule", "live", "verdict"),
        title=f"cache verify: {env.name} {env.url}{protected}{who}",
        title_justify="left",
    )
    rows = [
        (_what(r), _expected(r), _rule(r), r.skipped or r.detail, r.probe.route)
        for r in env.results
    ]
    fixed = max([len("expected"), *(len(r[1]) for r in rows)]) + len("verdict")
    natural = [
        max([len("check"), *(len(r[0]) for r in rows), *(len(r[4]) for r in rows)]),
        max([len("rule"), *(len(r[2]) for r in rows)]),
        max([len("live"), *(len(r[3]) for r in rows)]),
    ]
    check_w, rule_w, live_w = share(natural, (3, 2, 3), width - table_overhead(5) - fixed)
    previous = None
    for (what, expected, rule, live, route), result in zip(rows, env.results, strict=True):
        if route != previous:
            table.add_row(Text(shorten_middle(route, check_w), style="bold"), "", "", "", "")
            previous = route
        table.add_row(
            Text(shorten_end(what, check_w)),
            expected,
            Text(shorten_middle(rule, rule_w)),
            Text(shorten_end(live, live_w)),
            _verdict(result),
        )
    return table


def _differences_table(report: VerifyReport, a: str, b: str, width: int) -> Table:
    table = one_line_table(
        ("probe", "what", a, b), title=f"differences: {a} vs {b}", title_justify="left"
    )
    rows = [(d.key, d.field, d.values[0], d.values[1]) for d in report.differences]
    natural = [
        max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(("probe", "what", a, b))
    ]
    widths = share(natural, (4, 1, 2, 2), width - table_overhead(4))
    for row in rows:
        table.add_row(*(Text(shorten_middle(text, w)) for text, w in zip(row, widths, strict=True)))
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
        parts.append(FitToWidth(partial(_environment_table, env)))
        parts += _findings(env)
    if len(report.environments) == 2:
        a, b = (env.name for env in report.environments)
        if report.differences:
            parts.append(FitToWidth(lambda width: _differences_table(report, a, b, width)))
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


def _purge_checks_table(report: PurgeReport, width: int) -> Table:
    protected = " (protected: purge logged)" if report.protected else ""
    table = one_line_table(
        ("route", "role", "before", "purge", "after", "verdict"),
        title=f"cache purge: {report.environment}{protected}",
        title_justify="left",
    )
    rows = [
        (
            check.route,
            "purged" if check.purged else "control (not purged)",
            ", ".join(o.label() for o in check.before),
            "-" if check.purge_status is None else f"HTTP {check.purge_status}",
            ", ".join(o.label() for o in check.after),
        )
        for check in report.checks
    ]
    fixed = max([len("purge"), *(len(r[3]) for r in rows)]) + len("verdict")
    natural = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in _PURGE_SHARED]
    route_w, role_w, before_w, after_w = share(
        natural, (3, 2, 3, 3), width - table_overhead(6) - fixed
    )
    for check, (route, role, before, purge, after) in zip(report.checks, rows, strict=True):
        table.add_row(
            Text(shorten_middle(route, route_w)),
            shorten_end(role, role_w),
            Text(shorten_end(before, before_w)),
            purge,
            Text(shorten_end(after, after_w)),
            Text("ok", style="green") if check.passed else Text("FAIL", style="bold red"),
        )
    return table


_PURGE_SHARED = ((0, "route"), (1, "role"), (2, "before"), (4, "after"))


def purge_table(report: PurgeReport) -> RenderableType:
    """The purged routes and the control route: before, purge, after, verdict."""
    lines: list[RenderableType] = [FitToWidth(lambda width: _purge_checks_table(report, width))]
    for check in report.checks:
        if not check.passed:
            lines.append(Text(f"FAIL {check.route}: {check.detail}", style="bold red"))
    lines.append(
        Text("ok: only the purged routes were dropped", style="green")
        if report.ok
        else Text("FAILED: the purge did not behave as expected", style="bold red")
    )
    return Group(*lines)
