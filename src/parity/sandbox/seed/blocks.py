"""Post content as the block editor saves it, with the site's own absolute URLs (pure).

What a refresh has to get right lives here: image blocks whose ``src`` is an absolute
production URL and whose ``id`` is the attachment's, an internal link in a paragraph,
and a plugin's block whose JSON attributes hold URLs with escaped slashes
(``http:\\/\\/host\\/...``), as PHP's ``json_encode`` writes them::

    body = article_blocks(article, images, related)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from parity.content.article import Article, BulletList, ImageRef, Paragraph
from parity.content.importer.html import heading_block, list_block
from parity.sandbox.seed.model import ref

__all__ = ["Link", "PlacedImage", "article_blocks", "json_attributes", "page_blocks"]


@dataclass(frozen=True)
class PlacedImage:
    """An uploaded image as a post shows it."""

    key: str  # the attachment's seed key
    url: str  # absolute URL of the full-size file
    alt: str
    caption: str


@dataclass(frozen=True)
class Link:
    """A link to another post of the site."""

    title: str
    url: str
    key: str


def json_attributes(value: dict[str, object]) -> str:
    """Block attributes as PHP's ``json_encode`` writes them: slashes escaped, ASCII only.

    >>> json_attributes({"url": "http://h/x"})
    '{"url":"http:\\\\/\\\\/h\\\\/x"}'
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    # As serialize_block_attributes() does: nothing in it may close the HTML comment.
    text = text.replace("--", "\\u002d\\u002d").replace("<", "\\u003c").replace(">", "\\u003e")
    return text.replace("/", "\\/")


def _text(value: str) -> str:
    return escape(value, quote=False)


def _paragraph(html: str) -> str:
    return f"<!-- wp:paragraph -->\n<p>{html}</p>\n<!-- /wp:paragraph -->"


def _image(image: PlacedImage) -> str:
    attrs = f'{{"id":{ref(image.key)},"sizeSlug":"large","linkDestination":"none"}}'
    return (
        f"<!-- wp:image {attrs} -->\n"
        '<figure class="wp-block-image size-large">'
        f'<img src="{escape(image.url)}" alt="{escape(image.alt)}"'
        f' class="wp-image-{ref(image.key)}"/>'
        f'<figcaption class="wp-element-caption">{_text(image.caption)}</figcaption>'
        "</figure>\n<!-- /wp:image -->"
    )


def _related(links: Sequence[Link], backdrop: PlacedImage | None) -> str:
    attrs: dict[str, object] = {
        "heading": "Related notes",
        "posts": [{"title": link.title, "url": link.url} for link in links],
    }
    if backdrop is not None:
        attrs["backdrop"] = backdrop.url
    # A plugin's dynamic block: nothing but its attributes is saved in the post.
    return f"<!-- wp:alphanode/related-posts {json_attributes(attrs)} /-->"


def article_blocks(article: Article, images: Sequence[PlacedImage], related: Sequence[Link]) -> str:
    """The content of ``article``'s post: its body as core blocks, the ``n``-th image of
    the body shown as ``images[n]``, then a "read next" paragraph and a related-posts
    block linking to ``related``."""
    parts: list[str] = []
    remaining = list(images)

    def add(block: Paragraph | ImageRef | BulletList) -> None:
        if isinstance(block, Paragraph):
            parts.append(_paragraph(_text(block.text)))
        elif isinstance(block, ImageRef):
            if remaining:
                parts.append(_image(remaining.pop(0)))
        else:
            parts.append(list_block(block))

    for block in article.intro:
        add(block)
    for section in article.sections:
        parts.append(heading_block(section.heading))
        for block in section.blocks:
            add(block)
    if related:
        first = related[0]
        parts.append(
            _paragraph(f'Read next: <a href="{escape(first.url)}">{_text(first.title)}</a>.')
        )
        parts.append(_related(related, images[0] if images else None))
    return "\n\n".join(parts)


def page_blocks(intro: Sequence[str], gallery: Sequence[PlacedImage], feed_url: str) -> str:
    """An "about" page: paragraphs, a gallery of ``gallery`` and a link to the feed."""
    parts = [_paragraph(_text(text)) for text in intro]
    if gallery:
        inner = "\n\n".join(_image(image) for image in gallery)
        parts.append(
            '<!-- wp:gallery {"linkTo":"none"} -->\n'
            '<figure class="wp-block-gallery has-nested-images columns-default'
            f' is-cropped">{inner}</figure>\n<!-- /wp:gallery -->'
        )
    parts.append(_paragraph(f'Follow along with <a href="{escape(feed_url)}">our feed</a>.'))
    return "\n\n".join(parts)
