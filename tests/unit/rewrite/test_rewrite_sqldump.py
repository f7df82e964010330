"""mysqldump files are streamed: SQL escapes undone, values rewritten, escapes redone."""

from __future__ import annotations

import io

import pytest

from parity.rewrite import Rewriter
from parity.rewrite.sqldump import (
    UnterminatedLiteral,
    rewrite_sql_stream,
    sql_escape,
    sql_unescape,
)

PAIRS = [("https://example.com", "https://staging.example.com")]

DUMP = b"".join(
    [
        b"-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n",
        b"-- it's a comment with an apostrophe and https://example.com\n",
        b"/*!40101 SET NAMES utf8mb4 */;\n",
        b"DROP TABLE IF EXISTS `wp_options`;\n",
        b"CREATE TABLE `wp_options` (\n",
        b"  `option_value` longtext NOT NULL DEFAULT '',\n",
        b"  `autoload` varchar(20) NOT NULL DEFAULT 'yes'\n",
        b");\n",
        b"INSERT INTO `wp_options` VALUES (1,'siteurl','https://example.com','yes'),",
        b"(2,'widget','a:1:{i:0;s:19:\\\"https://example.com\\\";}','yes'),",
        b"(3,'it\\'s','line\\nbreak \\\\ https://example.com\\0','no');\n",
        b"INSERT INTO `wp_posts` VALUES ",
        b'(4,\'<!-- wp:image {\\"url\\":\\"https:\\\\/\\\\/example.com\\\\/a.jpg\\"} -->\',',
        b"'nothing here');\n",
    ]
)


def _run(dump: bytes, rewriter: Rewriter) -> bytes:
    out = io.BytesIO()
    rewrite_sql_stream(io.BytesIO(dump), out, rewriter)
    return out.getvalue()


def test_sql_escapes_round_trip() -> None:
    raw = b"\0'\"\b\n\r\t\x1a\\ plain"
    assert sql_unescape(sql_escape(raw)) == raw
    assert sql_unescape(b"it''s \\% \\x") == b"it's \\% x"


def test_values_inside_a_mysqldump_are_rewritten_with_serialized_lengths_fixed() -> None:
    rewriter = Rewriter(PAIRS)
    out = _run(DUMP, rewriter)
    lines = out.split(b"\n")
    assert lines[0:8] == DUMP.split(b"\n")[0:8]  # comments and schema untouched
    assert b"(1,'siteurl','https://staging.example.com','yes')" in out
    assert b"'a:1:{i:0;s:27:\\\"https://staging.example.com\\\";}'" in out
    assert b"'line\\nbreak \\\\ https://staging.example.com\\0'" in out
    assert b"https:\\\\/\\\\/staging.example.com\\\\/a.jpg" in out
    assert b"'nothing here'" in out
    assert rewriter.report.by_encoding == {"raw": 3, "json": 1}


def test_a_dump_without_matches_is_copied_byte_for_byte() -> None:
    dump = DUMP.replace(b"example.com", b"example.org")
    assert _run(dump, Rewriter(PAIRS)) == dump


def test_a_value_with_a_raw_newline_spanning_lines_is_rewritten() -> None:
    dump = b"INSERT INTO `t` VALUES ('first\nhttps://example.com\nlast');\n"
    assert _run(dump, Rewriter(PAIRS)) == dump.replace(
        b"https://example.com", b"https://staging.example.com"
    )


def test_a_dry_run_writes_nothing_and_reports_occurrences_by_table() -> None:
    rewriter = Rewriter(PAIRS)
    stats = rewrite_sql_stream(io.BytesIO(DUMP), None, rewriter)
    assert stats.bytes_in == len(DUMP) and stats.literals_changed == 4
    assert rewriter.report.occurrences == 4


def test_malformed_values_in_a_dump_are_labelled_with_table_and_line() -> None:
    dump = b"INSERT INTO `wp_postmeta` VALUES (1,'a:1:{i:0;s:2:\\\"https://example.com\\\";}');\n"
    rewriter = Rewriter(PAIRS)
    assert _run(dump, rewriter) == dump
    assert rewriter.report.malformed[0].where == "wp_postmeta (line 1)"


def test_a_dump_that_ends_inside_a_value_is_refused() -> None:
    with pytest.raises(UnterminatedLiteral):
        _run(b"INSERT INTO `t` VALUES ('https://example.com", Rewriter(PAIRS))


def test_a_dump_is_streamed_in_bounded_memory(tmp_path: object) -> None:
    row = b"(1,'a:1:{i:0;s:19:\\\"https://example.com\\\";}','" + b"x" * 1000 + b"')"
    line = b"INSERT INTO `t` VALUES " + b",".join([row] * 100) + b";\n"

    class Lines(io.RawIOBase):
        """A 2,000-line dump produced on demand, never held in memory at once."""

        def __init__(self) -> None:
            self.left = 2000

        def __iter__(self):  # type: ignore[no-untyped-def]
            while self.left:
                self.left -= 1
                yield line

    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.size = 0

        def write(self, data: bytes) -> int:  # type: ignore[override]
            self.size += len(data)
            return len(data)

    sink = Sink()
    stats = rewrite_sql_stream(Lines(), sink, Rewriter(PAIRS))  # type: ignore[arg-type]
    assert stats.lines == 2000
    assert sink.size == 2000 * (len(line) + 100 * 8)
