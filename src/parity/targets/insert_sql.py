"""Multi-row INSERT statements, built with a few C-level passes per row.

Byte for byte what escaping value by value with mysqlclient's ``escape_string`` builds
(the same statement boundaries), at about half its cost: instead of one
``escape_string`` call per value (which walks every byte
through the client library's character-set code), a row's values are joined with a
separator, escaped together by one ``bytes.replace`` per special byte (memory scans that
copy only when the byte is there), and the separator is turned into ``','``. Each
statement is then joined once. (Escaping a whole chunk at once is slower: a row stays
in the CPU's cache for its seven scans, a chunk does not.)

Escaping maps each byte on its own, so escaping the joined row equals joining the
escaped values, as long as escaping leaves the separator alone (it holds no special
byte) and every separator in the escaped row is one we put there. The separator has no
border (no proper prefix equal to a suffix), so an occurrence in the data can never
overlap one of ours: counting them tells whether the data holds one. A row whose data
does, or that holds a NULL or a value that is not bytes, or a table with a binary
column, takes the value-by-value path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import cast

from MySQLdb import _mysql

#: One value escaped for a quoted SQL string literal: the driver's connection-free
#: escaping (backslash, quotes, NUL, CR, LF, Ctrl-Z), right for UTF-8 and binary data,
#: whose multi-byte sequences never contain those bytes, and usable from any thread or
#: process; the reference the joined-row path matches.
escape_value = cast(Callable[[bytes], bytes], _mysql.escape_string)

__all__ = ["escape", "escape_value", "insert_statements", "quote_identifier"]

#: Joins a row's values before escaping: no byte that escaping touches, and no border.
_SEPARATOR = b"\x01\xfe\x02\xfd"
_BETWEEN_VALUES = b"','"


def escape(value: bytes) -> bytes:
    """``value`` escaped for a single-quoted MySQL string literal, as mysqlclient's
    ``escape_string`` does it (backslash, both quotes, NUL, LF, CR, Ctrl-Z).

    >>> escape(b"it's") == b"it\\\\'s"
    True
    """
    return (
        value.replace(b"\\", b"\\\\")
        .replace(b"'", b"\\'")
        .replace(b'"', b'\\"')
        .replace(b"\n", b"\\n")
        .replace(b"\r", b"\\r")
        .replace(b"\x00", b"\\0")
        .replace(b"\x1a", b"\\Z")
    )


def insert_statements(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[bytes | None]],
    *,
    binary_columns: Sequence[bool] | None = None,
    max_bytes: int = 4 * 1024 * 1024,
) -> Iterator[tuple[bytes, int]]:
    """Multi-row ``INSERT`` statements for ``rows``, each at most ``max_bytes`` long.

    Yields ``(statement, row_count)``. Values are bytes (or None), as
    ``Database.connect(all_bytes=True)`` reads them; columns flagged in
    ``binary_columns`` are written as ``_binary'...'``. A single row larger than the limit
    gets a statement of its own (the server may still refuse it if it exceeds
    ``max_allowed_packet``). No connection is used, so statements can be built in
    another thread or process than the one sending them.
    """
    head = (
        f"INSERT INTO {quote_identifier(table)}"
        f" ({', '.join(quote_identifier(c) for c in columns)}) VALUES "
    ).encode()
    flags = list(binary_columns or [False] * len(columns))
    openers = [b"_binary'" if flag else b"'" for flag in flags]
    fast = not any(flags)
    separators = len(columns) - 1
    separator = _SEPARATOR
    pieces: list[bytes] = [head]
    size = len(head)
    count = 0
    for row in rows:
        inside = None
        if fast:
            try:
                joined = escape(separator.join(row))  # type: ignore[arg-type]
            except TypeError:  # a NULL, or a value that is not bytes
                pass
            else:
                if joined.count(separator) == separators:
                    inside = joined.replace(separator, _BETWEEN_VALUES)
        if inside is not None:
            length = len(inside) + 4  # ('...')
        else:
            encoded = _encode_row(row, openers)
            length = len(encoded)
        if count and size + length + 1 > max_bytes:
            yield b"".join(pieces), count
            pieces = [head]
            size = len(head)
            count = 0
        if inside is not None:
            pieces += (b",('" if count else b"('", inside, b"')")
        else:
            pieces.append(b"," + encoded if count else encoded)
        size += length + 1
        count += 1
    if count:
        yield b"".join(pieces), count


def quote_identifier(name: str) -> str:
    """Quote a table or column name for MySQL (backticks, doubled inside).

    >>> quote_identifier("wp_posts")
    '`wp_posts`'
    >>> quote_identifier("wp_po`sts")
    '`wp_po``sts`'
    """
    return "`" + name.replace("`", "``") + "`"


def _encode_row(row: Sequence[bytes | None], openers: Sequence[bytes]) -> bytes:
    """One row's ``(...)`` value by value (NULLs, binary columns, non-bytes values)."""
    escape_one = escape_value
    return (
        b"("
        + b",".join(
            [
                b"NULL"
                if value is None
                else opener + escape_one(value) + b"'"
                if isinstance(value, bytes)
                else opener + escape_one(str(value).encode()) + b"'"
                for opener, value in zip(openers, row, strict=True)
            ]
        )
        + b")"
    )
