"""`parity refresh`: copy production's database to staging, rewritten, scrubbed, atomic.

``parity refresh --from production --to staging`` is the refresh itself; ``parity refresh
rollback staging`` undoes the latest one; ``parity refresh history`` lists runs and
rollback points. The main app mounts this Typer app as ``refresh``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.media_cmd import MediaAfterRefresh
from parity.cli.media_cmd import print_report as print_media_report
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.cli.progress import rows_progress
from parity.errors import InputError
from parity.monitor.markers import maintenance_while
from parity.refresh import (
    RefreshResult,
    RefreshService,
    check_guards,
    refresh_history,
    refresh_settings,
    rollback_refresh,
)
from parity.refresh.checkpoints import RollbackPoint
from parity.refresh.runs import RefreshRun
from parity.store import open_store

__all__ = ["app", "print_summary"]

app = typer.Typer(
    help="Copy one environment's database onto another: rewritten, scrubbed, verified,"
    " swapped in atomically, resumable, with rollback.",
    rich_markup_mode=None,
)


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def _confirm(question: str) -> None:
    """Ask on a terminal; refuse (exit 2) without one, unless --yes was given."""
    if not _stdin_is_tty():
        raise InputError(
            "refusing to replace data without confirmation (stdin is not a terminal)",
            hint="pass --yes",
        )
    if not typer.confirm(question, default=False, err=True):
        err_console.print("nothing was changed", markup=False)
        raise typer.Exit(2)


class _Bars:
    """Per-table progress bars (rows/s, ETA) and stage lines, on stderr."""

    def __init__(self, progress: Progress | None, *, quiet: bool) -> None:
        self._progress = progress
        self._quiet = quiet
        self._tasks: dict[str, tuple[TaskID, int]] = {}

    def stage(self, name: str, detail: str = "") -> None:
        if not self._quiet:
            err_console.print(f"{name}: {detail}" if detail else name, markup=False)

    def table_started(self, table: str, total: int, done: int) -> None:
        if self._progress is not None:
            task = self._progress.add_task(table, total=total, completed=done)
            self._tasks[table] = (task, total)

    def rows_done(self, table: str, rows: int) -> None:
        if self._progress is not None and table in self._tasks:
            self._progress.advance(self._tasks[table][0], rows)

    def table_finished(self, table: str) -> None:
        if self._progress is not None and table in self._tasks:
            task, total = self._tasks[table]
            self._progress.update(task, completed=total)


def print_summary(result: RefreshResult) -> None:
    verb = "would copy" if result.dry_run else "copied"
    title = f"refresh {result.source} -> {result.target}"
    table = Table(title=title + (" (dry run)" if result.dry_run else ""))
    table.add_column("table")
    for column in ("rows", "MB", "rewrites", "scrubbed"):
        table.add_column(column, justify="right")
    if not result.dry_run:
        table.add_column("verified")
    for item in result.tables:
        row = [
            item.target,
            f"{item.rows + item.preserved:,}",
            f"{item.bytes / 1e6:.1f}",
            f"{item.stats.occurrences:,}",
            f"{sum(item.stats.scrubbed.values()):,}",
        ]
        if not result.dry_run:
            row.append(
                ("rows" if item.verified else "-") + (", checksum" if item.checksum == "ok" else "")
            )
        table.add_row(*row)
    console.print(table)
    for item in result.tables:
        if item.exclusions:
            console.print(f"{item.target}: left out {', '.join(item.exclusions)}", markup=False)
    totals = result.totals()
    encodings = ", ".join(f"{k} {v:,}" for k, v in sorted(totals.by_encoding.items())) or "none"
    console.print(
        f"{verb} {len(result.tables)} tables, {result.rows:,} rows (~{result.bytes / 1e6:.0f} MB)"
        f" in {result.seconds:.1f} s; rewrites by encoding: {encodings}"
    )
    for rule, count in result.scrubbed().items():
        console.print(f"  scrubbed {count:,} x {rule}", markup=False)
    if result.preserved_options:
        console.print(f"kept from {result.target}: {', '.join(result.preserved_options)}")
    for name, reason in result.excluded_tables:
        console.print(f"not copied: {name} ({reason})", markup=False)
    if result.kept_target_tables:
        console.print(
            f"left as they are on {result.target}: {', '.join(result.kept_target_tables)}"
        )
    if result.cleaned_leftovers:
        console.print(f"cleaned {len(result.cleaned_leftovers)} leftover tables of a dead run")
    if result.resumed:
        console.print("resumed a refresh that had been stopped")
    if not result.dry_run:
        console.print(
            f"rollback point {result.rollback_token}: `parity refresh rollback {result.target}`"
        )
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", markup=False)


@app.callback(invoke_without_command=True)
def refresh(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option("--from", help="Environment to copy from (e.g. production).")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--to", help="Environment to replace (e.g. staging).")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Report tables, rows, rewrites and scrubs; write nothing."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    restart: Annotated[
        bool,
        typer.Option("--restart", help="Ignore the checkpoints of a stopped refresh; start over."),
    ] = False,
    media: Annotated[
        str,
        typer.Option(
            "--media",
            help="After the swap: sync (copy the uploads --to lacks), proxy (serve them from"
            " --from, a sandbox site) or none.",
        ),
    ] = "none",
    format: FormatOption = OutputFormat.table,
) -> None:
    """Copy --from's database onto --to: rewritten, scrubbed, verified, swapped atomically.

    Exit 0 when done, 2 when refused or failed (the target then keeps its old data).
    """
    if ctx.invoked_subcommand is not None:
        return
    if not source or not target:
        raise InputError(
            "say which environments: parity refresh --from SOURCE --to TARGET",
            hint="e.g. --from production --to staging",
        )
    settings = settings_from(ctx)
    source_env = settings.environment(source)
    target_env = settings.environment(target)
    check_guards(source_env, target_env)
    policy = refresh_settings(settings)
    after = MediaAfterRefresh(media, settings, source_env, target_env)
    after.check()  # before anything is written
    if not dry_run and not yes:
        _confirm(f"Replace the database of {target} ({target_env.db.display()}) with {source}'s?")
    quiet = format is OutputFormat.json
    with ExitStack() as stack:
        # A dry run writes nothing, not even to the state store.
        store = None if dry_run else stack.enter_context(open_store(settings.state_url()))
        if store is not None:
            # parity serve shows the target as in maintenance, and sends no alert, meanwhile.
            stack.enter_context(
                maintenance_while(store, target, reason=f"refresh from {source}", source="refresh")
            )
        progress = stack.enter_context(rows_progress(err_console, disable=quiet))
        service = RefreshService(
            source_env, target_env, policy, store, progress=_Bars(progress, quiet=quiet)
        )
        result = service.run(dry_run=dry_run, restart=restart)
        progress.stop()  # one live display at a time: the media sync shows its own
        report = None if dry_run else after.run(store, quiet=quiet)

    def show() -> None:
        print_summary(result)
        if report is not None:
            print_media_report(report)

    data = {**result.as_dict(), "media": report.as_dict() if report is not None else None}
    emit(format, data, show)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    environment: Annotated[str, typer.Argument(help="Environment to roll back (e.g. staging).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Restore the tables the latest refresh replaced, in one atomic rename."""
    settings = settings_from(ctx)
    env = settings.environment(environment)
    if not yes:
        _confirm(f"Put back {environment}'s data from before its latest refresh?")
    with open_store(settings.state_url()) as store:
        result = rollback_refresh(env, refresh_settings(settings), store)

    def show() -> None:
        console.print(
            f"restored {len(result.restored)} tables of {result.target} from rollback point"
            f" {result.token} (refresh {result.run_id})"
        )
        for warning in result.warnings:
            err_console.print(f"warning: {warning}", markup=False)

    emit(format, result.as_dict(), show)


