"""Parsing the real sample article gives exactly its field values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

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
    Revision,
    Score,
    parse_article,
)

SAMPLE = Path(__file__).with_name("data") / "alphanode-021452.txt"
CHECKLIST = [
    "inspect cache headers",
    "test logged-in traffic",
    "purge only the affected route",
    "measure response time",
    "keep a rollback command ready",
]
CAPTION = "keeping staging close to production with python services visual reference 1"


@pytest.fixture(scope="module")
def article() -> Article:
    return parse_article(SAMPLE.read_bytes().decode("utf-8"), source=SAMPLE.name)


def test_title_is_the_first_line(article: Article) -> None:
    assert article.title == (
        "python services notes: keeping staging close to production inside a wordpress workflow"
    )


def test_intro_is_a_paragraph_then_the_image_reference(article: Article) -> None:
    assert len(article.intro) == 2
    paragraph, image = article.intro
    assert isinstance(paragraph, Paragraph)
    assert paragraph.text.startswith("when a project grows, keeping staging close to production")
    assert paragraph.text.endswith("python services inside a wordpress workflow.")
    assert image == ImageRef(alt=CAPTION, caption=CAPTION, source="unsplash")


def test_section_headings_in_order(article: Article) -> None:
    assert article.headings == [
        "production checks",
        "why this matters",
        "implementation checklist",
        "final notes",
    ]


def test_sections_hold_their_paragraphs(article: Article) -> None:
    kinds = [[block.kind for block in section.blocks] for section in article.sections]
    assert kinds == [["paragraph"] * 4, ["paragraph"] * 2, ["bullets"], ["paragraph"]]
    first = article.sections[0].blocks[0]
    assert isinstance(first, Paragraph)
    assert first.text.startswith("monitoring should answer simple questions quickly:")
    last = article.sections[-1].blocks[0]
    assert isinstance(last, Paragraph)
    assert last.text.endswith("so future maintenance is easier.")


def test_image_references_carry_caption_and_source(article: Article) -> None:
    assert article.images == [ImageRef(alt=CAPTION, caption=CAPTION, source="unsplash")]


def test_body_checklist_is_a_list_of_items(article: Article) -> None:
    assert article.sections[2].blocks == [BulletList(items=CHECKLIST)]
    assert article.checklist == CHECKLIST


def test_meta_box_heading_names_the_site(article: Article) -> None:
    assert article.site == "alphanode"


def test_sample_has_no_final_newline(article: Article) -> None:
    assert article.final_newline is False


def test_glued_text_fields_are_split_from_their_labels(article: Article) -> None:
    meta = article.meta
    assert meta.topic == "keeping staging close to production / python services"
    assert meta.summary == (
        "this ai-style technical summary explains keeping staging close to production in "
        "python services, with emphasis on measurement, safe defaults, rollback planning, "
        "and maintainable documentation."
    )
    assert meta.ai_brief == (
        "the article is written like a careful ai generated engineering draft: it explains "
        "the reason for the change, lists operational checks, and avoids pretending that one "
        "command fixes every production case."
    )
    assert meta.code_language == "python"
    assert meta.difficulty == "beginner"
    assert meta.reference == "anp-ref-021452-3492"
    assert meta.hash == "a43db25f39e6fa9e3d04ec64"


def test_numbers_are_ints(article: Article) -> None:
    assert article.meta.reading_time == 7
    assert article.meta.view_count == 297756
    assert type(article.meta.view_count) is int


def test_ai_outline_is_a_record(article: Article) -> None:
    assert article.meta.ai_outline == AiOutline(
        context="inside a wordpress workflow",
        problem="keeping staging close to production",
        stack="python services",
        recommended_action="measure first, change carefully, document the result",
    )


def test_arrays_stay_lists(article: Article) -> None:
    meta = article.meta
    assert meta.stack == ["python services", "backend", "python"]
    assert meta.tools == ["fastapi", "pytest", "uvicorn", "ruff", "git", "logs"]
    assert meta.checklist == CHECKLIST
    assert meta.notes == [
        "sanitized array meta is expected to render as a list in the frontend box",
        "view count is synthetic and only used for testing meta volume",
        "content is generated for import/load testing and should be reviewed before indexing",
    ]


def test_score_is_a_record_of_ints(article: Article) -> None:
    assert article.meta.score == Score(quality=85, freshness=50, depth=62, clarity=70)


def test_revision_keeps_version_as_text_and_reads_the_date(article: Article) -> None:
    assert article.meta.revision == Revision(
        status="expanded", version="1.5.9", last_reviewed=dt.date(2022, 8, 9)
    )


def test_flags_are_bools(article: Article) -> None:
    assert article.meta.flags == Flags(
        ai_generated_style=True, has_images=True, image_heavy=False, needs_human_review=False
    )


def test_entities_are_a_list_of_records(article: Article) -> None:
    assert article.meta.entities == [
        Entity(name="python services", type="stack"),
        Entity(name="backend", type="area"),
        Entity(name="keeping staging close to production", type="problem"),
    ]


def test_image_sources_are_a_list_of_records(article: Article) -> None:
    assert article.meta.image_sources == [
        ImageSource(
            source="unsplash",
            url="https://images.unsplash.com/photo-1515879218367-8466d910aaa4"
            "?auto=format&fit=crop&w=1200&q=80",
            caption=CAPTION,
        )
    ]


def test_payload_is_a_record_with_typed_numbers(article: Article) -> None:
    assert article.meta.payload == Payload(
        source_id="alphanode-021452",
        generator="anp content synthesizer",
        paragraphs=7,
        scenario="inside a wordpress workflow",
        seed=21452,
    )
    assert article.source_id == "alphanode-021452"


def test_model_dump_has_lists_and_nested_objects(article: Article) -> None:
    dumped = article.model_dump(mode="json")
    meta = dumped["meta"]
    assert meta["entities"][0] == {"name": "python services", "type": "stack"}
    assert meta["payload"]["seed"] == 21452
    assert meta["flags"]["has_images"] is True
    assert meta["revision"]["last_reviewed"] == "2022-08-09"
    assert dumped["intro"][1] == {
        "kind": "image",
        "alt": CAPTION,
        "caption": CAPTION,
        "source": "unsplash",
    }
