"""An article as the WordPress post an import writes (pure).

The post's title is the article's, its content the body as blocks, its excerpt the
summary. Every field of the meta box becomes one post meta key ``article_<field>``,
sanitized, with lists and records kept as arrays (stored PHP-serialized, as WordPress's
``update_post_meta()`` stores them). Stack and tools become tags. Bookkeeping keys:

    parity_source_id     the payload's source id: what reruns match posts on
    parity_content_hash  sha256 of the article's text: a changed article updates its post
    parity_import_run    the run that last wrote the post (reconciles interrupted runs)
    parity_noindex       "1" while the post is not published: keep it out of search engines

>>> from parity.content import synthesize
>>> post = build_post(next(synthesize(1, seed=7)))
>>> post.source_id
'alphanode-7-000000'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Union

from parity.content.article import Article
from parity.content.importer.html import article_html
from parity.content.importer.sanitize import sanitize_text, sanitize_url
from parity.content.importer.sql_literals import BulkSql, bulk_sql
from parity.content.layout import META_FIELDS
from parity.content.render import render_article
from parity.wordpress.phpvalue import php_serialize

__all__ = [
    "BOOKKEEPING_KEYS",
    "HASH_KEY",
    "META_PREFIX",
    "NOINDEX_KEY",
    "RUN_KEY",
    "SOURCE_ID_KEY",
    "MetaValue",
    "PostData",
    "article_meta",
    "bookkeeping_meta",
    "build_post",
    "content_hash",
    "import_meta",
    "is_managed_key",
    "stored_article_meta",
    "stored_meta_value",
    "wp_is_serialized",
]

META_PREFIX = "article_"
SOURCE_ID_KEY = "parity_source_id"
HASH_KEY = "parity_content_hash"
RUN_KEY = "parity_import_run"
NOINDEX_KEY = "parity_noindex"
#: Keys the import rewrites on every update (the source id never changes).
BOOKKEEPING_KEYS = (HASH_KEY, RUN_KEY, NOINDEX_KEY)

MetaValue = Union[  # noqa: UP007 - recursive alias
    str, int, bool, list["MetaValue"], dict[str, "MetaValue"]
]

_URL_FIELDS = frozenset({"url"})


def is_managed_key(key: str) -> bool:
    """Whether the import owns meta ``key`` (it rewrites or removes it on update)."""
    return key.startswith(META_PREFIX) or key in BOOKKEEPING_KEYS


def content_hash(article: Article) -> str:
    """sha256 of the article's text as rendered: equal articles, equal hashes."""
    return hashlib.sha256(render_article(article).encode("utf-8")).hexdigest()


def _clean(value: Any, key: str = "") -> MetaValue:
    """Sanitize every string of a JSON-ready value (URLs as URLs), keeping its shape."""
    if isinstance(value, str):
        return sanitize_url(value) if key in _URL_FIELDS else sanitize_text(value)
    if isinstance(value, dict):
        return {k: _clean(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, key) for v in value]
    if isinstance(value, bool | int):
        return value
    return sanitize_text(str(value))


def article_meta(article: Article) -> dict[str, MetaValue]:
    """The meta box as ``article_<field>`` keys, sanitized; arrays stay arrays."""
    meta: dict[str, MetaValue] = {f"{META_PREFIX}site": sanitize_text(article.site)}
    # mode="json": records become dicts and dates ISO strings, in pydantic's own code.
    for name, value in article.meta.model_dump(mode="json").items():
        meta[f"{META_PREFIX}{name}"] = _clean(value, name)
    return meta


def _tags(article: Article) -> tuple[str, ...]:
    seen: set[str] = set()
    tags: list[str] = []
    for name in (*article.meta.stack, *article.meta.tools):
        clean = sanitize_text(name)
        if clean and clean.lower() not in seen:
            seen.add(clean.lower())
            tags.append(clean)
    return tuple(tags)


@dataclass(frozen=True)
class PostData:
    """Everything an import writes for one article.

    ``meta`` keeps the values' types (what WordPress's functions are given; left empty
    when the post is prepared for bulk SQL only); ``stored_meta`` is each value as
    ``meta_value`` holds it; ``bulk`` is the same rendered as SQL literals, when the post
    was prepared for the bulk path.
    """

    source_id: str
    title: str
    content: str
    excerpt: str
    tags: tuple[str, ...]
    meta: dict[str, MetaValue]
    content_hash: str
    stored_meta: tuple[tuple[str, str], ...] = ()
    bulk: BulkSql | None = None


def build_post(
    article: Article, hash_: str | None = None, *, typed: bool = True, bulk: bool = False
) -> PostData:
    """The post for ``article`` (``hash_`` saves recomputing the content hash).

    ``typed=False`` skips the typed meta (only bulk SQL will write the post);
    ``bulk=True`` also renders the SQL literals bulk SQL needs.
    """
    if typed:
        meta = article_meta(article)
        stored = tuple((key, stored_meta_value(value)) for key, value in meta.items())
    else:  # the same stored values, without the typed meta in between
        meta, stored = {}, stored_article_meta(article)
    title = sanitize_text(article.title)
    content = article_html(article)
    excerpt = sanitize_text(article.meta.summary)
    return PostData(
        source_id=article.source_id,
        title=title,
        content=content,
        excerpt=excerpt,
        tags=_tags(article),
        meta=meta,
        content_hash=hash_ or content_hash(article),
        stored_meta=stored,
        bulk=bulk_sql(content, title, excerpt, stored) if bulk else None,
    )


