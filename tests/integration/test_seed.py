"""`parity sandbox seed` against the real sandbox: production gets a real site's data.

The module runs on a private sandbox (seeding changes production for good; the shared
sandbox stays as installed for the modules that compare environments). Values are read
back as MariaDB's root and PHP-serialized ones are decoded by real PHP (``php -r``).
Run with ``PARITY_TEST_PORT_OFFSET=2300`` beside other runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import MySQLdb
import pytest

from parity.content import synthesize
from parity.sandbox import Sandbox
from parity.sandbox.seed import (
    DEMO_OPTION,
    KINDS,
    SAMPLE_SLUG,
    SEED_KEY,
    build_plan,
    sample_article,
    seed_production,
)

pytestmark = pytest.mark.integration

ARTICLES = 20
SEED = 3
SAMPLE_KEY = "article:alphanode-021452"
# Tables the seed writes, besides wp_options (which WordPress itself changes on requests).
SEEDED_TABLES = (
    "wp_posts",
    "wp_postmeta",
    "wp_comments",
    "wp_commentmeta",
    "wp_terms",
    "wp_term_taxonomy",
    "wp_termmeta",
    "wp_term_relationships",
    "wp_users",
    "wp_usermeta",
)


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """This module changes production: it gets a sandbox of its own."""
    return private_sandbox


@pytest.fixture(scope="module")
def first_seed(sandbox: Sandbox) -> dict[str, Any]:
    """The JSON of the first `parity sandbox seed` of the module's sandbox."""
    done = subprocess.run(
        [
            *_parity(),
            "sandbox",
            "seed",
            "--state-dir",
            str(sandbox.state_dir),
            "--articles",
            str(ARTICLES),
            "--seed",
            str(SEED),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _parity() -> list[str]:
    return [sys.executable, "-m", "parity.cli.main"]


def _query(sandbox: Sandbox, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(), database="wp_production", charset="utf8mb4"
    )
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        conn.close()


def _one(sandbox: Sandbox, sql: str, params: Any = None) -> Any:
    rows = _query(sandbox, sql, params)
    assert len(rows) == 1, (sql, rows)
    return rows[0][0]


def _php(serialized: str) -> Any:
    """``unserialize()`` in real PHP, as JSON (fails the test when PHP cannot read it)."""
    script = (
        "$v = unserialize(stream_get_contents(STDIN));"
        " if ($v === false) { exit(3); } echo json_encode($v);"
    )
    done = subprocess.run(
        ["php", "-r", script], input=serialized, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"PHP cannot unserialize {serialized[:80]!r}"
    return json.loads(done.stdout)


def _post_id(sandbox: Sandbox, key: str) -> int:
    return int(
        _one(
            sandbox,
            "SELECT post_id FROM wp_postmeta WHERE meta_key = %s AND meta_value = %s",
            [SEED_KEY, key],
        )
    )


def _meta(sandbox: Sandbox, post_id: int, key: str) -> str:
    return str(
        _one(
            sandbox,
            "SELECT meta_value FROM wp_postmeta WHERE post_id = %s AND meta_key = %s",
            [post_id, key],
        )
    )


def _checksums(sandbox: Sandbox) -> dict[str, int]:
    rows = _query(sandbox, f"CHECKSUM TABLE {', '.join(SEEDED_TABLES)}")
    return {str(name): int(value) for name, value in rows}


# -- the first seed ------------------------------------------------------------------


def test_seed_reports_what_it_added_as_json(first_seed: dict[str, Any], sandbox: Sandbox) -> None:
    assert first_seed["url"] == sandbox.production_url
    assert first_seed["changed"] is True
    assert list(first_seed["counts"]) == list(KINDS)
    counts = first_seed["counts"]
    assert counts["articles"]["added"] == ARTICLES + 1  # the sample too
    assert counts["users"]["added"] == 5
    assert counts["pages"]["added"] == 1
    for kind in ("attachments", "comments", "terms", "options", "transients", "files"):
        assert counts[kind]["added"] > 0, kind
    assert first_seed["sample"]["path"] == f"/{SAMPLE_SLUG}/"


def test_production_holds_the_sample_article_with_its_meta(
    first_seed: dict[str, Any], sandbox: Sandbox
) -> None:
    post_id = _post_id(sandbox, SAMPLE_KEY)
    title, name, status, post_type, content = _query(
        sandbox,
        "SELECT post_title, post_name, post_status, post_type, post_content FROM wp_posts"
        " WHERE ID = %s",
        [post_id],
    )[0]
    sample = sample_article()
    assert (title, name, status, post_type) == (sample.title, SAMPLE_SLUG, "publish", "post")
    assert _php(_meta(sandbox, post_id, "article_stack")) == list(sample.meta.stack)
    payload = _php(_meta(sandbox, post_id, "article_payload"))
    assert payload["source_id"] == "alphanode-021452"
    # Block content with the site's own absolute image URLs, plain and JSON-escaped.
    url = sandbox.production_url
    assert f'src="{url}/wp-content/uploads/' in content
    assert url.replace("/", "\\/") + "\\/wp-content\\/uploads\\/" in content
    assert "<!-- wp:alphanode/related-posts {" in content


def test_the_sample_articles_image_is_an_attachment_with_its_file(
    first_seed: dict[str, Any], sandbox: Sandbox
) -> None:
    post_id = _post_id(sandbox, SAMPLE_KEY)
    thumbnail = int(_meta(sandbox, post_id, "_thumbnail_id"))
    post_type, parent, guid = _query(
        sandbox, "SELECT post_type, post_parent, guid FROM wp_posts WHERE ID = %s", [thumbnail]
    )[0]
    assert (post_type, parent) == ("attachment", post_id)
    metadata = _php(_meta(sandbox, thumbnail, "_wp_attachment_metadata"))
    assert metadata["file"] == _meta(sandbox, thumbnail, "_wp_attached_file")
    assert set(metadata["sizes"]) == {"medium", "thumbnail"}
    uploads = sandbox.layout.wp_content("production") / "uploads"
    folder = Path(metadata["file"]).parent
    for size in metadata["sizes"].values():
        assert (uploads / folder / size["file"]).stat().st_size == size["filesize"]
    assert (uploads / metadata["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert guid == f"{sandbox.production_url}/wp-content/uploads/{metadata['file']}"


def test_plugin_options_are_serialized_with_the_site_url_inside(
    first_seed: dict[str, Any], sandbox: Sandbox
) -> None:
    url = sandbox.production_url
    raw = _one(sandbox, "SELECT option_value FROM wp_options WHERE option_name = %s", [DEMO_OPTION])
    settings = _php(str(raw))
    assert settings["canonical_base"] == url
    assert settings["sitemap"]["max_entries"] == 1000
    assert settings["social"]["og_default_image"].startswith(f"{url}/wp-content/uploads/")
    widget = _php(
        str(
            _one(
                sandbox,
                "SELECT option_value FROM wp_options WHERE option_name = 'widget_custom_html'",
            )
        )
    )
    assert f"{url}/feed/" in widget["2"]["content"]
    transients = _query(
        sandbox, "SELECT option_name FROM wp_options WHERE option_name LIKE '%transient%alphanode%'"
    )
    assert len(transients) == 4


def test_users_have_capabilities_and_comments_have_emails_and_ips(
    first_seed: dict[str, Any], sandbox: Sandbox
) -> None:
    user_id, email = _query(
        sandbox, "SELECT ID, user_email FROM wp_users WHERE user_login = 'maria.keller'"
    )[0]
    assert email == "maria.keller@alphanode.io"
    capabilities = _one(
        sandbox,
        "SELECT meta_value FROM wp_usermeta WHERE user_id = %s AND meta_key = 'wp_capabilities'",
        [user_id],
    )
    assert _php(str(capabilities)) == {"editor": True}
    comments = _query(
        sandbox,
        "SELECT comment_author_email, comment_author_IP, comment_parent, user_id"
        " FROM wp_comments WHERE comment_post_ID = %s ORDER BY comment_ID",
        [_post_id(sandbox, SAMPLE_KEY)],
    )
    assert len(comments) == 4  # three readers and the author's reply
    for email, ip, _parent, _user in comments[:3]:
        assert "@" in email and "." in email.split("@")[1]
        assert len(ip.split(".")) == 4
    assert comments[3][2] != 0 and comments[3][3] != 0  # a reply, by a user
    approved = _one(
        sandbox, "SELECT comment_count FROM wp_posts WHERE ID = %s", [_post_id(sandbox, SAMPLE_KEY)]
    )
    assert approved == 4


# -- again, and again differently -------------------------------------------------------


def test_seeding_again_writes_nothing(first_seed: dict[str, Any], sandbox: Sandbox) -> None:
    before = _checksums(sandbox)
    result = seed_production(sandbox, articles=ARTICLES, seed=SEED)
    assert not result.changed
    for kind in KINDS:
        count = result.counts[kind]
        assert (count.added, count.updated, count.removed) == (0, 0, 0), kind
    assert result.counts["articles"].unchanged == ARTICLES + 1
    assert _checksums(sandbox) == before


def test_the_plan_is_deterministic_for_a_seed() -> None:
    articles = [sample_article(), *synthesize(5, SEED)]
    url = "http://127.0.0.1:8081"
    assert build_plan(url, articles, seed=SEED) == build_plan(url, articles, seed=SEED)
    other = build_plan(url, articles, seed=SEED + 1)
    assert other.comments != build_plan(url, articles, seed=SEED).comments


def test_fewer_articles_remove_the_rest_and_leave_no_duplicates(
    first_seed: dict[str, Any], sandbox: Sandbox
) -> None:
    fewer = seed_production(sandbox, articles=5, seed=SEED)
    assert fewer.counts["articles"].removed == ARTICLES - 5
    assert fewer.counts["attachments"].removed > 0
    again = seed_production(sandbox, articles=ARTICLES, seed=SEED)
    assert again.counts["articles"].added == ARTICLES - 5
    duplicates = _query(
        sandbox,
        "SELECT meta_value FROM wp_postmeta WHERE meta_key = %s"
        " GROUP BY meta_value HAVING COUNT(*) > 1",
        [SEED_KEY],
    )
    assert duplicates == []
    seeded = _one(
        sandbox,
        "SELECT COUNT(*) FROM wp_posts p JOIN wp_postmeta m ON m.post_id = p.ID"
        " WHERE m.meta_key = %s AND m.meta_value LIKE 'article:%%'",
        [SEED_KEY],
    )
    assert seeded == ARTICLES + 1
    assert seed_production(sandbox, articles=ARTICLES, seed=SEED).changed is False


# -- production stays protected ------------------------------------------------------------


def test_parity_commands_still_refuse_to_write_production(
    first_seed: dict[str, Any], sandbox: Sandbox, tmp_path: Path
) -> None:
    article = tmp_path / "article.txt"
    article.write_text(
        (Path(__file__).parents[1] / "unit/content/data/alphanode-021452.txt").read_text("utf-8")
    )
    config = str(sandbox.config_path)
    for argv in (
        ["content", "import", "production", str(article), "--direct"],
        ["refresh", "--from", "staging", "--to", "production", "--yes"],
    ):
        done = subprocess.run(
            [*_parity(), "--config", config, *argv],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        assert "protected" in done.stderr, done.stderr
