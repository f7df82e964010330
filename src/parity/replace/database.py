"""Search-replace inside a live database, in place, chunk by chunk, in primary-key order.

Every text column of every chosen table is read as the bytes stored, passed through a
:class:`~parity.rewrite.Rewriter`, and only rows whose values changed are written back,
one transaction per chunk. A table without a primary key is rewritten by matching the
row's values (``UPDATE ... WHERE column <=> old value ... LIMIT 1``) and says so in the
report; it is never skipped silently. Only columns whose values compare exactly are
matched: text and bytes byte for byte (not by the column's case-insensitive, space-padded
collation), whole numbers and decimals; FLOAT and DOUBLE, dates and times, BIT and
spatial columns are left out of the match (a float read back as text does not compare
equal to what is stored). That is enough: every row the match finds holds the same text
in every rewritten column, so whichever one is updated, the table ends the same. Every
UPDATE's affected-row count is checked; a row that was not found again is counted in
``rows_not_rewritten`` (per table too) with a warning, never reported as written.

When a replacement contains its search text (``http://a.test`` -> ``http://a.test/sub``),
the rewriter leaves the replacement alone where it is already written, so a rerun (or a
run resumed after ``kill -9``: chunks already committed hold NEW) changes nothing more;
the result carries a warning that says so.

A dry run reads the same way and writes nothing.

The service receives its connections: ``db`` reads (streaming, in primary-key order) and
``writer``, a second connection to the same environment, commits the chunks; the caller
opens and closes both (a dry run needs no writer). Writes go through the write guard: a
protected environment is refused before anything is read.

Example::

    with Database.connect(env, raw=True) as db, Database.connect(env, raw=True) as writer:
        result = replace_in_database(db, [("http://a.test", "https://b.test")], writer=writer)
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.errors import InputError
from parity.rewrite import Rewriter, RewriteReport, rerun_warnings
from parity.targets.database import Database, quote_identifier
from parity.targets.guard import ensure_writable

__all__ = ["ColumnResult", "ReplaceResult", "TablePlan", "plan_tables", "replace_in_database"]

TEXT_TYPES = frozenset(
    {
        "char",
        "varchar",
        "tinytext",
        "text",
        "mediumtext",
        "longtext",
        "binary",
        "varbinary",
        "tinyblob",
        "blob",
        "mediumblob",
        "longblob",
        "json",
    }
)

#: Types whose values, read and sent back, compare exactly with what is stored, as bytes.
_BYTES_TYPES = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})
#: ... as text in the connection's character set (compared byte for byte, no padding).
_CHARSET_TYPES = frozenset(TEXT_TYPES - _BYTES_TYPES) | {"enum", "set"}
#: ... as numbers.
_EXACT_NUMBER_TYPES = frozenset(
    {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "year"}
)

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class TablePlan:
    """One table to rewrite: its key, the text columns to rewrite, and its size estimate."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    all_columns: tuple[str, ...]
    estimated_rows: int
    #: Data type of each column (lower case), by name.
    types: dict[str, str] = field(default_factory=dict)

    @property
    def keyless(self) -> bool:
        """True when the table has no primary key (rows are matched by their values)."""
        return not self.key

    @property
    def compared(self) -> tuple[str, ...]:
        """Without a primary key: the columns a row is matched by (exact types only)."""
        return tuple(c for c in self.all_columns if _exact(self.types.get(c, "")))

    @property
    def not_compared(self) -> tuple[str, ...]:
        """Without a primary key: the columns left out of the match (FLOAT, dates...)."""
        if self.key:
            return ()
        return tuple(c for c in self.all_columns if not _exact(self.types.get(c, "")))


def _exact(data_type: str) -> bool:
    return (
        data_type in _CHARSET_TYPES
        or data_type in _BYTES_TYPES
        or (data_type in _EXACT_NUMBER_TYPES)
    )


@dataclass
class ColumnResult:
    """What happened (or would happen) in one column."""

    table: str
    column: str
    report: RewriteReport

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        r = self.report
        return {
            "table": self.table,
            "column": self.column,
            "values_changed": r.values_changed,
            "occurrences": r.occurrences,
            "by_encoding": r.by_encoding,
            "malformed": r.malformed_count,
            "not_rewritten": dict(r.skipped_by_reason),
        }


