"""The content import as a job: its declaration, its work, and its expected result.

Each article is one item, keyed by its payload's source id, fingerprinted by the hash of
its text. Planning compares with what WordPress holds: no post yet -> ``created``; a
post with another hash -> ``updated`` (its current text, meta and tags are kept as undo
data); the same hash -> ``unchanged``. Posts whose source id is no longer in the source
are reported, and moved to the trash with ``prune`` (only when every file was read).

An article too large for one statement of the target's server (``@@max_allowed_packet``)
stops the run while its batch is planned, before anything of that batch is written:
:class:`ArticleTooLarge` names it and the limit. Earlier batches stay imported (each was
committed whole, and a rerun skips them); ``parity content rollback RUN`` removes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.content.importer.duplicate_check import DuplicateCheck
from parity.content.importer.postdata import HASH_KEY, PostData
from parity.content.importer.prepare import default_workers, prepared_articles, recognise_done
from parity.content.importer.sources import ArticleSource, RawArticle
from parity.content.importer.sql_literals import sql_string
from parity.content.importer.wordpress_state import LivePost, WordPressState
from parity.content.importer.writer import NewPost, PostUpdate, PostWriter
from parity.errors import InputError, ParityError
from parity.jobs.checks import CallableCheck
from parity.jobs.model import (
    UNCHANGED,
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
from parity.jobs.schedule import parse_schedule
from parity.jobs.settings import JobsSection
from parity.refresh import hooks

__all__ = [
    "IMPORT_JOB",
    "ROLLBACK_JOB",
    "ArticleTooLarge",
    "ImportWork",
    "content_import_job",
    "content_lock",
    "content_rollback_job",
]

IMPORT_JOB = "content-import"
ROLLBACK_JOB = "content-rollback"
STATUSES = ("pending", "draft", "publish")
_EXAMPLES = 20


#: Room left in a statement for everything but the article's own text (columns, meta keys).
STATEMENT_OVERHEAD = 64 * 1024
_MB = 1024 * 1024


class ArticleTooLarge(InputError):
    """An article does not fit in one statement of the database server."""


def statement_bytes(post: PostData) -> int:
    """About how many bytes the largest statement that writes ``post`` takes.

    The post's row (its text as SQL literals) or its meta rows, whichever is larger, plus
    :data:`STATEMENT_OVERHEAD`. Both import paths send each as one statement at most.
    """
    if post.bulk is not None:
        parts = [post.bulk.text_columns, post.bulk.meta_rows]
    else:
        parts = [
            sql_string(post.content) + sql_string(post.title) + sql_string(post.excerpt),
            "".join(sql_string(k) + sql_string(v) for k, v in post.stored_meta),
        ]
    return max(len(part.encode()) for part in parts) + STATEMENT_OVERHEAD


def _rough_chars(post: PostData) -> int:
    """An upper bound, in characters, of the text of the post's largest statement."""
    if post.bulk is not None:  # already rendered: the literals' own lengths
        return max(len(post.bulk.text_columns), len(post.bulk.meta_rows))
    meta = sum(len(k) + len(v) for k, v in post.stored_meta)
    return max(len(post.content) + len(post.title) + len(post.excerpt), meta)


def content_lock(env: str) -> str:
    """The lease name shared by imports and rollbacks of one environment."""
    return f"content:{env}"


@dataclass(frozen=True)
class _Invalid:
    error: str


@dataclass(frozen=True)
class _Prune:
    posts: tuple[LivePost, ...]


@dataclass
class _Tally:
    articles: int = 0
    invalid: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    duplicates: dict[str, list[int]] = field(default_factory=dict)


