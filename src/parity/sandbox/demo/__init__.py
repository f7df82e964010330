"""``parity demo``: the whole staging story on the local sandbox, one step at a time.

The steps, what each checks and the data each produces live here; the CLI
(``parity.cli.demo_cmd``) prints each step's heading and result and sets the exit code::

    context = DemoContext(Sandbox(state_dir))
    for step in STEPS:
        result = run_step(context, step)   # data, seconds, and the error that stopped it
        if not result.ok:
            break

It only uses the sandbox: your own sites are never touched. Running it again is safe:
the seed writes nothing new, the refresh puts staging back, the change is made again,
the change record gets a new name, and the slowness the change story adds is removed.
"""

from __future__ import annotations

from parity.sandbox.demo.change_story import (
    CHANGE_STORY,
    ChangeChecked,
    ChangeOpened,
    ChangeRolledBack,
)
from parity.sandbox.demo.service_step import SERVICE_STORY, ServiceWatched
from parity.sandbox.demo.steps import DemoContext, Step, StepFailed, StepResult, run_step
from parity.sandbox.demo.story import (
    STORY,
    DoctorChecked,
    DriftCompared,
    Measured,
    SandboxStarted,
)

__all__ = [
    "STEPS",
    "ChangeChecked",
    "ChangeOpened",
    "ChangeRolledBack",
    "DemoContext",
    "DoctorChecked",
    "DriftCompared",
    "Measured",
    "SandboxStarted",
    "ServiceWatched",
    "Step",
    "StepFailed",
    "StepResult",
    "run_step",
]

#: Every step, in order: the staging story, the change record, the service.
STEPS: list[Step] = [*STORY, *CHANGE_STORY, *SERVICE_STORY]
