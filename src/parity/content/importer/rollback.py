"""``parity content rollback RUN``: undo one import run, item by item, as a job run.

The run's done items are undone newest first: a created post is deleted (with its meta,
tags, revisions and comments), an updated post gets back the title, content, excerpt,
owned meta and tags recorded before the update (its status is left as editors set it),
a pruned post leaves the trash. Each undone item is marked rolled back, so the next
import does it again. A run is refused when a later run changed the same articles (roll
that one back first), unless forced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from parity.content.importer.job import content_lock
from parity.content.importer.postdata import HASH_KEY
from parity.content.importer.wordpress_state import WordPressState
from parity.content.importer.writer import Outcome, PostWriter
from parity.jobs.model import (
    CheckOutcome,
    Item,
    ItemResult,
    ItemStatus,
    PendingItem,
    RunLog,
    Step,
)
from parity.jobs.records import ItemRecord, JobRecords, RunRecord

__all__ = ["RollbackWork", "undo_action"]

_UNDO = {"created": "deleted", "updated": "restored", "trashed": "untrashed"}


def undo_action(action: str) -> str | None:
    """What undoing ``action`` does ("created" -> "deleted"), or None if nothing."""
    return _UNDO.get(action)


class RollbackWork:
    """One run of ``content-rollback``: undo the done items of import run ``run``."""

    def __init__(
        self,
        *,
        run: RunRecord,
        records: JobRecords,
        state: WordPressState,
        writer: PostWriter,
        batch_size: int = 200,
    ) -> None:
        self.run = run
        self.records = records
        self.state = state
        self.writer = writer
        self.scope = run.scope
        self.lock = content_lock(run.scope)
        self.batch_size = batch_size
        self.targets = [
            record
            for record in reversed(records.items(run.id, ItemStatus.done))
            if undo_action(record.action) is not None
        ]
        self.results: dict[str, int] = {}
        self._originals: dict[int, dict[int, ItemRecord]] = {}

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        """Say what will be undone."""
        log.info(f"rolling back run {self.run.id} on {self.scope}: {len(self.targets)} item(s)")

    def parameters(self) -> Mapping[str, Any]:
        """The run rolled back."""
        return {"env": self.scope, "run": self.run.id, "path": self.writer.path}

    def total(self) -> int | None:
        """How many items will be undone."""
        return len(self.targets)

    def items(self) -> Iterator[Item]:
        """The run's done items, newest first."""
        for record in self.targets:
            yield Item(record.key, f"rollback:{self.run.id}:{record.id}", record)

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """Delete, restore or untrash."""
        steps = []
        for item in batch:
            record = item.payload
            assert isinstance(record, ItemRecord)
            action = undo_action(record.action) or "none"
            steps.append(Step(item, action, target=record.target))
        return steps

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        """Undo through the writer; mark the original items rolled back."""
        outcomes: dict[int, list[Outcome]] = {}
        deletes = [(n, s) for n, s in enumerate(steps) if s.action == "deleted"]
        restores = [(n, s) for n, s in enumerate(steps) if s.action == "restored"]
        untrash = [(n, s) for n, s in enumerate(steps) if s.action == "untrashed"]
        if deletes:
            done = self.writer.delete([int(s.target or 0) for _, s in deletes])
            outcomes.update({n: [o] for (n, _), o in zip(deletes, done, strict=True)})
        with_snapshot = [(n, s) for n, s in restores if self._record(s).undo]
        if with_snapshot:
            snapshots = [
                (self._record(s).undo or {}).get("snapshot") or {} for _, s in with_snapshot
            ]
            done = self.writer.restore(snapshots)
            outcomes.update({n: [o] for (n, _), o in zip(with_snapshot, done, strict=True)})
        for number, step in untrash:
            pairs = [
                (int(i), str(s)) for i, s in (self._record(step).undo or {}).get("trashed", [])
            ]
            outcomes[number] = self.writer.untrash(pairs)
        results = []
        rolled_back = []
        for number, step in enumerate(steps):
            got = outcomes.get(number, [Outcome(None, False, "no undo data recorded")])
            errors = [o.error or "refused" for o in got if not o.ok]
            if not errors:
                rolled_back.append(self._record(step).id)
            self.results[step.action] = self.results.get(step.action, 0) + (0 if errors else 1)
            results.append(
                ItemResult(
                    step.item.key, not errors, step.action, step.target, "; ".join(errors) or None
                )
            )
        self.records.mark_rolled_back(rolled_back)
        return results

    def _original(self, pending: PendingItem) -> ItemRecord | None:
        """The import item a pending undo was for (named by its fingerprint)."""
        parts = pending.fingerprint.split(":")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            return None
        run_id, item_id = int(parts[1]), int(parts[2])
        if run_id not in self._originals:
            self._originals[run_id] = {r.id: r for r in self.records.items(run_id)}
        return self._originals[run_id].get(item_id)

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """A pending undo counts as done when WordPress shows its effect."""
        ids = [int(p.target) for p in pending if p.target and p.target.isdigit()]
        statuses = self.state.post_statuses(ids)
        hashes = self.state.post_meta(ids, HASH_KEY)
        results = []
        done_ids = []
        for item in pending:
            post_id = int(item.target) if item.target and item.target.isdigit() else None
            original = self._original(item)
            applied = False
            if item.action == "deleted":
                applied = post_id is not None and post_id not in statuses
            elif item.action == "restored" and original is not None and post_id is not None:
                applied = hashes.get(post_id) == _old_hash(original)
            elif item.action == "untrashed" and post_id is not None:
                applied = statuses.get(post_id) not in (None, "trash")
            if applied and original is not None:
                done_ids.append(original.id)
            error = None if applied else "not undone before the rollback ended"
            results.append(ItemResult(item.key, applied, item.action, item.target, error))
        self.records.mark_rolled_back(done_ids)
        return results

    def report(self) -> Mapping[str, Any]:
        """How many posts were deleted, restored and untrashed."""
        return {"rolled_back_run": self.run.id, **self.results}

    def close(self) -> None:
        """Close the writer (the connection is the caller's, who opened it)."""
        self.writer.close()

    def verify(self) -> CheckOutcome:
        """The run's created posts are gone and its updated posts carry their old hash."""
        undone = self.records.items(self.run.id, ItemStatus.rolled_back)
        created = [int(r.target) for r in undone if r.action == "created" and r.target]
        updated = {
            int(r.target): _old_hash(r) for r in undone if r.action == "updated" and r.target
        }
        remaining = self.state.post_statuses(created)
        hashes = self.state.post_meta(list(updated), HASH_KEY)
        wrong = [post_id for post_id, old in updated.items() if hashes.get(post_id) != old]
        left = len(self.records.items(self.run.id, ItemStatus.done))
        if remaining or wrong or left:
            return CheckOutcome(
                False,
                f"{len(remaining)} created post(s) still there, {len(wrong)} updated post(s)"
                f" not restored, {left} item(s) not rolled back",
            )
        return CheckOutcome(True, f"{len(created)} created post(s) gone, {len(updated)} restored")

    @staticmethod
    def _record(step: Step) -> ItemRecord:
        record = step.item.payload
        assert isinstance(record, ItemRecord)
        return record


def _old_hash(record: ItemRecord) -> str | None:
    """The content hash an updated post had before the import changed it."""
    snapshot = (record.undo or {}).get("snapshot") or {}
    for key, value in snapshot.get("meta", []):
        if key == HASH_KEY:
            return str(value)
    return None
