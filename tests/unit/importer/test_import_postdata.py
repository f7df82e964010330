"""An article as the post an import writes: meta sanitized, arrays kept, tags, block HTML."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from parity.content import read_article, synthesize
from parity.content.importer.html import article_html
from parity.content.importer.postdata import (
    build_post,
    content_hash,
    import_meta,
    is_managed_key,
    stored_meta_value,
    wp_is_serialized,
)
from parity.content.importer.sanitize import sanitize_text, sanitize_url, slugify

SAMPLE = Path(__file__).parents[1] / "content" / "data" / "alphanode-021452.txt"


@pytest.fixture(scope="module")
def sample_post():  # type: ignore[no-untyped-def]
    return build_post(read_article(SAMPLE))


def test_the_sample_becomes_title_excerpt_tags_and_meta(sample_post) -> None:  # type: ignore[no-untyped-def]
    post = sample_post
    assert post.source_id == "alphanode-021452"
    assert post.title.startswith("python services notes: keeping staging close")
    assert post.excerpt.startswith("this ai-style technical summary explains")
    assert post.tags == (
        "python services",
        "backend",
        "python",
        "fastapi",
        "pytest",
        "uvicorn",
        "ruff",
        "git",
        "logs",
    )
    meta = post.meta
    assert meta["article_stack"] == ["python services", "backend", "python"]
    assert meta["article_reading_time"] == 7
    assert meta["article_view_count"] == 297756
    assert meta["article_score"] == {"quality": 85, "freshness": 50, "depth": 62, "clarity": 70}
    assert meta["article_revision"] == {
        "status": "expanded",
        "version": "1.5.9",
        "last_reviewed": "2022-08-09",
    }
    assert meta["article_flags"] == {
        "ai_generated_style": True,
        "has_images": True,
        "image_heavy": False,
        "needs_human_review": False,
    }
    assert meta["article_entities"][0] == {"name": "python services", "type": "stack"}
    assert meta["article_image_sources"][0]["url"].startswith("https://images.unsplash.com/")
    assert meta["article_payload"]["source_id"] == "alphanode-021452"
    assert len(meta["article_notes"]) == 3
    assert all(is_managed_key(key) for key in meta)


def test_bookkeeping_meta_has_source_id_hash_run_and_noindex(sample_post) -> None:  # type: ignore[no-untyped-def]
    meta = import_meta(sample_post, run_id=7, noindex=True)
    assert list(meta)[:4] == [
        "parity_source_id",
        "parity_content_hash",
        "parity_import_run",
        "parity_noindex",
    ]
    assert meta["parity_import_run"] == "7"
    assert meta["parity_noindex"] == "1"
    assert "parity_noindex" not in import_meta(sample_post, run_id=7, noindex=False)
    assert not is_managed_key("parity_source_id")  # never rewritten or removed


def test_the_content_hash_changes_with_the_text_only() -> None:
    first, second = synthesize(2, seed=4)
    assert content_hash(first) == content_hash(first.model_copy())
    assert content_hash(first) != content_hash(second)
    assert content_hash(first) != content_hash(first.model_copy(update={"title": "other"}))


@pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is the oracle")
def test_array_meta_is_stored_exactly_as_php_serializes_it(sample_post) -> None:  # type: ignore[no-untyped-def]
    arrays = {k: v for k, v in sample_post.meta.items() if isinstance(v, list | dict)}
    php = subprocess.run(
        [
            "php",
            "-r",
            '$m = json_decode(file_get_contents("php://stdin"), true);'
            ' foreach ($m as $k => $v) { echo $k, "\\t", serialize($v), "\\n"; }',
        ],
        input=json.dumps(arrays),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = dict(line.split("\t", 1) for line in php.splitlines())
    assert {k: stored_meta_value(v) for k, v in arrays.items()} == expected


def test_scalars_are_stored_as_wordpress_stores_them() -> None:
    assert stored_meta_value(7) == "7"
    assert stored_meta_value(True) == "1"
    assert stored_meta_value(False) == ""
    assert stored_meta_value("plain") == "plain"
    # maybe_serialize() serializes strings that already look serialized.
    assert stored_meta_value("a:0:{}") == 's:6:"a:0:{}";'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a:0:{}", True),
        ("N;", True),
        ("i:5;", True),
        ("i:5}", False),
        ('s:1:"a";', True),
        ('s:1:"a"', False),
        ("b:1;", True),
        ("a: list", False),
        ("hello", False),
        (" b:0; ", True),
    ],
)
def test_wp_is_serialized_follows_wordpress(text: str, expected: bool) -> None:
    assert wp_is_serialized(text) is expected


def test_sanitizing_text_urls_and_slugs() -> None:
    assert sanitize_text(" <script>x()</script><b>cache</b>\t rules\x07 ") == "cache rules"
    assert sanitize_url("https://a.example/p?w=1&q=2") == "https://a.example/p?w=1&q=2"
    assert sanitize_url("javascript:alert(1)") == ""
    assert sanitize_url(' https://a.example/"><x') == "https://a.example/x"
    assert slugify("Node.js APIs") == "node-js-apis"
    assert slugify("Crème brûlée") == "creme-brulee"
    assert slugify("wp-cli") == "wp-cli"
    assert slugify("日本") == "%e6%97%a5%e6%9c%ac"


def test_the_body_becomes_core_blocks_with_escaped_text() -> None:
    article = read_article(SAMPLE)
    html = article_html(article)
    assert html.startswith("<!-- wp:paragraph -->\n<p>when a project grows")
    assert html.count("<!-- wp:heading -->") == len(article.sections)
    assert '<h2 class="wp-block-heading">implementation checklist</h2>' in html
    assert "<li>inspect cache headers</li>" in html
    assert 'src="https://images.unsplash.com/photo-1515879218367-8466d910aaa4?auto=format&amp;' in (
        html
    )
    assert "<figcaption" in html
    assert "Similar Posts" not in html and "post meta" not in html
    changed = article.model_copy(
        update={"intro": [article.intro[0].model_copy(update={"text": "a <b> & c."})]}
    )
    assert "<p>a &lt;b&gt; &amp; c.</p>" in article_html(changed)


def test_a_files_own_bytes_hash_to_its_articles_content_hash(tmp_path: Path) -> None:
    from parity.content import write_articles_dir
    from parity.content.importer.prepare import prepare
    from parity.content.importer.sources import ArticleSource

    synthetic = list(synthesize(20, seed=11))
    write_articles_dir(synthetic, tmp_path)
    # The real sample as our users' importers receive it, not rewritten by parity.
    raws = [*ArticleSource([SAMPLE]).raw(), *ArticleSource([tmp_path]).raw()]
    prepared = [prepare(raw) for raw in raws]
    by_id = {p.post.source_id: p.post.content_hash for p in prepared if p.post}
    articles = [read_article(SAMPLE), *synthetic]
    assert by_id == {a.source_id: content_hash(a) for a in articles}
