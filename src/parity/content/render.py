"""Render an ``Article`` back to the article text format (no I/O).

Blocks are separated by one blank line; the meta box is one block of lines; the file
ends with "Similar Posts", followed by a newline only if ``article.final_newline``.
For any text that ``parse_article`` accepts, ``render_article(parse_article(text))``
gives the same text back.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from parity.content.article import (
    IMAGE_SOURCE_MARK,
    Article,
    BulletList,
    ImageRef,
    Paragraph,
    PostMeta,
)
from parity.content.layout import (
    ITEM_PREFIX,
    KEY_SEPARATOR,
    META_FIELDS,
    META_HEADING_SUFFIX,
    NESTED_ITEM_PREFIX,
    SIMILAR_POSTS,
    RecordField,
)

__all__ = ["render_article", "render_meta"]


def render_article(article: Article) -> str:
    """The article as text, in the format our users' importers receive.

    >>> text = render_article(article)            # doctest: +SKIP
    >>> parse_article(text) == article            # doctest: +SKIP
    True
    """
    blocks = [article.title]
    blocks.extend(_render_block(block) for block in article.intro)
    for section in article.sections:
        blocks.append(section.heading)
        blocks.extend(_render_block(block) for block in section.blocks)
    blocks.append(article.site + META_HEADING_SUFFIX)
    blocks.append(render_meta(article.meta))
    blocks.append(SIMILAR_POSTS)
    text = "\n\n".join(blocks)
    return text + "\n" if article.final_newline else text


def _render_block(block: Paragraph | ImageRef | BulletList) -> str:
    if isinstance(block, ImageRef):
        return f"{block.alt}\n{block.caption}{IMAGE_SOURCE_MARK}{block.source}"
    if isinstance(block, BulletList):
        return "\n".join([ITEM_PREFIX + item for item in block.items])
    return block.text


def render_meta(meta: PostMeta) -> str:
    """The post meta box: its lines, without the heading above or the blank line after."""
    lines: list[str] = []
    for field in META_FIELDS:
        value = getattr(meta, field.name)
        if field.kind == "text":
            lines.append(field.label + value)
        elif field.kind == "int":
            lines.append(field.label + str(value))
        elif field.kind == "list":
            lines.append(field.label)
            lines.extend([ITEM_PREFIX + item for item in value])
        elif field.kind == "record":
            lines.append(field.label)
            _render_record(lines, value, field.fields, ITEM_PREFIX)
        else:
            lines.append(field.label)
            for record in value:
                _render_record(lines, record, field.fields, NESTED_ITEM_PREFIX)
    return "\n".join(lines)


def _render_record(
    lines: list[str], record: BaseModel, fields: tuple[RecordField, ...], prefix: str
) -> None:
    for field in fields:
        lines.append(
            prefix + field.label + KEY_SEPARATOR + _render_value(getattr(record, field.name))
        )


def _render_value(value: object) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
