"""A content import whose batches run on workers (``content import --on celery``).

:func:`import_on_workers` is the coordinator's side: under the environment's lease it
records the run (its parameters: environment, paths, status, path, batch size) and hands
batches of source positions to workers, writing nothing itself (its work's writer is a
:class:`PlanOnly`); it checks the result at the end. :func:`rebuild_import` is the
worker's side: it rebuilds the :class:`~parity.content.importer.job.ImportWork` from the
run's parameters, with a connection of its own, for one batch. The article files must
be readable at the same paths on every worker machine. With ``--direct`` the workers
take turns for each write (bulk SQL holds one writer lock per database while it writes);
through WordPress they write side by side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from parity.config import Settings
from parity.content.importer.job import STATUSES, ImportWork, content_import_job
from parity.content.importer.postdata import SOURCE_ID_KEY, PostData
from parity.content.importer.service import (
    ImportRequest,
    WordPressLocation,
    _writer,
    environment_lease,
)
from parity.content.importer.sources import ArticleSource
from parity.content.importer.wordpress_state import DEAD_STATUSES, LivePost, WordPressState
from parity.content.importer.writer import NewPost, Outcome, PostUpdate, PostWriter, Snapshot
from parity.errors import InputError
from parity.jobs.model import Item, ItemResult, Job, PendingItem, RunLog, Step
from parity.jobs.records import RunRecord
from parity.jobs.runner import Runner
from parity.jobs.settings import jobs_settings
from parity.store.state import Store
from parity.targets.database import Database
from parity.targets.guard import ensure_writable

__all__ = ["PlanOnly", "import_on_workers", "rebuild_import"]


class PlanOnly:
    """The coordinator's writer: it names the path the workers write by, and writes nothing."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _refuse(self) -> list[Outcome]:
        raise AssertionError("the coordinator of a run on workers writes nothing")

    def create(self, posts: Sequence[NewPost], run_id: int) -> list[Outcome]:
        """Never called."""
        return self._refuse()

    def update(self, updates: Sequence[PostUpdate], run_id: int) -> list[Outcome]:
        """Never called."""
        return self._refuse()

    def trash(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Never called."""
        return self._refuse()

    def untrash(self, posts: Sequence[tuple[int, str]]) -> list[Outcome]:
        """Never called."""
        return self._refuse()

    def delete(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Never called."""
        return self._refuse()

    def restore(self, snapshots: Sequence[Snapshot]) -> list[Outcome]:
        """Never called."""
        return self._refuse()

    def close(self) -> None:
        """Nothing to release."""


class _WriterOnFirstWrite:
    """A worker's writer, opened when its batch first writes: workers parse and plan
    side by side. With ``per_write`` (``--direct``: its writer holds one lock per
    database while open) it is opened for each write and closed right after it, so
    workers take turns only for the writes themselves, not for the rest of a batch."""

    def __init__(
        self, path: str, open_writer: Callable[[], PostWriter], *, per_write: bool = False
    ) -> None:
        self.path = path
        self._open = open_writer
        self._per_write = per_write
        self._writer: PostWriter | None = None

    def opened(self) -> PostWriter:
        """The writer, opened now if it is not yet."""
        if self._writer is None:
            self._writer = self._open()
        return self._writer

    def _write(self, write: Callable[[PostWriter], list[Outcome]]) -> list[Outcome]:
        try:
            return write(self.opened())
        finally:
            if self._per_write:
                self.close()

    def create(self, posts: Sequence[NewPost], run_id: int) -> list[Outcome]:
        """Create through the real writer."""
        return self._write(lambda writer: writer.create(posts, run_id))

    def update(self, updates: Sequence[PostUpdate], run_id: int) -> list[Outcome]:
        """Update through the real writer."""
        return self._write(lambda writer: writer.update(updates, run_id))

    def trash(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Trash through the real writer."""
        return self._write(lambda writer: writer.trash(post_ids))

    def untrash(self, posts: Sequence[tuple[int, str]]) -> list[Outcome]:
        """Untrash through the real writer."""
        return self._write(lambda writer: writer.untrash(posts))

    def delete(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Delete through the real writer."""
        return self._write(lambda writer: writer.delete(post_ids))

    def restore(self, snapshots: Sequence[Snapshot]) -> list[Outcome]:
        """Restore through the real writer."""
        return self._write(lambda writer: writer.restore(snapshots))

    def close(self) -> None:
        """Close the real writer, if it is open."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()


class _OwnConnection(ImportWork):
    """A worker's import work: it closes the connection it opened, and it reads only
    what its batch needs: the ledger's done records of the batch's files
    (:meth:`batch_fingerprints`) and the live posts of the batch's source ids (read
    when the batch is planned), not every imported post of the site."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._looked_up: set[str] = set()
        self._live_complete = False

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        """Note the run and what is done; live posts are read batch by batch (plan)."""
        self.run_id = run_id
        self._done_by_hash = {fingerprint: key for key, fingerprint in done.items()}
        self.live = {}
        self._looked_up = set()
        self._live_complete = False

    def batch_fingerprints(self, ref: Mapping[str, Any]) -> list[str]:
        """The hashes of the batch's ``.txt`` files: the fingerprint each has if it is
        done (``recognise_done``), known without parsing."""
        start, count = int(ref["start"]), int(ref["count"])
        return [
            hashlib.sha256(raw.data).hexdigest()
            for raw in self.source.raw_slice(start, count)
            if raw.kind == "txt" and raw.data is not None
        ]

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """Read the live posts of the batch's source ids, then plan as the import does."""
        self._read_live([item.key for item in batch if isinstance(item.payload, PostData)])
        return super().plan(batch, log)

    def _read_live(self, keys: Sequence[str]) -> None:
        """``live`` for these source ids, as :meth:`WordPressState.live_posts` reads it
        (``with_meta=False``) for the whole site: the live posts of type post whose first
        source id meta is the key, oldest first."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._looked_up]
        if self._live_complete or not wanted:
            return
        self._looked_up.update(wanted)
        state = self.state
        marks = ", ".join(["%s"] * len(wanted))
        # The meta_key index finds the source id rows; the server compares their values
        # (its collation may ignore case: the first value is compared exactly below).
        rows = state.db.query(
            f"SELECT post_id, meta_value FROM {state.postmeta}"
            f" WHERE meta_key = %s AND post_id IN (SELECT post_id FROM {state.postmeta}"
            f" WHERE meta_key = %s AND meta_value IN ({marks})) ORDER BY meta_id",
            [SOURCE_ID_KEY, SOURCE_ID_KEY, *wanted],
        )
        first: dict[int, str] = {}
        for post_id, value in rows:
            first.setdefault(int(post_id), str(value))
        asked = set(wanted)
        ids = sorted(post_id for post_id, key in first.items() if key in asked)
        statuses: dict[int, str] = {}
        if ids:
            dead = ", ".join(f"'{status}'" for status in DEAD_STATUSES)
            statuses = {
                int(post_id): str(status)
                for post_id, status in state.db.query(
                    f"SELECT ID, post_status FROM {state.posts} WHERE ID IN"
                    f" ({', '.join(['%s'] * len(ids))}) AND post_type = 'post'"
                    f" AND post_status NOT IN ({dead})",
                    ids,
                )
            }
        found: dict[str, list[LivePost]] = {}
        for post_id in ids:
            status = statuses.get(post_id)
            if status is not None:
                found.setdefault(first[post_id], []).append(LivePost(post_id, status, None, None))
        for key in wanted:
            if key in found:
                self.live[key] = found[key]
            else:
                self.live.pop(key, None)

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """Open the writer first: with ``--direct`` that waits until the session of a
        killed worker has ended, so what it committed is what is reconciled."""
        if isinstance(self.writer, _WriterOnFirstWrite):
            self.writer.opened()
            if self.writer._per_write:
                self.writer.close()  # it waited: that session has ended
        results = super().recover(pending, log)
        self._live_complete = True  # it read every live post of the site
        return results

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.state.db.close()


def import_on_workers(
    settings: Settings,
    request: ImportRequest,
    *,
    db: Database,
    store: Store,
    runner: Runner,
) -> RunRecord:
    """Record an import run and have ``runner`` hand its batches to workers; the run.

    ``db`` reaches ``request.env`` (the caller's to close): the coordinator reads what
    WordPress holds there, for the expected-result check; the workers write.
    """
    if request.prune or request.author:
        raise InputError(
            "--prune and --author run in-process only", hint="leave out --on celery for them"
        )
    if request.status not in STATUSES:
        raise InputError(f"--status must be one of {', '.join(STATUSES)}")
    env = db.env
    if env.name != request.env:
        raise InputError(f"the connection given reaches {env.name}, not {request.env}")
    ensure_writable(env, "import articles")
    source = ArticleSource(request.paths)
    section = jobs_settings(settings)
    with environment_lease(settings, db, store):
        db.ensure_writable("import articles")
        work = ImportWork(
            env=env.name,
            source=source,
            state=WordPressState(db, env),
            writer=PlanOnly("direct" if request.direct else "wordpress"),
            status=request.status,
            batch_size=request.batch_size or section.content_import.batch_size,
            recheck=request.recheck,
            workers=0,
        )
        return runner.run(content_import_job(section), work, recheck=request.recheck)


#: The article files of the last run this worker process rebuilt: (run id, paths) -> the
#: source. Listing a folder of articles grows with the source; a run's batches are
#: positions in the listing its coordinator made when the run started, so a worker lists
#: once per run, not once per batch.
_SOURCES: dict[tuple[int, tuple[str, ...]], ArticleSource] = {}


def _source(run_id: int | None, paths: Sequence[str]) -> ArticleSource:
    if run_id is None:
        return ArticleSource([Path(p) for p in paths])
    key = (run_id, tuple(paths))
    found = _SOURCES.get(key)
    if found is None:
        found = ArticleSource([Path(p) for p in paths])
        _SOURCES.clear()
        _SOURCES[key] = found
    return found


def rebuild_import(
    settings: Settings, parameters: Mapping[str, Any], *, run_id: int | None = None
) -> tuple[Job, ImportWork]:
    """The job and work of a recorded import run (refused on a protected environment);
    with ``run_id``, the article files are listed once per run in this process."""
    env = settings.environment(str(parameters["env"]))
    ensure_writable(env, "import articles")
    source = _source(run_id, [str(p) for p in parameters["paths"]])
    section = jobs_settings(settings)
    db = Database.connect(env)
    try:
        db.ensure_writable("import articles")
        state = WordPressState(db, env)
        author_id = state.author_id(env.login.user if env.login else None)
        direct = parameters.get("path") == "direct"
        writer = _WriterOnFirstWrite(
            "direct" if direct else "wordpress",
            lambda: _writer(env, db, author_id, direct=direct, where=WordPressLocation()),
            per_write=direct,
        )
        packet_limit = db.max_allowed_packet()
    except BaseException:
        db.close()
        raise
    work = _OwnConnection(
        env=env.name,
        source=source,
        state=state,
        writer=writer,
        status=str(parameters.get("status", "pending")),
        batch_size=int(parameters.get("batch_size") or section.content_import.batch_size),
        recheck=bool(parameters.get("recheck")),
        workers=0,
        packet_limit=packet_limit,
    )
    return content_import_job(section), work