@dataclass
class ReplaceResult:
    """The outcome of one ``replace --env`` run."""

    environment: str
    dry_run: bool
    pairs: list[tuple[str, str]]
    tables: list[TablePlan] = field(default_factory=list)
    columns: list[ColumnResult] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    #: Table -> rows that held a change but were not found again to write it.
    not_rewritten_rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_not_rewritten(self) -> int:
        """Rows that should have changed but were left as they were, all tables."""
        return sum(self.not_rewritten_rows.values())

    @property
    def occurrences(self) -> int:
        """Occurrences rewritten (or that would be), all tables."""
        return sum(c.report.occurrences for c in self.columns)

    def totals(self) -> RewriteReport:
        """Every column's report added up."""
        total = RewriteReport(list(self.pairs))
        for column in self.columns:
            total.merge(column.report)
        return total

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stable: see docs/json-output.md); the rewrite report's keys
        are those of every rewrite report."""
        return {
            "environment": self.environment,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_not_rewritten": self.rows_not_rewritten,
            **self.totals().as_dict(),
            "tables": [
                {
                    "table": t.table,
                    "key": list(t.key) or None,
                    "matched_by": "primary key" if t.key else "full row (no primary key)",
                    "not_compared": list(t.not_compared),
                    "columns": list(t.columns),
                    "rows_not_rewritten": self.not_rewritten_rows.get(t.table, 0),
                }
                for t in self.tables
            ],
            "columns": [c.as_dict() for c in self.columns if c.report.values_seen],
            "warnings": list(self.warnings),
        }


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def plan_tables(
    db: Database,
    *,
    tables: Sequence[str] = (),
    skip_tables: Sequence[str] = (),
    skip_columns: Sequence[str] = (),
) -> list[TablePlan]:
    """The tables and text columns to rewrite.

    ``tables`` and ``skip_tables`` take shell patterns (``wp_*meta``); ``skip_columns``
    takes ``column`` or ``table.column`` patterns. Naming a table that does not exist is
    an error, so a typo never turns into "nothing to do".
    """
    present = db.tables()
    if tables:
        chosen = [t for t in present if _matches(t, tables)]
        for pattern in tables:
            if not any(fnmatch.fnmatchcase(t, pattern) for t in present):
                raise InputError(
                    f"--tables {pattern}: no table of {db.env.name} matches",
                    hint=f"tables under {db.env.table_prefix!r}: {', '.join(present[:8])}...",
                )
    else:
        chosen = present
    chosen = [t for t in chosen if not _matches(t, skip_tables)]
    rows = db.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position"
    )
    by_table: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        by_table.setdefault(_text(table), []).append((_text(column), _text(data_type).lower()))
    estimates = {
        _text(name): int(count or 0)
        for name, count in db.query(
            "SELECT table_name, table_rows FROM information_schema.tables"
            " WHERE table_schema = DATABASE()"
        )
    }
    plans = []
    for table in chosen:
        columns = by_table.get(table, [])
        text_columns = tuple(
            name
            for name, data_type in columns
            if data_type in TEXT_TYPES
            and not _matches(name, skip_columns)
            and not _matches(f"{table}.{name}", skip_columns)
        )
        plans.append(
            TablePlan(
                table=table,
                key=db.primary_key(table),
                columns=text_columns,
                all_columns=tuple(name for name, _ in columns),
                estimated_rows=estimates.get(table, 0),
                types=dict(columns),
            )
        )
    return plans


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def replace_in_database(
    db: Database,
    pairs: Sequence[tuple[str, str]],
    *,
    writer: Database | None = None,
    tables: Sequence[str] = (),
    skip_tables: Sequence[str] = (),
    skip_columns: Sequence[str] = (),
    dry_run: bool = False,
    chunk_size: int = 1000,
    repair: bool = False,
    base64: bool = False,
    progress: Progress | None = None,
    on_plan: Callable[[list[TablePlan]], None] | None = None,
) -> ReplaceResult:
    """Rewrite ``pairs`` in every text column of the chosen tables ``db`` reaches.

    ``db`` reads; ``writer`` (another connection to the same environment, both opened
    raw) writes, and is needed unless ``dry_run``.
    """
    template = Rewriter(pairs, repair=repair, base64=base64)  # validates the pairs first
    env = db.env
    if not dry_run:
        ensure_writable(env, "rewrite its database")
        if writer is None or writer.env.name != env.name:
            raise ValueError("replace_in_database writes through a second connection to the env")
        writer.ensure_writable("rewrite its database")
    result = ReplaceResult(environment=env.name, dry_run=dry_run, pairs=template.pairs)
    result.warnings.extend(rerun_warnings(template.pairs))
    result.tables = plan_tables(
        db, tables=tables, skip_tables=skip_tables, skip_columns=skip_columns
    )
    if on_plan is not None:
        on_plan(result.tables)
    for plan in result.tables:
        _rewrite_table(
            db,
            None if dry_run else writer,
            plan,
            result,
            template,
            chunk_size,
            progress,
            repair,
            base64,
        )
    for plan in result.tables:
        if plan.keyless and plan.columns and plan.not_compared and not dry_run:
            result.warnings.append(
                f"{plan.table} has no primary key: rows were matched without"
                f" {', '.join(plan.not_compared)} (values that do not compare exactly)"
            )
    for table, count in result.not_rewritten_rows.items():
        result.warnings.append(
            f"{count} row(s) of {table} held a change but were not found again to write it"
            " (changed meanwhile, or not matchable); they were left as they were"
        )
    return result


def _rewrite_table(
    reader: Database,
    writer: Database | None,
    plan: TablePlan,
    result: ReplaceResult,
    template: Rewriter,
    chunk_size: int,
    progress: Progress | None,
    repair: bool,
    base64: bool,
) -> None:
    if not plan.columns:
        return
    rewriters = {
        column: Rewriter(template.pairs, repair=repair, base64=base64) for column in plan.columns
    }
    for column, rewriter in rewriters.items():
        result.columns.append(ColumnResult(plan.table, column, rewriter.report))
    compared = plan.compared if plan.keyless else plan.key
    selected = tuple(dict.fromkeys((*compared, *plan.columns)))
    positions = {name: i for i, name in enumerate(selected)}
    table = quote_identifier(plan.table)
    if plan.keyless:
        match = " AND ".join(_compare(c, plan.types.get(c, "")) for c in compared)
    else:
        match = " AND ".join(f"{quote_identifier(c)} = %s" for c in plan.key)
    for rows in reader.stream(plan.table, chunk_size=chunk_size, columns=selected):
        updates: list[tuple[str, list[Any]]] = []
        for row in rows:
            changed: dict[str, bytes] = {}
            for column in plan.columns:
                value = row[positions[column]]
                if not isinstance(value, bytes):
                    continue
                where = f"{plan.table}.{column}"
                if writer is None:
                    rewriters[column].report.merge(rewriters[column].count(value, where=where))
                    continue
                new = rewriters[column].rewrite(value, where=where)
                if new is not value and new != value:
                    changed[column] = new
            if changed:
                sets = ", ".join(f"{quote_identifier(c)} = %s" for c in changed)
                params = [*changed.values(), *(row[positions[c]] for c in compared)]
                limit = " LIMIT 1" if plan.keyless else ""
                updates.append((f"UPDATE {table} SET {sets} WHERE {match}{limit}", params))
        if writer is not None and updates:
            written = 0
            with writer.transaction(action=f"rewrite {plan.table}") as tx:
                for sql, params in updates:
                    written += min(tx.execute(sql, params), 1)
            result.rows_written += written
            if written < len(updates):
                missed = result.not_rewritten_rows.get(plan.table, 0) + len(updates) - written
                result.not_rewritten_rows[plan.table] = missed
        result.rows_read += len(rows)
        if progress is not None:
            progress(plan.table, len(rows))


def _compare(column: str, data_type: str) -> str:
    """``column <=> %s``, exact: strings byte for byte (no collation, no padding)."""
    name = quote_identifier(column)
    if data_type in _BYTES_TYPES:
        return f"{name} <=> CAST(%s AS BINARY)"
    if data_type in _CHARSET_TYPES:
        # As read: in the connection's utf8mb4, then as bytes (case and spaces count).
        return f"CAST(CONVERT({name} USING utf8mb4) AS BINARY) <=> CAST(%s AS BINARY)"
    return f"{name} <=> %s"
