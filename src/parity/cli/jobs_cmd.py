"""`parity jobs`: the declared jobs, their runs, and running one.

``parity jobs list`` shows every job with its owner, schedule, expected result and
rollback note; ``run NAME`` runs one (progress bar on stderr); ``history [NAME]`` and
``show RUN`` read the state store. Exit 1 when a run, or its expected-result check,
failed. The main app mounts this Typer app as ``jobs``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.cli.progress import rows_progress
from parity.cli.workers_cmd import BrokerOption, OnOption, RunOn, runner_for
from parity.errors import InputError
from parity.jobs import (
    InProcessRunner,
    JobEntry,
    JobRecords,
    RunRecord,
    find_job,
    job_catalogue,
    jobs_settings,
)
from parity.jobs.batches import JobBatches
from parity.refresh.settings import refresh_settings
from parity.store import open_store
from parity.vocabulary import iso_utc

__all__ = ["RunProgress", "app", "finish_run", "print_run", "run_table"]

app = typer.Typer(
    help="Jobs that are safe to run again: declared, recorded, resumable, never overlapping.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_STATUS = {
    "succeeded": "[green]succeeded[/]",
    "failed": "[red]failed[/]",
    "interrupted": "[yellow]interrupted[/]",
    "running": "[cyan]running[/]",
}
_CHECK = {"passed": "[green]passed[/]", "failed": "[red]failed[/]", "error": "[red]error[/]"}


class RunProgress:
    """A progress bar (items/s, ETA) on stderr, fed by the runner."""

    def __init__(self, progress: Progress, description: str) -> None:
        self._progress = progress
        self._description = description
        self._task: TaskID | None = None

    def started(self, total: int | None) -> None:
        """Add the bar."""
        self._task = self._progress.add_task(self._description, total=total)

    def advanced(self, done: int, skipped: int, failed: int) -> None:
        """Move the bar."""
        if self._task is not None:
            self._progress.advance(self._task, done + skipped + failed)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _duration(record: RunRecord) -> str:
    seconds = record.duration_s
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def run_table(records: list[RunRecord], title: str) -> Table:
    """A table of runs: owner, status, counts, check and rollback note."""
    table = Table(title=title)
    for column in (
        "run",
        "job",
        "scope",
        "owner",
        "status",
        "started (UTC)",
        "took",
        "done",
        "skipped",
        "failed",
        "check",
        "rollback",
    ):
        table.add_column(column, overflow="fold")
    for record in records:
        status = _STATUS.get(str(record.status), str(record.status))
        if record.rolled_back_by is not None:
            status += f" (rolled back by {record.rolled_back_by})"
        rollback = record.rollback_note
        if record.rollback_command:
            rollback += f" - {record.rollback_command.replace('RUN', str(record.id))}"
        table.add_row(
            str(record.id),
            escape(record.job),
            escape(record.scope),
            escape(record.owner),
            status,
            _when(record.started_at),
            _duration(record),
            str(record.items_done),
            str(record.items_skipped),
            str(record.items_failed),
            _CHECK.get(record.check_status or "", record.check_status or "-"),
            escape(rollback),
        )
    return table


def print_run(record: RunRecord) -> None:
    """A few lines about a finished run, for people."""
    console.print(
        f"run {record.id} of {escape(record.job)} on {escape(record.scope)}:"
        f" {_STATUS.get(str(record.status), str(record.status))} in {_duration(record)}"
        f" - {record.items_done} done, {record.items_skipped} skipped,"
        f" {record.items_failed} failed"
    )
    if record.check_status:
        console.print(
            f"expected result: {_CHECK.get(record.check_status, record.check_status)}"
            f" - {escape(record.check_detail or record.expected)}"
        )
    if record.error:
        console.print(f"error: {record.error}", markup=False)
    if record.summary:
        missing = record.summary.get("missing_from_source")
        if missing:
            examples = ", ".join(record.summary.get("missing_examples", [])[:5])
            console.print(f"missing from the source: {missing} ({examples})", markup=False)
    command = record.rollback_command
    console.print(
        f"rollback: {record.rollback_note}"
        + (f" - {command.replace('RUN', str(record.id))}" if command else ""),
        markup=False,
    )


def finish_run(record: RunRecord, format: OutputFormat) -> None:
    """Print the run as asked; exit 1 when it or its check failed."""
    emit(format, {"run": record.as_dict()}, lambda: print_run(record), code=0 if record.ok else 1)


def _job_row(entry: JobEntry, last: RunRecord | None) -> dict[str, Any]:
    job = entry.job
    next_run = job.schedule.next_after(datetime.now(UTC)) if job.schedule else None
    return {
        "name": job.name,
        "owner": job.owner,
        "description": job.description,
        "builtin": entry.builtin,
        "schedule": job.schedule.expression if job.schedule else None,
        "next_run": iso_utc(next_run) if next_run else None,
        "expected": job.expected.describe(),
        "rollback": {"note": job.rollback.text, "command": job.rollback.command},
        "run": job.run_hint,
        "last_run": None
        if last is None
        else {"id": last.id, "status": str(last.status), "started_at": iso_utc(last.started_at)},
    }


@app.command("list")
def list_jobs(ctx: typer.Context, format: FormatOption = OutputFormat.table) -> None:
    """List every job: owner, schedule, expected result, rollback note, last run."""
    settings = settings_from(ctx)
    owner = refresh_settings(settings).owner
    entries = job_catalogue(jobs_settings(settings), refresh_owner=owner)
    with open_store(settings.state_url()) as store:
        last = JobRecords(store).last_runs()
    rows = [_job_row(entry, last.get(name)) for name, entry in entries.items()]
    emit(format, {"jobs": rows}, lambda: _print_jobs(rows))


def _print_jobs(rows: list[dict[str, Any]]) -> None:
    table = Table(title="parity jobs")
    for column in ("job", "owner", "schedule (UTC)", "expected result", "rollback", "last run"):
        table.add_column(column, overflow="fold")
    for row in rows:
        schedule = row["schedule"] or "-"
        if row["next_run"]:
            schedule += f"\nnext {row['next_run'][:16].replace('T', ' ')}"
        last_run = row["last_run"]
        table.add_row(
            f"{escape(row['name'])}\n[dim]{escape(row['description'])}[/]",
            row["owner"],
            schedule,
            escape(row["expected"]),
            escape(row["rollback"]["note"])
            + (
                f"\n[dim]{escape(row['rollback']['command'])}[/]"
                if row["rollback"]["command"]
                else ""
            ),
            "-" if last_run is None else f"{last_run['id']} {last_run['status']}",
        )
    console.print(table)


@app.command("run")
def run_job(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The job to run (see `parity jobs list`).")],
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck", help="Process every item, even those a previous run already did."
        ),
    ] = False,
    on: OnOption = RunOn.in_process,
    broker: BrokerOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Run a job now, and record the run. Exit 1 if it or its expected result fails."""
    settings = settings_from(ctx)
    section = jobs_settings(settings)
    entry = find_job(section, name, refresh_owner=refresh_settings(settings).owner)
    if entry.make_work is None:
        raise InputError(
            f"job {name} needs its own command to start",
            hint=f"run: {entry.job.run_hint}" if entry.job.run_hint else None,
        )
    work = entry.make_work(settings)
    with (
        open_store(settings.state_url()) as store,
        rows_progress(err_console, unit="items") as progress,
    ):
        sink = RunProgress(progress, name)
        runner = runner_for(settings, store, on, broker, sink) or InProcessRunner(
            store,
            settings=settings,
            lease_ttl=timedelta(seconds=section.lease_seconds),
            progress=sink,
        )
        record = runner.run(entry.job, work, recheck=recheck)
    finish_run(record, format)


