"""Raw article texts to posts: parse, hash, render to blocks and meta, in worker processes.

Parsing and building a post cost about as much CPU as writing it; with worker
processes the next batches are prepared while the current one is written, so a bulk
import runs at the speed of the slower of the two instead of their sum. Results keep
the source's order, and at most a few chunks are in flight (memory stays flat).
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from pydantic import ValidationError

from parity.content.article import Article
from parity.content.importer.postdata import PostData, build_post
from parity.content.importer.sources import RawArticle
from parity.content.parse import parse_article
from parity.errors import MalformedArticle

__all__ = [
    "PreparedArticle",
    "default_workers",
    "prepare",
    "prepared_articles",
    "recognise_done",
]

_CHUNK = 200
#: Below this many articles, starting worker processes costs more than it saves.
PARALLEL_FROM = 1000


@dataclass(frozen=True)
class PreparedArticle:
    """An article ready to write (``post``), or why it cannot be (``error``), or
    ``known``: (key, hash) of an article recognised as already done, left unparsed."""

    label: str
    post: PostData | None
    error: str | None = None
    known: tuple[str, str] | None = None


def recognise_done(
    raws: Iterable[RawArticle], done_by_hash: dict[str, str]
) -> Iterator[RawArticle]:
    """Mark the .txt articles whose bytes hash to a done fingerprint (no parsing needed)."""
    for raw in raws:
        if done_by_hash and raw.kind == "txt" and raw.data is not None:
            hash_ = hashlib.sha256(raw.data).hexdigest()
            key = done_by_hash.get(hash_)
            if key is not None:
                yield RawArticle(raw.label, raw.kind, None, known=(key, hash_))
                continue
        yield raw


def _article(raw: RawArticle) -> tuple[Article, str | None]:
    """The parsed article, and the hash of its text when the raw text is that text."""
    assert raw.data is not None
    if raw.kind == "jsonl":
        try:
            return Article.model_validate_json(raw.data), None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the line"
            raise MalformedArticle(f"{raw.label}: {where}: {first['msg']}") from None
    try:
        text = raw.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.data.count(b"\n", 0, exc.start) + 1
        raise MalformedArticle(
            f"{raw.label} line {line}: expected UTF-8 text, found the byte"
            f" {raw.data[exc.start]:#04x}; fix: save the file as UTF-8"
        ) from None
    # The format is canonical (rendering a parsed file gives back its text), so the
    # file's own bytes hash to the article's content hash: no need to render it again.
    return parse_article(text, source=raw.label), hashlib.sha256(raw.data).hexdigest()


def prepare(raw: RawArticle, *, bulk: bool = False) -> PreparedArticle:
    """Parse one raw article and build its post (for bulk SQL only, when ``bulk``)."""
    if raw.known is not None:
        return PreparedArticle(raw.label, None, known=raw.known)
    if raw.error is not None or raw.data is None:
        return PreparedArticle(raw.label, None, raw.error or f"{raw.label}: empty")
    try:
        article, hash_ = _article(raw)
        post = build_post(article, hash_, typed=not bulk, bulk=bulk)
        return PreparedArticle(raw.label, post)
    except MalformedArticle as exc:
        return PreparedArticle(raw.label, None, exc.one_line())


def _prepare_chunk(chunk: list[RawArticle], bulk: bool) -> list[PreparedArticle]:
    return [prepare(raw, bulk=bulk) for raw in chunk]


def _start_worker() -> None:
    # A worker makes many short-lived objects and keeps none: looking for cycles every
    # 700 allocations (the default) took a quarter of its time, for nothing found.
    gc.set_threshold(100_000, 20, 20)


def default_workers(count: int) -> int:
    """Worker processes for ``count`` articles: none for small imports, else CPUs - 1."""
    if count < PARALLEL_FROM:
        return 0
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def prepared_articles(
    raws: Iterable[RawArticle], *, workers: int, bulk: bool = False
) -> Iterator[PreparedArticle]:
    """``prepare`` for each raw article, in order, with ``workers`` processes (0: here)."""
    if workers <= 0:
        for raw in raws:
            yield prepare(raw, bulk=bulk)
        return
    iterator = iter(raws)
    # "spawn": a forked child could inherit locks held by this process's other threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker
    ) as pool:
        pending: deque[Future[list[PreparedArticle]]] = deque()
        window = 4 * workers + 4  # chunks in flight: the workers stay busy while a batch is written

        def submit() -> bool:
            chunk = list(islice(iterator, _CHUNK))
            if chunk:
                pending.append(pool.submit(_prepare_chunk, chunk, bulk))
            return bool(chunk)

        while len(pending) < window and submit():
            pass
        while pending:
            done = pending.popleft().result()
            submit()
            yield from done