@app.command("history")
def history(
    ctx: typer.Context,
    environment: Annotated[
        str | None, typer.Argument(help="Only this target environment (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many runs to list.")] = 20,
    format: FormatOption = OutputFormat.table,
) -> None:
    """List refreshes (newest first) and the rollback points kept."""
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        runs, points = refresh_history(store, environment, limit=limit)
    data = {"runs": [r.as_dict() for r in runs], "rollback_points": [p.as_dict() for p in points]}
    emit(format, data, lambda: _print_history(runs, points))


def _print_history(runs: Sequence[RefreshRun], points: Sequence[RollbackPoint]) -> None:
    # The runs are runs of the one ledger (jobs history shows them too): refreshes and
    # their rollbacks.
    table = Table(title="refreshes")
    for column in ("run", "job", "from", "to", "started (UTC)", "took", "status", "stage"):
        table.add_column(column)
    table.add_column("rollback point")
    for run in runs:
        record = run.record
        status = str(record.status)
        if record.rolled_back_by is not None:
            status += f" (rolled back by {record.rolled_back_by})"
        if record.resumed_from is not None:
            status += f" (resumed {record.resumed_from})"
        took = "-" if record.duration_s is None else f"{record.duration_s:.1f} s"
        details = run.details
        table.add_row(
            str(record.id),
            record.job,
            details.source if details else "-",
            record.scope,
            f"{record.started_at:%Y-%m-%d %H:%M:%S}",
            took,
            status,
            details.stage if details else "-",
            details.token if details else str(record.parameters.get("rollback_token", "-")),
        )
    console.print(table)
    kept = [p for p in points if p.status == "active"]
    if kept:
        console.print(
            "rollback points kept: "
            + ", ".join(f"{p.token} ({p.target}, {p.created_at:%Y-%m-%d %H:%M})" for p in kept)
        )
    else:
        console.print("no rollback point kept")
