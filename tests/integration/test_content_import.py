"""Content import against the real sandbox: WordPress's own path and bulk SQL.

Runs on a private sandbox (imports change staging for good). Every test starts from a
staging site without imported posts (removed through MariaDB's root) and its own state
store, so runs of one test never skip work of another.
Production is protected: it is only ever used to prove the import refuses it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from content_runs import import_articles, rollback_import
from store_helpers import fresh_state_url, sandbox_config_text
from typer.testing import CliRunner

from parity.cli import content_cmd
from parity.config import Settings, load_settings
from parity.content import Article, synthesize, write_articles_dir
from parity.content.importer import ImportRequest
from parity.errors import InputError, ProtectedEnvironment
from parity.jobs import JobRecords, RunStatus
from parity.refresh import hooks
from parity.sandbox import Sandbox
from parity.store import Store, open_store
from parity.targets import Site

pytestmark = pytest.mark.integration

# Meta WordPress's own hooks add that bulk SQL does not (it runs no hooks).
HOOK_META = ("_encloseme", "_pingme", "_wp_old_slug", "_wp_trash_meta_time")


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """Imports change staging for good: this module runs on a sandbox of its own."""
    return private_sandbox


def sql(root: Any, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with root.cursor() as cur:
        cur.execute(query, params)
        return list(cur.fetchall())


def remove_imported_posts(root: Any) -> None:
    """Delete every post an import made (and its revisions, meta and tag links)."""
    ids = [
        r[0]
        for r in sql(
            root, "SELECT post_id FROM wp_postmeta WHERE meta_key = %s", ["parity_source_id"]
        )
    ]
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    ids += [r[0] for r in sql(root, f"SELECT ID FROM wp_posts WHERE post_parent IN ({marks})", ids)]
    marks = ", ".join(["%s"] * len(ids))
    for table, column in (
        ("wp_postmeta", "post_id"),
        ("wp_term_relationships", "object_id"),
        ("wp_posts", "ID"),
    ):
        sql(root, f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)


@pytest.fixture
def config(sandbox: Sandbox, root: Any, tmp_path: Path) -> Path:
    """The sandbox's parity.toml with a state store of this test's own."""
    remove_imported_posts(root)
    path = tmp_path / "parity.toml"
    text = sandbox_config_text(sandbox)
    path.write_text(f'{text}\n[state]\nurl = "{fresh_state_url(sandbox, tmp_path)}"\n', "utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def settings(config: Path) -> Settings:
    return load_settings(config)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = open_store(settings.state_url())
    yield store
    store.close()


def articles_dir(folder: Path, articles: list[Article]) -> Path:
    for old in folder.glob("*.txt"):
        old.unlink()
    write_articles_dir(articles, folder)
    return folder


def posts_by_source(root: Any) -> dict[str, list[int]]:
    """Source id -> ids of live (not trashed) posts carrying it."""
    found: dict[str, list[int]] = {}
    for source, post_id in sql(
        root,
        "SELECT m.meta_value, p.ID FROM wp_posts p JOIN wp_postmeta m ON m.post_id = p.ID"
        " WHERE m.meta_key = 'parity_source_id' AND p.post_status != 'trash' ORDER BY p.ID",
    ):
        found.setdefault(source, []).append(post_id)
    return found


def dump(root: Any) -> list[tuple[Any, ...]]:
    """What an import wrote, without ids, dates and meta only WordPress's hooks add."""
    posts = sql(
        root,
        "SELECT m.meta_value, p.post_author, p.post_title, p.post_content, p.post_excerpt,"
        " p.post_status, p.comment_status, p.ping_status, p.post_name, p.post_type,"
        " p.post_date_gmt = '0000-00-00 00:00:00', REPLACE(p.guid, CONCAT('?p=', p.ID), '?p=ID')"
        " FROM wp_posts p JOIN wp_postmeta m ON m.post_id = p.ID"
        " AND m.meta_key = 'parity_source_id' ORDER BY m.meta_value",
    )
    marks = ", ".join(["%s"] * len(HOOK_META))
    meta = sql(
        root,
        "SELECT s.meta_value, m.meta_key, m.meta_value FROM wp_postmeta m"
        " JOIN wp_postmeta s ON s.post_id = m.post_id AND s.meta_key = 'parity_source_id'"
        f" WHERE m.meta_key NOT IN ('parity_import_run', {marks})"
        " ORDER BY s.meta_value, m.meta_key, m.meta_value",
        list(HOOK_META),
    )
    terms = sql(
        root,
        "SELECT s.meta_value, tt.taxonomy, t.name, t.slug, tt.count"
        " FROM wp_term_relationships r"
        " JOIN wp_term_taxonomy tt ON tt.term_taxonomy_id = r.term_taxonomy_id"
        " JOIN wp_terms t ON t.term_id = tt.term_id"
        " JOIN wp_postmeta s ON s.post_id = r.object_id AND s.meta_key = 'parity_source_id'"
        " ORDER BY s.meta_value, tt.taxonomy, t.name",
    )
    return posts + meta + terms


