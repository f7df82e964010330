"""A job whose target is a dict in memory: the runner's behaviour without any server."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.errors import DatabaseError
from parity.jobs import (
    UNCHANGED,
    CallableCheck,
    CheckContext,
    CheckOutcome,
    Item,
    ItemResult,
    Job,
    PendingItem,
    RollbackNote,
    RunLog,
    Step,
)


@dataclass
class DictWork:
    """Writes ``key -> value`` into ``target``; a value 'bad' fails its item."""

    source: dict[str, str]
    target: dict[str, str] = field(default_factory=dict)
    scope: str = "test"
    lock: str = "dict:test"
    batch_size: int = 2
    planned: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    fail_apply_after: int | None = None  # raise a ParityError after this many applies
    started_runs: list[int] = field(default_factory=list)

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        self.started_runs.append(run_id)
        log.info("starting")

    def parameters(self) -> Mapping[str, Any]:
        return {"keys": len(self.source)}

    def total(self) -> int | None:
        return len(self.source)

    def items(self) -> Iterable[Item]:
        for key, value in self.source.items():
            yield Item(key, value, value, label=f"{key}.txt")

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        self.planned += [item.key for item in batch]
        steps = []
        for item in batch:
            if self.target.get(item.key) == item.payload:
                steps.append(Step(item, UNCHANGED))
            elif item.key in self.target:
                steps.append(Step(item, "updated", undo={"old": self.target[item.key]}))
            else:
                steps.append(Step(item, "created", undo={"created": True}))
        return steps

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        results = []
        for step in steps:
            if self.fail_apply_after is not None and len(self.applied) >= self.fail_apply_after:
                raise DatabaseError("the target went away")
            if step.item.payload == "bad":
                results.append(ItemResult(step.item.key, False, step.action, error="bad value"))
                continue
            self.target[step.item.key] = step.item.payload
            self.applied.append(step.item.key)
            results.append(ItemResult(step.item.key, True, step.action, target=step.item.key))
        return results

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        return [
            ItemResult(p.key, self.target.get(p.key) == p.fingerprint, p.action, p.key)
            for p in pending
        ]

    def report(self) -> Mapping[str, Any]:
        return {"target_size": len(self.target)}

    def close(self) -> None:
        pass


def _target_matches(context: CheckContext) -> CheckOutcome:
    work = context.work
    assert isinstance(work, DictWork)
    missing = [k for k, v in work.source.items() if work.target.get(k) != v]
    return CheckOutcome(not missing, f"{len(missing)} missing")


def check_ok(context: CheckContext) -> CheckOutcome:
    """A declared job's callable check that always passes."""
    return CheckOutcome(True, "fine")


def dict_job(name: str = "dict-copy") -> Job:
    """A job declaring owner, check and rollback for DictWork."""
    return Job(
        name=name,
        owner="platform team",
        description="Copy a dict.",
        expected=CallableCheck("every key is in the target", function=_target_matches),
        rollback=RollbackNote("Clear the target", command="clear-target"),
    )
