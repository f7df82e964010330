"""The media sync as a job of the run ledger: what to copy, copying it, resuming it.

Deciding (pure, :func:`decide`): a referenced file the target lacks is ``copy``; one of
another size is ``update``; one of the same size and modification time is ``present``
(rsync's quick check: parity gives every file it copies the source's time); one of the
same size but another time is ``compare``: both sides are hashed (SHA-256) when it is
applied, and it is copied only if the bytes differ. ``checksum`` compares every file
present on both sides. A file the source lacks is ``missing`` (reported, never fatal).

Copying (:class:`SyncWork`, run by :class:`~parity.jobs.runner.InProcessRunner` under the
lease ``media:<target>``): each batch of files to copy is one item of the ledger (one
row, not one per file: the ledger's two writes per item cost more than copying a small
file; see :meth:`SyncWork.items`). The runner records each batch as pending before
applying it, so a run killed with ``kill -9`` is marked interrupted by the next run,
whose :meth:`SyncWork.recover` settles the pending batch, and whose survey finds what is
in place on disk (a file is complete under its real name, or not there: see
:mod:`parity.targets.uploads`); its start removes the partial files the killed one
left. Files are copied ``concurrency`` at a time over HTTP, one after the other from a
local folder (faster there: see :class:`~parity.media.sources.LocalSource`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from parity.collector import collector_paused
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
from parity.media.sources import NotOnSource, OnBytes, UploadsSource
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
    "plan_files",
]

SYNC_JOB = "media-sync"
#: Files in the first batch of a run (one ledger item); later ones are sized by time.
FIRST_BATCH = 200
#: About how long copying one batch of files takes (see :meth:`SyncWork.items`).
BATCH_SECONDS = 3.0
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


def plan_files(
    refs: Iterable[Reference],
    source: Mapping[str, FileFacts | None],
    target: Mapping[str, FileFacts | None],
    *,
    checksum: bool = False,
) -> SyncPlan:
    """Each of ``refs`` with what the source and the target have of it, decided (see
    :func:`decide`). An optional reference (a sidecar) the source lacks is left out:
    nothing points at it."""
    plan = SyncPlan()
    add = plan.files.append
    with collector_paused():
        for ref in refs:
            on_source = source.get(ref.path)
            if ref.optional and on_source is None:
                continue
            on_target = target.get(ref.path)
            add(
                FileState(
                    ref, on_source, on_target, decide(on_source, on_target, checksum=checksum)
                )
            )
    return plan


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
        batch_size: int = 20_000,
        checksum: bool = False,
        progress: MediaProgress | None = None,
    ) -> None:
        self.sync_plan = plan
        self.source = source
        self.target = target
        self.source_name = source_name
        self.scope = target.env.name
        self.lock = media_lock(self.scope)
        #: At most this many files per ledger item; the runner takes one at a time.
        self.files_per_item = max(1, batch_size)
        self.batch_size = 1
        self.concurrency = concurrency
        self.checksum = checksum
        self.progress = progress
        self.outcome = _Outcome()
        self._todo = {state.ref.path: state for state in plan.todo()}
        self._pool: ThreadPoolExecutor | None = None
        self._paused = False
        self._armed = False  # the test hook pauses at the first bytes copied
        self._bytes_to: OnBytes | None = self._on_bytes
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
        self._armed = media_armed("copy")
        if self.progress is None and not self._armed:
            self._bytes_to = None  # nobody to tell: the copies make no call per chunk
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
        """Unknown: the batches of files (the items) are sized as the copy goes."""
        return None

    def items(self) -> Iterator[Item]:
        """One item per batch of files to copy or compare; the ledger records one row
        per batch, not per file (see :meth:`recover`). The first batch has
        ``FIRST_BATCH`` files; each next one as many as the last went through in about
        ``BATCH_SECONDS`` (at most ``batch_size``), so a fast local copy writes the ledger
        a few times in all and a slow download still renews its lease every few seconds.

        A batch of one file is keyed by its path and fingerprinted by the source's size
        and time; a larger one by its first path and a digest of its files' paths and
        fingerprints."""
        states = list(self._todo.values())
        size, at, number = min(FIRST_BATCH, self.files_per_item), 0, 0
        while at < len(states):
            batch = states[at : at + size]
            at, number = at + len(batch), number + 1
            started = time.monotonic()
            yield _batch_item(number, batch)  # the runner copies it before asking again
            took = max(time.monotonic() - started, 1e-3)
            size = max(1, min(self.files_per_item, int(len(batch) * BATCH_SECONDS / took)))

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """Each file's decision, made before the run (see :func:`decide`)."""
        steps = []
        for item in batch:
            states: list[FileState] = item.payload
            if len(states) == 1:
                steps.append(Step(item, states[0].decision, target=item.key))
            else:
                same = len({state.decision for state in states}) == 1
                steps.append(Step(item, states[0].decision if same else "sync"))
        return steps

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        """Copy the batches' files: ``concurrency`` at a time from a source where that is
        faster (HTTP), one after the other in this thread from a local folder."""
        states = [state for step in steps for state in step.item.payload]
        with collector_paused():
            if self._pool is None:
                done = [self._apply_one(state) for state in states]
            else:
                done = list(self._pool.map(self._apply_one, states))
        results = []
        at = 0
        for step in steps:
            count = len(step.item.payload)
            results.append(_batch_result(step, done[at : at + count]))
            at += count
        return results

    def _on_bytes(self, size: int) -> None:
        if self.progress is not None:
            self.progress.advanced(size)
        if self._armed:
            with self._pause_lock:
                first, self._paused = not self._paused, True
            if first:
                media_pause("copy")

    def _apply_one(self, state: FileState) -> tuple[str, str | None]:
        """Copy (or compare) one file: what happened to it, and the error if it failed."""
        path = state.ref.path
        action = state.decision
        try:
            if action == "compare":
                written = self.source.copy_if_different(path, self.target, self._bytes_to)
            else:
                written = self.source.copy(path, self.target, self._bytes_to)
        except NotOnSource:
            self.outcome.gone.append(path)
            return "gone", None
        except ParityError as exc:
            message = exc.one_line()
            self.outcome.failed.append((path, message))
            return "failed", message
        except OSError as exc:
            message = f"{exc.strerror or exc.__class__.__name__}"
            self.outcome.failed.append((path, message))
            return "failed", message
        if action == "compare" and written == 0:
            self.outcome.same.append(path)
            if self.progress is not None:
                self.progress.advanced(max(state.size, 0))
            return "same", None
        self.outcome.copied.append((path, written))
        return ("copied" if action == "copy" else "updated"), None

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """A pending file was copied when it is in place with the size and time it was
        to have; otherwise it was not (this run copies it again). A pending batch of
        several files is not known file by file: it is settled as not done (its files
        that are in place were found so by this run's survey, the others are copied)."""
        results = []
        for item in pending:
            if item.fingerprint.startswith(_BATCH):
                results.append(
                    ItemResult(
                        item.key,
                        False,
                        item.action,
                        item.target,
                        "its run ended within this batch; the next run copied the files"
                        " not in place",
                    )
                )
                continue
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
        found = self.target.facts_many([path for path, _size in self.outcome.copied])
        wrong = [path for path, size in self.outcome.copied if (found[path] or _NO).size != size]
        total = len(self.outcome.copied)
        if wrong:
            return CheckOutcome(False, f"{len(wrong)} of {total} copied files are not in place")
        gone = (
            f"; {len(self.outcome.gone)} gone from the source meanwhile"
            if self.outcome.gone
            else ""
        )
        return CheckOutcome(True, f"{total} copied files in place{gone}")