class ImportWork:
    """One run of ``content import``: see the module docstring."""

    def __init__(
        self,
        *,
        env: str,
        source: ArticleSource,
        state: WordPressState,
        writer: PostWriter,
        status: str = "pending",
        prune: bool = False,
        batch_size: int = 500,
        recheck: bool = False,
        workers: int | None = None,
        packet_limit: int | None = None,
        duplicates: DuplicateCheck | None = None,
        after_run: Callable[[Sequence[int]], Mapping[str, Any] | None] | None = None,
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        self.scope = env
        self.lock = content_lock(env)
        self.batch_size = batch_size
        self.source = source
        self.state = state
        self.writer = writer
        self.status = status
        self.prune = prune
        self.recheck = recheck
        self.workers = workers  # processes preparing articles; None: by the source's size
        self.run_id = 0
        self.live: dict[str, list[LivePost]] = {}
        self.expected: dict[str, str] = {}  # source id -> content hash, of this source
        self.tally = _Tally()
        self._total: int | None = None
        self._done_by_hash: dict[str, str] = {}
        #: The server's statement size limit (``@@max_allowed_packet``); None: unchecked.
        self.packet_limit = packet_limit
        #: The error that stopped the run on purpose (the service raises it again).
        self.stopped_by: ArticleTooLarge | None = None
        self._batches_applied = 0
        self._paused = False
        #: ``--check-duplicates``: new articles checked against the posts at the start.
        self.duplicates = duplicates
        self._held: set[str] = set()  # source ids created pending: near-duplicates
        #: Called once, after the last batch, with the ids of the posts created or
        #: updated (the similar lists' update); what it returns joins the summary.
        self.after_run = after_run
        self._touched: list[int] = []
        self._after: Mapping[str, Any] | None = None

    # -- the Work protocol ---------------------------------------------------------

    def start(self, run_id: int, log: RunLog, done: Mapping[str, str]) -> None:
        """Note the run id (posts carry it) and read what WordPress holds."""
        self.run_id = run_id
        # A .txt article's fingerprint is the hash of the file's bytes: a file whose hash
        # was last done for some key is that article, unchanged: no need to parse it.
        self._done_by_hash = {fingerprint: key for key, fingerprint in done.items()}
        # Hashes are fetched batch by batch, for the posts that exist (see plan).
        self.live = self.state.live_posts(with_meta=False)
        if self.duplicates is not None:
            indexed = self.duplicates.start()
            log.info(f"checking new articles against {indexed} posts for near-duplicates")
        log.info(
            f"importing to {self.scope} via {self.writer.path};"
            f" {sum(len(p) for p in self.live.values())} imported posts there now"
        )

    def parameters(self) -> Mapping[str, Any]:
        """What was asked (recorded with the run)."""
        return {
            "env": self.scope,
            "paths": [str(p) for p in self.source.paths],
            "status": self.status,
            "path": self.writer.path,
            "prune": self.prune,
            "recheck": self.recheck,
            "batch_size": self.batch_size,
            "workers": self.workers,
            "check_duplicates": self.duplicates is not None,
            "hold_duplicates": self.duplicates is not None and self.duplicates.hold,
        }

    def total(self) -> int | None:
        """The number of articles in the source."""
        if self._total is None:
            self._total = self.source.count()
        return self._total

    def items(self) -> Iterator[Item]:
        """One item per article; then, with prune, one per post missing from the source."""
        workers = self.workers if self.workers is not None else default_workers(self.total() or 0)
        yield from self._articles(self.source.raw(), workers)
        missing = sorted(set(self.live) - set(self.expected))
        self.tally.missing = missing
        if not (self.prune and missing):
            return
        if self.tally.invalid:
            return  # an unreadable file's article would look missing: never prune then
        for source_id in missing:
            yield Item(source_id, "trashed", _Prune(tuple(self.live[source_id])), "pruned")

    def batch_items(self, ref: Mapping[str, Any]) -> Iterator[Item]:
        """The articles of one batch of a run on workers: ``{"start": S, "count": N}``,
        positions in the source (no prune items: a run on workers does not prune)."""
        start, count = int(ref["start"]), int(ref["count"])
        yield from self._articles(self.source.raw_slice(start, count), workers=0)

    def _articles(self, raws: Iterable[RawArticle], workers: int) -> Iterator[Item]:
        bulk = self.writer.path == "direct"
        known = recognise_done(raws, self._done_by_hash)
        for found in prepared_articles(known, workers=workers, bulk=bulk):
            if found.known is not None:
                key, hash_ = found.known
                self.tally.articles += 1
                self.expected[key] = hash_
                yield Item(key, hash_, None, found.label)  # the runner skips it: done
                continue
            if found.post is None:
                self.tally.invalid.append(found.label)
                yield Item(f"invalid:{found.label}", "invalid", _Invalid(found.error or ""))
                continue
            post = found.post
            self.tally.articles += 1
            self.expected[post.source_id] = post.content_hash
            yield Item(post.source_id, post.content_hash, post, found.label)

    def plan(self, batch: Sequence[Item], log: RunLog) -> list[Step]:
        """Compare each article with its post (if any)."""
        if self._batches_applied and not self._paused:
            # Tests kill the run here: a batch written and recorded, the next not begun.
            self._paused = True
            hooks.pause_point("import")
        steps: list[Step] = []
        updated: list[Step] = []
        self._fetch_hashes([item.key for item in batch])
        for item in batch:
            payload = item.payload
            if payload is None:  # recognised as done without parsing (runner skips these)
                steps.append(Step(item, UNCHANGED))
            elif isinstance(payload, _Invalid):
                steps.append(Step(item, "rejected"))
            elif isinstance(payload, _Prune):
                undo = {"trashed": [[p.post_id, p.status] for p in payload.posts]}
                targets = ",".join(str(p.post_id) for p in payload.posts)
                steps.append(Step(item, "trashed", undo=undo, target=targets))
            else:
                self._check_fits(item)
                posts = self.live.get(item.key, [])
                if len(posts) > 1:
                    self.tally.duplicates[item.key] = [p.post_id for p in posts]
                    log.warning(
                        f"{item.key} has {len(posts)} posts"
                        f" ({', '.join(str(p.post_id) for p in posts)}); updating the first"
                    )
                if not posts:
                    steps.append(Step(item, "created", undo={"created": True}))
                    self._check_duplicate(item, log)
                elif posts[0].content_hash == item.fingerprint:
                    steps.append(Step(item, UNCHANGED, target=str(posts[0].post_id)))
                else:
                    step = Step(item, "updated", target=str(posts[0].post_id))
                    steps.append(step)
                    updated.append(step)
        if updated:
            snapshots = self.state.snapshots([int(s.target or 0) for s in updated])
            for step in updated:
                step.undo = {"snapshot": snapshots.get(int(step.target or 0))}
        return steps

    def _check_duplicate(self, item: Item, log: RunLog) -> None:
        """With ``--check-duplicates``: report (and, holding, keep pending) an article
        that nearly duplicates an existing post."""
        if self.duplicates is None or not isinstance(item.payload, PostData):
            return
        found = self.duplicates.check(item.key, item.label, item.payload)
        if found is None:
            return
        if found.held:
            self._held.add(item.key)
        matches = ", ".join(f"post {m.post_id} ({m.similarity:.2f})" for m in found.matches)
        held = "; created pending" if found.held else ""
        log.warning(f"{item.label or item.key} nearly duplicates {matches}{held}")

    def _check_fits(self, item: Item) -> None:
        """Stop the run (nothing of this batch written yet) if the article cannot fit in
        one statement of the server."""
        post = item.payload
        limit = self.packet_limit
        if limit is None or not isinstance(post, PostData):
            return
        # Escaping at most doubles a character and UTF-8 takes at most 4 bytes: most
        # articles are far below the limit without rendering anything.
        if _rough_chars(post) * 8 + STATEMENT_OVERHEAD <= limit:
            return
        size = statement_bytes(post)
        if size <= limit:
            return
        self.stopped_by = ArticleTooLarge(
            f"article {item.label or item.key} (source id {item.key}) needs a"
            f" {size / _MB:.1f} MB statement; the database server of {self.scope} accepts"
            f" at most {limit / _MB:.1f} MB (@@max_allowed_packet = {limit})",
            hint="nothing of its batch was written (earlier batches are kept); shorten or"
            " leave out the article, or raise max_allowed_packet on the server, then run the"
            " import again",
        )
        raise self.stopped_by

    def _fetch_hashes(self, keys: Sequence[str]) -> None:
        """Fill in the content hash of the existing posts of ``keys`` (one read)."""
        unknown = {
            posts[0].post_id: key
            for key in keys
            if (posts := self.live.get(key)) and posts[0].content_hash is None
        }
        if not unknown:
            return
        hashes = self.state.post_meta(list(unknown), HASH_KEY)
        for post_id, key in unknown.items():
            first, *rest = self.live[key]
            self.live[key] = [dataclasses.replace(first, content_hash=hashes.get(post_id)), *rest]

    def apply(self, steps: Sequence[Step], log: RunLog) -> list[ItemResult]:
        """Create, update and trash through the writer."""
        self._batches_applied += 1
        results: dict[int, ItemResult] = {}
        creates = [(n, s) for n, s in enumerate(steps) if s.action == "created"]
        updates = [(n, s) for n, s in enumerate(steps) if s.action == "updated"]
        trashes = [(n, s) for n, s in enumerate(steps) if s.action == "trashed"]
        for number, step in enumerate(steps):
            if isinstance(step.item.payload, _Invalid):
                results[number] = ItemResult(
                    step.item.key, False, "rejected", error=step.item.payload.error
                )
        if creates:
            new = [self._new_post(step) for _, step in creates]
            for (number, step), outcome, post in zip(
                creates, self.writer.create(new, self.run_id), new, strict=True
            ):
                results[number] = self._result(step, outcome.ok, outcome.post_id, outcome.error)
                if outcome.ok and outcome.post_id is not None:
                    self._touched.append(outcome.post_id)
                    self.live[step.item.key] = [
                        LivePost(outcome.post_id, post.status, step.item.fingerprint, self.run_id)
                    ]
        if updates:
            changes = [self._update(step) for _, step in updates]
            outcomes = self.writer.update(changes, self.run_id)
            for (number, step), outcome in zip(updates, outcomes, strict=True):
                results[number] = self._result(step, outcome.ok, outcome.post_id, outcome.error)
                if outcome.ok:
                    self._touched.append(outcome.post_id or int(step.target or 0))
        for number, step in trashes:
            assert isinstance(step.item.payload, _Prune)
            ids = [p.post_id for p in step.item.payload.posts]
            outcomes = self.writer.trash(ids)
            errors = [o.error or "refused" for o in outcomes if not o.ok]
            results[number] = ItemResult(
                step.item.key, not errors, "trashed", step.target, "; ".join(errors) or None
            )
        return [results[number] for number in range(len(steps))]

    def recover(self, pending: Sequence[PendingItem], log: RunLog) -> list[ItemResult]:
        """Decide from WordPress whether each pending item of an ended run was written."""
        live = self.state.live_posts()
        results = []
        for item in pending:
            posts = live.get(item.key, [])
            if item.action in ("created", "updated"):
                written = [
                    p
                    for p in posts
                    if p.run_id == item.run_id and p.content_hash == item.fingerprint
                ]
                if item.action == "updated":
                    written = [p for p in written if str(p.post_id) == item.target]
                if written:
                    results.append(ItemResult(item.key, True, item.action, str(written[0].post_id)))
                else:
                    results.append(
                        ItemResult(
                            item.key, False, item.action, error="not written before the run ended"
                        )
                    )
            elif item.action == "trashed":
                ids = [int(i) for i in (item.target or "").split(",") if i]
                statuses = self.state.post_statuses(ids)
                done = all(statuses.get(i) == "trash" for i in ids)
                results.append(
                    ItemResult(
                        item.key,
                        done,
                        "trashed",
                        item.target,
                        None if done else "not trashed before the run ended",
                    )
                )
            else:
                results.append(ItemResult(item.key, False, item.action, error="not applied"))
        self.live = live
        return results

    def report(self) -> Mapping[str, Any]:
        """What the source held, what is missing from it, and what looks wrong; with
        ``--check-duplicates``, the near-duplicates; and the similar lists' update."""
        summary: dict[str, Any] = {
            "source_articles": self.tally.articles,
            "invalid_files": len(self.tally.invalid),
            "invalid_examples": self.tally.invalid[:_EXAMPLES],
            "missing_from_source": len(self.tally.missing),
            "missing_examples": self.tally.missing[:_EXAMPLES],
            "pruned": self.prune and not self.tally.invalid,
            "duplicated_posts": dict(list(self.tally.duplicates.items())[:_EXAMPLES]),
        }
        if self.duplicates is not None:
            summary.update(self.duplicates.report())
        similar = self._after_items()
        if similar is not None:
            summary["similar"] = dict(similar)
        return summary

    def _after_items(self) -> Mapping[str, Any] | None:
        """Run ``after_run`` once, when the run created or updated posts."""
        if self.after_run is None or not self._touched:
            return None
        if self._after is None:
            try:
                self._after = self.after_run(sorted(set(self._touched))) or {}
            except ParityError as exc:
                self._after = {"error": exc.one_line()}
        return self._after or None

    def close(self) -> None:
        """Close the writer (its process, or its hold on the connection); the connection
        is the caller's, who opened it."""
        self.writer.close()

    # -- the expected result -------------------------------------------------------

    def verify(self) -> CheckOutcome:
        """Every article of the source has exactly one live post, with its current text."""
        live = self.state.live_posts(with_meta=False)
        missing = [sid for sid in self.expected if sid not in live]
        duplicated = [sid for sid in self.expected if len(live.get(sid, [])) > 1]
        present = {live[sid][0].post_id: sid for sid in self.expected if sid in live}
        hashes = self.state.post_meta(list(present), HASH_KEY)
        stale = [
            sid for post_id, sid in present.items() if hashes.get(post_id) != self.expected[sid]
        ]
        total = len(self.expected)
        if not (missing or duplicated or stale):
            return CheckOutcome(True, f"{total} articles, each with exactly one current post")
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
        if duplicated:
            parts.append(f"{len(duplicated)} duplicated (e.g. {', '.join(duplicated[:3])})")
        if stale:
            parts.append(f"{len(stale)} out of date (e.g. {', '.join(stale[:3])})")
        hint = "; run the import again with --recheck to repair" if missing or stale else ""
        return CheckOutcome(False, f"of {total} articles: {'; '.join(parts)}{hint}")

    # -- helpers -------------------------------------------------------------------

    def _new_post(self, step: Step) -> NewPost:
        post = step.item.payload
        assert isinstance(post, PostData)
        status = "pending" if step.item.key in self._held else self.status
        return NewPost(post, status, noindex=status != "publish")

    def _update(self, step: Step) -> PostUpdate:
        post = step.item.payload
        assert isinstance(post, PostData)
        posts = self.live.get(step.item.key, [])
        published = bool(posts) and posts[0].status == "publish"
        return PostUpdate(int(step.target or 0), post, noindex=not published, published=published)

    def _result(self, step: Step, ok: bool, post_id: int | None, error: str | None) -> ItemResult:
        target = str(post_id) if post_id is not None else step.target
        return ItemResult(step.item.key, ok, step.action, target, error)


def _check_import(context: CheckContext) -> CheckOutcome:
    verify = getattr(context.work, "verify", None)
    if verify is None:
        return CheckOutcome(False, "not a content run", error=True)
    outcome = verify()
    assert isinstance(outcome, CheckOutcome)
    return outcome


def content_import_job(section: JobsSection) -> Job:
    """The built-in ``content-import`` job."""
    settings = section.content_import
    return Job(
        name=IMPORT_JOB,
        owner=settings.owner,
        description="Import articles as WordPress posts, keyed by their payload's source id;"
        " new posts are pending review and marked noindex.",
        expected=CallableCheck(
            label="every source article has exactly one live post with its current text"
            " (parity_source_id post meta)",
            function=_check_import,
        ),
        rollback=RollbackNote(
            "Deletes the posts the run created, restores those it updated, untrashes those"
            " it pruned",
            command="parity content rollback RUN",
        ),
        schedule=parse_schedule(settings.schedule) if settings.schedule else None,
        run_hint="parity content import ENV PATH...",
    )


def content_rollback_job(section: JobsSection) -> Job:
    """The built-in ``content-rollback`` job (rolls back one import run)."""
    return Job(
        name=ROLLBACK_JOB,
        owner=section.content_import.owner,
        description="Undo one content import run: delete what it created, restore what it"
        " updated, untrash what it pruned.",
        expected=CallableCheck(
            label="the run's created posts are gone and its updated posts have their old text",
            function=_check_import,
        ),
        rollback=RollbackNote(
            "Import the same files again to redo the run",
            command="parity content import ENV PATH...",
        ),
        run_hint="parity content rollback RUN",
    )
