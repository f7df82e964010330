"""`content similar` and `content duplicates` against the real sandbox's staging.

Runs on a private sandbox (both change staging for good). Articles are imported with
`content import --direct --status publish`, as a site publishing imported content would;
the commands run as real processes (`parity ...`), so exit codes and error lines are the
ones users see. Production is protected: it is only used to prove the write is refused.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from store_helpers import fresh_state_url, sandbox_config_text

from parity.content import Article, Paragraph, parse_article, synthesize, write_articles_dir
from parity.sandbox import Sandbox
from parity.sandbox.seed import SAMPLE_SLUG

pytestmark = pytest.mark.integration

PARITY = str(Path(sys.executable).parent / "parity")
SAMPLE = Path(__file__).resolve().parents[1] / "unit/content/data/alphanode-021452.txt"
LINK = re.compile(r'<li><a href="[^"]*\?p=(\d+)">')


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """These commands change staging for good: this module runs on a sandbox of its own."""
    return private_sandbox


@pytest.fixture(scope="module")
def config(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("similar")
    path = folder / "parity.toml"
    text = sandbox_config_text(sandbox)
    path.write_text(f'{text}\n[state]\nurl = "{fresh_state_url(sandbox, folder)}"\n', "utf-8")
    path.chmod(0o600)
    return path


def sql(root: Any, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with root.cursor() as cur:
        cur.execute(query, params)
        return list(cur.fetchall())


def parity(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PARITY, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )


def imported_posts(root: Any) -> dict[int, str]:
    """Post id -> content of every live imported post."""
    return {
        int(post_id): str(content)
        for post_id, content in sql(
            root,
            "SELECT p.ID, p.post_content FROM wp_posts p JOIN wp_postmeta m ON m.post_id = p.ID"
            " WHERE m.meta_key = 'parity_source_id' AND p.post_status = 'publish'",
        )
    }


def state(root: Any) -> list[tuple[Any, ...]]:
    """Every post's content and every similar-posts meta row, ids included."""
    return sql(root, "SELECT ID, post_content FROM wp_posts ORDER BY ID") + sql(
        root,
        "SELECT meta_id, post_id, meta_value FROM wp_postmeta"
        " WHERE meta_key = 'parity_similar_posts' ORDER BY meta_id",
    )


def near_copy(article: Article, source_id: str) -> Article:
    """``article`` with a new source id, its first two sections swapped and one word changed."""
    sections = list(article.sections)
    sections[0], sections[1] = sections[1], sections[0]
    first = sections[0]
    blocks = list(first.blocks)
    for i, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            blocks[i] = Paragraph(text=block.text.replace(" the ", " a ", 1))
            break
    sections[0] = first.model_copy(update={"blocks": blocks})
    payload = article.meta.payload.model_copy(update={"source_id": source_id})
    meta = article.meta.model_copy(update={"payload": payload})
    return article.model_copy(update={"sections": sections, "meta": meta})


def test_an_environment_without_posts_is_refused_in_one_line(config: Path, root: Any) -> None:
    sql(root, "DELETE FROM wp_posts WHERE post_type = 'post'")
    for args in (("similar",), ("duplicates",)):
        done = parity(config, "content", *args, "staging")
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: staging has no") and done.stderr.count("\n") == 1
        assert done.stdout == ""


@pytest.mark.parametrize("threshold", ["0", "1.5", "-0.2"])
def test_a_threshold_outside_zero_to_one_is_refused_in_one_line(
    config: Path, threshold: str
) -> None:
    done = parity(config, "content", "duplicates", "staging", "--threshold", threshold)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --threshold must be above 0 and at most 1")
    assert done.stderr.count("\n") == 1


