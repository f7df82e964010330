"""Read the referenced set out of an environment's database (through targets/).

Two passes, both streamed (memory holds one chunk of rows, whatever the site's size):

1. attachments: ``_wp_attached_file``, ``_wp_attachment_metadata`` and
   ``_wp_attachment_backup_sizes``, read per attachment (see
   :func:`parity.media.referenced.attachment_files`);
2. stored text that may hold an uploads URL: posts (content, excerpt; not revisions,
   auto-drafts or trash), post, term, user and comment meta, options (not transients),
   approved comments. The server only sends values holding one of the matcher's anchors
   (``LIKE '%wp-content%'``); :class:`~parity.media.referenced.UploadsMatcher` reads them.

    with Database.connect(staging, raw=True) as db:
        found = scan_references(db, [staging.url, production.url], sidecars=("{file}.webp",))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from parity.media.referenced import (
    ATTACHMENT_META_KEYS,
    ReferencedSet,
    UploadsMatcher,
    attachment_files,
)
from parity.targets.database import Database, Row, quote_identifier

__all__ = ["TEXT_SOURCES", "TextSource", "scan_references"]

_CHUNK = 2000


@dataclass(frozen=True)
class TextSource:
    """Columns of one table that may hold uploads URLs, and how a row is named."""

    table: str  # without the prefix
    key: str  # the column that names the row
    label: str  # "post {key}" / "option {key}" ...
    columns: tuple[str, ...]
    where: str = ""  # more SQL conditions (no parameters)
    meta_key: str | None = None  # the column whose value is added to the label


_ATTACHMENT_KEYS = ", ".join(f"'{key}'" for key in ATTACHMENT_META_KEYS)

#: Where stored text is read, in order.
TEXT_SOURCES: tuple[TextSource, ...] = (
    TextSource(
        "posts",
        "ID",
        "post {key}",
        ("post_content", "post_excerpt"),
        "post_type <> 'revision' AND post_status NOT IN ('auto-draft', 'trash')",
    ),
    TextSource(
        "postmeta",
        "post_id",
        "post {key} meta {meta}",
        ("meta_value",),
        f"meta_key NOT IN ({_ATTACHMENT_KEYS})",
        meta_key="meta_key",
    ),
    TextSource(
        "options",
        "option_name",
        "option {key}",
        ("option_value",),
        "option_name NOT LIKE '\\\\_transient\\\\_%' AND option_name NOT LIKE"
        " '\\\\_site\\\\_transient\\\\_%'",
    ),
    TextSource(
        "termmeta", "term_id", "term {key} meta {meta}", ("meta_value",), meta_key="meta_key"
    ),
    TextSource(
        "usermeta", "user_id", "user {key} meta {meta}", ("meta_value",), meta_key="meta_key"
    ),
    TextSource(
        "comments", "comment_ID", "comment {key}", ("comment_content",), "comment_approved = '1'"
    ),
    TextSource(
        "commentmeta",
        "comment_id",
        "comment {key} meta {meta}",
        ("meta_value",),
        meta_key="meta_key",
    ),
)


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "surrogateescape")
    return "" if value is None else str(value)


def _like(anchor: bytes) -> str:
    text = anchor.decode("utf-8", "surrogateescape")
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _attachments(db: Database, prefix: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(post id, {meta key: value}) of every attachment with file meta, one at a time."""
    rows = db.stream(
        prefix + "postmeta",
        columns=("post_id", "meta_key", "meta_value"),
        where=f"meta_key IN ({_ATTACHMENT_KEYS})",
        primary_key=("post_id", "meta_id"),  # the order: one attachment's rows together
        chunk_size=_CHUNK,
    )
    current: int | None = None
    values: dict[str, str] = {}
    for chunk in rows:
        for post_id, key, value in chunk:
            if post_id != current:
                if current is not None:
                    yield current, values
                current, values = int(post_id), {}
            values.setdefault(_text(key), _text(value))
    if current is not None:
        yield current, values


def _text_rows(
    db: Database, prefix: str, source: TextSource, anchors: Sequence[bytes]
) -> Iterable[list[Row]]:
    name_columns = (source.key,) + ((source.meta_key,) if source.meta_key else ())
    holds = " OR ".join(
        f"{quote_identifier(column)} LIKE %s" for column in source.columns for _ in anchors
    )
    params = [_like(anchor) for _ in source.columns for anchor in anchors]
    # With parameters, a literal % in the SQL is written %%.
    extra = source.where.replace("%", "%%")
    where = f"({holds})" + (f" AND {extra}" if extra else "")
    return db.stream(
        prefix + source.table,
        columns=(*name_columns, *source.columns),
        where=where,
        params=params,
        chunk_size=_CHUNK,
    )


def scan_references(
    db: Database, site_urls: Sequence[str], *, sidecars: Sequence[str] = ()
) -> ReferencedSet:
    """Every file ``db``'s WordPress points at (see the module docstring).

    ``site_urls`` are the sites whose uploads URLs count; ``sidecars`` the patterns of
    optional sidecar files added for each referenced image.
    """
    prefix = db.env.table_prefix
    found = ReferencedSet()
    for post_id, values in _attachments(db, prefix):
        files = attachment_files(
            values.get("_wp_attached_file"),
            values.get("_wp_attachment_metadata"),
            values.get("_wp_attachment_backup_sizes"),
        )
        found.add_all(files, f"attachment {post_id}")
    matcher = UploadsMatcher(site_urls)
    tables = set(db.tables())
    for source in TEXT_SOURCES:
        if prefix + source.table not in tables:
            continue
        width = 2 if source.meta_key else 1
        for chunk in _text_rows(db, prefix, source, matcher.anchors):
            for row in chunk:
                label = source.label.format(
                    key=_text(row[0]), meta=_text(row[1]) if source.meta_key else ""
                )
                for value in row[width:]:
                    if isinstance(value, bytes | bytearray) and value:
                        found.add_all(matcher.files(bytes(value)), label)
    found.add_sidecars(sidecars)
    return found
