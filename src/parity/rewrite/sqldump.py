"""Rewrite the string values inside a mysqldump file, streaming, in bounded memory.

The dump is read line by line (mysqldump escapes newlines inside values, so a statement
line is the unit; a value with a raw newline makes the reader join lines until its
literal closes). A line with no anchor of any pair is written through untouched; in the
others each quoted literal is unescaped (``\\0 \\' \\" \\b \\n \\r \\t \\Z \\\\`` and
``''``), rewritten, and escaped back the way mysqldump escapes. Literals that do not
change keep their exact bytes. Memory is bounded by the longest statement line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from parity.errors import InputError
from parity.rewrite.engine import Rewriter

__all__ = [
    "SqlDumpStats",
    "UnterminatedLiteral",
    "rewrite_sql_stream",
    "sql_escape",
    "sql_unescape",
]

#: A literal may span lines (a raw newline in a value); past this size the reader gives up.
MAX_STATEMENT = 1 << 30

# One line (or joined lines) is balanced if this consumes it all: runs of other bytes,
# quoted literals, backquoted identifiers.
_BALANCED = re.compile(
    rb"""(?:[^'"`]++|'(?:[^'\\]++|\\.|'')*+'|"(?:[^"\\]++|\\.|"")*+"|`(?:[^`]++|``)*+`)*+""",
    re.DOTALL,
)
# The next quoted literal, with the identifiers and other bytes before it consumed.
_LITERAL = re.compile(
    rb"""(?:[^'"`]++|`(?:[^`]++|``)*+`)*+(?:'((?:[^'\\]++|\\.|'')*+)'|"((?:[^"\\]++|\\.|"")*+)")""",
    re.DOTALL,
)
_INSERT = re.compile(rb"(?:INSERT|REPLACE)(?: IGNORE)? INTO `((?:[^`]|``)+)`")
_UNESCAPE = {
    ord("'"): re.compile(rb"\\(.)|''", re.DOTALL),
    ord('"'): re.compile(rb'\\(.)|""', re.DOTALL),
}
_UNESCAPES = {
    b"0": b"\0",
    b"b": b"\b",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"Z": b"\x1a",
    # MySQL keeps the backslash of \% and \_ (they are LIKE escapes).
    b"%": b"\\%",
    b"_": b"\\_",
}
_ESCAPED_PAIR = re.compile(rb"\\.", re.DOTALL)
_ESCAPE = re.compile(rb"[\0\n\r\\'\"\x1a]")
_ESCAPES = {
    b"\0": b"\\0",
    b"\n": b"\\n",
    b"\r": b"\\r",
    b"\\": b"\\\\",
    b"'": b"\\'",
    b'"': b'\\"',
    b"\x1a": b"\\Z",
}


class UnterminatedLiteral(InputError):
    """The SQL dump ends inside a quoted value (is the file truncated?)."""


@dataclass
class SqlDumpStats:
    """What :func:`rewrite_sql_stream` read and wrote."""

    lines: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    lines_scanned: int = 0  # lines that held an anchor and were parsed
    literals_changed: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "lines": self.lines,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "lines_scanned": self.lines_scanned,
            "literals_changed": self.literals_changed,
        }


def _unescape_one(match: re.Match[bytes]) -> bytes:
    char = match.group(1)
    if char is None:
        return match.group()[:1]  # '' or ""
    return _UNESCAPES.get(char, char)


def sql_unescape(literal: bytes, quote: int = 0x27) -> bytes:
    """The value of a MySQL string literal's inside (without its ``quote`` characters).

    >>> sql_unescape(rb"it\\'s\\na \\\\ test")
    b"it's\\na \\\\ test"
    """
    doubled = b"''" if quote == 0x27 else b'""'
    if b"\\" not in literal and doubled not in literal:
        return literal
    return _UNESCAPE[quote].sub(_unescape_one, literal)


