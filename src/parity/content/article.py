"""The typed model of an article, as our users' importers receive it.

An article is a title, a body (an intro, then sections under headings; each made of
paragraphs, image references and bulleted lists), the site's "post meta" box and the
closing "Similar Posts" line. See ``docs/content-format.md`` for the text format.

The model is pure data: lists stay lists, nested records stay records, numbers are ints,
flags are bools and the review date is a ``datetime.date``. Every rule that keeps the
text format unambiguous (one line per value, no surrounding whitespace, a paragraph ends
like a sentence and a heading does not) is checked here, so any valid ``Article``
renders to text that parses back to an equal ``Article``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "IMAGE_SOURCE_MARK",
    "AiOutline",
    "Article",
    "Block",
    "BulletList",
    "Entity",
    "Flags",
    "ImageRef",
    "ImageSource",
    "Paragraph",
    "Payload",
    "PostMeta",
    "Revision",
    "Score",
    "Section",
    "ends_like_sentence",
]

#: Joins an image's caption and its source on the caption line of the body.
IMAGE_SOURCE_MARK = ". image source: "

# A paragraph ends with one of these, possibly followed by closing quotes or brackets.
_SENTENCE_ENDS = frozenset(".!?:…")
_CLOSERS = "\"')]”’»"


def ends_like_sentence(text: str) -> bool:
    """Whether a one-line block reads as a paragraph rather than a heading.

    >>> ends_like_sentence("measure the before state.")
    True
    >>> ends_like_sentence("why this matters")
    False
    """
    core = text.rstrip(_CLOSERS)
    return bool(core) and core[-1] in _SENTENCE_ENDS


def _check_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line (no line breaks)")
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    return value


def _check_text(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return _check_line(value)


def _check_paragraph(value: str) -> str:
    if not ends_like_sentence(value):
        raise ValueError("a paragraph must end like a sentence (. ! ? : or …)")
    return value


def _check_heading(value: str) -> str:
    if ends_like_sentence(value):
        raise ValueError("a heading must not end like a sentence (. ! ? : or …)")
    return value


def _check_not_bullet(value: str) -> str:
    # A body line starting with the bullet would read back as a list item.
    if value.startswith("•"):
        raise ValueError("must not start with '•' (that reads as a list item)")
    return value


def _check_image_source(value: str) -> str:
    if IMAGE_SOURCE_MARK in value:
        raise ValueError(f"an image source must not contain {IMAGE_SOURCE_MARK!r}")
    return value


#: One line of text, possibly empty, without surrounding whitespace.
Line = Annotated[str, AfterValidator(_check_line)]
#: One non-empty line of text without surrounding whitespace.
Text = Annotated[str, AfterValidator(_check_text)]
#: A line of the body outside lists: a heading, a paragraph or an image's alt text.
BodyLine = Annotated[Text, AfterValidator(_check_not_bullet)]
#: A whole number, zero or more.
Count = Annotated[int, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the body ---------------------------------------------------------------------------


class Paragraph(_Model):
    """One paragraph: a single line that ends like a sentence."""

    kind: Literal["paragraph"] = "paragraph"
    text: Annotated[BodyLine, AfterValidator(_check_paragraph)]


class ImageRef(_Model):
    """An image in the body: its alt text line, then ``<caption>. image source: <source>``."""

    kind: Literal["image"] = "image"
    alt: BodyLine
    caption: Text
    source: Annotated[Text, AfterValidator(_check_image_source)]


class BulletList(_Model):
    """A bulleted list in the body (the article's checklist), one line per item."""

    kind: Literal["bullets"] = "bullets"
    items: Annotated[list[Text], Field(min_length=1)]


#: One block of the body; ``kind`` tells which.
Block = Annotated[Paragraph | ImageRef | BulletList, Field(discriminator="kind")]


class Section(_Model):
    """A heading and the blocks under it, up to the next heading."""

    heading: Annotated[BodyLine, AfterValidator(_check_heading)]
    blocks: list[Block] = []


# --- the post meta box: nested records --------------------------------------------------
# Field order is the order of the lines in the box; a field's label in the text is its
# name with "_" read as a space (``code_language`` is "code language").


class AiOutline(_Model):
    """The "ai outline" record."""

    context: Text
    problem: Text
    stack: Text
    recommended_action: Text


class Score(_Model):
    """The "score" record: whole numbers."""

    quality: Count
    freshness: Count
    depth: Count
    clarity: Count


class Revision(_Model):
    """The "revision" record; ``version`` stays text ("1.5.9" is not a number)."""

    status: Text
    version: Text
    last_reviewed: dt.date


class Flags(_Model):
    """The "flags" record: written 1 or 0 in the text."""

    ai_generated_style: bool
    has_images: bool
    image_heavy: bool
    needs_human_review: bool


class Entity(_Model):
    """One record of the "entities" list."""

    name: Text
    type: Text


class ImageSource(_Model):
    """One record of the "image sources" list."""

    source: Text
    url: Text
    caption: Text


class Payload(_Model):
    """The "payload" record; ``source_id`` is the article's identity for imports."""

    source_id: Text
    generator: Text
    paragraphs: Count
    scenario: Text
    seed: Count


class PostMeta(_Model):
    """The post meta box, field by field in the order of its lines."""

    topic: Line
    summary: Line
    ai_outline: AiOutline
    ai_brief: Line
    stack: list[Text]
    tools: list[Text]
    code_language: Line
    difficulty: Line
    reading_time: Count
    view_count: Count
    score: Score
    revision: Revision
    reference: Line
    hash: Line
    flags: Flags
    checklist: list[Text]
    entities: list[Entity]
    image_sources: list[ImageSource]
    payload: Payload
    notes: list[Text]


# --- the article ------------------------------------------------------------------------


class Article(_Model):
    """A whole article file.

    ``site`` is the name in the meta box heading ("alphanode" in "alphanode post meta").
    ``final_newline`` records whether the file ends with a newline after "Similar Posts"
    (the sample does not), so rendering gives back the same bytes.
    """

    title: Text
    intro: list[Block] = []
    sections: list[Section] = []
    site: Text
    meta: PostMeta
    final_newline: bool = False

    @property
    def source_id(self) -> str:
        """The payload's source id: what an import keys the article on."""
        return self.meta.payload.source_id

    @property
    def headings(self) -> list[str]:
        """The section headings, in order."""
        return [section.heading for section in self.sections]

    @property
    def body_blocks(self) -> list[Paragraph | ImageRef | BulletList]:
        """Every block of the body in order: the intro's, then each section's."""
        blocks = list(self.intro)
        for section in self.sections:
            blocks.extend(section.blocks)
        return blocks

    @property
    def images(self) -> list[ImageRef]:
        """The image references of the body, in order."""
        return [block for block in self.body_blocks if isinstance(block, ImageRef)]

    @property
    def checklist(self) -> list[str]:
        """The items of the body's bulleted lists, in order (the meta box keeps its own)."""
        return [
            item
            for block in self.body_blocks
            if isinstance(block, BulletList)
            for item in block.items
        ]
