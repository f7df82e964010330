"""SQL string literals for the bulk import path, rendered where posts are prepared.

Escaping is what the driver would do for a parameter (the same characters as
``mysql_real_escape_string``), done ahead in the worker processes that prepare the
articles, so the writer only joins strings. It is exact when the session's character
set is utf8mb4 (no multi-byte sequence contains a quote or a backslash) and
``NO_BACKSLASH_ESCAPES`` is off: ``DirectWriter`` makes sure of both before writing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["POST_ID", "BulkSql", "bulk_sql", "sql_string"]

# Backslash first, so the backslashes the other escapes add are not doubled again.
_ESCAPES = (
    ("\\", "\\\\"),
    ("\0", "\\0"),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("'", "\\'"),
    ('"', '\\"'),
    ("\x1a", "\\Z"),
)
#: Stands for the post's id in ``BulkSql.meta_rows`` (a raw NUL never survives escaping).
POST_ID = "\0id\0"
# Stand for a quote and the post id while a post's meta rows are escaped together.
_QUOTE_MARK = "\x01"
_ID_MARK = "\x02"


def _escaped(value: str) -> str:
    # Chained str.replace: each is one fast scan (str.translate with a dict is far slower).
    for char, escaped in _ESCAPES:
        if char in value:
            value = value.replace(char, escaped)
    return value


def sql_string(value: str) -> str:
    """``value`` as a quoted MySQL string literal: ``it's`` becomes ``'it\\'s'``."""
    return "'" + _escaped(value) + "'"


@dataclass(frozen=True)
class BulkSql:
    """A post's text columns and meta rows as SQL, ready to be joined into statements."""

    text_columns: str  # "'content', 'title', 'excerpt'"
    meta_rows: str  # "(POST_ID, 'key', 'value'), ..." for the article's own meta


def bulk_sql(content: str, title: str, excerpt: str, meta: Iterable[tuple[str, str]]) -> BulkSql:
    """Render a post's text columns and its stored meta rows as SQL literals."""
    text = f"{sql_string(content)}, {sql_string(title)}, {sql_string(excerpt)}"
    pairs = list(meta)
    # All rows escaped in one go: escaping maps each character on its own, so escaping
    # the joined rows equals joining the escaped values, provided the marks that stand
    # for the quotes and the id (which escaping leaves alone) occur nowhere else.
    rows = ", ".join(
        [
            f"({_ID_MARK}, {_QUOTE_MARK}{k}{_QUOTE_MARK}, {_QUOTE_MARK}{v}{_QUOTE_MARK})"
            for k, v in pairs
        ]
    )
    if rows.count(_QUOTE_MARK) == 4 * len(pairs) and rows.count(_ID_MARK) == len(pairs):
        rows = _escaped(rows).replace(_QUOTE_MARK, "'").replace(_ID_MARK, POST_ID)
    else:
        rows = ", ".join(f"({POST_ID}, {sql_string(k)}, {sql_string(v)})" for k, v in pairs)
    return BulkSql(text, rows)