def test_importing_twice_through_wordpress_gives_the_same_posts(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    folder = articles_dir(tmp_path / "articles", list(synthesize(8, seed=101)))
    first = import_articles(settings, ImportRequest("staging", (folder,)), store=store)
    assert first.status is RunStatus.succeeded, first.error
    assert (first.items_done, first.check_status) == (8, "passed")
    assert first.parameters["path"] == "wordpress"
    posts = posts_by_source(root)
    assert len(posts) == 8 and all(len(ids) == 1 for ids in posts.values())
    second = import_articles(settings, ImportRequest("staging", (folder,)), store=store)
    assert (second.items_done, second.items_skipped, second.check_status) == (0, 8, "passed")
    rechecked = import_articles(
        settings, ImportRequest("staging", (folder,), recheck=True), store=store
    )
    assert JobRecords(store).action_counts(rechecked.id) == {"skipped": {"unchanged": 8}}
    assert posts_by_source(root) == posts
    statuses = sql(
        root,
        "SELECT DISTINCT post_status FROM wp_posts WHERE ID IN"
        " (SELECT post_id FROM wp_postmeta WHERE meta_key = 'parity_source_id')",
    )
    assert statuses == [("pending",)]
    noindex = sql(
        root,
        "SELECT COUNT(*) FROM wp_postmeta WHERE meta_key = 'parity_noindex' AND meta_value = '1'",
    )
    assert noindex == [(8,)]


def test_array_meta_reads_back_as_arrays_in_php(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    article = next(synthesize(1, seed=102))
    folder = articles_dir(tmp_path / "articles", [article])
    import_articles(settings, ImportRequest("staging", (folder,)), store=store)
    (stored,) = sql(root, "SELECT meta_value FROM wp_postmeta WHERE meta_key = 'article_stack'")
    decoded = subprocess.run(
        ["php", "-r", 'echo json_encode(unserialize(file_get_contents("php://stdin")));'],
        input=stored[0],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(decoded) == list(article.meta.stack)
    tags = sql(
        root,
        "SELECT t.name FROM wp_terms t JOIN wp_term_taxonomy tt USING (term_id)"
        " JOIN wp_term_relationships r USING (term_taxonomy_id)"
        " WHERE tt.taxonomy = 'post_tag' ORDER BY t.name",
    )
    assert sorted(name for (name,) in tags) == sorted({*article.meta.stack, *article.meta.tools})


def test_bulk_sql_writes_what_wordpress_writes(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    articles = list(synthesize(6, seed=103))
    folder = articles_dir(tmp_path / "articles", articles)
    seen = {}
    for direct in (False, True):
        created = import_articles(
            settings,
            ImportRequest("staging", (folder,), status="publish", direct=direct),
            store=store,
        )
        changed = [articles[0].model_copy(update={"title": "changed title"}), *articles[1:5]]
        updated = import_articles(
            settings,
            ImportRequest("staging", (articles_dir(folder, changed),), direct=direct, prune=True),
            store=store,
        )
        assert JobRecords(store).action_counts(updated.id) == {"done": {"updated": 1, "trashed": 1}}
        seen[direct] = dump(root)
        for run in (updated, created):
            undone = rollback_import(settings, run.id, store=store)
            assert undone.check_status == "passed", undone.check_detail
        articles_dir(folder, articles)
    assert seen[True] == seen[False]
    assert posts_by_source(root) == {}


def test_a_changed_article_updates_its_post(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    articles = list(synthesize(5, seed=104))
    folder = articles_dir(tmp_path / "articles", articles)
    import_articles(settings, ImportRequest("staging", (folder,), direct=True), store=store)
    before = posts_by_source(root)
    articles[2] = articles[2].model_copy(update={"title": "a corrected title"})
    record = import_articles(
        settings,
        ImportRequest("staging", (articles_dir(folder, articles),), direct=True),
        store=store,
    )
    assert JobRecords(store).action_counts(record.id) == {"done": {"updated": 1}}
    assert posts_by_source(root) == before
    (title,) = sql(
        root, "SELECT post_title FROM wp_posts WHERE ID = %s", [before[articles[2].source_id][0]]
    )
    assert title == ("a corrected title",)


def test_kill_9_halfway_then_a_rerun_gives_every_article_exactly_once(
    settings: Settings, store: Store, root: Any, config: Path, tmp_path: Path
) -> None:
    total = 60
    folder = articles_dir(tmp_path / "articles", list(synthesize(total, seed=105)))
    marker = tmp_path / "paused-at-import"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from parity.cli.content_cmd import app; app()",
            "import",
            "staging",
            str(folder),
            "--batch-size",
            "4",
        ],
        env={
            **os.environ,
            "PARITY_CONFIG": str(config),
            # The test hook: after its first batch is written and recorded, the import
            # writes the marker and waits there to be killed.
            hooks.PAUSE_ENV: "import",
            hooks.PAUSE_FILE_ENV: str(marker),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # bounded by the deadline, not raced by a poll interval
            assert process.poll() is None, "the import ended before it reached its pause"
            assert time.monotonic() < deadline, "the import never finished its first batch"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    partial = posts_by_source(root)
    assert 0 < len(partial) < total
    resumed = import_articles(settings, ImportRequest("staging", (folder,)), store=store)
    killed = JobRecords(store).run(1)
    assert killed is not None and killed.status is RunStatus.interrupted
    assert resumed.resumed_from == killed.id
    assert resumed.status is RunStatus.succeeded and resumed.check_status == "passed"
    posts = posts_by_source(root)
    assert len(posts) == total
    assert all(len(ids) == 1 for ids in posts.values())
    assert killed.items_done + resumed.items_done == total  # every post attributed once


def test_rollback_removes_what_a_run_created_and_restores_what_it_updated(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    articles = list(synthesize(6, seed=106))
    folder = articles_dir(tmp_path / "articles", articles)
    first = import_articles(settings, ImportRequest("staging", (folder,)), store=store)
    changed = [a.model_copy(update={"title": f"new {a.title}"}) for a in articles[:2]]
    second = import_articles(
        settings,
        ImportRequest("staging", (articles_dir(folder, changed + articles[2:]),)),
        store=store,
    )
    with pytest.raises(InputError, match="later runs changed the same articles"):
        rollback_import(settings, first.id, store=store)
    undo = rollback_import(settings, second.id, store=store)
    assert (undo.status, undo.items_done, undo.check_status) == (RunStatus.succeeded, 2, "passed")
    titles = {
        t
        for (t,) in sql(
            root,
            "SELECT post_title FROM wp_posts WHERE post_type = 'post' AND post_title LIKE 'new %'",
        )
    }
    assert titles == set()
    undo = rollback_import(settings, first.id, store=store)
    assert (undo.items_done, undo.check_status) == (6, "passed")
    assert posts_by_source(root) == {}
    assert sql(root, "SELECT COUNT(*) FROM wp_postmeta WHERE meta_key LIKE 'article%'") == [(0,)]
    recorded = JobRecords(store).run(first.id)
    assert recorded is not None and recorded.rolled_back_by == undo.id
    with pytest.raises(InputError, match="already rolled back"):
        rollback_import(settings, first.id, store=store)


def test_the_expected_result_fails_when_posts_are_missing(
    config: Path, root: Any, tmp_path: Path
) -> None:
    folder = articles_dir(tmp_path / "articles", list(synthesize(5, seed=107)))
    runner = CliRunner()
    env = {"PARITY_CONFIG": str(config), "COLUMNS": "200"}
    args = ["import", "staging", str(folder), "--direct", "--format", "json"]
    assert runner.invoke(content_cmd.app, args, env=env).exit_code == 0
    doomed = list(posts_by_source(root).values())[:2]
    sql(root, "DELETE FROM wp_posts WHERE ID IN (%s, %s)", [doomed[0][0], doomed[1][0]])
    result = runner.invoke(content_cmd.app, args, env=env)
    assert result.exit_code == 1
    check = json.loads(result.output)["run"]["check"]
    assert check["status"] == "failed"
    assert "2 missing" in check["detail"]
    repaired = runner.invoke(content_cmd.app, [*args, "--recheck"], env=env)
    assert repaired.exit_code == 0, repaired.output
    assert json.loads(repaired.output)["run"]["items"]["done"] == 2


def test_prune_trashes_posts_missing_from_the_source_and_rollback_brings_them_back(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    articles = list(synthesize(4, seed=108))
    folder = articles_dir(tmp_path / "articles", articles)
    import_articles(settings, ImportRequest("staging", (folder,), direct=True), store=store)
    articles_dir(folder, articles[:3])
    reported = import_articles(settings, ImportRequest("staging", (folder,)), store=store)
    assert reported.summary is not None
    assert reported.summary["missing_examples"] == [articles[3].source_id]
    assert len(posts_by_source(root)) == 4  # reported, not deleted
    pruned = import_articles(
        settings, ImportRequest("staging", (folder,), direct=True, prune=True), store=store
    )
    assert sorted(posts_by_source(root)) == sorted(a.source_id for a in articles[:3])
    rollback_import(settings, pruned.id, store=store)
    assert len(posts_by_source(root)) == 4


def test_published_imports_are_served_by_wordpress_without_the_noindex_marker(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    article = next(synthesize(1, seed=109))
    folder = articles_dir(tmp_path / "articles", [article])
    import_articles(
        settings, ImportRequest("staging", (folder,), direct=True, status="publish"), store=store
    )
    ((post_id, slug),) = sql(
        root,
        "SELECT ID, post_name FROM wp_posts WHERE post_type = 'post'"
        " AND post_status = 'publish' AND ID IN (SELECT post_id FROM"
        " wp_postmeta WHERE meta_key = 'parity_source_id')",
    )
    assert slug
    assert sql(
        root,
        "SELECT COUNT(*) FROM wp_postmeta WHERE post_id = %s AND meta_key = 'parity_noindex'",
        [post_id],
    ) == [(0,)]
    with Site(settings.environment("staging")) as site:
        page = site.get(f"/{slug}/")
    assert page.status_code == 200
    assert article.sections[0].heading in page.text


def test_production_is_refused_and_nothing_is_recorded(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    folder = articles_dir(tmp_path / "articles", list(synthesize(1, seed=110)))
    for direct in (False, True):
        with pytest.raises(ProtectedEnvironment):
            import_articles(
                settings, ImportRequest("production", (folder,), direct=direct), store=store
            )
    assert JobRecords(store).runs() == []


def test_bulk_sql_stores_quotes_backslashes_and_percent_signs_exactly(
    settings: Settings, store: Store, root: Any, tmp_path: Path
) -> None:
    tricky = 'it\'s a "quoted" \\ back\\\\slash, 100% sure, %s and é😀'
    article = next(synthesize(1, seed=111))
    intro = article.intro[0].model_copy(update={"text": f"{tricky} \x1a end."})
    meta = article.meta.model_copy(update={"topic": tricky})
    article = article.model_copy(update={"title": tricky, "intro": [intro], "meta": meta})
    folder = articles_dir(tmp_path / "articles", [article])
    import_articles(settings, ImportRequest("staging", (folder,), direct=True), store=store)
    ((title, content),) = sql(
        root,
        "SELECT post_title, post_content FROM wp_posts WHERE ID = %s",
        [posts_by_source(root)[article.source_id][0]],
    )
    assert title == tricky
    assert "it&#x27;s" not in content  # text nodes escape only <, > and &
    assert f"<p>{tricky.replace('&', '&amp;')} \x1a end.</p>" in content
    (topic,) = sql(root, "SELECT meta_value FROM wp_postmeta WHERE meta_key = 'article_topic'")
    assert topic == (tricky,)
