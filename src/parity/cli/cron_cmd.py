"""`parity cron ENV`: the site's scheduled events (WP-cron), what is overdue, what is risky.

Reads the ``cron`` option (read-only: works on production too). Exit 0 when nothing is
overdue or flagged, 1 otherwise. The main app registers the function: ``cron``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.output import FormatOption, OutputFormat, console, emit
from parity.cron import DEFAULT_GRACE_S, CronReport, cron_report

__all__ = ["cron"]


class WpCron(StrEnum):
    """Whether WP-cron runs on page loads."""

    auto = "auto"
    enabled = "enabled"
    disabled = "disabled"


def _in(seconds: int) -> str:
    size = abs(seconds)
    if size < 120:
        text = f"{size} s"
    elif size < 7200:
        text = f"{size // 60} min"
    elif size < 172800:
        text = f"{size // 3600} h"
    else:
        text = f"{size // 86400} d"
    return f"in {text}" if seconds >= 0 else f"{text} ago"


def _state(value: bool | None, yes: str, no: str) -> str:
    return "unknown" if value is None else (yes if value else no)


def _print(report: CronReport) -> None:
    env = report.environment + (" (protected)" if report.protected else "")
    console.print(
        f"{escape(env)}: WP-cron {_state(report.wp_cron_enabled, 'enabled', 'disabled')},"
        f" remote HTTP {_state(report.http_blocked, 'blocked', 'allowed')},"
        f" {len(report.events)} events, {len(report.overdue)} overdue,"
        f" {len(report.flagged)} reaching outside"
    )
    if not report.events:
        return
    table = Table(title=f"scheduled events of {escape(report.environment)}")
    for column in ("hook", "next run (UTC)", "when", "schedule", "overdue", "attention"):
        table.add_column(column, overflow="fold")
    for item in report.events:
        event = item.event
        attention = escape(item.flag) if item.flag else ""
        if not attention and item.reach is not None:
            attention = f"[dim]{escape(item.reach.kind)}: {escape(item.reach.reason)}[/]"
        table.add_row(
            escape(event.hook),
            event.next_run.strftime("%Y-%m-%d %H:%M:%S"),
            _in(item.seconds_until),
            escape(event.schedule or "once"),
            "[red]yes[/]" if item.overdue else "no",
            attention,
        )
    console.print(table)


def cron(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="The environment whose events to read.")],
    grace: Annotated[
        int,
        typer.Option("--grace", help="Seconds past its time before an event is overdue.", min=0),
    ] = DEFAULT_GRACE_S,
    wp_cron: Annotated[
        WpCron,
        typer.Option(
            "--wp-cron",
            help="Whether WP-cron runs on page loads: auto reads the site's config when it"
            " is on this machine.",
            case_sensitive=False,
        ),
    ] = WpCron.auto,
    format: FormatOption = OutputFormat.table,
) -> None:
    """List WordPress's scheduled events: hook, next run, schedule, overdue or not.

    On an environment that is not protected, events that would send mail or call remote
    services are flagged while WP-cron is enabled. Exit 1 if any event is overdue or
    flagged.
    """
    choice = {WpCron.auto: None, WpCron.enabled: True, WpCron.disabled: False}
    settings = settings_from(ctx)
    report = cron_report(settings.environment(env), grace_s=grace, wp_cron_enabled=choice[wp_cron])
    emit(format, report.as_dict(), lambda: _print(report), code=0 if report.ok else 1)
