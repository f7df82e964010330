"""`replace --env` reports rows it could not write back (no silent "rows_written")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from parity.replace.database import ReplaceResult, TablePlan, _rewrite_table
from parity.rewrite import Rewriter


class _Reader:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.columns: Sequence[str] = ()

    def stream(self, table: str, *, chunk_size: int, columns: Sequence[str]) -> Iterator[list[Any]]:
        self.columns = columns
        yield list(self.rows)


class _Tx:
    def __init__(self, affected: list[int], sent: list[tuple[str, list[Any]]]) -> None:
        self.affected = affected
        self.sent = sent

    def execute(self, sql: str, params: list[Any]) -> int:
        self.sent.append((sql, params))
        return self.affected.pop(0)


class _Writer:
    def __init__(self, affected: list[int]) -> None:
        self.affected = affected
        self.sent: list[tuple[str, list[Any]]] = []

    @contextmanager
    def transaction(self, *, action: str) -> Iterator[_Tx]:
        yield _Tx(self.affected, self.sent)


def _plan() -> TablePlan:
    return TablePlan(
        table="wp_log",
        key=(),
        columns=("url",),
        all_columns=("url", "ratio", "hits"),
        estimated_rows=2,
        types={"url": "varchar", "ratio": "float", "hits": "int"},
    )


def _run(affected: list[int]) -> tuple[ReplaceResult, _Reader, _Writer]:
    pairs = [("http://a.test", "https://b.test")]
    rows = [(b"http://a.test/1", 10), (b"http://a.test/2", 20)]
    reader, writer = _Reader(rows), _Writer(affected)
    result = ReplaceResult(environment="staging", dry_run=False, pairs=pairs)
    plan = _plan()
    result.tables = [plan]
    _rewrite_table(reader, writer, plan, result, Rewriter(pairs), 100, None, False, False)  # type: ignore[arg-type]
    return result, reader, writer


def test_rows_the_update_did_not_find_are_not_counted_as_written() -> None:
    result, _reader, _writer = _run([1, 0])
    assert result.rows_written == 1
    assert result.rows_not_rewritten == 1
    report = result.as_dict()
    assert report["rows_not_rewritten"] == 1
    (table,) = report["tables"]
    assert table["rows_not_rewritten"] == 1


def test_a_keyless_row_is_matched_without_its_float_and_strings_byte_for_byte() -> None:
    result, reader, writer = _run([1, 1])
    assert list(reader.columns) == ["url", "hits"]  # the FLOAT is neither read nor compared
    sql, params = writer.sent[0]
    assert "ratio" not in sql
    assert "CAST(CONVERT(`url` USING utf8mb4) AS BINARY) <=> CAST(%s AS BINARY)" in sql
    assert sql.endswith("LIMIT 1")
    assert params == [b"https://b.test/1", b"http://a.test/1", 10]
    assert result.rows_written == 2 and result.rows_not_rewritten == 0
    assert result.as_dict()["tables"][0]["not_compared"] == ["ratio"]
