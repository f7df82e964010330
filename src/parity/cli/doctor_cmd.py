"""`parity doctor`: a table of what works and what does not, per environment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.output import FormatOption, OutputFormat, console, emit
from parity.doctor import EnvironmentReport, check_environment

__all__ = ["doctor", "print_reports"]

_MARK = {"ok": "[green]ok[/]", "fail": "[red]FAIL[/]", "skip": "[dim]skip[/]"}


def print_reports(reports: list[EnvironmentReport]) -> None:
    """The doctor's table: one row per check, grouped by environment."""
    table = Table(title="parity doctor")
    for column in ("environment", "check", "result", "detail"):
        table.add_column(column)
    for report in reports:
        label = report.environment + (" (protected)" if report.protected else "")
        for check in report.checks:
            table.add_row(label, check.name, _MARK[check.status], check.detail)
            label = ""
    console.print(table)


def doctor(
    ctx: typer.Context,
    environments: Annotated[
        list[str] | None,
        typer.Argument(help="Environments to check (default: all in parity.toml)."),
    ] = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Check each environment: database, WordPress tables, site, login, cache; and say
    which rewrite engine is active (compiled or pure Python).

    Exit 0 when every check passes, 1 when any fails.
    """
    from parity.rewrite.native import default_engine, describe

    settings = settings_from(ctx)
    names = environments or sorted(settings.environments)
    reports = [check_environment(settings.environment(name)) for name in names]
    engine = {"name": default_engine(), "detail": describe()}

    def show() -> None:
        print_reports(reports)
        console.print(f"rewrite engine: {engine['detail']}")

    emit(
        format,
        {"environments": [r.as_dict() for r in reports], "rewrite_engine": engine},
        show,
        code=0 if all(r.ok for r in reports) else 1,
    )
