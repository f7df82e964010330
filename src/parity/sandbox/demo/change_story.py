"""The change record on the sandbox (docs/changes.md): a route on staging turns slow, a
change is opened with its rollback ready, the slowness is removed, ``check`` says faster
with its p-value and ratio, and ``rollback`` brings the slowness back, proven.

The slowness is a sandbox fault (:mod:`parity.sandbox.faults`); the change's rollback
command is the ``parity sandbox fault`` command that puts it back. The last step removes
the fault again, so staging ends as the refresh left it and the demo can run again.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass

from parity.changes.model import ChangeCheck, ChangeRecord
from parity.changes.service import OpenRequest, check_change, open_change, rollback_change
from parity.sandbox.demo.steps import DemoContext, Step, StepFailed
from parity.sandbox.faults import Fault, clear_faults, set_faults
from parity.store.clock import utc_now

__all__ = [
    "CHANGE_SAMPLES",
    "CHANGE_STORY",
    "SLEEP_MS",
    "ChangeChecked",
    "ChangeOpened",
    "ChangeRolledBack",
]

#: How slow the route is made (milliseconds before WordPress answers). Large beside the
#: page's own time, so that a busy machine's noise keeps the rollback "back in range"
#: (within 20% of the baseline's median).
SLEEP_MS = 500
#: Samples per route and mode: few (each slow one costs SLEEP_MS), and still a clear
#: verdict (the smallest two-sided Mann-Whitney p for 6 against 6 is 0.002).
CHANGE_SAMPLES = 6
#: What the change must achieve (cold mode: every sample a cache MISS).
EXPECT = "median -20%"


@dataclass(frozen=True)
class ChangeOpened:
    """The fault made, and the change opened on it with its baseline."""

    fault: Fault
    fault_command: str
    record: ChangeRecord


@dataclass(frozen=True)
class ChangeChecked:
    """The slowness removed, and the change checked against its baseline."""

    cleared_command: str
    record: ChangeRecord
    check: ChangeCheck


@dataclass(frozen=True)
class ChangeRolledBack:
    """The change rolled back (the slowness back, proven), then the fault removed."""

    record: ChangeRecord
    rollback: ChangeCheck
    cleanup_command: str

    @property
    def timings_only(self) -> bool:
        """Not back at baseline only because timings moved (drift found nothing)."""
        body = self.rollback.body
        return not self.rollback.ok and not body.get("drift", {}).get("things")


def _parity(ctx: DemoContext, *args: str) -> str:
    """A parity command that runs wherever the rollback's shell starts (this Python)."""
    state = ["--state-dir", str(ctx.sandbox.state_dir)]
    return shlex.join([sys.executable, "-m", "parity.cli.main", *args, *state])


def _fault_command(ctx: DemoContext, *flags: str) -> str:
    return _parity(ctx, "sandbox", "fault", "staging", "--route", ctx.route, *flags)


def _open(ctx: DemoContext) -> ChangeOpened:
    layout = ctx.sandbox.layout
    fault = Fault(ctx.route, sleep_ms=SLEEP_MS)
    set_faults(layout, "staging", [fault])
    name = f"faster-sample-{utc_now():%Y%m%d-%H%M%S}"
    request = OpenRequest(
        name,
        "staging",
        [ctx.route],
        owner="demo",
        expect=[EXPECT],
        rollback=_fault_command(ctx, "--sleep-ms", str(SLEEP_MS)),
        note="made slow on purpose by a sandbox fault",
        samples=CHANGE_SAMPLES,
    )
    with ctx.store() as store:
        try:
            record = open_change(ctx.settings, store, request, progress=ctx.progress)
        except BaseException:
            clear_faults(layout, "staging")  # staging back as the refresh left it
            raise
    ctx.change = record.name
    return ChangeOpened(fault, _fault_command(ctx, "--sleep-ms", str(SLEEP_MS)), record)


def _name(ctx: DemoContext) -> str:
    if ctx.change is None:
        raise StepFailed("no change was opened")
    return ctx.change


def _check(ctx: DemoContext) -> ChangeChecked:
    name = _name(ctx)
    clear_faults(ctx.sandbox.layout, "staging")
    with ctx.store() as store:
        record, kept = check_change(ctx.settings, store, name, progress=ctx.progress)
    return ChangeChecked(_fault_command(ctx, "--clear"), record, kept)


def _check_faster(checked: ChangeChecked) -> None:
    if not checked.check.ok:
        raise StepFailed(f"the change was not found faster: {checked.check.message}")
    cold = [c for c in checked.check.body.get("comparisons", []) if c["mode"] == "cold"]
    if not cold or cold[0].get("verdict") != "faster" or cold[0].get("p_value") is None:
        raise StepFailed("the cold comparison did not say faster, with its p-value")


def _rollback(ctx: DemoContext) -> ChangeRolledBack:
    name = _name(ctx)
    try:
        with ctx.store() as store:
            record, kept = rollback_change(ctx.settings, store, name, progress=ctx.progress)
    finally:
        clear_faults(ctx.sandbox.layout, "staging")  # staging back as the refresh left it
    return ChangeRolledBack(record, kept, _fault_command(ctx, "--clear"))


def _check_back(rolled: ChangeRolledBack) -> None:
    """The rollback ran and drift finds nothing changed since the baseline.

    The change record's own verdict also wants every timing back within 20% of the
    baseline's; on a busy machine a page's own time moves by more than that between two
    runs, so the demo shows that verdict but holds the step to what does not depend on
    the machine's load: the command worked and the environment is as it was.
    """
    body = rolled.rollback.body
    ran = body.get("rollback") or {}
    if ran.get("exit_code") != 0:
        raise StepFailed(f"the rollback command failed: {rolled.rollback.message}")
    things = body.get("drift", {}).get("things", [])
    if things:
        raise StepFailed(f"the rollback left drift since the baseline: {'; '.join(things)}")


CHANGE_STORY: list[Step] = [
    Step(
        "A page turns slow: open a change record before touching anything",
        "`parity change open NAME staging --route ROUTE --owner ... --expect 'median -20%'"
        " --rollback CMD`: the baseline written down first (cold, warm and logged-in"
        " timings, cache headers, a drift snapshot), with the rollback command ready;"
        " without one, no change is opened.",
        _open,
    ),
    Step(
        "Remove the slowness, then check the change",
        "`parity change check NAME`: one variable changed (drift says what), only the"
        " change's route purged while another stays cached, measured again in the same"
        " modes, and the verdict against the expectation with its p-value and ratio.",
        _check,
        _check_faster,
    ),
    Step(
        "Roll the change back",
        "`parity change rollback NAME`: runs the recorded rollback command, then checks the"
        " environment is back at its baseline (no drift since it, timings back in range)."
        " The demo then removes the slowness for good.",
        _rollback,
        _check_back,
    ),
]
