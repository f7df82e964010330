"""The full rebuild of similar lists (``parity content similar``) as a job in the ledger.

One run is one item (the environment's lists): it computes every list and writes what
changed (``similar_service.update_similar``), then checks that every list computed is
the one stored. The run is recorded with its owner (``[jobs.content_import] owner``, the
content team), its expected result and its rollback note, so ``parity jobs history``
shows when the lists were rebuilt, by whom, and what it wrote.

Bad input (no published posts, none imported with ``--only-imported``) is refused by
:func:`rebuild_similar` before a run is recorded. scikit-learn loads inside the work.

    with Database.connect(env) as db, open_store(url) as store:
        record, result = rebuild_similar(settings, db=db, store=store, top=5)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from parity.content.importer.job import content_lock
from parity.content.importer.service import environment_lease
from parity.errors import InputError
from parity.jobs.checks import CallableCheck
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
from parity.jobs.runner import InProcessRunner, ProgressSink
from parity.jobs.settings import JobsSection, jobs_settings
from parity.targets.database import Database

if TYPE_CHECKING:
    from parity.config import Settings
    from parity.content.similar_service import SimilarResult
    from parity.jobs.records import RunRecord
    from parity.store.state import Store

__all__ = ["SIMILAR_JOB", "SimilarWork", "content_similar_job", "rebuild_similar"]

SIMILAR_JOB = "content-similar"
_ITEM = "similar-lists"


def content_similar_job(section: JobsSection) -> Job:
    """The ``content-similar`` job: a full rebuild of an environment's similar lists."""
    return Job(
        name=SIMILAR_JOB,
        owner=section.content_import.owner,
        description="Recompute every published post's similar posts; store them as post meta"
        " (parity_similar_posts) and render imported articles' Similar Posts section.",
        expected=CallableCheck(
            label="every list computed is stored as parity_similar_posts post meta, unchanged",
            function=_check_lists,
        ),
        rollback=RollbackNote(
            "Lists are derived data: nothing to undo by hand; run the rebuild again to"
            " recompute them (a rerun writes only what differs); to remove them, delete the"
            " parity_similar_posts post meta",
            command="parity content similar ENV",
        ),
        run_hint="parity content similar ENV",
    )


class SimilarWork:
    """One rebuild of an environment's similar lists (see the module docstring)."""

    def __init__(self, db: Database, *, top: int = 5, only_imported: bool = False) -> None:
        self.db = db
        self.scope = db.env.name
        # The import's lock: a rebuild and an import of one environment never overlap.
        self.lock = content_lock(self.scope)
        self.batch_size = 1
        self.top = top
        self.only_imported = only_imported
        self.run_id = 0
        self.result: SimilarResult | None = None

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        """Note the run id."""
        self.run_id = run_id
        log.info(f"rebuilding the similar lists of {self.scope} (top {self.top})")

    def parameters(self) -> Mapping[str, Any]:
        """What was asked."""
        return {"env": self.scope, "top": self.top, "only_imported": self.only_imported}

    def total(self) -> int | None:
        """One item: the environment's lists."""
        return 1

    def items(self) -> Iterator[Item]:
        """The environment's lists, fingerprinted by the run (every run rebuilds)."""
        yield Item(_ITEM, f"run-{self.run_id}", None, self.scope)

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """Rebuild."""
        return [Step(item, "rebuilt", target=self.scope) for item in batch]

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        """Compute every list and write what changed."""
        from parity.content.similar_service import update_similar

        self.result = result = update_similar(
            self.db, top=self.top, only_imported=self.only_imported
        )
        log.info(
            f"{len(result.lists)} lists from {result.posts} posts; post meta written"
            f" {result.meta_written}, sections written {result.sections_written}"
        )
        return [ItemResult(step.item.key, True, step.action, step.target) for step in steps]

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """An interrupted rebuild wrote in one transaction, or not at all: its item is
        not done (the next rebuild recomputes everything anyway)."""
        return [
            ItemResult(item.key, False, item.action, error="the rebuild was interrupted")
            for item in pending
        ]

    def report(self) -> Mapping[str, Any]:
        """What was computed and written."""
        result = self.result
        if result is None:
            return {}
        return {
            "posts": result.posts,
            "lists": len(result.lists),
            "meta_written": result.meta_written,
            "meta_unchanged": result.meta_unchanged,
            "sections_written": result.sections_written,
            "sections_unchanged": result.sections_unchanged,
        }

    def close(self) -> None:
        """The connection is the caller's."""

    def verify(self) -> CheckOutcome:
        """Every list computed is the one stored."""
        from parity.content.similar_service import SIMILAR_META_KEY, similar_meta_value

        result = self.result
        if result is None:
            return CheckOutcome(False, "no lists were computed")
        prefix = self.db.env.table_prefix
        stored: dict[int, list[str]] = {}
        for post_id, value in self.db.query(
            f"SELECT post_id, meta_value FROM `{prefix}postmeta` WHERE meta_key = %s",
            [SIMILAR_META_KEY],
        ):
            stored.setdefault(int(post_id), []).append(str(value))
        wrong = [
            post_id
            for post_id, neighbours in result.lists.items()
            if stored.get(post_id) != [similar_meta_value(neighbours)]
        ]
        if wrong:
            shown = ", ".join(str(i) for i in wrong[:5])
            return CheckOutcome(False, f"{len(wrong)} lists not stored as computed (e.g. {shown})")
        return CheckOutcome(True, f"{len(result.lists)} lists stored as computed")


