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


def sql_string(value: str) -> str:
    """``value`` as a quoted MySQL string literal: ``it's`` becomes ``'it\\'s'``."""
    # Chained str.replace: each is one fast scan (str.translate with a dict is far slower).
    for char, escaped in _ESCAPES:
        if char in value:
            value = value.replace(char, escaped)
    return "'" + value + "'"


@dataclass(frozen=True)
class BulkSql:
    """A post's text columns and meta rows as SQL, ready to be joined into statements."""

    text_columns: str  # "'content', 'title', 'excerpt'"
    meta_rows: str  # "(POST_ID, 'key', 'value'), ..." for the article's own meta


def bulk_sql(content: str, title: str, excerpt: str, meta: Iterable[tuple[str, str]]) -> BulkSql:
    """Render a post's text columns and its stored meta rows as SQL literals."""
    text = f"{sql_string(content)}, {sql_string(title)}, {sql_string(excerpt)}"
    rows = ", ".join(f"({POST_ID}, {sql_string(k)}, {sql_string(v)})" for k, v in meta)
    return BulkSql(text, rows)