@app.command("history")
def history(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only runs of this job.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs.", min=1)] = 20,
    format: FormatOption = OutputFormat.table,
) -> None:
    """The latest runs: owner, status, counts, check and rollback note of each; for runs
    on workers (`--on celery`), which worker did how many batches and items."""
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        records = JobRecords(store).runs(name, limit=limit)
        shares = JobBatches(store).workers([record.id for record in records])
    workers = [
        {"run": run_id, **share.as_dict()}
        for run_id in sorted(shares, reverse=True)
        for share in shares[run_id]
    ]

    def show() -> None:
        if not records:
            console.print("no runs yet" + (f" of {name}" if name else ""), markup=False)
            return
        console.print(run_table(records, f"runs of {name}" if name else "job runs"))
        if workers:
            table = Table(title="who did what (runs on workers)")
            for column in ("run", "worker", "batches", "done", "skipped", "failed"):
                table.add_column(column, overflow="fold")
            for row in workers:
                items = row["items"]
                table.add_row(
                    str(row["run"]),
                    escape(str(row["worker"])),
                    str(row["batches"]),
                    str(items["done"]),
                    str(items["skipped"]),
                    str(items["failed"]),
                )
            console.print(table)

    emit(format, {"runs": [record.as_dict() for record in records], "workers": workers}, show)


