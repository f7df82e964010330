"""What every demo step is: a heading, why it matters, what it runs and what it checks.

A step's ``run`` returns the data it produced (a report the CLI knows how to show); its
``check`` raises :class:`StepFailed` when that data does not show what the step is
there to show. :func:`run_step` runs both and keeps the data even when the check fails,
so that the shell can show what was seen before it says what was wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parity.config import Settings, load_settings
from parity.errors import ParityError
from parity.sandbox.manager import Sandbox
from parity.sandbox.seed import DEFAULT_ARTICLES, DEFAULT_SEED
from parity.store import Store, open_store

__all__ = ["DemoContext", "Step", "StepFailed", "StepResult", "run_step"]


class StepFailed(ParityError):
    """A demo step did not show what it should."""


@dataclass
class DemoContext:
    """What the steps share."""

    sandbox: Sandbox
    articles: int = DEFAULT_ARTICLES
    seed: int = DEFAULT_SEED
    #: The route of the sample article on both sites (known once production is seeded).
    route: str = "/"
    #: The change record of the change story (named when it is opened).
    change: str | None = None
    #: Told what a long step is doing, one line at a time (the CLI prints it dimmed).
    progress: Callable[[str], None] = field(default=lambda line: None, repr=False)
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The sandbox's parity.toml (written by the first step)."""
        if self._settings is None:
            self._settings = load_settings(self.sandbox.config_path)
        return self._settings

    def store(self) -> Store:
        """parity's state store, as the commands open it (use it in a ``with``)."""
        return open_store(self.settings.state_url())


def _nothing_to_check(data: Any) -> None:
    """The step's run raises when it could not do its work; nothing else to check."""


@dataclass(frozen=True)
class Step:
    """One step of the demo: a heading, why it matters, what it runs and checks."""

    title: str
    why: str
    run: Callable[[DemoContext], Any]
    check: Callable[[Any], None] = _nothing_to_check


@dataclass(frozen=True)
class StepResult:
    """What one step produced, how long it took, and the error that stopped it."""

    step: Step
    data: Any
    seconds: float
    error: ParityError | None = None

    @property
    def ok(self) -> bool:
        """True when the step ran and showed what it should."""
        return self.error is None


def run_step(context: DemoContext, step: Step) -> StepResult:
    """Run ``step`` and its check; a ParityError is kept in the result, not raised."""
    started = time.monotonic()
    data: Any = None
    try:
        data = step.run(context)
        step.check(data)
    except ParityError as exc:
        return StepResult(step, data, time.monotonic() - started, exc)
    return StepResult(step, data, time.monotonic() - started)
