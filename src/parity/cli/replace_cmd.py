"""`parity replace`: search-replace that never breaks serialized data.

Two places to work on: a mysqldump file (``--sql-file``, streamed, any size) or a live
database (``--env``, in place, chunked transactions, refused on a protected environment).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.conventions import DeprecatedEnvOption, deprecated
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.cli.progress import rows_progress
from parity.errors import InputError
from parity.replace.database import ReplaceResult, TablePlan, replace_in_database
from parity.replace.sqlfile import rewrite_sql_file
from parity.rewrite import Rewriter, RewriteReport, rerun_warnings
from parity.targets.database import Database
from parity.targets.guard import ensure_writable

__all__ = ["replace"]


def replace(
    ctx: typer.Context,
    texts: Annotated[
        list[str],
        typer.Argument(
            metavar="[ENV] OLD NEW [OLD NEW ...]",
            help="The environment whose database to rewrite in place (not with --sql-file),"
            " then the text to search for and what to put in its place; more pairs follow"
            " (all replaced in one pass, the longest match wins).",
        ),
    ],
    sql_file: Annotated[
        Path | None,
        typer.Option("--sql-file", help="Rewrite inside this mysqldump file.", dir_okay=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where the rewritten dump goes (default: stdout).", dir_okay=False
        ),
    ] = None,
    env: DeprecatedEnvOption = None,
    tables: Annotated[
        list[str] | None, typer.Option("--tables", help="Only these tables (shell patterns).")
    ] = None,
    skip_tables: Annotated[
        list[str] | None, typer.Option("--skip-tables", help="Leave these tables alone.")
    ] = None,
    skip_columns: Annotated[
        list[str] | None,
        typer.Option("--skip-columns", help="Leave these columns alone (col or table.col)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    repair: Annotated[
        bool,
        typer.Option("--repair", help="Fix wrong lengths of malformed serialized values first."),
    ] = False,
    base64: Annotated[
        bool, typer.Option("--base64", help="Also rewrite inside base64 of serialized data.")
    ] = False,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Rows per transaction (ENV).")
    ] = 1000,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Replace OLD with NEW everywhere it is stored: plain text, PHP-serialized values
    (lengths fixed), JSON, block attributes and URL-encoded forms; in ENV's database
    (`parity replace staging OLD NEW`) or in a dump (`--sql-file FILE OLD NEW`).

    Exit 0 when done (or, with --dry-run, whatever was found), 1 when some rows that
    held a change could not be found again to write it (ENV; they are named), 2 when
    it could not run. When NEW contains OLD, NEW is left as it is wherever it is
    already written (a warning says so), so running the same replace again is safe.
    """
    if env is not None:
        deprecated(f"--env {env}", f"the environment as the first argument: replace {env} OLD NEW")
    elif sql_file is None and len(texts) % 2:
        env, texts = texts[0], texts[1:]  # ENV OLD NEW [OLD NEW ...]
    if len(texts) % 2:
        raise InputError(
            f"{texts[-1]!r} has no replacement", hint="give pairs: OLD NEW [OLD NEW ...]"
        )
    pairs = list(zip(texts[::2], texts[1::2], strict=True))
    if (sql_file is None) == (env is None):
        raise InputError(
            "say where to replace: parity replace ENV OLD NEW, or --sql-file FILE OLD NEW"
            if env is None
            else "give either ENV or --sql-file FILE, not both"
        )
    if sql_file is not None:
        if tables or skip_tables or skip_columns:
            raise InputError("--tables, --skip-tables and --skip-columns go with ENV")
        _replace_sql_file(pairs, sql_file, out, dry_run, repair, base64, format)
        return
    if out is not None:
        raise InputError("--out goes with --sql-file; ENV is rewritten in place")
    assert env is not None
    settings = settings_from(ctx)
    environment = settings.environment(env)
    Rewriter(pairs, repair=repair, base64=base64)  # bad pairs: exit 2 before connecting
    if not dry_run:
        ensure_writable(environment, "rewrite its database")

    def run(progress: Any, on_plan: Any) -> ReplaceResult:
        # Two connections: one streams the rows, the other commits the rewritten chunks.
        with ExitStack() as opened:
            db = opened.enter_context(Database.connect(environment, raw=True))
            writer = (
                None if dry_run else opened.enter_context(Database.connect(environment, raw=True))
            )
            return replace_in_database(
                db,
                pairs,
                writer=writer,
                tables=tables or (),
                skip_tables=skip_tables or (),
                skip_columns=skip_columns or (),
                dry_run=dry_run,
                chunk_size=chunk_size,
                repair=repair,
                base64=base64,
                progress=progress,
                on_plan=on_plan,
            )

    result = _replace_env(environment_name=env, run=run, quiet=format is OutputFormat.json)

    def show() -> None:
        _print_env_result(result)
        _print_warnings(result.warnings)

    emit(format, result.as_dict(), show, code=1 if result.rows_not_rewritten else 0)


