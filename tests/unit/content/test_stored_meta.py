"""``stored_article_meta`` (one pass, for the bulk import) stores exactly what the typed
path stores: ``stored_meta_value`` of each value of ``article_meta``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from parity.content import Article, parse_article, synthesize
from parity.content.importer.postdata import (
    article_meta,
    build_post,
    stored_article_meta,
    stored_meta_value,
)

SAMPLE = parse_article(
    (Path(__file__).with_name("data") / "alphanode-021452.txt").read_text("utf-8")
)


def typed_path(article: Article) -> tuple[tuple[str, str], ...]:
    return tuple((key, stored_meta_value(value)) for key, value in article_meta(article).items())


def test_the_sample_stores_the_same_meta_on_both_paths() -> None:
    assert stored_article_meta(SAMPLE) == typed_path(SAMPLE)


@pytest.mark.parametrize("seed", [3, 2026])
def test_synthesized_articles_store_the_same_meta_on_both_paths(seed: int) -> None:
    for article in synthesize(200, seed=seed):
        assert stored_article_meta(article) == typed_path(article)


def test_a_bulk_post_and_a_typed_post_store_the_same_meta() -> None:
    typed = build_post(SAMPLE, "h")
    bulk = build_post(SAMPLE, "h", typed=False, bulk=True)
    assert bulk.stored_meta == typed.stored_meta
    assert bulk.meta == {}


_ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            'a:1:{i:0;s:1:"x";}',
            's:3:"abc";',
            "b:1;",
            "i:5;",
            "N;",
            "<b>bold</b> text",
            "<script>alert(1)</script>after",
            "two  spaces",
            "tab\there",
            "ctrl\x01char",
            "ünïcödé ✓ 😀",
            "javascript:alert(1)",
            "https://example.com/a b?c=<d>",
            "HTTP://EXAMPLE.COM/x",
            "ftp://example.com/x",
            "50%ab",
            "0",
            "12",
        ]
    ),
)
_NUMBER = st.one_of(st.integers(min_value=0, max_value=2**70), st.sampled_from([0, 1, 2**63 - 1]))


def _edited(article: Article, edit: dict[str, Any]) -> Article:
    data = article.model_dump()
    meta = data["meta"]
    for path, value in edit.items():
        target = meta
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    try:
        return Article.model_validate(data)
    except ValidationError:
        assume(False)
        raise


_PATHS = st.sampled_from(
    [
        "topic",
        "summary",
        "ai_brief",
        "code_language",
        "reference",
        "hash",
        "ai_outline.context",
        "revision.version",
        "payload.source_id",
        "image_sources.0.url",
        "image_sources.0.caption",
        "entities.0.name",
        "stack.0",
        "notes.1",
    ]
)
_NUMBER_PATHS = st.sampled_from(
    ["reading_time", "view_count", "score.quality", "payload.seed", "payload.paragraphs"]
)


def _both(article: Article) -> None:
    try:
        expected = typed_path(article)
    except (ValueError, UnicodeError) as error:
        with pytest.raises(type(error)):
            stored_article_meta(article)
        return
    assert stored_article_meta(article) == expected


@settings(max_examples=300, deadline=None)
@given(path=_PATHS, text=_ODD_TEXT, site=_ODD_TEXT)
def test_odd_text_values_store_the_same_on_both_paths(path: str, text: str, site: str) -> None:
    _both(_edited(SAMPLE, {path: text}).model_copy(update={"site": site or "x"}))


@settings(max_examples=100, deadline=None)
@given(path=_NUMBER_PATHS, number=_NUMBER)
def test_numbers_store_the_same_on_both_paths(path: str, number: int) -> None:
    _both(_edited(SAMPLE, {path: number}))


@settings(max_examples=50, deadline=None)
@given(items=st.lists(_ODD_TEXT, max_size=4), flag=st.booleans())
def test_lists_and_flags_store_the_same_on_both_paths(items: list[str], flag: bool) -> None:
    _both(
        _edited(
            SAMPLE,
            {"tools": items, "checklist": items[::-1], "entities": [], "flags.image_heavy": flag},
        )
    )