def test_similar_fills_every_imported_post_with_five_links_and_a_rerun_changes_nothing(
    config: Path, root: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    articles = [parse_article(SAMPLE.read_text("utf-8")), *synthesize(40, seed=18)]
    write_articles_dir(articles, folder)
    imported = parity(
        config, "content", "import", str(folder), "--env", "staging", "--direct",
        "--status", "publish", "--format", "json",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    posts = imported_posts(root)
    assert len(posts) == 41

    done = parity(config, "content", "similar", "staging", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["schema_version"], report["ok"], report["environment"]) == (1, True, "staging")
    assert report["sections_written"] == 41

    published = {
        int(r[0])
        for r in sql(
            root, "SELECT ID FROM wp_posts WHERE post_status = 'publish' AND post_type = 'post'"
        )
    }
    for post_id, content in imported_posts(root).items():
        assert content.count("Similar Posts") == 1
        links = [int(i) for i in LINK.findall(content)]
        assert len(links) == 5 and post_id not in links and set(links) <= published
        [(meta,)] = sql(
            root,
            "SELECT meta_value FROM wp_postmeta WHERE post_id = %s"
            " AND meta_key = 'parity_similar_posts'",
            [post_id],
        )
        # The stored list (PHP array of {id, score}) is the one the section shows.
        assert [int(i) for i in re.findall(r's:2:"id";i:(\d+);', meta)] == links

    sample_id = next(
        int(r[0])
        for r in sql(
            root,
            "SELECT post_id FROM wp_postmeta WHERE meta_key = 'parity_source_id'"
            " AND meta_value = 'alphanode-021452'",
        )
    )
    sample = next(item for item in report["similar"] if item["post_id"] == sample_id)
    print("similar posts of the sample article:")
    for entry in sample["similar"]:
        print(f"  {entry['score']:.3f}  {entry['title']}")
    assert len(sample["similar"]) == 5

    before = state(root)
    again = parity(config, "content", "similar", "staging", "--format", "json")
    assert again.returncode == 0, again.stderr
    rerun = json.loads(again.stdout)
    assert (rerun["meta_written"], rerun["sections_written"]) == (0, 0)
    assert state(root) == before


def test_a_protected_environment_is_refused(config: Path) -> None:
    done = parity(config, "content", "similar", "production")
    assert done.returncode == 2
    assert "protected" in done.stderr and done.stderr.count("\n") == 1


def test_duplicates_lists_a_near_copy_with_its_original(
    config: Path, root: Any, tmp_path: Path
) -> None:
    original = next(synthesize(1, seed=77))
    folder = tmp_path / "copies"
    write_articles_dir([original, near_copy(original, "alphanode-copy-1")], folder)
    imported = parity(
        config, "content", "import", str(folder), "--env", "staging", "--direct",
        "--format", "json",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    ids = sorted(
        int(r[0])
        for r in sql(
            root,
            "SELECT post_id FROM wp_postmeta WHERE meta_key = 'parity_source_id'"
            " AND meta_value IN (%s, %s)",
            [original.source_id, "alphanode-copy-1"],
        )
    )
    done = parity(config, "content", "duplicates", "staging", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert (report["schema_version"], report["ok"], report["environment"]) == (1, False, "staging")
    clusters = [[p["post_id"] for p in c["posts"]] for c in report["clusters"]]
    assert ids in clusters
    cluster = report["clusters"][clusters.index(ids)]
    assert 0.8 <= cluster["similarity"] < 1
    assert {p["status"] for p in cluster["posts"]} == {"pending"}


def import_json(config: Path, folder: Path, *options: str) -> dict[str, Any]:
    """``content import --direct`` of ``folder``; the run's JSON (exit 0 asserted)."""
    done = parity(
        config, "content", "import", "staging", str(folder), "--direct", "--format", "json",
        *options,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run: dict[str, Any] = json.loads(done.stdout)["run"]
    return run


def post_of(root: Any, source_id: str) -> tuple[int, str]:
    """The id and status of the post imported from ``source_id``."""
    [(post_id, status)] = sql(
        root,
        "SELECT p.ID, p.post_status FROM wp_posts p JOIN wp_postmeta m ON m.post_id = p.ID"
        " WHERE m.meta_key = 'parity_source_id' AND m.meta_value = %s",
        [source_id],
    )
    return int(post_id), str(status)


def stored_list(root: Any, post_id: int) -> list[int]:
    """The ids of ``post_id``'s stored similar list, best first."""
    [(meta,)] = sql(
        root,
        "SELECT meta_value FROM wp_postmeta WHERE post_id = %s"
        " AND meta_key = 'parity_similar_posts'",
        [post_id],
    )
    return [int(i) for i in re.findall(r's:2:"id";i:(\d+);', meta)]


def test_import_check_duplicates_reports_a_near_copy_naming_the_existing_post(
    config: Path, root: Any, tmp_path: Path
) -> None:
    original = next(synthesize(1, seed=1801))
    import_json(config, write_dir(tmp_path / "original", [original]), "--status", "publish")
    original_id, _ = post_of(root, original.source_id)

    copy = near_copy(original, "alphanode-checked-copy")
    distinct = next(synthesize(1, seed=1802))
    run = import_json(
        config, write_dir(tmp_path / "copy", [copy, distinct]), "--status", "publish",
        "--check-duplicates",
    )  # fmt: skip
    summary = run["summary"]
    assert summary["near_duplicates_found"] == 1 and summary["near_duplicates_held"] == 0
    [found] = summary["near_duplicates"]
    assert (found["source_id"], found["held"]) == ("alphanode-checked-copy", False)
    assert [m["post_id"] for m in found["matches"]] == [original_id]
    assert found["matches"][0]["title"] == original.title
    assert 0.65 <= found["matches"][0]["similarity"] < 1
    assert post_of(root, "alphanode-checked-copy")[1] == "publish"  # reported, not held


def test_hold_duplicates_creates_a_near_copy_pending_and_the_rest_as_asked(
    config: Path, root: Any, tmp_path: Path
) -> None:
    original = next(synthesize(1, seed=1803))
    import_json(config, write_dir(tmp_path / "original", [original]), "--status", "publish")
    original_id, _ = post_of(root, original.source_id)

    copy = near_copy(original, "alphanode-held-copy")
    distinct = next(synthesize(1, seed=1804))
    run = import_json(
        config, write_dir(tmp_path / "copy", [copy, distinct]), "--status", "publish",
        "--hold-duplicates",
    )  # fmt: skip
    summary = run["summary"]
    assert run["parameters"]["hold_duplicates"] is True
    assert summary["near_duplicates_held"] == 1
    [found] = summary["near_duplicates"]
    assert found["source_id"] == "alphanode-held-copy" and found["held"] is True
    assert [m["post_id"] for m in found["matches"]] == [original_id]
    assert post_of(root, "alphanode-held-copy")[1] == "pending"
    assert post_of(root, distinct.source_id)[1] == "publish"


def test_an_import_updates_similar_lists_incrementally_and_a_rerun_changes_nothing(
    config: Path, root: Any, tmp_path: Path
) -> None:
    base = list(synthesize(12, seed=1805))
    import_json(config, write_dir(tmp_path / "base", base), "--status", "publish")
    rebuilt = parity(config, "content", "similar", "staging", "--format", "json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    original_id, _ = post_of(root, base[0].source_id)
    assert len(stored_list(root, original_id)) == 5

    copy = near_copy(base[0], "alphanode-similar-copy")
    folder = write_dir(tmp_path / "copy", [copy])
    run = import_json(config, folder, "--status", "publish")
    copy_id, _ = post_of(root, "alphanode-similar-copy")
    assert run["summary"]["similar"]["meta_written"] >= 2
    # The new post has its own list, with the original first; the original's list now
    # starts with the copy (it scores above the list's lowest score).
    own = stored_list(root, copy_id)
    assert len(own) == 5 and own[0] == original_id and copy_id not in own
    assert stored_list(root, original_id)[0] == copy_id
    [(content,)] = sql(root, "SELECT post_content FROM wp_posts WHERE ID = %s", [copy_id])
    assert [int(i) for i in LINK.findall(str(content))] == own

    before = state(root)
    again = import_json(config, folder, "--status", "publish")
    assert "similar" not in again["summary"]
    assert state(root) == before


def test_a_similar_rebuild_is_a_job_in_the_ledger(config: Path) -> None:
    done = parity(config, "content", "similar", "staging", "--format", "json")
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run"]["id"]
    history = parity(config, "jobs", "history", "content-similar", "--format", "json")
    assert history.returncode == 0, history.stderr
    runs = {run["id"]: run for run in json.loads(history.stdout)["runs"]}
    run = runs[run_id]
    assert (run["job"], run["scope"], run["status"]) == ("content-similar", "staging", "succeeded")
    assert run["owner"] == "content team"
    assert run["check"]["status"] == "passed" and "post meta" in run["check"]["expected"]
    assert run["rollback"]["command"] == "parity content similar ENV"
    assert run["summary"]["lists"] == run["summary"]["posts"]


def write_dir(folder: Path, articles: list[Article]) -> Path:
    write_articles_dir(articles, folder)
    return folder


def test_after_seeding_2000_articles_every_article_on_staging_gets_five_links(
    sandbox: Sandbox, config: Path, root: Any
) -> None:
    """The issue's setting: `sandbox seed --articles 2000` fills production, a refresh
    copies it to staging, `content similar` lists 5 posts for each article; a rerun
    writes nothing. (Last in the module: the refresh replaces staging's posts.)"""
    seeded = subprocess.run(
        [PARITY, "sandbox", "seed", "--state-dir", str(sandbox.state_dir),
         "--articles", "2000", "--format", "json"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    refreshed = parity(config, "refresh", "--from", "production", "--to", "staging", "--yes")
    assert refreshed.returncode == 0, refreshed.stderr
    articles = {
        int(post_id): str(content)
        for post_id, content in sql(
            root,
            "SELECT p.ID, p.post_content FROM wp_posts p JOIN wp_postmeta m ON m.post_id = p.ID"
            " WHERE m.meta_key = 'article_site' AND p.post_status = 'publish'"
            " AND p.post_type = 'post'",
        )
    }
    assert len(articles) == 2001  # the sample article and 2,000 synthesized ones

    done = parity(config, "content", "similar", "staging", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sections_written"] == len(articles)

    published = dict(
        sql(
            root,
            "SELECT ID, post_content FROM wp_posts WHERE post_type = 'post'"
            " AND post_status = 'publish'",
        )
    )
    for post_id in articles:
        content = str(published[post_id])
        links = [int(i) for i in LINK.findall(content)]
        assert content.count("Similar Posts") == 1, post_id
        assert len(links) == 5 and post_id not in links and set(links) <= set(published)

    [(sample_id,)] = sql(
        root, "SELECT ID FROM wp_posts WHERE post_name = %s AND post_type = 'post'", [SAMPLE_SLUG]
    )
    sample = next(item for item in report["similar"] if item["post_id"] == sample_id)
    print(f"similar posts of the sample article ({sample['title']}), of {report['posts']}:")
    for entry in sample["similar"]:
        print(f"  {entry['score']:.3f}  {entry['post_id']}  {entry['title']}")
    assert len(sample["similar"]) == 5

    # A page view serves the stored list: the page WordPress renders has the five links
    # of the post's meta, in order (the section is part of the stored content).
    page = httpx.get(f"{sandbox.staging_url}/?p={sample_id}", follow_redirects=True, timeout=60)
    assert page.status_code == 200
    [(meta,)] = sql(
        root,
        "SELECT meta_value FROM wp_postmeta WHERE post_id = %s"
        " AND meta_key = 'parity_similar_posts'",
        [sample_id],
    )
    stored = [int(i) for i in re.findall(r's:2:"id";i:(\d+);', meta)]
    assert (
        [int(i) for i in LINK.findall(page.text)]
        == stored
        == [entry["post_id"] for entry in sample["similar"]]
    )

    before = state(root)
    again = parity(config, "content", "similar", "staging", "--format", "json")
    assert again.returncode == 0, again.stderr
    rerun = json.loads(again.stdout)
    assert (rerun["meta_written"], rerun["sections_written"]) == (0, 0)
    assert rerun["meta_unchanged"] == report["meta_written"]
    assert state(root) == before
