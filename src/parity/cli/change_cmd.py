"""`parity change open / check / rollback / show / list`: the change record.

Registered by the app as::

    app.add_typer(change_cmd.app, name="change")
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from parity.changes.checklist import checklist, comparison_text
from parity.changes.model import ChangeCheck, ChangeRecord
from parity.changes.records import list_changes, load_change
from parity.changes.render import markdown_record
from parity.changes.service import (
    DEFAULT_SAMPLES,
    OpenRequest,
    check_change,
    open_change,
    rollback_change,
)
from parity.cli.context import settings_from
from parity.cli.conventions import DeprecatedEnvOption, environment_given, routes_given
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.errors import InputError
from parity.store import open_store
from parity.vocabulary import iso_utc

__all__ = ["app", "measurements_table", "show_check"]

app = typer.Typer(
    help="Change records: baseline, one change, purge only what it touched, compare, roll back.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The change's name (letters, digits, -_.).")]


class ShowFormat(StrEnum):
    """How `parity change show` prints the record."""

    table = "table"
    json = "json"
    markdown = "markdown"


def _progress(format: OutputFormat | ShowFormat) -> Any:
    def say(line: str) -> None:
        if format == OutputFormat.table:
            err_console.print(f"  {line}", markup=False, style="dim", soft_wrap=True)

    return say


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def measurements_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """A change's measurements (baseline or after), one row per route and mode."""
    table = Table(title=title, title_justify="left")
    for column in ("route", "mode", "n", "median ms", "p95 ms", "cache", "measurement"):
        table.add_column(column, overflow="fold")
    for m in rows:
        mix = ", ".join(f"{n} {s}" for s, n in sorted(m["cache_mix"].items()))
        table.add_row(
            Text(m["route"]),
            m["mode"],
            str(m["n"]),
            _ms(m["median_s"]),
            _ms(m["p95_s"]),
            mix,
            f"#{m['measurement_id']}",
        )
    return table


def show_check(check: ChangeCheck) -> None:
    """Print a kept check or rollback: drift, purge, comparisons, expectations, verdict."""
    body = check.body
    if body.get("rollback"):
        ran = body["rollback"]
        console.print(f"rollback command exited {ran['exit_code']}: {ran['command']}", markup=False)
    for warning in body.get("warnings", []):
        console.print(f"{warning['severity']}: {warning['message']}", style="yellow", markup=False)
    things = body.get("drift", {}).get("things", [])
    console.print(
        "drift since the baseline: " + ("; ".join(things) if things else "nothing changed"),
        markup=False,
    )
    if body.get("purge"):
        for route in body["purge"]["routes"]:
            console.print(f"purged {route['route']}: {route['detail']}", markup=False)
        control = body["purge"].get("control")
        if control:
            console.print(f"control {control['route']}: {control['detail']}", markup=False)
    for c in body.get("comparisons", []):
        console.print(comparison_text(c), markup=False)
    for result in body.get("expectations", []):
        mark = "met" if result["met"] else "NOT met"
        console.print(f"expect {result['expect']}: {mark}: {result['detail']}", markup=False)
    style = "bold green" if check.ok else "bold red"
    console.print(f"{check.kind.value}: {check.message}", style=style, markup=False)


