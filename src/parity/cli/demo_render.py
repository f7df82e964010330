"""How `parity demo` shows each step's result: the tables of the commands it stands for.

:func:`show_result` dispatches on the type of the data a step of
:mod:`parity.sandbox.demo` produced. Imported by the demo command when it runs (it pulls in
every capability the demo uses), not when the CLI starts.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import singledispatch
from typing import Any

from parity.cli.drift_render import summary_line, table_report
from parity.cli.output import console
from parity.cli.sandbox_cmd import parity_command, print_seed_result
from parity.sandbox.demo import (
    ChangeChecked,
    ChangeOpened,
    ChangeRolledBack,
    DemoContext,
    DoctorChecked,
    DriftCompared,
    Measured,
    SandboxStarted,
    ServiceWatched,
)
from parity.sandbox.option_change import OptionChange
from parity.sandbox.seed.result import SeedResult

__all__ = ["show_result"]

#: A drift report longer than this is shown a few findings per category, then summed up.
_SHOWN_FINDINGS = 12
_PER_CATEGORY = 3


@singledispatch
def show_result(data: Any, context: DemoContext) -> None:
    """Print what a step produced, as the command it stands for prints it."""
    if data is not None:
        console.print(str(data), markup=False)


@show_result.register
def _(data: SandboxStarted, context: DemoContext) -> None:
    for name, url in data.urls.items():
        console.print(f"  {name:<10} {url}")


@show_result.register
def _(data: DoctorChecked, context: DemoContext) -> None:
    from parity.cli.doctor_cmd import print_reports

    print_reports(data.reports)


@show_result.register
def _(data: SeedResult, context: DemoContext) -> None:
    print_seed_result(data)


@show_result.register
def _(data: DriftCompared, context: DemoContext) -> None:
    report = data.report
    if len(report.findings) <= _SHOWN_FINDINGS:
        console.print(table_report(report, "warn"))
    else:
        shown = tuple(
            finding
            for findings in report.by_category().values()
            for finding in findings[:_PER_CATEGORY]
        )
        console.print(table_report(replace(report, findings=shown), "warn").renderables[0])
        parity = parity_command(context.sandbox)
        console.print(
            f"… and {len(report.findings) - len(shown)} more findings"
            f" (`{parity} drift production staging --exact` shows all of them)",
            soft_wrap=True,
            markup=False,
        )
        console.print(summary_line(report, "warn"))
    if data.moment == "before" and not report.findings:
        console.print("staging already matches production (an earlier demo refreshed it)")
    if data.named is not None:
        found = data.named
        console.print(f"found: {found.category} {found.key}: {found.a} -> {found.b}", markup=False)


@show_result.register
def _(data: OptionChange, context: DemoContext) -> None:
    console.print(
        f"staging: {data.key} {data.before} -> {data.after}"
        f" (one UPDATE of {data.table} in staging's database; production keeps"
        f" {data.before})",
        soft_wrap=True,
        markup=False,
    )


@show_result.register
def _(data: Measured, context: DemoContext) -> None:
    from parity.cli.measure_cmd import comparison_view, measurements_table

    console.print(measurements_table(data.measurements))
    for result, why in ((data.cold_vs_warm, "cold vs warm"), (data.warm_vs_warm, "warm vs warm")):
        console.print(f"\n$ parity measure compare {result.a.id} {result.b.id}   # {why}")
        console.print(comparison_view(result))


@show_result.register
def _(data: ChangeOpened, context: DemoContext) -> None:
    from parity.cli.change_cmd import measurements_table

    record = data.record
    console.print(
        f"staging: {data.fault.route} now waits {data.fault.sleep_ms} ms before WordPress"
        f" answers (a sandbox fault)",
        markup=False,
    )
    console.print(measurements_table("baseline (milliseconds)", record.baseline["measurements"]))
    console.print(
        f"opened change {record.name} on {record.environment}, owner {record.owner},"
        f" expect {' and '.join(record.expect)}; the rollback is ready:"
        f" {record.rollback_command}",
        soft_wrap=True,
        markup=False,
    )


@show_result.register
def _(data: ChangeChecked, context: DemoContext) -> None:
    from parity.cli.change_cmd import measurements_table, show_check

    console.print(f"$ {data.cleared_command}   # the change", soft_wrap=True, markup=False)
    console.print(f"$ parity change check {data.record.name}", markup=False)
    console.print(measurements_table("after (milliseconds)", data.check.body["measurements"]))
    show_check(data.check)


@show_result.register
def _(data: ChangeRolledBack, context: DemoContext) -> None:
    from parity.cli.change_cmd import show_check

    console.print(f"$ parity change rollback {data.record.name}", markup=False)
    show_check(data.rollback)
    if data.timings_only:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        console.print(
            f"note: nothing changed since the baseline but the page's timings moved by more"
            f" than 20% (load average {load}): the page's own time varies on a busy machine;"
            " on a quiet one the rollback's timings come back in range.",
            style="yellow",
            soft_wrap=True,
            markup=False,
        )
    console.print(
        f"$ {data.cleanup_command}   # the demo removes the slowness again",
        soft_wrap=True,
        markup=False,
    )


@show_result.register
def _(data: ServiceWatched, context: DemoContext) -> None:
    from parity.cli.serve_cmd import status_table

    console.print(f"$ {data.command} &", soft_wrap=True, markup=False)
    console.print(
        f"listening on {data.url}; both environments up after {data.seconds_to_up:.1f} s",
        markup=False,
    )
    console.print("$ parity status", markup=False)
    console.print(status_table(data.report))
    console.print("parity serve stopped" if data.stopped else "parity serve did not stop")
