"""`parity deploy mark` and `parity maintenance`: the writes of the monitor.

Registered by the app as::

    app.add_typer(monitor_cmd.deploy_app, name="deploy")
    app.command("maintenance")(monitor_cmd.maintenance)
"""

from __future__ import annotations

from typing import Annotated

import typer

from parity.cli.context import settings_from
from parity.cli.output import FormatOption, OutputFormat, console, emit
from parity.errors import InputError
from parity.monitor.markers import mark_deploy, open_maintenance
from parity.monitor.settings import parse_duration
from parity.store import open_store

__all__ = ["deploy_app", "maintenance", "mark"]

deploy_app = typer.Typer(
    help="Deploy markers: what the service compares drift and latency against.",
    no_args_is_help=True,
)


@deploy_app.command("mark")
def mark(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment that was deployed.")],
    version: Annotated[
        str | None, typer.Option("--version", help="The version deployed (free text).")
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="A note shown on the timeline.")
    ] = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Record a deploy marker on ENV with a drift snapshot taken now; the service then
    shows drift since the marker and each route's latency before/after.

    Exit 0 when recorded, 2 when the environment could not be captured.
    """
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        marker = mark_deploy(settings, store, env, version=version, note=note, source="cli")
    emit(
        format,
        {"deploy": marker.as_dict()},
        lambda: console.print(
            f"deploy #{marker.id} marked on {env} at {marker.at:%Y-%m-%d %H:%M:%S} UTC"
            f" (snapshot #{marker.snapshot_id})"
        ),
    )


def maintenance(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment under maintenance.")],
    for_: Annotated[
        str, typer.Option("--for", help="How long: seconds or 30s, 15m, 2h (at most 7 days).")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Shown on the dashboard's timeline.")
    ] = "maintenance",
    format: FormatOption = OutputFormat.table,
) -> None:
    """Open a maintenance window on ENV from now: checks keep running, no alerts are sent,
    the dashboard shows maintenance.

    Exit 0 when opened, 2 on a bad duration or environment.
    """
    settings = settings_from(ctx)
    settings.environment(env)
    try:
        seconds = parse_duration(for_)
    except ValueError as exc:
        raise InputError(f"--for {for_!r}: {exc}") from None
    with open_store(settings.state_url()) as store:
        window = open_maintenance(store, env, seconds, reason=reason, source="cli")
    emit(
        format,
        {"window": window.as_dict()},
        lambda: console.print(f"{env} in maintenance until {window.ends_at:%Y-%m-%d %H:%M:%S} UTC"),
    )
