"""`parity demo`: the whole staging story on the local sandbox, one step at a time.

Each step prints a heading saying what it shows and why a team cares, then the normal
output of the command it runs. The demo stops at the first step that fails, with its
error. It only uses the sandbox: your own sites are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule

from parity.cli.output import console
from parity.config import load_settings
from parity.doctor import check_environment
from parity.errors import ParityError
from parity.sandbox import DEFAULT_STATE_DIR, Sandbox

__all__ = ["demo"]


class StepFailed(ParityError):
    """A demo step did not show what it should."""


@dataclass
class DemoContext:
    """What the steps share."""

    sandbox: Sandbox
    config: Path


@dataclass(frozen=True)
class Step:
    """One step of the demo: a heading, why it matters, and what it runs."""

    title: str
    why: str
    run: Callable[[DemoContext], None]


def _sandbox_up(ctx: DemoContext) -> None:
    status = ctx.sandbox.up()
    for name, url in ctx.sandbox.urls.items():
        console.print(f"  {name:<10} {url}")
    if not status.running:
        raise StepFailed("the sandbox did not come up", hint="run `parity sandbox status`")


def _doctor(ctx: DemoContext) -> None:
    from parity.cli.doctor_cmd import print_reports

    settings = load_settings(ctx.config)
    reports = [check_environment(settings.environment(n)) for n in sorted(settings.environments)]
    print_reports(reports)
    if not all(r.ok for r in reports):
        raise StepFailed("parity doctor found a problem (see the table above)")


STEPS: list[Step] = [
    Step(
        "Start a real WordPress pair",
        "production and staging, each Debian's WordPress behind nginx, PHP-FPM and Varnish,"
        " on 127.0.0.1 only: the same kind of stack you run, without touching your sites.",
        _sandbox_up,
    ),
    Step(
        "Check that parity can reach and use both environments",
        "database, WordPress tables, site, logged-in session and cache purge endpoint for"
        " each environment: the first thing to run when pointing parity at new sites.",
        _doctor,
    ),
]


def demo(
    state_dir: Annotated[
        Path,
        typer.Option("--state-dir", help="Where the sandbox keeps its state.", file_okay=False),
    ] = DEFAULT_STATE_DIR,
) -> None:
    """Run the whole staging story on the local sandbox (starts it if needed).

    Exit 0 when every step showed what it should, 2 at the first step that could not.
    """
    sandbox = Sandbox(state_dir)
    context = DemoContext(sandbox=sandbox, config=sandbox.config_path)
    started = time.monotonic()
    for number, step in enumerate(STEPS, start=1):
        console.print(Rule(f"[bold]{number}. {step.title}[/]", align="left"))
        console.print(f"[dim]{step.why}[/]")
        step.run(context)
    elapsed = time.monotonic() - started
    console.print(Rule("[bold]Done[/]", align="left"))
    user, _password = sandbox.admin_credentials()
    console.print(f"All {len(STEPS)} steps passed in {elapsed:.1f} s. Look around:")
    for name, url in sandbox.urls.items():
        console.print(f"  {name:<10} {url}   (admin: {url}/wp-admin/, user {user!r})")
    console.print(f"  the admin password and both databases are in {sandbox.config_path}")
    console.print("Try next:")
    console.print("  parity doctor --format json")
    console.print("  parity config show")
    console.print("  parity sandbox down --purge      # stop everything and remove its state")
