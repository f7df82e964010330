"""An article's body as WordPress block markup (pure).

Paragraphs, section headings (``h2``), bulleted lists and images become the core blocks
an editor would have made, so the block editor opens imported posts without "invalid
block" warnings. Images keep their external URL (from the meta box's image sources);
nothing is downloaded.
"""

from __future__ import annotations

from html import escape

from parity.content.article import Article, BulletList, ImageRef, Paragraph
from parity.content.importer.sanitize import sanitize_url

__all__ = ["article_html", "heading_block", "list_block"]


def _text(value: str) -> str:
    return escape(value, quote=False)


def _paragraph(block: Paragraph) -> str:
    return f"<!-- wp:paragraph -->\n<p>{_text(block.text)}</p>\n<!-- /wp:paragraph -->"


def heading_block(text: str) -> str:
    """A core heading block (``h2``) holding ``text``, as the block editor saves it."""
    return (
        f'<!-- wp:heading -->\n<h2 class="wp-block-heading">{_text(text)}</h2>\n'
        "<!-- /wp:heading -->"
    )


def list_block(block: BulletList) -> str:
    """A core list block with one list-item block per bullet."""
    items = "".join(
        f"<!-- wp:list-item -->\n<li>{_text(item)}</li>\n<!-- /wp:list-item -->"
        for item in block.items
    )
    return f'<!-- wp:list -->\n<ul class="wp-block-list">{items}</ul>\n<!-- /wp:list -->'


def _image(block: ImageRef, urls: dict[tuple[str, str], str]) -> str:
    url = urls.get((block.caption, block.source)) or urls.get((block.caption, ""))
    caption = f'<figcaption class="wp-element-caption">{_text(block.caption)}</figcaption>'
    image = f'<img src="{escape(url)}" alt="{escape(block.alt)}"/>' if url else ""
    return (
        f'<!-- wp:image -->\n<figure class="wp-block-image">{image}{caption}</figure>\n'
        "<!-- /wp:image -->"
    )


def article_html(article: Article) -> str:
    """The post content of ``article``: its intro and sections as blocks."""
    urls: dict[tuple[str, str], str] = {}
    for source in article.meta.image_sources:
        url = sanitize_url(source.url)
        if url:
            urls.setdefault((source.caption, source.source), url)
            urls.setdefault((source.caption, ""), url)
    parts: list[str] = []

    def add(block: Paragraph | ImageRef | BulletList) -> None:
        if isinstance(block, Paragraph):
            parts.append(_paragraph(block))
        elif isinstance(block, ImageRef):
            parts.append(_image(block, urls))
        else:
            parts.append(list_block(block))

    for block in article.intro:
        add(block)
    for section in article.sections:
        parts.append(heading_block(section.heading))
        for block in section.blocks:
            add(block)
    return "\n\n".join(parts)
