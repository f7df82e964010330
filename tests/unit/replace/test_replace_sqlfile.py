"""`replace --sql-file` as a library call: bad input refused, never half a file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from parity.errors import InputError
from parity.replace.sqlfile import rewrite_sql_file
from parity.rewrite import Rewriter

DUMP = b"INSERT INTO `wp_options` VALUES (1,'s:18:\\\"http://example.com\\\";');\n"
PAIRS = [("http://example.com", "https://example.org")]


def test_rewrites_into_out_with_serialized_length_fixed(tmp_path: Path) -> None:
    src = tmp_path / "in.sql"
    src.write_bytes(DUMP)
    out = tmp_path / "out.sql"
    stats = rewrite_sql_file(src, out, Rewriter(PAIRS))
    assert out.read_bytes() == DUMP.replace(
        b's:18:\\"http://example.com', b's:19:\\"https://example.org'
    )
    assert stats.literals_changed == 1


def test_dry_run_writes_nothing_and_counts(tmp_path: Path) -> None:
    src = tmp_path / "in.sql"
    src.write_bytes(DUMP)
    rewriter = Rewriter(PAIRS)
    rewrite_sql_file(src, tmp_path / "out.sql", rewriter, dry_run=True)
    assert not (tmp_path / "out.sql").exists()
    assert rewriter.report.occurrences == 1


def test_to_stdout_when_no_out(tmp_path: Path) -> None:
    src = tmp_path / "in.sql"
    src.write_bytes(DUMP)
    sink = io.BytesIO()
    rewrite_sql_file(src, None, Rewriter(PAIRS), stdout=sink)
    assert b"https://example.org" in sink.getvalue()


def test_missing_file_and_out_equal_to_input_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        rewrite_sql_file(tmp_path / "nope.sql", None, Rewriter(PAIRS))
    src = tmp_path / "in.sql"
    src.write_bytes(DUMP)
    with pytest.raises(InputError, match="must differ"):
        rewrite_sql_file(src, src, Rewriter(PAIRS))
    assert src.read_bytes() == DUMP


def test_truncated_dump_leaves_no_output_file(tmp_path: Path) -> None:
    src = tmp_path / "in.sql"
    src.write_bytes(DUMP + b"INSERT INTO `t` VALUES ('http://example.com never closed\n")
    out = tmp_path / "out.sql"
    with pytest.raises(InputError):
        rewrite_sql_file(src, out, Rewriter(PAIRS))
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.sql"]
