"""The "Similar Posts" section of an imported post's content (pure).

The article format ends with a "Similar Posts" heading; on an imported post it becomes
a group block (class ``parity-similar-posts``) at the end of the content: a core heading
and a core list of links. parity owns that block: ``with_similar_section`` replaces it (or
removes it, for an empty list) and leaves the rest of the content byte for byte, so
rendering the same list again gives the same content.

>>> content = with_similar_section("<p>body.</p>", [SimilarLink("next", "http://s/?p=2")])
>>> strip_similar_section(content)
'<p>body.</p>'
>>> with_similar_section(content, [SimilarLink("next", "http://s/?p=2")]) == content
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from parity.content.layout import SIMILAR_POSTS

__all__ = [
    "SECTION_CLASS",
    "SIMILAR_META_KEY",
    "SimilarLink",
    "similar_section",
    "strip_similar_section",
    "with_similar_section",
]

#: The post meta key holding a post's similar list (here, in a module that loads fast:
#: the import looks for it without loading the similarity libraries).
SIMILAR_META_KEY = "parity_similar_posts"
#: The class of the group block parity writes and later finds again.
SECTION_CLASS = "parity-similar-posts"
_OPEN = f'<!-- wp:group {{"className":"{SECTION_CLASS}"}} -->'
_CLOSE = "<!-- /wp:group -->"
_SECTION = re.compile(r"\s*" + re.escape(_OPEN) + r".*?" + re.escape(_CLOSE) + r"\s*$", re.S)


@dataclass(frozen=True)
class SimilarLink:
    """One entry of the list: the post's title and its URL."""

    title: str
    url: str


def similar_section(links: Sequence[SimilarLink]) -> str:
    """The group block: a "Similar Posts" heading and a list linking to ``links``."""
    items = "".join(
        "<!-- wp:list-item -->\n"
        f'<li><a href="{escape(link.url)}">{escape(link.title, quote=False)}</a></li>\n'
        "<!-- /wp:list-item -->"
        for link in links
    )
    return (
        f'{_OPEN}\n<div class="wp-block-group {SECTION_CLASS}">'
        f'<!-- wp:heading -->\n<h2 class="wp-block-heading">{SIMILAR_POSTS}</h2>\n'
        "<!-- /wp:heading -->\n\n"
        f'<!-- wp:list -->\n<ul class="wp-block-list">{items}</ul>\n<!-- /wp:list -->'
        f"</div>\n{_CLOSE}"
    )


def strip_similar_section(content: str) -> str:
    """``content`` without parity's section at its end (unchanged when it has none)."""
    return _SECTION.sub("", content)


def with_similar_section(content: str, links: Sequence[SimilarLink]) -> str:
    """``content`` ending with the section for ``links`` (no section when empty)."""
    body = strip_similar_section(content)
    if not links:
        return body
    return f"{body}\n\n{similar_section(links)}"
