"""`parity serve` and `parity status`: the service, and its four answers on the terminal.

Registered by the app as::

    app.command("serve")(serve_cmd.serve)
    app.command("status")(serve_cmd.status)
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from typing import Annotated

import typer
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.output import FormatOption, OutputFormat, console, emit
from parity.errors import ConfigError, InputError
from parity.monitor.answers import QUESTIONS
from parity.monitor.service import MonitorService
from parity.monitor.status import StatusReport, build_status
from parity.store import open_store

__all__ = ["TOKEN_VARIABLE", "is_loopback", "serve", "status", "status_table"]

#: The environment variable holding the write token of `parity serve`.
TOKEN_VARIABLE = "PARITY_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """InputError (one line, exit 2) when ``host:port`` cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"port {port} on {host} is already in use", hint="pick another with --port"
                ) from None
            raise InputError(f"cannot listen on {host}:{port} ({exc.strerror})") from None


def serve(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on (other than loopback needs a token)."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8765,
) -> None:
    """Run the checks on their intervals and serve the dashboard, the JSON API (/api,
    OpenAPI at /docs), Prometheus metrics (/metrics) and /healthz under uvicorn.

    Binding anything other than loopback needs $PARITY_SERVE_TOKEN; writes (deploy marks,
    maintenance) always need it. Exit 2 when the config is invalid or the port is in use.
    """
    import uvicorn

    from parity.web.app import create_app

    settings = settings_from(ctx)
    token = os.environ.get(TOKEN_VARIABLE) or None
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"listening on {host} needs {TOKEN_VARIABLE} set",
            hint="export a long random token, or keep the default --host 127.0.0.1",
        )
    with open_store(settings.state_url()) as store:
        MonitorService(settings, store)  # invalid checks fail here, before the port opens
    _check_port(host, port)
    app = create_app(settings, run_scheduler=True, token=token)
    console.print(f"parity serving http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def status(
    ctx: typer.Context,
    env: Annotated[
        str | None, typer.Argument(help="Environment to show (default: every one).")
    ] = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Print the four answers (up? slow? jobs failing? did the last deployment change
    anything?) per environment, from what `parity serve` recorded.

    Exit 0 when nothing is red, 1 when an answer is red, 2 when it could not run.
    """
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        report = build_status(settings, store, environment=env)

    code = 0 if report.ok else 1
    emit(format, report.as_dict(), lambda: console.print(status_table(report)), code=code)


def status_table(report: StatusReport) -> Table:
    """The four answers per environment, as `parity status` prints them."""
    table = Table("environment", "question", "level", "reason")
    for environment in report.environments:
        for question in QUESTIONS:
            answer = environment.answers[question]
            colour = {"green": "green", "amber": "yellow", "red": "red"}[answer.level]
            table.add_row(
                environment.environment,
                question,
                f"[{colour}]{answer.level}[/{colour}]",
                answer.reason,
            )
    return table
