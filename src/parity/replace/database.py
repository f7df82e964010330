"""Search-replace inside a live database, in place, chunk by chunk, in primary-key order.

Every text column of every chosen table is read as the bytes stored, passed through a
:class:`~parity.rewrite.Rewriter`, and only rows whose values changed are written back,
one transaction per chunk. A table without a primary key is rewritten by full-row match
(``UPDATE ... WHERE every column <=> old value LIMIT 1``) and says so in the report; it
is never skipped silently. A dry run reads the same way and writes nothing.

Writes go through the write guard: a protected environment is refused before anything
is read.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.config import EnvironmentSettings
from parity.errors import InputError
from parity.rewrite import Rewriter, RewriteReport
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

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class TablePlan:
    """One table to rewrite: its key, the text columns to rewrite, and its size estimate."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    all_columns: tuple[str, ...]
    estimated_rows: int

    @property
    def keyless(self) -> bool:
        """True when the table has no primary key (rows are matched by full row)."""
        return not self.key


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
        """JSON-ready form (stable: see docs/json-output.md)."""
        total = self.totals()
        return {
            "environment": self.environment,
            "dry_run": self.dry_run,
            "pairs": [list(p) for p in self.pairs],
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "occurrences": self.occurrences,
            "by_pair": [
                {"search": s, "replace": r, "occurrences": n} for (s, r), n in total.by_pair.items()
            ],
            "by_encoding": total.by_encoding,
            "malformed": total.malformed_count,
            "not_rewritten": dict(total.skipped_by_reason),
            "tables": [
                {
                    "table": t.table,
                    "key": list(t.key) or None,
                    "matched_by": "primary key" if t.key else "full row (no primary key)",
                    "columns": list(t.columns),
                }
                for t in self.tables
            ],
            "columns": [c.as_dict() for c in self.columns if c.report.values_seen],
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
            )
        )
    return plans


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def replace_in_database(
    env: EnvironmentSettings,
    pairs: Sequence[tuple[str, str]],
    *,
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
    """Rewrite ``pairs`` in every text column of the chosen tables of ``env``."""
    template = Rewriter(pairs, repair=repair, base64=base64)  # validates the pairs first
    if not dry_run:
        ensure_writable(env, "rewrite its database")
    result = ReplaceResult(environment=env.name, dry_run=dry_run, pairs=template.pairs)
    with Database.connect(env, raw=True) as reader:
        result.tables = plan_tables(
            reader, tables=tables, skip_tables=skip_tables, skip_columns=skip_columns
        )
        if on_plan is not None:
            on_plan(result.tables)
        writer = None if dry_run else Database.connect(env, raw=True)
        try:
            if writer is not None:
                writer.ensure_writable("rewrite its database")
            for plan in result.tables:
                _rewrite_table(
                    reader, writer, plan, result, template, chunk_size, progress, repair, base64
                )
        finally:
            if writer is not None:
                writer.close()
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
    selected = plan.all_columns if plan.keyless else plan.key + plan.columns
    positions = {name: i for i, name in enumerate(selected)}
    table = quote_identifier(plan.table)
    if plan.keyless:
        match = " AND ".join(f"{quote_identifier(c)} <=> %s" for c in plan.all_columns)
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
                if plan.keyless:
                    params = [*changed.values(), *row]
                    sql = f"UPDATE {table} SET {sets} WHERE {match} LIMIT 1"
                else:
                    params = [*changed.values(), *(row[positions[k]] for k in plan.key)]
                    sql = f"UPDATE {table} SET {sets} WHERE {match}"
                updates.append((sql, params))
        if writer is not None and updates:
            with writer.transaction(action=f"rewrite {plan.table}") as tx:
                for sql, params in updates:
                    tx.execute(sql, params)
            result.rows_written += len(updates)
        result.rows_read += len(rows)
        if progress is not None:
            progress(plan.table, len(rows))