def _replace_sql_file(
    pairs: list[tuple[str, str]],
    sql_file: Path,
    out: Path | None,
    dry_run: bool,
    repair: bool,
    base64: bool,
    format: OutputFormat,
) -> None:
    rewriter = Rewriter(pairs, repair=repair, base64=base64)
    warnings = rerun_warnings(rewriter.pairs)
    size = sql_file.stat().st_size if sql_file.is_file() else 0
    to_stdout = out is None and not dry_run
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=format is OutputFormat.json or not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(sql_file.name, total=size)
        stats = rewrite_sql_file(
            sql_file,
            out,
            rewriter,
            dry_run=dry_run,
            stdout=sys.stdout.buffer,
            on_bytes=lambda n: progress.advance(task, n),
        )
    summary = {
        "sql_file": str(sql_file),
        "out": None if dry_run else (str(out) if out else "-"),
        "dry_run": dry_run,
        **stats.as_dict(),
        **rewriter.report.as_dict(),
        "malformed_examples": rewriter.report.malformed_examples(),
        "warnings": warnings,
    }
    # The rewritten dump goes to stdout: then the report goes to stderr.
    target = err_console if to_stdout else console

    def show() -> None:
        verb = "would rewrite" if dry_run else "rewrote"
        target.print(
            f"{verb} {rewriter.report.occurrences} occurrences in {stats.literals_changed}"
            f" values ({stats.lines} lines, {stats.bytes_in:,} bytes read)"
        )
        _print_report(rewriter.report, target)
        _print_warnings(warnings)

    emit(format, summary, show, json_file=sys.stderr if to_stdout else None)


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


def _print_report(report: RewriteReport, target: Any) -> None:
    if report.by_encoding:
        enc = ", ".join(f"{k} {v}" for k, v in sorted(report.by_encoding.items()))
        target.print(f"  by encoding: {enc}")
    if report.malformed_count:
        target.print(
            f"  [yellow]{report.malformed_count} malformed serialized values left as they"
            " were[/] (use --repair to fix their lengths first)"
        )
        for item in report.malformed[:5]:
            target.print(f"    {item.where or '?'}: {item.reason}", markup=False)
    for reason, count in report.skipped_by_reason.items():
        target.print(f"  not rewritten: {count} occurrences: {reason}", markup=False)


def _replace_env(*, environment_name: str, run: Any, quiet: bool) -> ReplaceResult:
    with rows_progress(err_console, disable=quiet) as progress:
        tasks: dict[str, TaskID] = {}

        def on_plan(plans: list[TablePlan]) -> None:
            for plan in plans:
                if plan.columns:
                    tasks[plan.table] = progress.add_task(
                        plan.table, total=max(plan.estimated_rows, 1)
                    )

        def on_rows(table: str, rows: int) -> None:
            progress.advance(tasks[table], rows)

        result: ReplaceResult = run(on_rows, on_plan)
    return result


def _print_env_result(result: ReplaceResult) -> None:
    table = Table(
        title=f"replace on {result.environment}"
        + (" (dry run: nothing written)" if result.dry_run else "")
    )
    for column in (
        "table.column",
        "values",
        "occurrences",
        "by encoding",
        "malformed",
        "not rewritten",
    ):
        table.add_column(column)
    for col in result.columns:
        r = col.report
        if not r.occurrences and not r.malformed_count and not r.skipped_count:
            continue
        table.add_row(
            f"{col.table}.{col.column}",
            str(r.values_changed),
            str(r.occurrences),
            ", ".join(f"{k} {v}" for k, v in sorted(r.by_encoding.items())),
            str(r.malformed_count),
            "; ".join(f"{n} {why}" for why, n in r.skipped_by_reason.items()),
        )
    console.print(table)
    keyless = [t.table for t in result.tables if t.keyless and t.columns]
    if keyless:
        console.print(f"no primary key, rows matched by full row: {', '.join(keyless)}")
    verb = "would rewrite" if result.dry_run else "rewrote"
    console.print(
        f"{verb} {result.occurrences} occurrences; {result.rows_read:,} rows read,"
        f" {result.rows_written:,} rows written"
    )
