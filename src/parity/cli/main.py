"""The `parity` command: global options, sub-commands, and the one error handler."""

from __future__ import annotations

import logging
import sys
import traceback
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from parity import __version__
from parity.cli import (
    cache_cmd,
    change_cmd,
    content_cmd,
    cron_cmd,
    demo_cmd,
    doctor_cmd,
    drift_cmd,
    jobs_cmd,
    measure_cmd,
    media_cmd,
    monitor_cmd,
    refresh_cmd,
    rehearse_cmd,
    replace_cmd,
    sandbox_cmd,
    serve_cmd,
    workers_cmd,
)
from parity.cli.context import CliState, settings_from
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.errors import InputError, ParityError

__all__ = ["app", "main"]

app = typer.Typer(
    name="parity",
    help="Keep a WordPress staging environment close to production, and prove it.\n\n"
    "Exit codes: 0 fine, 1 a check found something, 2 could not run.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(cache_cmd.app, name="cache")
app.add_typer(measure_cmd.app, name="measure")
app.add_typer(refresh_cmd.app, name="refresh")
app.add_typer(jobs_cmd.app, name="jobs")
app.add_typer(content_cmd.app, name="content")
app.add_typer(change_cmd.app, name="change")
app.add_typer(media_cmd.app, name="media")
app.command("doctor")(doctor_cmd.doctor)
app.command("replace")(replace_cmd.replace)
app.command("rehearse")(rehearse_cmd.rehearse)
app.command("snapshot")(drift_cmd.snapshot)
app.command("drift")(drift_cmd.drift)
app.command("cron")(cron_cmd.cron)
app.command("demo")(demo_cmd.demo)
app.add_typer(monitor_cmd.deploy_app, name="deploy")
app.command("maintenance")(monitor_cmd.maintenance)
app.command("serve")(serve_cmd.serve)
app.command("status")(serve_cmd.status)
app.command("worker")(workers_cmd.worker)


def _version(value: bool) -> None:
    if value:
        console.print(f"parity {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="parity.toml to use (default: $PARITY_CONFIG, ./parity.toml,"
            " then ./.parity/sandbox/parity.toml).",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logs on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Global options shared by every command."""
    ctx.obj = CliState(config=config, debug=debug)
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command("init")
def init(
    path: Annotated[
        Path, typer.Option("--path", help="Where to write the starter file.", dir_okay=False)
    ] = Path("parity.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter parity.toml describing production and staging."""
    if path.exists() and not force:
        raise InputError(f"{path} already exists", hint="pass --force to overwrite it")
    text = resources.files("parity.data").joinpath("parity.example.toml").read_text("utf-8")
    path.write_text(text, encoding="utf-8")
    console.print(f"wrote {path}: edit the urls and db lines, then run `parity doctor`")


@config_app.command("show")
def config_show(ctx: typer.Context, format: FormatOption = OutputFormat.table) -> None:
    """Print the resolved configuration (${VAR} filled in) with every secret masked."""
    settings = settings_from(ctx)
    data = settings.masked()

    def show() -> None:
        import tomli_w

        sys.stdout.write(f"# {settings.source}\n" + tomli_w.dumps(_drop_none_map(data)))

    emit(format, {"source": str(settings.source), **data}, show)


def _drop_none_map(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _drop_none(v) for k, v in value.items() if v is not None}


def _drop_none(value: object) -> object:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def main() -> None:
    """Entry point: run the app; a ParityError becomes one line on stderr and exit 2."""
    debug = "--debug" in sys.argv
    try:
        app(args=sys.argv[1:], prog_name="parity")
    except ParityError as exc:
        if debug:
            traceback.print_exc()
        err_console.print(f"error: {exc.one_line()}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
