"""Import articles and roll imports back: build the work, run it as a job, record it.

What the CLI calls (``parity content import`` and ``parity content rollback``); the
caller opens the environment's connection and the store and closes them::

    with Database.connect(settings.environment("staging")) as db:
        request = ImportRequest("staging", (Path("articles"),))
        record = import_articles(settings, request, db=db, store=store)
    record.status, record.items_done, record.check_status

One connection serves the run: it holds the refresh lease's server lock, reads the
site's state and (``--direct``) writes the posts.

Both refuse protected environments before anything is recorded (the write guard), and
both hold the environment's refresh lease while they run (:func:`environment_lease`): the
lease ``parity refresh`` takes on its target, so an import and a refresh of the same
environment never overlap (the refresh's swap would discard the imported posts); whichever
comes second is refused with ``LockHeld`` naming the other.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from parity.config import Settings
from parity.content.importer.direct import DirectWriter
from parity.content.importer.duplicate_check import DuplicateCheck
from parity.content.importer.job import (
    IMPORT_JOB,
    STATUSES,
    ImportWork,
    content_import_job,
    content_rollback_job,
)
from parity.content.importer.rollback import RollbackWork
from parity.content.importer.sources import ArticleSource
from parity.content.importer.through_wordpress import WordPressWriter
from parity.content.importer.wordpress_state import WordPressState
from parity.content.importer.writer import PostWriter
from parity.content.similar_block import SIMILAR_META_KEY
from parity.cron.wordpress_files import locate_wordpress
from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.jobs.model import ItemStatus, RunStatus
from parity.jobs.records import JobRecords, RunRecord
from parity.jobs.runner import InProcessRunner, ProgressSink
from parity.jobs.settings import jobs_settings
from parity.refresh.guards import target_key
from parity.refresh.locking import TargetLock
from parity.store.holders import new_holder
from parity.store.state import Store
from parity.targets.database import Database
from parity.targets.guard import ensure_writable

__all__ = [
    "ImportRequest",
    "WordPressLocation",
    "environment_lease",
    "import_articles",
    "import_run",
    "rollback_import",
]

#: What the lease holder's name says this run is (``host:pid:content-import-<token>``).
LEASE_RUN_PREFIX = "content-import"


@contextmanager
def environment_lease(settings: Settings, db: Database, store: Store) -> Iterator[None]:
    """Hold ``db``'s environment's refresh lease (and its server lock, on ``db``) for a
    content import or rollback.

    The same :class:`~parity.refresh.locking.TargetLock` a refresh takes on its target:
    ``LockHeld`` (exit 2) naming the refresh or import that holds it.
    """
    section = jobs_settings(settings)
    env = db.env
    with TargetLock(
        store,
        db,
        target=env.name,
        key=target_key(env),
        holder=new_holder(LEASE_RUN_PREFIX),
        ttl_s=section.lease_seconds,
    ):
        yield


@dataclass(frozen=True)
class WordPressLocation:
    """Where the WordPress-side path finds the site's files (found when not given)."""

    root: Path | None = None
    config_name: str | None = None
    php: str | None = None


@dataclass(frozen=True)
class ImportRequest:
    """What ``parity content import`` was asked to do."""

    env: str
    paths: tuple[Path, ...]
    status: str = "pending"
    direct: bool = False
    prune: bool = False
    recheck: bool = False
    batch_size: int | None = None
    author: str | None = None
    wordpress: WordPressLocation = WordPressLocation()
    #: Processes that parse and prepare articles ahead of the writer. 0: in this process;
    #: None: one per spare CPU for large sources (the script must then be import-safe:
    #: guarded by ``if __name__ == "__main__"``, as multiprocessing requires).
    workers: int | None = 0
    #: Report new articles that nearly duplicate an existing post (``--check-duplicates``).
    check_duplicates: bool = False
    #: Also create those articles pending, whatever ``status`` says (``--hold-duplicates``;
    #: implies the check).
    hold_duplicates: bool = False


def _writer(
    env: EnvironmentSettings,
    db: Database,
    author_id: int,
    *,
    direct: bool,
    where: WordPressLocation,
) -> PostWriter:
    if direct:
        return DirectWriter(db, env, author_id)
    files = locate_wordpress(env, root=where.root, config_name=where.config_name)
    scratch = Path(tempfile.mkdtemp(prefix="parity-import-"))
    return WordPressWriter(
        env, files, author_id, scratch, db=db, php=where.php, remove_work_dir=True
    )


def _runner(settings: Settings, store: Store, progress: ProgressSink | None) -> InProcessRunner:
    section = jobs_settings(settings)
    return InProcessRunner(
        store,
        settings=settings,
        lease_ttl=timedelta(seconds=section.lease_seconds),
        progress=progress,
    )


def _same_environment(db: Database, name: str) -> EnvironmentSettings:
    if db.env.name != name:
        raise InputError(f"the connection given reaches {db.env.name}, not {name}")
    return db.env


def import_articles(
    settings: Settings,
    request: ImportRequest,
    *,
    db: Database,
    store: Store,
    progress: ProgressSink | None = None,
) -> RunRecord:
    """Run the ``content-import`` job for ``request`` through ``db`` (a connection to
    ``request.env``, the caller's to close); returns the recorded run."""
    if request.status not in STATUSES:
        raise InputError(f"--status must be one of {', '.join(STATUSES)}")
    env = _same_environment(db, request.env)
    ensure_writable(env, "import articles")
    source = ArticleSource(request.paths)
    with environment_lease(settings, db, store):
        return _import(settings, request, db, source, store, progress)