@app.command("open")
def open_(
    ctx: typer.Context,
    name: NameArgument,
    env: Annotated[
        str | None,
        typer.Argument(help="The environment the change is made on.", show_default=False),
    ] = None,
    route: Annotated[
        list[str] | None,
        typer.Option("--route", "-r", help="A route the change is about (repeatable)."),
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns the change.")] = None,
    expect: Annotated[
        list[str] | None,
        typer.Option(
            "--expect",
            help="What the change should achieve, e.g. 'median -20%', 'p95 < 300ms',"
            " 'query rows_examined < 1000', 'command exit 0' (repeatable).",
        ),
    ] = None,
    rollback: Annotated[
        str | None,
        typer.Option("--rollback", help="The command that undoes the change (required)."),
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", help="The slow SELECT (ANALYZE, read-only).")
    ] = None,
    command: Annotated[
        str | None, typer.Option("--command", help="The failing command (run with /bin/sh).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Anything worth knowing.")] = None,
    samples: Annotated[
        int, typer.Option("--samples", help="Samples per route and mode.")
    ] = DEFAULT_SAMPLES,
    old_env: DeprecatedEnvOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Record the baseline of a change on ENV, before making it: refused without --rollback.

    --route, --owner and --expect are required.
    """
    environment = environment_given(env, old_env)
    routes = routes_given(route, None)
    if not owner:
        raise InputError("say who owns the change: --owner WHO")
    if not expect:
        raise InputError("say what the change should achieve: --expect EXPR (e.g. 'median -20%')")
    settings = settings_from(ctx)
    request = OpenRequest(
        name, environment, routes, owner, expect, rollback, query, command, note, samples
    )
    with open_store(settings.state_url()) as store:
        record = open_change(settings, store, request, progress=_progress(format))

    def show() -> None:
        console.print(
            measurements_table("baseline (milliseconds)", record.baseline["measurements"])
        )
        console.print(
            f"opened change {record.name} on {record.environment}: baseline recorded."
            f" Make the change, then `parity change check {record.name}`;"
            f" the rollback is ready: {record.rollback_command}",
            markup=False,
        )

    emit(format, {"change": record.as_dict()}, show)


@app.command("check")
def check(
    ctx: typer.Context, name: NameArgument, format: FormatOption = OutputFormat.table
) -> None:
    """Check the change against its baseline: drift, purge, measure, compare, verdict.

    Exit 0 when the expectation is met, 1 when not.
    """
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        record, kept = check_change(settings, store, name, progress=_progress(format))

    def show() -> None:
        console.print(measurements_table("after (milliseconds)", kept.body["measurements"]))
        show_check(kept)

    data = {"name": record.name, "environment": record.environment, "check": kept.as_dict()}
    emit(format, data, show, code=0 if kept.ok else 1)


@app.command("rollback")
def rollback_cmd(
    ctx: typer.Context, name: NameArgument, format: FormatOption = OutputFormat.table
) -> None:
    """Run the change's rollback command, then check the environment is back at baseline.

    Exit 0 when it is back, 1 when not.
    """
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        record, kept = rollback_change(settings, store, name, progress=_progress(format))

    def show() -> None:
        show_check(kept)

    data = {"name": record.name, "environment": record.environment, "rollback": kept.as_dict()}
    emit(format, data, show, code=0 if kept.ok else 1)


def _record_data(record: ChangeRecord, checks: list[ChangeCheck]) -> dict[str, Any]:
    latest = [c for c in checks if c.kind.value == "check"]
    return {
        "change": record.as_dict(),
        "verdict": latest[-1].verdict if latest else None,
        "checks": [c.as_dict() for c in checks],
        "checklist": [item.as_dict() for item in checklist(record, checks)],
    }


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    name: NameArgument,
    format: Annotated[
        ShowFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people, json for scripts, markdown for a pull request.",
            case_sensitive=False,
        ),
    ] = ShowFormat.table,
) -> None:
    """The record: owner, expectation, rollback, baseline, checks, checklist with evidence."""
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        record, checks = load_change(store, name)

    def show() -> None:
        if format == ShowFormat.markdown:
            sys.stdout.write(markdown_record(record, checks))
            return
        console.print(
            f"change {record.name} on {record.environment} ({record.status.value}),"
            f" owner {record.owner}; expect {' and '.join(record.expect)};"
            f" rollback: {record.rollback_command}",
            markup=False,
        )
        table = Table(title="checklist", title_justify="left")
        for column in ("", "item", "evidence"):
            table.add_column(column, overflow="fold")
        for item in checklist(record, checks):
            table.add_row("x" if item.done else " ", item.title, Text(item.evidence))
        console.print(table)
        for kept in checks:
            console.print(f"{kept.kind.value} #{kept.id} {iso_utc(kept.at)}: {kept.message}")

    fmt = OutputFormat.json if format == ShowFormat.json else OutputFormat.table
    emit(fmt, _record_data(record, checks), show)


@app.command("list")
def list_cmd(ctx: typer.Context, format: FormatOption = OutputFormat.table) -> None:
    """The changes in the state store, newest first, with their latest check."""
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        rows = list_changes(store)
    changes: list[dict[str, Any]] = [
        {
            "name": record.name,
            "environment": record.environment,
            "owner": record.owner,
            "status": record.status.value,
            "opened_at": iso_utc(record.opened_at),
            "expect": record.expect,
            "last_check": None
            if last is None
            else {
                "kind": last.kind.value,
                "at": iso_utc(last.at),
                "verdict": last.verdict,
                "message": last.message,
            },
        }
        for record, last, _at in rows
    ]

    def show() -> None:
        table = Table(title="changes", title_justify="left")
        for column in ("name", "environment", "owner", "status", "opened", "last check"):
            table.add_column(column, overflow="fold")
        for c in changes:
            last = c["last_check"]
            table.add_row(
                c["name"],
                c["environment"],
                c["owner"],
                c["status"],
                c["opened_at"],
                "-" if last is None else f"{last['kind']}: {last['message']}",
            )
        console.print(table)

    emit(format, {"changes": changes}, show)
