"""`parity snapshot` and `parity drift`: what an environment looks like, and what changed.

Registered by the app as::

    app.command("snapshot")(drift_cmd.snapshot)
    app.command("drift")(drift_cmd.drift)
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from parity.cli.context import settings_from
from parity.cli.drift_render import markdown_report, snapshot_table, table_report
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.drift.live import live_environments
from parity.drift.service import drift_report, take_snapshot, write_snapshot_file
from parity.drift.settings import Severity, drift_settings
from parity.refresh.settings import refresh_settings
from parity.store import open_store
from parity.targets.database import Database
from parity.targets.site import Site

__all__ = ["DriftFormat", "FailOn", "drift", "snapshot"]


class DriftFormat(StrEnum):
    """How `parity drift` prints its report."""

    table = "table"
    json = "json"
    markdown = "markdown"


class FailOn(StrEnum):
    """The lowest severity that makes `parity drift` exit 1."""

    info = "info"
    warn = "warn"
    error = "error"


_LEVELS: dict[FailOn, Severity] = {
    FailOn.info: "info",
    FailOn.warn: "warn",
    FailOn.error: "error",
}


def snapshot(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment to capture (a name in parity.toml).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Also write the snapshot as JSON to FILE.", dir_okay=False
        ),
    ] = None,
    exact: Annotated[
        bool,
        typer.Option("--exact", help="Count rows with COUNT(*) instead of table statistics."),
    ] = False,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Capture an environment (WordPress, plugins, options, schema, cron, roles, rows, HTTP)
    and store it in parity's state store; nothing secret is kept.

    Exit 0 when captured, 2 when the environment could not be read.
    """
    settings = settings_from(ctx)
    section = drift_settings(settings)
    environment = settings.environment(env)
    with (
        Database.connect(environment) as db,
        Site(environment) as site,
        open_store(settings.state_url()) as store,
    ):
        taken = take_snapshot(db, site, store, section, exact=exact or section.exact_counts)
    if out is not None:
        write_snapshot_file(taken, out)

    def show() -> None:
        console.print(snapshot_table(taken))
        if out is not None:
            console.print(f"wrote {out}")

    emit(format, taken.model_dump(mode="json"), show)


def drift(
    ctx: typer.Context,
    a: Annotated[
        str, typer.Argument(help="A: an environment (captured now), a snapshot file or id.")
    ],
    b: Annotated[
        str | None,
        typer.Argument(help="B: same kinds as A; leave out with --since."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Compare environment A now with its snapshot: `last` or a snapshot id.",
        ),
    ] = None,
    format: Annotated[
        DriftFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people, markdown for pull requests, json for scripts.",
            case_sensitive=False,
        ),
    ] = DriftFormat.table,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on", help="Lowest severity that counts as drift (exit 1).", case_sensitive=False
        ),
    ] = FailOn.warn,
    exact: Annotated[
        bool,
        typer.Option("--exact", help="Count rows of live environments with COUNT(*)."),
    ] = False,
) -> None:
    """Show what differs between two environments or snapshots, grouped by category,
    with a severity and both values; ignore rules come from [drift] in parity.toml, and
    the options [refresh] preserves are not compared.

    Exit 0 no drift at or above --fail-on, 1 drift found, 2 could not run.
    """
    settings = settings_from(ctx)
    section = drift_settings(settings)
    # Options a refresh keeps from staging on purpose are not drift.
    preserved = refresh_settings(settings).preserve_options
    with open_store(settings.state_url()) as store:
        report = drift_report(
            a,
            b,
            live=live_environments(settings, section),
            store=store,
            section=section,
            since=since,
            exact=exact or None,
            masked_options=preserved,
        )
    level = _LEVELS[fail_on]
    code = report.exit_code(level)

    def show() -> None:
        if format is DriftFormat.markdown:
            console.file.write(markdown_report(report, level))
            console.file.flush()
            return
        console.print(table_report(report, level))
        if code:
            err_console.print(f"drift found at or above {level}", markup=False)

    emit(format, report.as_dict(level), show, code=code)