def sql_escape(value: bytes, like: bytes | None = None, quote: int = 0x27) -> bytes:
    """``value`` escaped as mysqldump writes it inside a quoted literal.

    With ``like`` (the original escaped literal), bytes that it held unescaped (a raw
    newline, a double quote inside single quotes) stay unescaped, so that the parts of a
    value that did not change keep their bytes.

    >>> sql_escape(b"it's")
    b"it\\\\'s"
    """
    if like is None:
        return _ESCAPE.sub(lambda m: _ESCAPES[m.group()], value)
    bare = _ESCAPED_PAIR.sub(b"", like)  # the bytes the literal held unescaped
    keep = {bytes([c]) for c in b"\0\n\r\x1a\"'" if bytes([c]) in bare and c != quote}
    return _ESCAPE.sub(lambda m: m.group() if m.group() in keep else _ESCAPES[m.group()], value)


class _DumpRewriter:
    def __init__(self, rewriter: Rewriter, stats: SqlDumpStats) -> None:
        self.rewriter = rewriter
        self.stats = stats
        anchors = set(rewriter.matcher.anchors)
        self.anchors = tuple(anchors | {sql_escape(anchor) for anchor in anchors})

    def line(self, buf: bytes, number: int) -> bytes:
        for anchor in self.anchors:
            if buf.find(anchor) >= 0:
                break
        else:
            return buf
        self.stats.lines_scanned += 1
        table = _INSERT.match(buf)
        label = f"line {number}"
        if table is not None:
            label = f"{table.group(1).decode(errors='replace')} ({label})"
        out: list[bytes] = []
        last = 0
        for match in _LITERAL.finditer(buf):
            group = 1 if match.start(1) != -1 else 2
            start, end = match.span(group)
            raw = buf[start:end]
            if not any(raw.find(anchor) >= 0 for anchor in self.anchors):
                continue
            quote = 0x27 if group == 1 else 0x22
            value = sql_unescape(raw, quote)
            new = self.rewriter.rewrite(value, where=label)
            if new is value:
                continue
            self.stats.literals_changed += 1
            out.append(buf[last:start])
            out.append(sql_escape(new, raw, quote))
            last = end
        if not out:
            return buf
        out.append(buf[last:])
        return b"".join(out)


def rewrite_sql_stream(
    src: BinaryIO, dst: BinaryIO | None, rewriter: Rewriter, *, first_line: int = 1
) -> SqlDumpStats:
    """Copy a mysqldump file from ``src`` to ``dst``, rewriting the values inside it.

    With ``dst=None`` nothing is written: a dry run whose occurrence counts land in
    ``rewriter.report`` (per pair and encoding, malformed values labelled with their
    table and line). Raises :class:`UnterminatedLiteral` if the dump ends inside a value.

    >>> import io
    >>> out = io.BytesIO()
    >>> dump = b"INSERT INTO `wp_options` VALUES (1,'s:18:\\\\\\"http://example.com\\\\\\";');\\n"
    >>> stats = rewrite_sql_stream(io.BytesIO(dump), out, Rewriter([("http://", "https://")]))
    >>> out.getvalue()
    b'INSERT INTO `wp_options` VALUES (1,\\'s:19:\\\\"https://example.com\\\\";\\');\\n'
    """
    stats = SqlDumpStats()
    worker = _DumpRewriter(rewriter, stats)
    pending: list[bytes] = []
    pending_size = 0
    number = first_line - 1
    start_line = number
    for line in src:
        number += 1
        stats.lines += 1
        stats.bytes_in += len(line)
        if pending:
            pending.append(line)
            pending_size += len(line)
            buf = b"".join(pending)
        else:
            start_line = number
            if line.startswith(b"--"):  # a comment line: free text, never rewritten
                _write(dst, line, stats)
                continue
            buf = line
        if _BALANCED.match(buf).end() != len(buf):  # type: ignore[union-attr]
            if not pending:
                pending = [line]
                pending_size = len(line)
            else:
                pending = [buf]
            if pending_size > MAX_STATEMENT:
                raise UnterminatedLiteral(
                    f"a quoted value opened on line {start_line} is longer than "
                    f"{MAX_STATEMENT} bytes"
                )
            continue
        pending = []
        pending_size = 0
        _write(dst, worker.line(buf, start_line), stats)
    if pending:
        raise UnterminatedLiteral(f"the quoted value opened on line {start_line} never closes")
    return stats


def _write(dst: BinaryIO | None, data: bytes, stats: SqlDumpStats) -> None:
    stats.bytes_out += len(data)
    if dst is not None:
        dst.write(data)
