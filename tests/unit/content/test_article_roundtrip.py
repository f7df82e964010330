"""Rendering gives back the text that was parsed, and parse(render(a)) == a."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.content import (
    AiOutline,
    Article,
    BulletList,
    Entity,
    Flags,
    ImageRef,
    ImageSource,
    Paragraph,
    Payload,
    PostMeta,
    Revision,
    Score,
    Section,
    parse_article,
    render_article,
)
from parity.content.layout import META_FIELDS

SAMPLE = Path(__file__).with_name("data") / "alphanode-021452.txt"
SAMPLE_BYTES = SAMPLE.read_bytes()
SAMPLE_TEXT = SAMPLE_BYTES.decode("utf-8")


def test_rendering_the_parsed_sample_reproduces_its_bytes() -> None:
    rendered = render_article(parse_article(SAMPLE_TEXT))
    assert rendered.encode("utf-8") == SAMPLE_BYTES


def test_parse_render_parse_of_the_sample_is_identical() -> None:
    article = parse_article(SAMPLE_TEXT)
    assert parse_article(render_article(article)) == article


def test_a_final_newline_is_kept_through_the_round_trip() -> None:
    article = parse_article(SAMPLE_TEXT + "\n")
    assert article.final_newline is True
    assert render_article(article) == SAMPLE_TEXT + "\n"


def test_json_dump_and_load_give_an_equal_article() -> None:
    article = parse_article(SAMPLE_TEXT)
    assert Article.model_validate_json(article.model_dump_json()) == article


def test_meta_layout_follows_the_documented_label_order() -> None:
    assert [field.label for field in META_FIELDS] == [
        "topic",
        "summary",
        "ai outline",
        "ai brief",
        "stack",
        "tools",
        "code language",
        "difficulty",
        "reading time",
        "view count",
        "score",
        "revision",
        "reference",
        "hash",
        "flags",
        "checklist",
        "entities",
        "image sources",
        "payload",
        "notes",
    ]


def test_empty_lists_and_empty_text_values_round_trip() -> None:
    article = parse_article(SAMPLE_TEXT)
    meta = article.meta.model_copy(
        update={"topic": "", "tools": [], "entities": [], "image_sources": [], "notes": []}
    )
    bare = article.model_copy(update={"meta": meta, "intro": [], "sections": []})
    text = render_article(bare)
    assert "\ntopic\nsummary" in text
    assert "\ntools\ncode language" in text
    assert parse_article(text) == bare
    assert render_article(parse_article(text)) == text


@pytest.mark.parametrize(
    "bad",
    [
        {"text": "a heading, not a paragraph"},
        {"text": "two\nlines."},
        {"text": " leading space."},
    ],
)
def test_the_model_refuses_paragraphs_that_would_not_round_trip(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Paragraph(**bad)


def test_the_model_refuses_headings_that_read_as_paragraphs() -> None:
    with pytest.raises(ValueError):
        Section(heading="why does this matter?")


# --- property: any valid model renders to text that parses back to it -------------------

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-/0123456789", min_size=1, max_size=8)
_PUNCT = st.sampled_from([",", ":", ".", "?", "!", "(", ")", "'", '"', "•", "é", "—"])
_TEXT = st.lists(st.one_of(_WORD, _PUNCT), min_size=1, max_size=8).map(" ".join)
_BODY_LINE = _TEXT.filter(lambda text: not text.startswith("•"))
_HEADING = _BODY_LINE.filter(lambda text: text.rstrip("\"')]”’»")[-1:] not in set(".!?:…"))
_PARAGRAPH = _BODY_LINE.map(lambda text: text + ".")
_COUNT = st.integers(min_value=0, max_value=10**12)
_BLOCK = st.one_of(
    _PARAGRAPH.map(lambda text: Paragraph(text=text)),
    st.builds(ImageRef, alt=_BODY_LINE, caption=_TEXT, source=_WORD),
    st.lists(_TEXT, min_size=1, max_size=4).map(lambda items: BulletList(items=items)),
)
_META = st.builds(
    PostMeta,
    topic=st.one_of(st.just(""), _TEXT),
    summary=_TEXT,
    ai_outline=st.builds(AiOutline, context=_TEXT, problem=_TEXT, stack=_TEXT,
                         recommended_action=_TEXT),
    ai_brief=_TEXT,
    stack=st.lists(_TEXT, max_size=3),
    tools=st.lists(_TEXT, max_size=3),
    code_language=_WORD,
    difficulty=_WORD,
    reading_time=_COUNT,
    view_count=_COUNT,
    score=st.builds(Score, quality=_COUNT, freshness=_COUNT, depth=_COUNT, clarity=_COUNT),
    revision=st.builds(Revision, status=_TEXT, version=_TEXT,
                       last_reviewed=st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))),
    reference=_TEXT,
    hash=_WORD,
    flags=st.builds(Flags, ai_generated_style=st.booleans(), has_images=st.booleans(),
                    image_heavy=st.booleans(), needs_human_review=st.booleans()),
    checklist=st.lists(_TEXT, max_size=3),
    entities=st.lists(st.builds(Entity, name=_TEXT, type=_WORD), max_size=3),
    image_sources=st.lists(st.builds(ImageSource, source=_WORD, url=_TEXT, caption=_TEXT),
                           max_size=2),
    payload=st.builds(Payload, source_id=_WORD, generator=_TEXT, paragraphs=_COUNT,
                      scenario=_TEXT, seed=_COUNT),
    notes=st.lists(_TEXT, max_size=3),
)  # fmt: skip
_ARTICLE = st.builds(
    Article,
    title=_TEXT,
    intro=st.lists(_BLOCK, max_size=3),
    sections=st.lists(
        st.builds(Section, heading=_HEADING, blocks=st.lists(_BLOCK, max_size=3)), max_size=4
    ),
    site=_WORD,
    meta=_META,
    final_newline=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(_ARTICLE)
def test_any_valid_article_survives_render_then_parse(article: Article) -> None:
    text = render_article(article)
    assert parse_article(text) == article
    assert render_article(parse_article(text)) == text
