"""`parity measure ENV --route ...` and `parity measure compare A B`: cache-aware timing.

Registered by the app as::

    app.add_typer(measure_cmd.app, name="measure")

`parity measure ENV ...` runs the hidden `time` command (the group sends every first word
that is not `compare` there); `compare` is its one visible sub-command.
"""

from __future__ import annotations

from contextlib import ExitStack
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from parity.cli.context import settings_from
from parity.cli.conventions import OLD_ROUTES_SETTINGS, routes_given
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.cli.progress import rows_progress
from parity.errors import InputError
from parity.measure.compare import Verdict
from parity.measure.records import Measurement
from parity.measure.sample import EXPECTED_STATUS, TimedSample
from parity.measure.service import MeasurementComparison, compare_measurements, measure_routes
from parity.store import open_store
from parity.targets.cache import purger_for
from parity.targets.site import Site

__all__ = ["MeasureMode", "app", "comparison_view", "measurements_table"]


#: The command `parity measure ENV --route ...` runs (hidden: it is the group's default).
TIME_COMMAND = "time"


class _MeasureGroup(TyperGroup):
    """`measure ENV --route ...` (the hidden `time` command) and `measure compare A B`.

    Any first word that is not a sub-command's name (the environment, or an option of
    the timing) goes to `time`, as it is: nothing is rewritten.
    """

    # Typer's vendored click types its Context privately: the context is taken as Any.
    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        if args and args[0] not in self.commands:
            return TIME_COMMAND, self.commands[TIME_COMMAND], args
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # The timing's own help (its usage, arguments and options), then the sub-command.
        # Plain text, piece by piece: rich help would print at once, before the commands.
        timing = self.commands[TIME_COMMAND]
        timing.format_usage(ctx, formatter)
        timing.format_help_text(ctx, formatter)
        timing.format_options(ctx, formatter)
        self.format_commands(ctx, formatter)


app = typer.Typer(
    cls=_MeasureGroup,
    invoke_without_command=True,
    rich_markup_mode=None,
    context_settings={"ignore_unknown_options": True},
    help="Time routes, cache-aware; compare two measurements.",
)


@app.callback()
def _without_arguments(ctx: typer.Context) -> None:
    """`parity measure` alone: its help, exit 2."""
    if ctx.invoked_subcommand is None:
        console.print(ctx.get_help(), markup=False)
        raise typer.Exit(2)


class MeasureMode(StrEnum):
    """How `parity measure` prepares the cache before sampling."""

    cold = "cold"
    warm = "warm"
    logged_in = "logged-in"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _mix(mix: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(mix.items()))


def _ages(samples: tuple[TimedSample, ...]) -> str:
    ages = [s.age for s in samples if s.age is not None]
    if not ages:
        return "-"
    return str(ages[0]) if min(ages) == max(ages) else f"{min(ages)}-{max(ages)}"


def measurements_table(saved: list[Measurement]) -> RenderableType:
    table = Table(title="parity measure (milliseconds)", title_justify="left")
    for column in ("id", "env", "route", "mode", "n", "median", "p95", "MAD", "95% CI median"):
        table.add_column(column, overflow="fold")
    table.add_column("cache", overflow="fold")
    table.add_column("Age")
    lines: list[RenderableType] = [table]
    for m in saved:
        s = m.summary()
        mix = Text(_mix(m.cache_mix()))
        if m.unexpected():
            mix.stylize("bold yellow")
        table.add_row(
            str(m.id),
            m.environment,
            Text(m.route),
            m.mode,
            str(s.n),
            _ms(s.median),
            _ms(s.p95),
            _ms(s.mad),
            f"{_ms(s.ci_low)}-{_ms(s.ci_high)}",
            mix,
            _ages(m.samples),
        )
        if m.non_2xx():
            lines.append(
                Text(
                    f"not 2xx: {m.label()}: {m.non_2xx_text()}: saved and flagged;"
                    " `parity measure compare` refuses them unless --allow-errors",
                    style="bold red",
                )
            )
        if m.unexpected():
            wanted = EXPECTED_STATUS[m.mode]
            lines.append(
                Text(
                    f"warning: {m.label()}: {m.unexpected()} of {s.n} samples were not {wanted}"
                    f" ({m.mode} mode): the cache did not behave as the mode assumes",
                    style="yellow",
                )
            )
    ids = " ".join(str(m.id) for m in saved)
    lines.append(Text(f"saved as measurement {ids}; compare with `parity measure compare A B`"))
    return Group(*lines)


def _samples_table(saved: list[Measurement]) -> Table:
    table = Table(title="samples", title_justify="left")
    for column in ("id", "#", "ms", "X-Cache", "Age", "HTTP"):
        table.add_column(column)
    for m in saved:
        for number, sample in enumerate(m.samples, 1):
            table.add_row(
                str(m.id),
                str(number),
                _ms(sample.seconds),
                sample.cache_status or "-",
                "-" if sample.age is None else str(sample.age),
                str(sample.http_status),
            )
    return table