def _import(
    settings: Settings,
    request: ImportRequest,
    db: Database,
    source: ArticleSource,
    store: Store,
    progress: ProgressSink | None,
) -> RunRecord:
    section = jobs_settings(settings)
    env = db.env
    db.ensure_writable("import articles")
    state = WordPressState(db, env)
    login = request.author or (env.login.user if env.login else None)
    author_id = state.author_id(login)
    packet_limit = db.max_allowed_packet()
    writer = _writer(env, db, author_id, direct=request.direct, where=request.wordpress)
    work = ImportWork(
        env=env.name,
        source=source,
        state=state,
        writer=writer,
        status=request.status,
        prune=request.prune,
        batch_size=request.batch_size or section.content_import.batch_size,
        recheck=request.recheck,
        workers=request.workers,
        packet_limit=packet_limit,
        duplicates=(
            DuplicateCheck(db, hold=request.hold_duplicates)
            if request.check_duplicates or request.hold_duplicates
            else None
        ),
        after_run=lambda changed: _update_similar_lists(db, changed),
    )
    runner = _runner(settings, store, progress)
    with _not_logged_twice(work):
        record = runner.run(content_import_job(section), work, recheck=request.recheck)
    if work.stopped_by is not None:
        raise work.stopped_by  # recorded as the run's error; the command exits 2
    return record


def _update_similar_lists(db: Database, changed: Sequence[int]) -> dict[str, Any] | None:
    """Bring ``content similar``'s stored lists up to date for the posts an import
    created or updated (None, computing nothing, when the environment has no lists)."""
    # scikit-learn and datasketch take seconds to load: look for stored lists first,
    # and load them only for an environment that has some.
    postmeta = WordPressState(db, db.env).postmeta
    found = db.scalar(f"SELECT 1 FROM {postmeta} WHERE meta_key = %s LIMIT 1", [SIMILAR_META_KEY])
    if found is None:
        return None
    from parity.content.similar_service import update_similar_incremental

    result = update_similar_incremental(db, changed)
    if result is None:
        return None
    return {
        "lists": len(result.lists),
        "meta_written": result.meta_written,
        "meta_unchanged": result.meta_unchanged,
        "sections_written": result.sections_written,
        "sections_unchanged": result.sections_unchanged,
    }


@contextmanager
def _not_logged_twice(work: ImportWork) -> Iterator[None]:
    """Keep the runner from logging the error that stopped the run on purpose: it is
    raised again for the command to print once (the run's own log still records it)."""

    def keep(record: logging.LogRecord) -> bool:
        stopped = work.stopped_by
        return stopped is None or stopped.one_line() not in record.getMessage()

    runner_log = logging.getLogger("parity.jobs.runner")
    runner_log.addFilter(keep)
    try:
        yield
    finally:
        runner_log.removeFilter(keep)


def import_run(store: Store, run_id: int) -> RunRecord:
    """Import run ``run_id``, if it can be rolled back (else an InputError saying why).

    Its ``scope`` is the environment a rollback opens a connection to.
    """
    run = JobRecords(store).run(run_id)
    if run is None:
        raise InputError(f"no run {run_id}", hint="see `parity jobs history content-import`")
    if run.job != IMPORT_JOB:
        raise InputError(f"run {run_id} is a {run.job} run, not a content import")
    if run.status is RunStatus.running:
        raise InputError(f"run {run_id} is still running")
    if run.rolled_back_by is not None:
        raise InputError(f"run {run_id} was already rolled back by run {run.rolled_back_by}")
    return run


def rollback_import(
    settings: Settings,
    run_id: int,
    *,
    db: Database,
    store: Store,
    direct: bool | None = None,
    force: bool = False,
    wordpress: WordPressLocation = WordPressLocation(),
    progress: ProgressSink | None = None,
) -> RunRecord:
    """Run the ``content-rollback`` job for import run ``run_id`` through ``db`` (a
    connection to the run's environment, :func:`import_run`'s ``scope``); returns it.

    ``direct`` chooses the path (default: the one the import used). Refused when a
    later import changed the same articles, unless ``force``.
    """
    records = JobRecords(store)
    run = import_run(store, run_id)
    env = _same_environment(db, run.scope)
    ensure_writable(env, "roll back an import")
    keys = [item.key for item in records.items(run_id, ItemStatus.done)]
    later = records.later_items(run_id, IMPORT_JOB, run.scope, keys)
    if later and not force:
        names = ", ".join(str(r) for r in sorted(later, reverse=True))
        raise InputError(
            f"later runs changed the same articles after run {run_id}: {names}",
            hint="roll those back first (newest first), or pass --force",
        )
    use_direct = direct if direct is not None else run.parameters.get("path") == "direct"
    with environment_lease(settings, db, store):
        return _rollback(settings, run, records, db, store, use_direct, wordpress, progress)


def _rollback(
    settings: Settings,
    run: RunRecord,
    records: JobRecords,
    db: Database,
    store: Store,
    use_direct: bool,
    wordpress: WordPressLocation,
    progress: ProgressSink | None,
) -> RunRecord:
    run_id = run.id
    env = db.env
    db.ensure_writable("roll back an import")
    state = WordPressState(db, env)
    login = env.login.user if env.login else None
    author_id = state.author_id(login)
    writer = _writer(env, db, author_id, direct=use_direct, where=wordpress)
    work = RollbackWork(run=run, records=records, state=state, writer=writer)
    section = jobs_settings(settings)
    record = _runner(settings, store, progress).run(content_rollback_job(section), work)
    if record.status is RunStatus.succeeded and not records.items(run_id, ItemStatus.done):
        records.set_rolled_back(run_id, record.id)
    return record
