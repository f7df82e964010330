"""`parity rehearse`: try a migration on a scratch copy of real data, with a verdict.

Registered by the app as::

    app.command("rehearse")(rehearse_cmd.rehearse)
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.conventions import DeprecatedEnvOption, environment_given
from parity.cli.output import console, emit, err_console
from parity.config import Settings
from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.rehearse.model import ExplainReport, RehearsalReport
from parity.rehearse.render import describe_copy, markdown_report
from parity.rehearse.settings import rehearse_settings

__all__ = ["RehearseFormat", "rehearse"]


class RehearseFormat(StrEnum):
    """How `parity rehearse` prints its report."""

    table = "table"
    json = "json"
    markdown = "markdown"


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the {what} {path}: {exc.strerror}") from None


def rehearse(
    ctx: typer.Context,
    env: Annotated[
        str | None,
        typer.Argument(help="Environment whose data the copy holds.", show_default=False),
    ] = None,
    migration: Annotated[
        Path | None,
        typer.Argument(help="The migration's SQL file (leave out with --explain).", dir_okay=False),
    ] = None,
    queries: Annotated[
        Path | None,
        typer.Option(
            "--queries", help="A file of SELECTs whose plans to compare too.", dir_okay=False
        ),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Keep the copy afterwards (prh_kept_*): the next rehearsal reuses it while"
            " the environment's table is unchanged (CHECKSUM TABLE).",
        ),
    ] = False,
    fresh_copy: Annotated[
        bool,
        typer.Option(
            "--fresh-copy",
            help="First refresh the copy from production (rewritten and scrubbed, as"
            " `parity refresh` does); production is left untouched.",
        ),
    ] = False,
    write_load: Annotated[
        int | None,
        typer.Option(
            "--write-load",
            min=0,
            max=64,
            help="Writer threads while each DDL runs (default: rehearse.write_load, 4).",
        ),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            help="Only show the plan and timing of this one SELECT, on a copy of the tables"
            " it reads (a kept copy when current; --keep and --fresh-copy apply).",
        ),
    ] = None,
    format: Annotated[
        RehearseFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people, markdown for pull requests, json for scripts.",
            case_sensitive=False,
        ),
    ] = RehearseFormat.table,
    old_env: DeprecatedEnvOption = None,
) -> None:
    """Rehearse a migration on a scratch copy of the environment's touched tables: indexes,
    query plans before and after, the ALTER algorithm and lock behaviour measured under a
    write load, a tested rollback, and a verdict.

    Exit 0 when the verdict passes, 1 when it fails, 2 on bad input (unparseable SQL, a
    missing table, a protected environment); then nothing is changed.
    """
    # sqlglot loads slowly: only this command imports it.
    from parity.rehearse.service import explain_query, rehearse_migration

    if old_env is not None and env is not None and migration is None:
        migration, env = Path(env), None  # the old spelling: --env NAME MIGRATION
    settings = settings_from(ctx)
    environment = settings.environment(environment_given(env, old_env))
    from parity.refresh.settings import refresh_settings

    quiet = format != RehearseFormat.table
    progress = None if quiet else lambda message: err_console.print(f"… {message}", markup=False)
    if explain is not None:
        found = explain_query(
            environment,
            explain,
            keep=keep,
            fresh_copy=fresh_copy,
            production=_production(settings, environment.name),
            refresh_policy=refresh_settings(settings),
            progress=progress,
        )
        emit(format, found.model_dump(mode="json"), lambda: _show_explain(found))
        return
    if migration is None:
        raise InputError("give a migration file, or --explain with one SELECT")
    report = rehearse_migration(
        environment,
        _read(migration, "migration"),
        section=rehearse_settings(settings),
        migration_name=migration.name,
        queries_sql=_read(queries, "query file") if queries else None,
        write_load=write_load,
        keep=keep,
        fresh_copy=fresh_copy,
        production=_production(settings, environment.name),
        refresh_policy=refresh_settings(settings),
        progress=progress,
    )
    if format == RehearseFormat.markdown:
        emit(format, {}, lambda: sys.stdout.write(markdown_report(report)), code=_code(report))
        return
    emit(format, report.to_json(), lambda: _show(report), code=_code(report))


def _production(settings: Settings, env: str) -> EnvironmentSettings | None:
    """Where ``--fresh-copy`` copies from: the environment called ``production``, else
    the only protected one (None when there is no such one)."""
    named = settings.environments.get("production")
    if named is not None and named.name != env:
        return named
    protected = [e for e in settings.environments.values() if e.protected and e.name != env]
    return protected[0] if len(protected) == 1 else None


def _code(report: RehearsalReport) -> int:
    return 0 if report.passed else 1


def _show_explain(found: ExplainReport) -> None:
    console.print(f"{found.environment}: {found.query}", markup=False)
    for copy in found.copies:
        console.print(f"copy: {describe_copy(copy)}", markup=False)
    table = Table("table", "access", "key", "rows estimated", "rows read")
    for access in found.plan.tables:
        table.add_row(
            access.table,
            access.access_type,
            access.key or "-",
            f"{access.rows_estimated:.0f}",
            "-" if access.rows_read is None else f"{access.rows_read:.0f}",
        )
    console.print(table)
    extra = [
        w
        for w, on in (("filesort", found.plan.filesort), ("temporary", found.plan.temporary))
        if on
    ]
    time = "-" if found.plan.time_s is None else f"{found.plan.time_s * 1000:.3f} ms"
    console.print(f"time {time}{'; ' + ', '.join(extra) if extra else ''}")


def _show(report: RehearsalReport) -> None:
    for copy in report.copies:
        console.print(f"copy: {describe_copy(copy)}", markup=False)
    runs = Table(
        "#", "table", "algorithm", "time", "writes", "blocked", "longest stall", "MDL wait"
    )
    for run in report.runs:
        load = run.load
        runs.add_row(
            str(run.number),
            run.table,
            (run.algorithm or run.kind) + (f" LOCK={run.lock}" if run.lock else ""),
            f"{run.duration_s:.3f}s",
            str(load.writes) if load else "-",
            str(load.blocked_writes) if load else "-",
            f"{load.longest_stall_s:.3f}s" if load else "-",
            f"{load.metadata_lock_wait_s:.3f}s" if load else "-",
        )
    console.print(runs)
    plans = Table("query", "before", "after", "change")
    for change in report.plans:
        plans.add_row(
            change.query,
            change.before.describe(),
            change.after.describe(),
            change.status + (": " + "; ".join(change.reasons) if change.reasons else ""),
        )
    for error in report.query_errors:
        plans.add_row(error.query, "", "", f"fails {error.when}: {error.error}")
    console.print(plans)
    for finding in report.index_findings:
        console.print(f"index: {finding.detail}", markup=False)
    rb = report.rollback
    console.print(
        "rollback: "
        + (
            "restores the schema exactly"
            if rb.restored
            else "not applied"
            if not rb.applied
            else "does NOT restore the schema"
        ),
        markup=False,
    )
    for item in rb.statements:
        for note in item["notes"]:
            console.print(f"  statement {item['statement']}: {note}", markup=False)
    for difference in rb.differences:
        console.print(f"  {difference}", markup=False)
    console.print(
        f"verdict: {'passed' if report.passed else 'FAILED'} ({report.duration_s:.2f}s,"
        f" DDL {report.ddl_s:.2f}s)",
        markup=False,
    )
    for reason in report.reasons:
        console.print(f"  - {reason}", markup=False)