@app.command(TIME_COMMAND, hidden=True, context_settings=OLD_ROUTES_SETTINGS)
def measure(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment to time (a name in parity.toml).")],
    route: Annotated[
        list[str] | None,
        typer.Option("--route", "-r", help="A route to time, e.g. /hello-world/ (repeatable)."),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", "-n", help="Samples per route.", min=1, max=10000)
    ] = 30,
    mode: Annotated[
        MeasureMode,
        typer.Option(
            "--mode",
            help="cold: purge before each sample (MISS); warm: prime first (HIT);"
            " logged-in: the real session (PASS).",
            case_sensitive=False,
        ),
    ] = MeasureMode.warm,
    show_samples: Annotated[
        bool, typer.Option("--show-samples", help="Also list every sample (table format).")
    ] = False,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Time routes of ENV: every sample labelled with its cache status and Age; median,
    p95, MAD and a bootstrap interval of the median; saved in the state store.

    Exit 0 when measured (a warning names samples whose cache status does not fit the
    mode), 1 when any sample was not 2xx (saved, flagged and named), 2 when it could not
    run.
    """
    routes = routes_given(route, ctx.args)
    settings = settings_from(ctx)
    environment = settings.environment(env)
    purger = purger_for(environment) if mode is MeasureMode.cold else None
    with ExitStack() as stack:
        if purger is not None:
            stack.callback(purger.close)
        store = stack.enter_context(open_store(settings.state_url()))
        site = stack.enter_context(Site(environment))
        progress = stack.enter_context(rows_progress(err_console, unit="samples"))
        task = progress.add_task(f"measure {env} ({mode.value})", total=samples * len(routes))

        def advance(route: str, sample: TimedSample) -> None:
            progress.advance(task)

        saved = measure_routes(
            site,
            routes,
            mode=mode.value,
            count=samples,
            store=store,
            purger=purger,
            on_sample=advance,
        )
    if format is OutputFormat.json:
        for m in saved:  # the table names them; JSON readers get the words on stderr
            if m.non_2xx():
                err_console.print(f"not 2xx: {m.label()}: {m.non_2xx_text()}", markup=False)

    def show() -> None:
        console.print(measurements_table(saved))
        if show_samples:
            console.print(_samples_table(saved))

    code = 1 if any(m.non_2xx() for m in saved) else 0
    emit(format, {"measurements": [m.as_dict() for m in saved]}, show, code=code)


def _side(name: str, m: Measurement, summary: dict[str, Any]) -> list[str]:
    ci = summary["median_ci"]
    return [
        name,
        m.label(),
        str(summary["n"]),
        _ms(summary["median"]),
        _ms(summary["p95"]),
        _ms(summary["mad"]),
        f"{_ms(ci[0])}-{_ms(ci[1])}",
        _mix(summary["cache_mix"]),
    ]


def comparison_view(result: MeasurementComparison) -> RenderableType:
    data = result.comparison.as_dict()
    table = Table(title="parity measure compare (milliseconds)", title_justify="left")
    for column in ("", "measurement", "n", "median", "p95", "MAD", "95% CI median", "cache"):
        table.add_column(column, overflow="fold")
    table.add_row(*_side("A", result.a, data["a"]))
    table.add_row(*_side("B", result.b, data["b"]))
    verdict = result.comparison.verdict
    style = {Verdict.slower: "bold red", Verdict.faster: "green", Verdict.refused: "bold yellow"}
    lines: list[RenderableType] = [
        table,
        Text(result.comparison.message, style=style.get(verdict, "")),
    ]
    if verdict is not Verdict.refused:
        ci = data["median_ratio_ci"]
        lines.append(
            Text(
                f"median B/A {data['median_ratio']:.3f} (95% CI {ci[0]:.3f}-{ci[1]:.3f});"
                f" Mann-Whitney U {data['u']:.1f}, p = {data['p_value']:.3g}"
                f" ({data['test_method']});"
                f" Cliff's delta {data['cliffs_delta']:.3f} ({data['effect']})"
            )
        )
    return Group(*lines)


@app.command("compare")
def measure_compare(
    ctx: typer.Context,
    a: Annotated[int, typer.Argument(help="Measurement id of A (the baseline).")],
    b: Annotated[int, typer.Argument(help="Measurement id of B (the change).")],
    allow_errors: Annotated[
        bool,
        typer.Option(
            "--allow-errors",
            help="Compare even when A or B has samples that were not 2xx (a 500, a 302).",
        ),
    ] = False,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Is B really faster or slower than A? Mann-Whitney U, Cliff's delta and the median
    ratio with its interval; refuses when A and B had a different mix of cache statuses,
    or when either has samples that were not 2xx (unless --allow-errors).

    Exit 0 faster or no difference, 1 slower, 2 refused or could not run.
    """
    if a == b:
        raise InputError("compare two different measurements")
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        result = compare_measurements(store, a, b, allow_errors=allow_errors)
    view = comparison_view(result)
    emit(format, result.as_dict(), lambda: console.print(view), code=result.exit_code)
