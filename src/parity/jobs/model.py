"""What a job is, what a run does, and what the runner records (pure data, no I/O).

A :class:`Job` is the declaration people read: name, owner, description, the expected
result parity checks after each run, the rollback note, and an optional schedule. The
:class:`Work` is what one run does: it yields :class:`Item` s (each with an idempotency
key and a fingerprint of its content), plans a :class:`Step` for each, and applies the
steps. The runner (``parity.jobs.runner``) records every step before applying it, so a
run killed halfway can be reconciled and resumed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from parity.jobs.schedule import Schedule

if TYPE_CHECKING:
    from parity.config import Settings

__all__ = [
    "UNCHANGED",
    "CheckContext",
    "CheckOutcome",
    "CheckStatus",
    "Counts",
    "ExpectedResult",
    "Item",
    "ItemResult",
    "ItemStatus",
    "Job",
    "PendingItem",
    "RollbackNote",
    "RunLog",
    "RunStatus",
    "Step",
    "Work",
    "check_job_name",
]

#: The action of a step that finds nothing to do (its item is already in the wanted state).
UNCHANGED = "unchanged"

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")


def check_job_name(name: str) -> str:
    """``name`` if it is a valid job name (lower-case letters, digits, ``-_.``), else raise.

    >>> check_job_name("content-import")
    'content-import'
    """
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"job name {name!r} must be 1-100 lower-case letters, digits, '-', '_' or '.',"
            " starting with a letter or digit"
        )
    return name


class RunStatus(StrEnum):
    """Where a run stands."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    interrupted = "interrupted"


class ItemStatus(StrEnum):
    """Where one item of a run stands.

    ``pending`` is written before the item is applied: an item still pending after its
    run ended was interrupted mid-way, and the next run reconciles it.
    """

    pending = "pending"
    done = "done"
    skipped = "skipped"
    failed = "failed"
    rolled_back = "rolled_back"


class CheckStatus(StrEnum):
    """The outcome of a run's expected-result check."""

    passed = "passed"
    failed = "failed"
    error = "error"
    not_run = "not_run"


@dataclass(frozen=True)
class CheckOutcome:
    """What the expected-result check found: passed or not, and a line saying why."""

    passed: bool
    detail: str
    error: bool = False  # the check itself could not run

    @property
    def status(self) -> CheckStatus:
        """passed, failed, or error when the check could not run."""
        if self.error:
            return CheckStatus.error
        return CheckStatus.passed if self.passed else CheckStatus.failed


@dataclass(frozen=True)
class CheckContext:
    """What a check may look at: the settings, the run's work and its id."""

    settings: Settings | None
    work: Work
    run_id: int


class ExpectedResult(Protocol):
    """A check parity runs after a job: a SQL count, an HTTP probe or a Python callable."""

    def describe(self) -> str:
        """One line saying what is expected (shown in ``jobs list`` and ``history``)."""
        ...

    def evaluate(self, context: CheckContext) -> CheckOutcome:
        """Run the check."""
        ...


@dataclass(frozen=True)
class RollbackNote:
    """How to undo a job: a note for people, and optionally the command that does it."""

    text: str
    command: str | None = None

    def describe(self) -> str:
        """The note and its command on one line."""
        return f"{self.text} (run: {self.command})" if self.command else self.text


@dataclass(frozen=True)
class Job:
    """A job's declaration: who owns it, what it does, what to expect, how to undo it."""

    name: str
    owner: str
    description: str
    expected: ExpectedResult
    rollback: RollbackNote
    schedule: Schedule | None = None
    #: How ``parity jobs run NAME`` starts it; None when it needs its own command.
    run_hint: str | None = None

    def __post_init__(self) -> None:
        check_job_name(self.name)
        if not self.owner.strip():
            raise ValueError(f"job {self.name}: owner must not be empty")


@dataclass(frozen=True)
class Item:
    """One unit of work: ``key`` identifies it across runs, ``fingerprint`` its content.

    A rerun skips an item whose key was last done with the same fingerprint.
    """

    key: str
    fingerprint: str
    payload: Any = None
    label: str = ""  # where it came from, for messages (a file name)


@dataclass
class Step:
    """What a run will do with an item: an action, and what undoing it needs."""

    item: Item
    action: str
    undo: dict[str, Any] | None = None
    target: str | None = None  # what it acts on (a post id), when known before


@dataclass(frozen=True)
class ItemResult:
    """How applying (or recovering) an item ended."""

    key: str
    ok: bool
    action: str
    target: str | None = None
    error: str | None = None
    undo: dict[str, Any] | None = None  # replaces the planned undo when set


@dataclass(frozen=True)
class PendingItem:
    """An item recorded as pending by a run that ended before it was resolved."""

    item_id: int
    run_id: int
    key: str
    fingerprint: str
    action: str
    target: str | None
    undo: dict[str, Any] | None


class RunLog(Protocol):
    """Log lines of a run: kept with the run in the state store."""

    def info(self, message: str) -> None:
        """Record an informational line."""
        ...

    def warning(self, message: str) -> None:
        """Record a warning."""
        ...

    def error(self, message: str) -> None:
        """Record an error."""
        ...


class Work(Protocol):
    """What one run of a job does. The runner calls, in order:

    ``recover`` (items an earlier run left pending), ``start``, then for each batch of
    ``items()`` not already done: ``plan`` and ``apply``; finally ``report`` and ``close``.
    """

    #: What the run acts on (an environment name): runs are keyed and locked per scope.
    scope: str
    #: The lease runs take; two works with the same lock never run at the same time.
    lock: str
    batch_size: int

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        """The run is recorded as ``run_id``: prepare (read the target's state).

        ``done`` is the fingerprint each key was last done with (empty with
        ``recheck``); the runner skips those items, and a work may use it to avoid
        preparing them at all.
        """
        ...

    def parameters(self) -> Mapping[str, Any]:
        """What the run was asked to do, recorded with it (never secrets)."""
        ...

    def total(self) -> int | None:
        """How many items ``items()`` will yield, if known (for the progress bar)."""
        ...

    def items(self) -> Iterable[Item]:
        """The items, lazily."""
        ...

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """One step per item (action ``UNCHANGED`` when there is nothing to do)."""
        ...

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        """Carry out the steps; one result per step."""
        ...

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """Decide, from the target's state, whether each pending item was applied."""
        ...

    def report(self) -> Mapping[str, Any]:
        """A summary recorded with the run (e.g. what is missing from the source)."""
        ...

    def close(self) -> None:
        """Release connections and processes."""
        ...


@dataclass
class Counts:
    """Items done, skipped and failed in a run."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    actions: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        """Add ``other`` to these counts."""
        self.done += other.done
        self.skipped += other.skipped
        self.failed += other.failed
        for action, number in other.actions.items():
            self.actions[action] = self.actions.get(action, 0) + number

    def count(self, status: ItemStatus, action: str) -> None:
        """Count one item."""
        if status is ItemStatus.done:
            self.done += 1
        elif status is ItemStatus.skipped:
            self.skipped += 1
        elif status is ItemStatus.failed:
            self.failed += 1
        self.actions[action] = self.actions.get(action, 0) + 1
