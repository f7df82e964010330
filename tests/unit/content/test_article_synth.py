"""Synthesis is deterministic, varied, and produces articles that round-trip."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter

import pytest

from parity.content import (
    Article,
    ImageRef,
    Paragraph,
    parse_article,
    render_article,
    synthesize,
    synthesize_one,
)
from parity.content.synth import GENERATOR, SITE, article_seed


def digest(articles: list[Article]) -> str:
    hasher = hashlib.sha256()
    for article in articles:
        hasher.update(render_article(article).encode("utf-8"))
    return hasher.hexdigest()


@pytest.fixture(scope="module")
def batch() -> list[Article]:
    return list(synthesize(300, seed=11))


def test_same_seed_gives_byte_identical_text() -> None:
    first = [render_article(article) for article in synthesize(50, seed=3)]
    second = [render_article(article) for article in synthesize(50, seed=3)]
    assert first == second


def test_same_seed_gives_identical_json() -> None:
    first = [article.model_dump_json() for article in synthesize(20, seed=3)]
    assert first == [article.model_dump_json() for article in synthesize(20, seed=3)]


def test_different_seeds_give_different_articles() -> None:
    assert digest(list(synthesize(20, seed=1))) != digest(list(synthesize(20, seed=2)))
    texts_1 = {render_article(a).split("\n\nalphanode post meta")[0] for a in synthesize(20, 1)}
    texts_2 = {render_article(a).split("\n\nalphanode post meta")[0] for a in synthesize(20, 2)}
    assert texts_1 != texts_2


def test_output_is_pinned_for_a_known_seed() -> None:
    # Guards determinism across processes and Python hash seeds; update on purpose only.
    article = synthesize_one(seed=7, index=3)
    assert article.source_id == "alphanode-7-000003"
    assert article.meta.payload.seed == article_seed(7, 3) == 219745238638714
    assert article.title == "how we handle flaky end-to-end tests with mysql databases"


def test_any_slice_can_be_reproduced_on_its_own() -> None:
    whole = list(synthesize(30, seed=5))
    assert list(synthesize(10, seed=5, start=12)) == whole[12:22]
    assert synthesize_one(5, 29) == whole[29]


def test_synthesized_articles_survive_render_then_parse(batch: list[Article]) -> None:
    for article in batch:
        text = render_article(article)
        assert parse_article(text, source=article.source_id) == article


def test_source_ids_are_unique_within_and_across_runs(batch: list[Article]) -> None:
    ids = [article.source_id for article in batch]
    assert len(set(ids)) == len(ids)
    other = {article.source_id for article in synthesize(300, seed=12)}
    assert other.isdisjoint(ids)


def test_payload_describes_the_article(batch: list[Article]) -> None:
    for index, article in enumerate(batch):
        payload = article.meta.payload
        assert payload.source_id == f"{SITE}-11-{index:06d}"
        assert payload.generator == GENERATOR
        assert payload.seed == article_seed(11, index)
        paragraphs = sum(
            isinstance(block, Paragraph) for section in article.sections for block in section.blocks
        )
        assert payload.paragraphs == paragraphs
        assert payload.scenario == article.meta.ai_outline.context


def test_meta_agrees_with_the_body(batch: list[Article]) -> None:
    for article in batch:
        meta = article.meta
        assert meta.checklist == article.checklist
        assert [source.caption for source in meta.image_sources] == [
            image.caption for image in article.images
        ]
        assert meta.flags.has_images == bool(article.images)
        assert meta.flags.image_heavy == (len(article.images) >= 3)
        assert meta.stack[0] == meta.ai_outline.stack
        assert meta.reading_time >= 1


def test_articles_vary_in_stack_problem_scenario_and_shape(batch: list[Article]) -> None:
    assert len(Counter(article.meta.stack[0] for article in batch)) >= 15
    assert len(Counter(article.meta.ai_outline.problem for article in batch)) >= 15
    assert len(Counter(article.meta.ai_outline.context for article in batch)) >= 10
    assert len({len(article.sections) for article in batch}) >= 3
    assert len({len(article.images) for article in batch}) == 4
    assert len({tuple(article.checklist) for article in batch}) > 250
    assert len({article.meta.difficulty for article in batch}) == 3


def test_images_come_with_a_caption_a_source_and_a_url(batch: list[Article]) -> None:
    for article in batch:
        for image, source in zip(article.images, article.meta.image_sources, strict=True):
            assert isinstance(image, ImageRef)
            assert image.source == source.source
            assert source.url.startswith("https://")


@pytest.mark.parametrize(("count", "seed"), [(-1, 0), (1, -1)])
def test_negative_count_or_seed_is_refused(count: int, seed: int) -> None:
    with pytest.raises(ValueError):
        list(synthesize(count, seed))


def test_zero_articles_is_an_empty_run() -> None:
    assert list(synthesize(0, seed=1)) == []


def test_output_does_not_depend_on_the_python_hash_seed() -> None:
    script = (
        "import hashlib; from parity.content import render_article, synthesize; "
        "h = hashlib.sha256(); "
        "[h.update(render_article(a).encode()) for a in synthesize(20, seed=8)]; "
        "print(h.hexdigest())"
    )
    expected = digest(list(synthesize(20, seed=8)))
    for hash_seed in ("0", "12345"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert result.stdout.strip() == expected
