"""`parity demo`: the whole staging story on the local sandbox, one step at a time.

The steps, their checks and their data live in :mod:`parity.sandbox.demo`; this module
wires the command, prints each step's heading, why it matters and its result (with the
renderers of the commands it stands for), and ends with exit 0, or with the error of the
first step that failed (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.rule import Rule

from parity.cli.output import console, err_console
from parity.cli.sandbox_cmd import parity_command, state_dir_flag
from parity.sandbox import DEFAULT_STATE_DIR, Sandbox, SandboxPorts
from parity.sandbox.seed import DEFAULT_ARTICLES, DEFAULT_SEED, MAX_ARTICLES

if TYPE_CHECKING:
    from parity.sandbox.demo import DemoContext

__all__ = ["demo"]


def _say(line: str) -> None:
    err_console.print(f"  {line}", markup=False, style="dim", soft_wrap=True)


def _run_steps(context: DemoContext) -> float:
    from parity.cli.demo_render import show_result
    from parity.sandbox.demo import STEPS, run_step

    elapsed = 0.0
    for number, step in enumerate(STEPS, start=1):
        console.print(Rule(f"[bold]{number}. {step.title}[/]", align="left"))
        console.print(f"[dim]{step.why}[/]")
        result = run_step(context, step)
        if result.data is not None:
            show_result(result.data, context)
        elapsed += result.seconds
        if result.error is not None:
            err_console.print(f"The demo stopped at step {number} ({step.title}).", markup=False)
            raise result.error
        console.print(f"[dim]({result.seconds:.1f} s)[/]")
    return elapsed


def _print_end(context: DemoContext, elapsed: float, steps: int) -> None:
    sandbox = context.sandbox
    parity = parity_command(sandbox)
    console.print(Rule("[bold]Done[/]", align="left"))
    user = sandbox.admin_user
    console.print(f"All {steps} steps passed in {elapsed:.1f} s. Look around:")
    for name, url in sandbox.urls.items():
        console.print(f"  {name:<10} {url}  (log in: /wp-admin/ as {user})", markup=False)
    console.print(f"  sample     {sandbox.production_url}{context.route}", soft_wrap=True)
    console.print(
        f"  the admin password is in {sandbox.config_path} (login.password);"
        " staging's users got it too, from the refresh",
        soft_wrap=True,
    )
    console.print("Try next:")
    for command in (
        f"{parity} drift production staging --format markdown",
        f"{parity} refresh --from production --to staging --dry-run",
        f"{parity} refresh rollback staging",
        f"{parity} cache verify production staging",
        f"{parity} measure staging --route {context.route} --mode cold",
        f"{parity} change show {context.change} --format markdown",
        f"{parity} serve      # then open http://127.0.0.1:8765/",
        f"{parity} doctor --format json",
        f"parity sandbox seed --articles 2000{state_dir_flag(sandbox)}",
        f"parity sandbox down --purge{state_dir_flag(sandbox)}"
        "      # stop everything and remove its state",
    ):
        console.print(f"  {command}", soft_wrap=True, markup=False)


def demo(
    state_dir: Annotated[
        Path,
        typer.Option("--state-dir", help="Where the sandbox keeps its state.", file_okay=False),
    ] = DEFAULT_STATE_DIR,
    port_offset: Annotated[
        int | None,
        typer.Option(
            "--port-offset",
            help="Add this to every default sandbox port (as `parity sandbox up`"
            " --port-offset); default: the ports the sandbox last used, else the defaults.",
        ),
    ] = None,
    articles: Annotated[
        int,
        typer.Option(
            "--articles",
            help="Synthesized articles production gets besides the sample.",
            min=0,
            max=MAX_ARTICLES,
        ),
    ] = DEFAULT_ARTICLES,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the synthesized content.", min=0)
    ] = DEFAULT_SEED,
) -> None:
    """Run the whole staging story on the local sandbox (starts it if needed): seed
    production, drift, refresh, drift, change, drift, cache verify and purge, measure;
    a change record (open, check, rollback); parity serve and parity status.

    Exit 0 when every step showed what it should, 2 at the first step that could not.
    """
    from parity.sandbox.demo import STEPS, DemoContext

    ports = SandboxPorts.with_offset(port_offset) if port_offset is not None else None
    context = DemoContext(Sandbox(state_dir, ports), articles=articles, seed=seed, progress=_say)
    elapsed = _run_steps(context)
    _print_end(context, elapsed, len(STEPS))
