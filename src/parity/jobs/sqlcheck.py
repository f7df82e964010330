"""The SQL of an ``expected = { sql = ... }`` check: exactly one read statement.

The driver accepts several ``;``-separated statements in one call, so a check written
``SELECT 1; SET SESSION TRANSACTION READ WRITE; DELETE ...`` would get past the read-only
session. :func:`single_select` reads the text as MySQL's lexer does (quoted strings and
identifiers, ``--``/``#``/``/* */`` comments) and accepts one ``SELECT`` or ``WITH``
statement, with at most one ``;`` at its end. Executable comments (``/*! ... */``,
``/*M! ... */``) are refused: the server runs what is inside them.

Pure code: no I/O.

>>> single_select("SELECT COUNT(*) FROM wp_posts WHERE post_title = 'a;b';")
"SELECT COUNT(*) FROM wp_posts WHERE post_title = 'a;b'"
>>> single_select("SELECT 1; SELECT 2")
Traceback (most recent call last):
...
ValueError: must be a single statement: a second one starts after the ';' at character 9
"""

from __future__ import annotations

import re

__all__ = ["single_select"]

_READ = re.compile(r"(?:select|with)\b", re.IGNORECASE)
_QUOTES = "'\"`"


def _statement_end(sql: str) -> int:
    """The offset of the first ``;`` outside quotes and comments, or -1."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in _QUOTES:
            i = _after_quoted(sql, i)
            continue
        if ch == "#" or (sql.startswith("--", i) and (i + 2 == n or sql[i + 2] in " \t\r\n")):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if sql.startswith("/*", i):
            if sql.startswith(("/*!", "/*M!", "/*m!"), i):
                raise ValueError(
                    f"executable comments (/*! ... */) are not accepted (character {i + 1})"
                )
            end = sql.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"a comment opened at character {i + 1} is never closed")
            i = end + 2
            continue
        if ch == ";":
            return i
        i += 1
    return -1


def _after_quoted(sql: str, start: int) -> int:
    """The offset just after the quoted string or identifier that opens at ``start``."""
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        ch = sql[i]
        if ch == "\\" and quote != "`":
            i += 2
            continue
        if ch == quote:
            if sql.startswith(quote * 2, i):  # a doubled quote stands for itself
                i += 2
                continue
            return i + 1
        i += 1
    raise ValueError(f"a quote ({quote}) opened at character {start + 1} is never closed")


def _only_comments(text: str) -> bool:
    """True if ``text`` holds nothing but whitespace and comments."""
    stripped = text.strip()
    while stripped:
        if stripped.startswith("#") or stripped.startswith("--"):
            end = stripped.find("\n")
            stripped = "" if end < 0 else stripped[end + 1 :].strip()
        elif stripped.startswith("/*") and not stripped.startswith(("/*!", "/*M!")):
            end = stripped.find("*/")
            if end < 0:
                return False
            stripped = stripped[end + 2 :].strip()
        else:
            return False
    return True


def single_select(sql: str) -> str:
    """``sql`` without its final ``;``, or ValueError saying why it is not accepted.

    It must be one ``SELECT`` (or ``WITH ... SELECT``) statement: no second statement,
    no executable comment, no unclosed quote or comment.
    """
    text = sql.strip()
    if not _READ.match(text):
        raise ValueError("must be a SELECT statement (the check only reads)")
    end = _statement_end(text)
    if end < 0:
        return text
    if not _only_comments(text[end + 1 :]):
        raise ValueError(
            f"must be a single statement: a second one starts after the ';' at character {end + 1}"
        )
    return text[:end].rstrip()
