"""Jobs declared in parity.toml: a command run as one item, or a Python work factory.

A ``command`` job runs its argument list (no shell) once per run, from the folder of
parity.toml; the command itself must be safe to run again. A ``callable`` job names a
function ``(settings) -> Work`` that yields its own items with idempotency keys.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from parity.errors import ConfigError
from parity.jobs.checks import expectation_check, load_callable
from parity.jobs.model import (
    Item,
    ItemResult,
    Job,
    PendingItem,
    RollbackNote,
    RunLog,
    Step,
    Work,
)
from parity.jobs.schedule import parse_schedule
from parity.jobs.settings import DeclaredJob

if TYPE_CHECKING:
    from parity.config import Settings

__all__ = ["CommandWork", "declared_job", "declared_work"]

_TAIL = 200  # characters of a failed command's last error line kept in the log


def declared_job(spec: DeclaredJob) -> Job:
    """The :class:`Job` a ``[[jobs.declared]]`` table describes."""
    return Job(
        name=spec.name,
        owner=spec.owner,
        description=spec.description,
        expected=expectation_check(spec.expected),
        rollback=RollbackNote(spec.rollback.note, spec.rollback.command),
        schedule=parse_schedule(spec.schedule) if spec.schedule else None,
        run_hint=f"parity jobs run {spec.name}",
    )


class CommandWork:
    """Runs one command as the run's single item (never skipped: it runs every time)."""

    batch_size = 1

    def __init__(self, spec: DeclaredJob, cwd: Path) -> None:
        assert spec.command is not None
        self.spec = spec
        self.command = list(spec.command)
        self.cwd = cwd
        self.scope = spec.scope
        self.lock = f"{spec.name}:{spec.scope}"
        self._exit: int | None = None

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        """Log what runs."""
        log.info(f"running {Path(self.command[0]).name} in {self.cwd}")

    def parameters(self) -> Mapping[str, Any]:
        """The command's program name (arguments may hold secrets: not recorded)."""
        return {"program": Path(self.command[0]).name, "arguments": len(self.command) - 1}

    def total(self) -> int | None:
        """One item."""
        return 1

    def items(self) -> Iterable[Item]:
        """One item whose fingerprint is new each run, so it always runs."""
        yield Item(key="command", fingerprint=uuid.uuid4().hex, label=self.spec.name)

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """Run it."""
        return [Step(item, "ran") for item in batch]

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        """Run the command; its exit status decides."""
        results = []
        for step in steps:
            started = time.monotonic()
            try:
                done = subprocess.run(
                    self.command,
                    cwd=self.cwd,
                    capture_output=True,
                    text=True,
                    timeout=self.spec.timeout_seconds,
                    check=False,
                )
            except FileNotFoundError:
                results.append(
                    ItemResult(step.item.key, False, "ran", error=f"{self.command[0]}: not found")
                )
                continue
            except subprocess.TimeoutExpired:
                results.append(
                    ItemResult(
                        step.item.key,
                        False,
                        "ran",
                        error=f"did not finish in {self.spec.timeout_seconds:g} s",
                    )
                )
                continue
            elapsed = time.monotonic() - started
            self._exit = done.returncode
            log.info(f"{Path(self.command[0]).name} exited {done.returncode} in {elapsed:.1f} s")
            if done.returncode == 0:
                results.append(ItemResult(step.item.key, True, "ran"))
            else:
                lines = done.stderr.strip().splitlines()
                last = lines[-1][:_TAIL] if lines else "no error output"
                results.append(
                    ItemResult(step.item.key, False, "ran", error=f"exit {done.returncode}: {last}")
                )
        return results

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """A command cut short is unknown: count it failed (the next run runs it again)."""
        return [
            ItemResult(p.key, False, p.action, error="interrupted; outcome unknown")
            for p in pending
        ]

    def report(self) -> Mapping[str, Any]:
        """The exit status."""
        return {"exit_status": self._exit}

    def close(self) -> None:
        """Nothing to release."""


def declared_work(spec: DeclaredJob, settings: Settings | None) -> Work:
    """The work of one run of a declared job."""
    if spec.command is not None:
        cwd = settings.base_dir if settings is not None else Path.cwd()
        return CommandWork(spec, cwd)
    assert spec.callable is not None
    factory = load_callable(spec.callable)
    work: Any = factory(settings)
    for attribute in ("scope", "lock", "batch_size", "start", "items", "plan", "apply", "recover"):
        if not hasattr(work, attribute):
            raise ConfigError(
                f"{spec.callable} returned {type(work).__name__}, which has no {attribute!r};"
                " it must return a parity.jobs.Work"
            )
    return cast(Work, work)
