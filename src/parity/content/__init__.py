"""Articles: the text format our users' importers receive, its model, and synthesis.

    parse_article(text, source=...)  -> Article      (parse.py, pure)
    render_article(article)          -> str          (render.py, pure)
    synthesize(count, seed)          -> Iterator[Article]  (synth.py, pure, deterministic)
    read_article / write_articles_dir / write_jsonl / read_jsonl   (files.py, I/O)

The format, field by field, is described in ``docs/content-format.md``.
"""

from __future__ import annotations

from parity.content.article import (
    AiOutline,
    Article,
    Block,
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
)
from parity.content.files import (
    article_file_name,
    read_article,
    read_jsonl,
    write_articles_dir,
    write_jsonl,
)
from parity.content.parse import parse_article
from parity.content.render import render_article
from parity.content.synth import synthesize, synthesize_one

__all__ = [
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
    "article_file_name",
    "parse_article",
    "read_article",
    "read_jsonl",
    "render_article",
    "synthesize",
    "synthesize_one",
    "write_articles_dir",
    "write_jsonl",
]