#: How the fingerprint of a batch of several files begins (a file's never does).
_BATCH = "files:"


def _batch_item(number: int, states: list[FileState]) -> Item:
    """The ledger item of a batch of files (see :meth:`SyncWork.items`)."""
    first = states[0].ref.path
    if len(states) == 1:
        return Item(first, _fingerprint(states[0].source), states, first)
    digest = hashlib.sha256()
    for state in states:
        digest.update(f"{state.ref.path}\0{_fingerprint(state.source)}\n".encode())
    key = f"{first[:400]} and {len(states) - 1} more (batch {number})"
    return Item(key, f"{_BATCH}{len(states)}:{digest.hexdigest()[:40]}", states, first)


def _batch_result(step: Step, done: Sequence[tuple[str, str | None]]) -> ItemResult:
    """The ledger result of a batch from what happened to each of its files: failed
    when one failed (the report lists each file that did)."""
    states: list[FileState] = step.item.payload
    failed = [
        (state.ref.path, error)
        for state, (_what, error) in zip(states, done, strict=True)
        if error is not None
    ]
    key = step.item.key
    if failed:
        path, error = failed[0]
        message = (
            error
            if len(states) == 1
            else f"{len(failed)} of {len(states)} files failed; {path}: {error}"
        )
        return ItemResult(key, False, step.action, step.target, error=message)
    kinds = {what for what, _error in done}
    action = kinds.pop() if len(kinds) == 1 else "synced"
    return ItemResult(key, True, action, step.target)


_NO = FileFacts(-1, 0)
