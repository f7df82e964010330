"""The media sync as a job of the run ledger: what to copy, copying it, resuming it.

Deciding (pure, :func:`decide`): a referenced file the target lacks is ``copy``; one of
another size is ``update``; one of the same size and modification time is ``present``
(rsync's quick check: parity gives every file it copies the source's time); one of the
same size but another time is ``compare``: both sides are hashed (SHA-256) when it is
applied, and it is copied only if the bytes differ. ``checksum`` compares every file
present on both sides. A file the source lacks is ``missing`` (reported, never fatal).

Copying (:class:`SyncWork`, run by :class:`~parity.jobs.runner.InProcessRunner` under the
lease ``media:<target>``): each file to copy is one item, keyed by its path and
fingerprinted by the source's size and time. The runner records each batch as pending
before applying it, so a run killed with ``kill -9`` is marked interrupted by the next
run, whose :meth:`SyncWork.recover` settles the pending items from the target's files
(a file is complete under its real name, or not there: see
:mod:`parity.targets.uploads`), and whose start removes the partial files it left.
Files are copied ``concurrency`` at a time over HTTP, one after the other from a local
folder (faster there: see :class:`~parity.media.sources.LocalSource`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from parity.errors import ParityError
from parity.jobs.model import (
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
from parity.media.hooks import media_armed, media_pause
from parity.media.referenced import Reference
from parity.media.sources import NotOnSource, UploadsSource
from parity.targets.uploads import FileFacts, Uploads

__all__ = [
    "SYNC_JOB",
    "FileState",
    "MediaProgress",
    "SyncPlan",
    "SyncWork",
    "decide",
    "media_lock",
    "media_sync_job",
]

SYNC_JOB = "media-sync"
#: Decisions that copy (or may copy) a file.
TO_APPLY = ("copy", "update", "compare")


def media_lock(target: str) -> str:
    """The lease name of media syncs into ``target``."""
    return f"media:{target}"


class MediaProgress(Protocol):
    """Told how a sync advances (the CLI draws a bar of bytes, with rate and ETA)."""

    def planned(self, files: int, size: int) -> None:
        """``files`` files of ``size`` bytes in all are to be copied."""
        ...

    def advanced(self, size: int) -> None:
        """``size`` more bytes are done."""
        ...


def decide(source: FileFacts | None, target: FileFacts | None, *, checksum: bool = False) -> str:
    """What to do with one referenced file (see the module docstring).

    >>> decide(FileFacts(10, 5), None), decide(FileFacts(10, 5), FileFacts(9, 5))
    ('copy', 'update')
    >>> decide(FileFacts(10, 5), FileFacts(10, 5)), decide(FileFacts(10, 5), FileFacts(10, 6))
    ('present', 'compare')
    >>> decide(None, None), decide(None, FileFacts(1, 1))
    ('missing', 'present')
    """
    if source is None:
        return "present" if target is not None else "missing"
    if target is None:
        return "copy"
    if source.size >= 0 and source.size != target.size:
        return "update"
    if not checksum and source.size == target.size and source.mtime_ns == target.mtime_ns:
        return "present"
    return "compare"


@dataclass(frozen=True)
class FileState:
    """One referenced file, what each side has, and the decision."""

    ref: Reference
    source: FileFacts | None
    target: FileFacts | None
    decision: str

    @property
    def size(self) -> int:
        """The file's size as known (the source's, else the target's; -1 unknown)."""
        known = self.source or self.target
        return known.size if known is not None else -1


@dataclass
class SyncPlan:
    """Every referenced file of a sync, decided."""

    files: list[FileState] = field(default_factory=list)

    def todo(self) -> list[FileState]:
        """The files to copy, or to compare and maybe copy."""
        return [f for f in self.files if f.decision in TO_APPLY]

    def todo_bytes(self) -> int:
        """Their bytes (as the source gave them)."""
        return sum(max(f.size, 0) for f in self.todo())


def _fingerprint(facts: FileFacts | None) -> str:
    return "absent" if facts is None else f"{facts.size}:{facts.mtime_ns}"


def media_sync_job(owner: str, source: str, target: str) -> Job:
    """The ``media-sync`` job of one source and target, as its runs record it."""
    return Job(
        name=SYNC_JOB,
        owner=owner,
        description=f"Copy the uploads {target}'s database references that {target} lacks"
        f" (or has otherwise) from {source}.",
        expected=_EveryFilePlaced(),
        rollback=RollbackNote(
            "Nothing to undo: only files the database references are added or brought up"
            f" to date; {source} is never written to"
        ),
        run_hint=f"parity media sync --from {source} --to {target}",
    )


@dataclass(frozen=True)
class _EveryFilePlaced:
    label: str = "every referenced file the source has is in the target, with its size"

    def describe(self) -> str:
        """What is expected, on one line."""
        return self.label

    def evaluate(self, context: CheckContext) -> CheckOutcome:
        """Ask the work: each applied file is now in place."""
        verify = getattr(context.work, "verify", None)
        if verify is None:
            return CheckOutcome(False, "not a media sync run", error=True)
        outcome = verify()
        assert isinstance(outcome, CheckOutcome)
        return outcome


@dataclass
class _Outcome:
    """What applying the files found (the service builds its report from it)."""

    copied: list[tuple[str, int]] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    recovered: int = 0
    cleaned_partials: int = 0


