"""The import job's logic on an in-memory WordPress: keyed by source id, safe to rerun."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_fakes import FakeWordPress

from parity.content import Article, synthesize, write_articles_dir
from parity.content.importer.job import ImportWork, content_import_job, content_rollback_job
from parity.content.importer.rollback import RollbackWork
from parity.content.importer.sources import ArticleSource
from parity.jobs import InProcessRunner, ItemStatus, JobRecords, JobsSection, RunRecord, RunStatus
from parity.store import Store, open_store

# The ledger, leases and checkpoints are the state store: test them on both backends.
pytestmark = pytest.mark.store_backends

JOB = content_import_job(JobsSection())


def write(folder: Path, articles: list[Article]) -> Path:
    for old in folder.glob("*.txt"):
        old.unlink()
    write_articles_dir(articles, folder)
    return folder


def run_import(store: Store, wp: FakeWordPress, folder: Path, **options: object) -> RunRecord:
    work = ImportWork(
        env="staging",
        source=ArticleSource([folder]),
        state=wp,
        writer=wp,  # type: ignore[arg-type]
        batch_size=3,
        **options,  # type: ignore[arg-type]
    )
    return InProcessRunner(store).run(JOB, work, recheck=bool(options.get("recheck")))


def run_rollback(store: Store, wp: FakeWordPress, run_id: int) -> RunRecord:
    records = JobRecords(store)
    run = records.run(run_id)
    assert run is not None
    work = RollbackWork(run=run, records=records, state=wp, writer=wp)  # type: ignore[arg-type]
    return InProcessRunner(store).run(content_rollback_job(JobsSection()), work)


def test_importing_twice_creates_each_post_once(store: Store, tmp_path: Path) -> None:
    wp = FakeWordPress()
    folder = write(tmp_path / "a", list(synthesize(7, seed=1)))
    first = run_import(store, wp, folder)
    assert (first.items_done, first.items_skipped, first.check_status) == (7, 0, "passed")
    ids = wp.by_source()
    second = run_import(store, wp, folder)
    assert (second.items_done, second.items_skipped, second.check_status) == (0, 7, "passed")
    assert wp.by_source() == ids
    assert all(len(posts) == 1 for posts in ids.values())
    # Pending by default, with the noindex marker.
    assert {p["status"] for p in wp.posts.values()} == {"pending"}
    assert all(p["noindex"] for p in wp.posts.values())


def test_an_existing_post_is_recognised_without_the_store(store: Store, tmp_path: Path) -> None:
    wp = FakeWordPress()
    folder = write(tmp_path / "a", list(synthesize(4, seed=1)))
    run_import(store, wp, folder)
    fresh_store = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    again = run_import(fresh_store, wp, folder)
    assert (again.items_done, again.items_skipped) == (0, 4)
    assert JobRecords(fresh_store).action_counts(again.id) == {"skipped": {"unchanged": 4}}


def test_a_changed_article_updates_its_post_and_keeps_its_status(
    store: Store, tmp_path: Path
) -> None:
    wp = FakeWordPress()
    articles = list(synthesize(4, seed=2))
    folder = write(tmp_path / "a", articles)
    run_import(store, wp, folder)
    post_id = wp.by_source()[articles[1].source_id][0]
    wp.posts[post_id]["status"] = "publish"  # an editor published it
    articles[1] = articles[1].model_copy(update={"title": "a new title"})
    record = run_import(store, wp, write(folder, articles))
    assert JobRecords(store).action_counts(record.id) == {"done": {"updated": 1}}
    assert wp.by_source()[articles[1].source_id] == [post_id]
    post = wp.posts[post_id]
    assert (post["title"], post["status"], post["noindex"]) == ("a new title", "publish", False)


def test_missing_articles_are_reported_and_trashed_only_with_prune(
    store: Store, tmp_path: Path
) -> None:
    wp = FakeWordPress()
    articles = list(synthesize(5, seed=3))
    folder = write(tmp_path / "a", articles)
    run_import(store, wp, folder)
    write(folder, articles[:3])
    reported = run_import(store, wp, folder)
    assert reported.summary is not None
    assert reported.summary["missing_from_source"] == 2
    assert reported.summary["missing_examples"] == [a.source_id for a in articles[3:]]
    assert len(wp.by_source()) == 5
    pruned = run_import(store, wp, folder, prune=True)
    assert JobRecords(store).action_counts(pruned.id) == {"done": {"trashed": 2}}
    assert sorted(wp.by_source()) == [a.source_id for a in articles[:3]]


def test_an_unreadable_file_fails_its_item_and_prevents_pruning(
    store: Store, tmp_path: Path
) -> None:
    wp = FakeWordPress()
    articles = list(synthesize(3, seed=4))
    folder = write(tmp_path / "a", articles)
    run_import(store, wp, folder)
    (folder / f"{articles[0].source_id}.txt").write_text("not an article\n")
    record = run_import(store, wp, folder, prune=True)
    assert record.status is RunStatus.failed
    assert record.items_failed == 1
    assert record.summary is not None and record.summary["pruned"] is False
    assert len(wp.by_source()) == 3  # the unreadable article's post was not trashed
    failed = JobRecords(store).items(record.id, ItemStatus.failed)
    assert failed[0].key.startswith("invalid:") and "line 1" in (failed[0].error or "")


def test_the_check_fails_when_a_post_went_missing_and_recheck_repairs_it(
    store: Store, tmp_path: Path
) -> None:
    wp = FakeWordPress()
    articles = list(synthesize(4, seed=5))
    folder = write(tmp_path / "a", articles)
    run_import(store, wp, folder)
    del wp.posts[wp.by_source()[articles[2].source_id][0]]
    record = run_import(store, wp, folder)
    assert record.check_status == "failed"
    assert "1 missing" in (record.check_detail or "") and "--recheck" in (record.check_detail or "")
    assert not record.ok
    repaired = run_import(store, wp, folder, recheck=True)
    assert repaired.check_status == "passed"
    assert JobRecords(store).action_counts(repaired.id) == {
        "done": {"created": 1},
        "skipped": {"unchanged": 3},
    }


def test_a_run_killed_mid_batch_is_resumed_without_duplicates(store: Store, tmp_path: Path) -> None:
    wp = FakeWordPress(fail_after=4)  # dies after 4 creates: batch 2 is half written
    folder = write(tmp_path / "a", list(synthesize(8, seed=6)))
    with pytest.raises(KeyboardInterrupt):
        run_import(store, wp, folder)
    wp.fail_after = None
    # What kill -9 leaves is a 'running' run; Ctrl-C marks it interrupted itself.
    resumed = run_import(store, wp, folder)
    assert all(len(posts) == 1 for posts in wp.by_source().values())
    assert len(wp.by_source()) == 8
    assert resumed.check_status == "passed"
    first = JobRecords(store).run(1)
    assert first is not None and first.status is RunStatus.interrupted
    assert first.items_done == 4  # the half-written batch's post was attributed to run 1


def test_rollback_deletes_created_restores_updated_and_untrashes_pruned(
    store: Store, tmp_path: Path
) -> None:
    wp = FakeWordPress()
    articles = list(synthesize(4, seed=7))
    folder = write(tmp_path / "a", articles)
    first = run_import(store, wp, folder)
    changed = [articles[0].model_copy(update={"title": "changed"}), *articles[1:3]]
    second = run_import(store, wp, write(folder, changed), prune=True)
    # The two unchanged articles were skipped by the store: nothing recorded for them.
    assert JobRecords(store).action_counts(second.id) == {"done": {"updated": 1, "trashed": 1}}
    undo = run_rollback(store, wp, second.id)
    assert undo.status is RunStatus.succeeded and undo.check_status == "passed"
    assert len(wp.by_source()) == 4
    assert wp.posts[wp.by_source()[articles[0].source_id][0]]["title"] == articles[0].title
    undo_first = run_rollback(store, wp, first.id)
    assert undo_first.check_status == "passed"
    assert wp.posts == {}
    # Rolled-back items no longer count as done: importing again recreates the posts.
    again = run_import(store, wp, write(folder, articles))
    assert again.items_done == 4


def test_a_rerun_recognises_unchanged_files_without_parsing_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parity.content.importer import prepare as prepare_module

    wp = FakeWordPress()
    articles = list(synthesize(5, seed=8))
    folder = write(tmp_path / "a", articles)
    run_import(store, wp, folder)
    parsed: list[str] = []
    original = prepare_module.parse_article

    def counting(text: str, *, source: str = "") -> Article:
        parsed.append(source)
        return original(text, source=source)

    monkeypatch.setattr(prepare_module, "parse_article", counting)
    articles[0] = articles[0].model_copy(update={"title": "changed"})
    record = run_import(store, wp, write(folder, articles))
    assert [Path(p).name for p in parsed] == [f"{articles[0].source_id}.txt"]
    assert (record.items_done, record.items_skipped, record.check_status) == (1, 4, "passed")