def bookkeeping_meta(post: PostData, *, run_id: int, noindex: bool) -> list[tuple[str, str]]:
    """The bookkeeping keys of ``post`` as stored, source id first."""
    rows = [
        (SOURCE_ID_KEY, post.source_id),
        (HASH_KEY, post.content_hash),
        (RUN_KEY, str(run_id)),
    ]
    if noindex:
        rows.append((NOINDEX_KEY, "1"))
    return rows


def import_meta(post: PostData, *, run_id: int, noindex: bool) -> dict[str, MetaValue]:
    """All meta an import writes for ``post``: the article's and the bookkeeping keys."""
    meta: dict[str, MetaValue] = {
        SOURCE_ID_KEY: post.source_id,
        HASH_KEY: post.content_hash,
        RUN_KEY: str(run_id),
    }
    if noindex:
        meta[NOINDEX_KEY] = "1"
    meta.update(post.meta)
    return meta


_PHP_TRIM = " \t\n\r\0\x0b"


def wp_is_serialized(value: str) -> bool:
    """WordPress's ``is_serialized($value)`` (strict), for strings.

    >>> wp_is_serialized('a:0:{}'), wp_is_serialized('a: list')
    (True, False)
    """
    data = value.strip(_PHP_TRIM)
    if data == "N;":
        return True
    if len(data) < 4 or data[1] != ":" or data[-1] not in ";}":
        return False
    token = data[0]
    if token == "s" and data[-2] != '"':
        return False
    if token in "saOE":
        digits = data[2:].split(":", 1)
        return len(digits) == 2 and digits[0].isdigit() and digits[0].isascii()
    if token in "bid":
        body = data[2:-1]
        if data[-1] != ";":
            return False
        return bool(body) and all(c in "0123456789.E+-" for c in body)
    return False


def stored_meta_value(value: MetaValue) -> str:
    """What WordPress stores in ``meta_value`` for ``value`` (``maybe_serialize``).

    Arrays are PHP-serialized; ``True`` is ``"1"`` and ``False`` ``""``; a string that
    already looks serialized is serialized again, as WordPress does.
    """
    if isinstance(value, list | dict):
        return php_serialize(value)
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int):
        return str(value)
    return php_serialize(value) if wp_is_serialized(value) else value


# -- the stored meta of an article, in one pass ------------------------------------------
# ``stored_meta_value(article_meta(article)[key])`` for every key, walking the meta box's
# fields directly instead of dumping the model, cleaning the dump and serializing it:
# the same values (tests/unit/content/test_stored_meta.py holds the two equal), at a
# fraction of the cost, for the bulk path that needs only the stored values.


def _php_key(name: str) -> str:
    """How ``php_serialize`` writes ``name`` as an array key."""
    return php_serialize({name: None})[len("a:1:{") : -len("N;}")]


def _php_string(value: str) -> str:
    return f's:{len(value.encode("utf-8", "surrogateescape"))}:"{value}";'


def _php_member(value: object, clean: bool, url: bool) -> str:
    """One array member: a string cleaned (as ``_clean`` would), a flag, or a number."""
    if isinstance(value, str):
        if clean:
            value = sanitize_url(value) if url else sanitize_text(value)
        return _php_string(value)
    if value is True:
        return "b:1;"
    if value is False:
        return "b:0;"
    if isinstance(value, int):
        return php_serialize(value)  # with PHP's integer range check
    # A date: the model dumps it as ISO text, which _clean then sanitizes.
    assert isinstance(value, dt.date)
    return _php_string(sanitize_text(value.isoformat()))


_RecordPlan = tuple[tuple[str, str, bool], ...]  # (name, key as PHP, is a URL) per field
_META_PLAN: tuple[tuple[str, str, str, _RecordPlan], ...] = tuple(
    (
        field.name,
        f"{META_PREFIX}{field.name}",
        field.kind,
        tuple((f.name, _php_key(f.name), f.name in _URL_FIELDS) for f in field.fields),
    )
    for field in META_FIELDS
)


def _php_record(record: Any, plan: _RecordPlan) -> str:
    values = record.__dict__
    members = "".join(key + _php_member(values[name], True, url) for name, key, url in plan)
    return f"a:{len(plan)}:{{{members}}}"


def _stored_text(value: str) -> str:
    return php_serialize(value) if wp_is_serialized(value) else value


def stored_article_meta(article: Article) -> tuple[tuple[str, str], ...]:
    """The article's meta keys and their values as ``meta_value`` stores them.

    Equal to ``(key, stored_meta_value(value))`` for each item of ``article_meta``.
    """
    stored = [(f"{META_PREFIX}site", _stored_text(sanitize_text(article.site)))]
    values = article.meta.__dict__
    for name, key, kind, plan in _META_PLAN:
        value = values[name]
        url = name in _URL_FIELDS
        if kind == "text":
            stored.append((key, _stored_text(sanitize_url(value) if url else sanitize_text(value))))
        elif kind == "int":
            stored.append((key, str(value)))
        elif kind == "list":
            members = "".join(
                f"i:{number};{_php_member(item, True, url)}" for number, item in enumerate(value)
            )
            stored.append((key, f"a:{len(value)}:{{{members}}}"))
        elif kind == "record":
            stored.append((key, _php_record(value, plan)))
        else:
            members = "".join(
                f"i:{number};{_php_record(record, plan)}" for number, record in enumerate(value)
            )
            stored.append((key, f"a:{len(value)}:{{{members}}}"))
    return tuple(stored)