def _check_lists(context: CheckContext) -> CheckOutcome:
    work = context.work
    if not isinstance(work, SimilarWork):
        return CheckOutcome(False, "not a content-similar run", error=True)
    return work.verify()


def _refuse_bad_input(db: Database, only_imported: bool) -> None:
    """The refusals ``update_similar`` would make, before a run is recorded."""
    prefix = db.env.table_prefix
    published = db.scalar(
        f"SELECT COUNT(*) FROM `{prefix}posts` WHERE post_type = 'post' AND post_status = 'publish'"
    )
    if not published:
        raise InputError(f"{db.env.name} has no published posts: nothing to compare")
    if only_imported:
        from parity.content.similar_service import IMPORTED_KEYS

        marks = ", ".join(["%s"] * len(IMPORTED_KEYS))
        imported = db.scalar(
            f"SELECT COUNT(DISTINCT p.ID) FROM `{prefix}posts` p JOIN `{prefix}postmeta` m"
            f" ON m.post_id = p.ID WHERE p.post_type = 'post' AND p.post_status = 'publish'"
            f" AND m.meta_key IN ({marks})",
            list(IMPORTED_KEYS),
        )
        if not imported:
            raise InputError(f"{db.env.name} has no published imported posts")


def rebuild_similar(
    settings: Settings,
    *,
    db: Database,
    store: Store,
    top: int = 5,
    only_imported: bool = False,
    progress: ProgressSink | None = None,
) -> tuple[RunRecord, SimilarResult | None]:
    """Run the ``content-similar`` job on ``db``'s environment; returns the recorded run
    and what it computed (None when the run failed before computing).

    Refused (InputError / ProtectedEnvironment, nothing recorded) for ``top`` below 1,
    a protected environment, or no posts to compare. Holds the environment's refresh
    lease, as an import does.
    """
    from datetime import timedelta

    if top < 1:
        raise InputError(f"--top must be at least 1, not {top}")
    db.ensure_writable("store similar posts")
    _refuse_bad_input(db, only_imported)
    section = jobs_settings(settings)
    work = SimilarWork(db, top=top, only_imported=only_imported)
    runner = InProcessRunner(
        store,
        settings=settings,
        lease_ttl=timedelta(seconds=section.lease_seconds),
        progress=progress,
    )
    with environment_lease(settings, db, store):
        record = runner.run(content_similar_job(section), work, recheck=True)
    return record, work.result