class SyncWork:
    """One run of ``media-sync``: see the module docstring."""

    def __init__(
        self,
        plan: SyncPlan,
        source: UploadsSource,
        target: Uploads,
        *,
        source_name: str,
        concurrency: int,
        batch_size: int = 1000,
        checksum: bool = False,
        progress: MediaProgress | None = None,
    ) -> None:
        self.sync_plan = plan
        self.source = source
        self.target = target
        self.source_name = source_name
        self.scope = target.env.name
        self.lock = media_lock(self.scope)
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.checksum = checksum
        self.progress = progress
        self.outcome = _Outcome()
        self._todo = {state.ref.path: state for state in plan.todo()}
        self._pool: ThreadPoolExecutor | None = None
        self._paused = False
        self._pause_lock = threading.Lock()
        self._writing = False  # the guard let this run write

    # -- the Work protocol ---------------------------------------------------------

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        """Pass the write guard and remove what killed runs left half written."""
        self.target.prepare_writes(f"copy uploads from {self.source_name}")
        self._writing = True
        self.outcome.cleaned_partials = self.target.clean_partials()
        self.target.prepare_writes(f"copy uploads from {self.source_name}")
        if self.outcome.cleaned_partials:
            log.warning(
                f"removed {self.outcome.cleaned_partials} partial file(s) a stopped run left"
            )
        log.info(
            f"copying {len(self._todo)} file(s) ({self.sync_plan.todo_bytes():,} bytes) from"
            f" {self.source.describe()} into {self.target.root}"
        )
        if self.progress is not None:
            self.progress.planned(len(self._todo), self.sync_plan.todo_bytes())
        if self.source.parallel and self.concurrency > 1:
            self._pool = ThreadPoolExecutor(max_workers=self.concurrency)

    def parameters(self) -> Mapping[str, Any]:
        """What was asked (recorded with the run)."""
        return {
            "source": self.source_name,
            "environment": self.scope,
            "via": self.source.via,
            "checksum": self.checksum,
        }

    def total(self) -> int | None:
        """The number of files to copy or compare."""
        return len(self._todo)

    def items(self) -> Iterator[Item]:
        """One item per file to copy or compare."""
        for path, state in self._todo.items():
            yield Item(path, _fingerprint(state.source), state, path)

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """Each file's decision, made before the run (see :func:`decide`)."""
        return [Step(item, item.payload.decision, target=item.key) for item in batch]

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        """Copy the batch's files: ``concurrency`` at a time from a source where that is
        faster (HTTP), one after the other in this thread from a local folder."""
        if self._pool is None:
            return [self._apply_one(step) for step in steps]
        return list(self._pool.map(self._apply_one, steps))

    def _apply_one(self, step: Step) -> ItemResult:
        state: FileState = step.item.payload
        path = state.ref.path

        def on_bytes(size: int) -> None:
            if self.progress is not None:
                self.progress.advanced(size)
            if media_armed("copy"):
                with self._pause_lock:
                    first, self._paused = not self._paused, True
                if first:
                    media_pause("copy")

        try:
            if step.action == "compare":
                written = self.source.copy_if_different(path, self.target, on_bytes)
            else:
                written = self.source.copy(path, self.target, on_bytes)
        except NotOnSource as exc:
            self.outcome.gone.append(path)
            return ItemResult(path, True, "gone", path, error=exc.one_line())
        except ParityError as exc:
            self.outcome.failed.append((path, exc.one_line()))
            return ItemResult(path, False, step.action, path, error=exc.one_line())
        except OSError as exc:
            message = f"{exc.strerror or exc.__class__.__name__}"
            self.outcome.failed.append((path, message))
            return ItemResult(path, False, step.action, path, error=message)
        if step.action == "compare" and written == 0:
            self.outcome.same.append(path)
            if self.progress is not None:
                self.progress.advanced(max(state.size, 0))
            return ItemResult(path, True, "same", path)
        self.outcome.copied.append((path, written))
        return ItemResult(path, True, "copied" if step.action == "copy" else "updated", path)

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """A pending file was copied when it is in place with the size and time it was
        to have; otherwise it was not (this run copies it again)."""
        results = []
        for item in pending:
            placed = _fingerprint(self.target.facts(item.key)) == item.fingerprint
            if placed:
                self.outcome.recovered += 1
            results.append(
                ItemResult(
                    item.key,
                    placed,
                    item.action,
                    item.target,
                    None if placed else "not in place when its run ended",
                )
            )
        return results

    def report(self) -> Mapping[str, Any]:
        """Counts recorded with the run."""
        out = self.outcome
        return {
            "copied_files": len(out.copied),
            "copied_bytes": sum(size for _path, size in out.copied),
            "same": len(out.same),
            "gone_from_source": len(out.gone),
            "failed": len(out.failed),
            "recovered": out.recovered,
            "cleaned_partials": out.cleaned_partials,
        }

    def close(self) -> None:
        """Stop the copying threads, and remove the (empty) partial folder."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._writing:
            self.target.clean_partials()

    # -- the expected result -------------------------------------------------------

    def verify(self) -> CheckOutcome:
        """Every file copied is in place, with the size it was written with."""
        wrong = [
            path
            for path, size in self.outcome.copied
            if (self.target.facts(path) or _NO).size != size
        ]
        total = len(self.outcome.copied)
        if wrong:
            return CheckOutcome(False, f"{len(wrong)} of {total} copied files are not in place")
        gone = (
            f"; {len(self.outcome.gone)} gone from the source meanwhile"
            if self.outcome.gone
            else ""
        )
        return CheckOutcome(True, f"{total} copied files in place{gone}")


_NO = FileFacts(-1, 0)
