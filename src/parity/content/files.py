"""Read and write article files: one ``.txt`` per article, or JSON lines.

The only module of ``parity.content`` that touches the file system. Text is read and
written as UTF-8 bytes, unchanged: no newline translation, so what ``parse_article``
sees is exactly what is on disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from parity.content.article import Article
from parity.content.parse import parse_article
from parity.content.render import render_article
from parity.errors import InputError, MalformedArticle
from parity.output_file import open_output, output_error

__all__ = ["article_file_name", "read_article", "read_jsonl", "write_articles_dir", "write_jsonl"]

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def article_file_name(article: Article) -> str:
    """The file name of an article: its source id as a slug, plus ``.txt``.

    The sample's source id ``alphanode-021452`` gives ``alphanode-021452.txt``, its own
    name; a synthesized article gives ``alphanode-<seed>-<index>.txt``.
    """
    slug = _UNSAFE.sub("-", article.source_id.lower()).strip("-.")
    return f"{slug or 'article'}.txt"


def _prepare_dir(out_dir: Path) -> None:
    """Create ``out_dir`` (not its parents); refuse what is not a folder."""
    if out_dir.is_dir():
        return
    if out_dir.exists() or out_dir.is_symlink():
        raise InputError(f"--out {out_dir} is not a folder", hint="name a folder for the files")
    if not out_dir.parent.is_dir():
        raise InputError(
            f"--out {out_dir}: the folder {out_dir.parent} does not exist",
            hint="create it first, or name a folder inside an existing one",
        )
    try:
        out_dir.mkdir()
    except OSError as exc:
        raise output_error(out_dir, exc, option="--out") from None


def write_articles_dir(articles: Iterable[Article], out_dir: Path) -> int:
    """Write each article to ``out_dir/<file name>``; returns how many were written.

    Creates ``out_dir`` if needed (its parent must exist) and replaces files of the same
    name. Two articles of one call that would share a file name raise ``InputError``
    (their source ids clash); so does a failed write (no permission, a full disk).
    """
    _prepare_dir(out_dir)
    seen: set[str] = set()
    for article in articles:
        name = article_file_name(article)
        if name in seen:
            raise InputError(
                f"two articles would both be written to {name}: source id "
                f"{article.source_id!r} is not unique"
            )
        seen.add(name)
        try:
            (out_dir / name).write_bytes(render_article(article).encode("utf-8"))
        except OSError as exc:
            raise output_error(out_dir / name, exc, option="--out") from None
    return len(seen)


def write_jsonl(articles: Iterable[Article], path: Path) -> int:
    """Write one JSON object per line (the model dumped); returns how many were written.

    ``path`` is written safely (:func:`parity.output_file.open_output`): a device or a
    pipe directly, a file by temporary file and rename; a failed write is an InputError.
    """
    count = 0
    with open_output(path, option="--jsonl") as out:
        for article in articles:
            out.write(article.model_dump_json().encode("utf-8"))
            out.write(b"\n")
            count += 1
    return count


def read_article(path: Path) -> Article:
    """Parse one article file; errors name the file and the line."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise MalformedArticle(
            f"{path} line {line}: expected UTF-8 text, found the byte "
            f"{data[exc.start]:#04x}; fix: save the file as UTF-8"
        ) from None
    return parse_article(text, source=str(path))


def read_jsonl(path: Path) -> Iterator[Article]:
    """The articles of a JSON lines file written by ``write_jsonl``."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield Article.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "the line"
                raise MalformedArticle(
                    f"{path} line {number}: expected one article as a JSON object, found "
                    f"{where}: {first['msg']}; fix: regenerate the file with write_jsonl"
                ) from None