@app.command("show")
def show(
    ctx: typer.Context,
    run: Annotated[int, typer.Argument(help="The run id (see `parity jobs history`).")],
    log_lines: Annotated[
        int, typer.Option("--log-lines", help="How many of the last log lines to show.", min=0)
    ] = 50,
    format: FormatOption = OutputFormat.table,
) -> None:
    """One run in full: counts by action, failed items, the check, the log."""
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        records = JobRecords(store)
        record = records.run(run)
        if record is None:
            raise InputError(f"no run {run}", hint="see `parity jobs history`")
        actions = records.action_counts(run)
        failed = [item for item in records.items(run) if item.error and item.status == "failed"]
        lines = records.log_lines(run, limit=log_lines)
    data = {
        "run": record.as_dict(),
        "actions": actions,
        "failed_items": [item.as_dict() for item in failed[:100]],
        "log": [line.as_dict() for line in lines],
    }
    emit(format, data, lambda: _print_show(record, actions, failed, lines))


def _print_show(
    record: RunRecord,
    actions: dict[str, dict[str, int]],
    failed: list[Any],
    lines: list[Any],
) -> None:
    status = str(record.status)
    if record.rolled_back_by is not None:
        status += f" (rolled back by run {record.rolled_back_by})"
    if record.resumed_from is not None:
        status += f" (resumed run {record.resumed_from})"
    fields = [
        ("run", f"{record.id} of {record.job} on {record.scope} ({record.runner})"),
        ("owner", record.owner),
        ("description", record.description),
        ("status", status),
        ("started", f"{_when(record.started_at)} UTC, took {_duration(record)}"),
        (
            "items",
            f"{record.items_done} done, {record.items_skipped} skipped,"
            f" {record.items_failed} failed (of {record.items_total or '?'})",
        ),
        ("expected", record.expected),
        ("check", f"{record.check_status or '-'}: {record.check_detail or ''}"),
        ("rollback", record.rollback_note),
        ("rollback command", (record.rollback_command or "-").replace("RUN", str(record.id))),
        ("parameters", str(record.parameters)),
    ]
    if record.summary:
        fields.append(("summary", str(record.summary)))
    if record.error:
        fields.append(("error", record.error))
    for status_name, by_action in sorted(actions.items()):
        detail = ", ".join(f"{action} {count}" for action, count in sorted(by_action.items()))
        fields.append((f"items {status_name}", detail))
    for label, value in fields:
        console.print(f"{label + ':':<18} {value}", markup=False)
    for item in failed[:20]:
        console.print(f"failed {item.key}: {item.error}", markup=False)
    if len(failed) > 20:
        console.print(f"... and {len(failed) - 20} more failed items", markup=False)
    if lines:
        console.print("log:", markup=False)
    for line in lines:
        console.print(f"  {_when(line.at)} {line.level:<7} {line.message}", markup=False)
