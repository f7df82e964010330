"""Run a rehearsal: copy the touched tables, measure the migration on the copy, roll it
back, compare, and drop the copy.

Where the copy lives: scratch tables inside the environment's own schema, named
``prh_<token>_<table>`` (:data:`SCRATCH_PREFIX`), created with ``CREATE TABLE ... LIKE``
and ``INSERT ... SELECT`` on the server and dropped at the end (kept with ``keep=True``).
A schema of its own would need CREATE/DROP DATABASE rights that a site's database user
rarely has (the sandbox's users, like most hosts', only have rights on their own
database); tables in the same schema need no grant beyond what WordPress itself has, and
every write still passes the write guard of ``Database``. The environment's own tables
are only ever read.

Example::

    report = rehearse_migration(settings.environment("staging"), Path("migration.sql").read_text(),
                      section=rehearse_settings(settings))
    report.passed
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from parity.changes.query import check_select
from parity.drift.schema import shape_tables
from parity.environments import EnvironmentSettings
from parity.errors import DatabaseError, InputError, ParityError
from parity.rehearse.indexes import (
    IndexDef,
    IndexFinding,
    index_findings,
    indexes_from_statistics,
    migration_index_findings,
)
from parity.rehearse.inverse import Inverse, TableDefinition, inverse_of, parse_create_table
from parity.rehearse.load import WriteLoad
from parity.rehearse.model import (
    AlgorithmAttempt,
    ExplainReport,
    QueryError,
    RehearsalReport,
    Rollback,
    StatementRun,
    StatementSummary,
)
from parity.rehearse.parse import (
    Statement,
    only_on_scratch,
    parse_migration,
    parse_queries,
    rename_tables,
)
from parity.rehearse.parse import with_algorithm as algorithm_sql
from parity.rehearse.plans import PlanChange, PlanSummary, diff_plans, summarise_plan
from parity.rehearse.queries import Query, Samples, hot_queries
from parity.rehearse.settings import RehearseSection
from parity.rehearse.verdict import verdict_reasons
from parity.targets.database import Database, quote_identifier
from parity.targets.guard import ensure_writable
from parity.vocabulary import iso_utc

__all__ = [
    "ACTION",
    "ALGORITHMS",
    "SCRATCH_PREFIX",
    "explain_query",
    "rehearse_migration",
]

log = logging.getLogger(__name__)

ACTION = "rehearse a migration on a scratch copy"
#: Scratch tables are named ``prh_<token>_<table>``.
SCRATCH_PREFIX = "prh_"
#: Tried in this order; MariaDB refuses an algorithm a change cannot use at once.
_HAS_ALGORITHM = re.compile(r"\bALGORITHM\s*=", re.IGNORECASE)
ALGORITHMS: tuple[tuple[str, str | None], ...] = (
    ("INSTANT", None),
    ("NOCOPY", None),
    ("INPLACE", "NONE"),
    ("COPY", None),
)


def _text(value: Any) -> str:
    return bytes(value).decode() if isinstance(value, bytes | bytearray) else str(value)


def _refused(error: DatabaseError) -> bool:
    """True when the server refused an ALGORITHM=/LOCK= clause (not any other failure)."""
    return "not supported" in error.message


class _Scratch:
    """The copy: real table name -> scratch table name, and the reads rehearse needs."""

    def __init__(self, db: Database, prefix: str) -> None:
        self.db = db
        self.prefix = prefix
        self.names: dict[str, str] = {}

    def name(self, table: str) -> str:
        if table not in self.names:
            scratch = self.prefix + table
            if len(scratch) > 64:
                raise InputError(f"table name {table} is too long for a scratch copy")
            self.names[table] = scratch
        return self.names[table]

    def copy(self, table: str) -> None:
        scratch, q = self.name(table), quote_identifier
        self.db.execute(f"CREATE TABLE {q(scratch)} LIKE {q(table)}", action=ACTION)
        self.db.execute(f"INSERT INTO {q(scratch)} SELECT * FROM {q(table)}", action=ACTION)
        self.analyze(table)

    def analyze(self, table: str) -> None:
        self.db.execute(f"ANALYZE TABLE {quote_identifier(self.name(table))}", action=ACTION)

    def exists(self, table: str) -> bool:
        return self.name(table) in set(self.db.all_tables())

    def rows(self, table: str) -> int:
        return int(self.db.scalar(f"SELECT COUNT(*) FROM {quote_identifier(self.name(table))}"))

    def definition(self, table: str) -> TableDefinition | None:
        if not self.exists(table):
            return None
        text = self.db.show_create_table(self.name(table))
        return parse_create_table(rename_tables(text, {self.name(table): table}), table)

    def indexes(self, table: str) -> list[IndexDef]:
        rows = self.db.query(
            "SELECT index_name, seq_in_index, column_name, sub_part, non_unique, index_type"
            " FROM information_schema.statistics WHERE table_schema = DATABASE()"
            " AND table_name = %s ORDER BY index_name, seq_in_index",
            [self.name(table)],
        )
        return indexes_from_statistics(rows)

    def schema(self, table: str) -> dict[str, Any] | None:
        """The table as drift compares it, plus its column order (None when absent)."""
        name = self.name(table)
        where = "WHERE table_schema = DATABASE() AND table_name = %s"
        tables = self.db.query(
            f"SELECT table_name, engine, table_collation FROM information_schema.tables {where}",
            [name],
        )
        if not tables:
            return None
        columns = self.db.query(
            "SELECT table_name, column_name, column_type, is_nullable, column_default, extra,"
            f" collation_name FROM information_schema.columns {where} ORDER BY ordinal_position",
            [name],
        )
        statistics = self.db.query(
            "SELECT table_name, index_name, seq_in_index, column_name, sub_part, non_unique,"
            f" index_type FROM information_schema.statistics {where}"
            " ORDER BY index_name, seq_in_index",
            [name],
        )
        shaped = shape_tables(self.prefix, tables, columns, statistics)[table]
        return {"table": shaped.model_dump(), "order": [_text(c[1]) for c in columns]}

    def drop_all(self) -> None:
        for scratch in self.names.values():
            try:
                self.db.execute(f"DROP TABLE IF EXISTS {quote_identifier(scratch)}", action=ACTION)
            except ParityError as exc:
                log.warning("could not drop scratch table %s: %s", scratch, exc.one_line())


def _schema_differences(
    table: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[str]:
    """What differs between a table's schema before the migration and after its rollback."""
    if before == after:
        return []
    if before is None or after is None:
        return [f"{table}: {'exists' if after else 'is missing'} after the rollback"]
    out: list[str] = []
    if before["order"] != after["order"]:
        out.append(f"{table}: column order {before['order']} -> {after['order']}")
    for part in ("columns", "indexes"):
        old, new = before["table"][part], after["table"][part]
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                out.append(f"{table}: {part[:-1] if part == 'columns' else 'index'} {key} differs")
    for key in ("engine", "charset", "collation"):
        if before["table"][key] != after["table"][key]:
            out.append(f"{table}: {key} {before['table'][key]} -> {after['table'][key]}")
    return out or [f"{table}: schema differs"]


def _plan(db: Database, sql: str, params: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    args = list(params) or None
    explain = json.loads(_text(db.scalar(f"EXPLAIN FORMAT=JSON {sql}", args)))
    analyze = json.loads(_text(db.scalar(f"ANALYZE FORMAT=JSON {sql}", args)))
    return explain, analyze


def _plans(
    db: Database, queries: Sequence[Query], mapping: dict[str, str], when: str
) -> tuple[dict[str, PlanSummary], list[QueryError]]:
    found: dict[str, PlanSummary] = {}
    errors: list[QueryError] = []
    for query in queries:
        try:
            _, analyze = _plan(db, rename_tables(query.sql, mapping), query.params)
        except DatabaseError as exc:
            errors.append(QueryError(query=query.name, when=when, error=exc.one_line()))
            continue
        summary = summarise_plan(analyze)
        # Plans name the scratch tables: say the real names.
        back = {scratch: real for real, scratch in mapping.items()}
        tables = [
            t.model_copy(update={"table": back.get(t.table, t.table)}) for t in summary.tables
        ]
        found[query.name] = summary.model_copy(update={"tables": tables})
    return found, errors


def _samples(db: Database, scratch: _Scratch, touched: Sequence[str], prefix: str) -> Samples:
    postmeta = f"{prefix}postmeta"
    if postmeta not in touched:
        return Samples()
    q = quote_identifier(scratch.name(postmeta))
    row = db.query(
        f"SELECT meta_key FROM {q} WHERE meta_key IS NOT NULL GROUP BY meta_key"
        " ORDER BY COUNT(*), meta_key LIMIT 1"
    )
    if not row:
        return Samples()
    key = _text(row[0][0])
    value = db.query(
        f"SELECT meta_value, post_id FROM {q} WHERE meta_key = %s AND meta_value IS NOT NULL"
        " AND LENGTH(meta_value) BETWEEN 1 AND 100 LIMIT 1",
        [key],
    )
    if not value:
        return Samples(meta_key=key)
    return Samples(meta_key=key, meta_value=_text(value[0][0]), post_id=int(value[0][1]))


def _run_statement(
    db: Database,
    connect: Callable[[], Database],
    statement: Statement,
    scratch: _Scratch,
    section: RehearseSection,
    write_load: int,
) -> StatementRun:
    table = statement.tables[0]
    name = scratch.name(table)
    rows = scratch.rows(table) if statement.kind != "create_table" else 0
    if not statement.is_ddl or _HAS_ALGORITHM.search(statement.text):
        sql = rename_tables(statement.text, scratch.names)
        start = time.perf_counter()
        db.execute(only_on_scratch(sql, scratch.prefix), action=ACTION)
        return StatementRun(
            number=statement.number,
            table=table,
            kind=statement.kind,
            algorithm="as written" if statement.is_ddl else None,
            duration_s=round(time.perf_counter() - start, 4),
            table_rows=rows,
        )
    refused: list[AlgorithmAttempt] = []
    for algorithm, lock in ALGORITHMS:
        sql = algorithm_sql(statement, name, algorithm, lock)
        load = WriteLoad(connect, name, threads=write_load, blocked_write_s=section.blocked_write_s)
        with load:
            start = time.perf_counter()
            try:
                db.execute(only_on_scratch(sql, scratch.prefix), action=ACTION)
            except DatabaseError as exc:
                if not _refused(exc) or algorithm == "COPY":
                    raise
                refused.append(
                    AlgorithmAttempt(algorithm=algorithm, refused=exc.message.split(": ", 1)[-1])
                )
                continue
            finally:
                duration = time.perf_counter() - start
        return StatementRun(
            number=statement.number,
            table=table,
            kind=statement.kind,
            algorithm=algorithm,
            lock=lock,
            duration_s=round(duration, 4),
            table_rows=rows,
            refused=refused,
            load=load.result,
        )
    raise AssertionError("COPY either runs or raises")  # pragma: no cover


def _check_tables(db: Database, statements: Sequence[Statement]) -> list[str]:
    """The existing tables the migration touches; a missing one is bad input (exit 2)."""
    existing = set(db.all_tables())
    created: set[str] = set()
    touched: list[str] = []
    for statement in statements:
        for table in statement.tables:
            if statement.kind == "create_table":
                created.add(table)
                continue
            if table in created:
                continue
            if table not in existing:
                raise InputError(
                    f"{statement.label}: table {table} does not exist in {db.env.name}'s database",
                    hint="nothing was changed",
                )
            if table.startswith(SCRATCH_PREFIX):
                raise InputError(f"{statement.label}: {table} is a rehearsal's scratch table")
            if table not in touched:
                touched.append(table)
    return touched


def rehearse_migration(
    env: EnvironmentSettings,
    migration_sql: str,
    *,
    section: RehearseSection,
    migration_name: str = "migration.sql",
    queries_sql: str | None = None,
    write_load: int | None = None,
    keep: bool = False,
    connect: Callable[[], Database] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RehearsalReport:
    """Rehearse ``migration_sql`` on a scratch copy of ``env``'s touched tables.

    Raises ``InputError`` (unparseable SQL naming the statement, a missing table) or
    ``ProtectedEnvironment`` before anything is written.
    """
    statements = parse_migration(migration_sql)
    user_queries = parse_queries(queries_sql) if queries_sql else []
    ensure_writable(env, ACTION)  # by name, before any connection
    open_db = connect or (lambda: Database.connect(env))
    say = progress or (lambda _message: None)
    threads = section.write_load if write_load is None else write_load
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    with open_db() as db:
        db.ensure_writable(ACTION)  # by identity
        touched = _check_tables(db, statements)
        scratch = _Scratch(db, f"{SCRATCH_PREFIX}{secrets.token_hex(3)}_")
        for statement in statements:
            for table in statement.tables:
                scratch.name(table)
        try:
            return _rehearse_on_copy(
                db,
                open_db,
                statements,
                user_queries,
                touched,
                scratch,
                section,
                threads,
                migration_name,
                keep,
                started,
                t0,
                say,
            )
        finally:
            if not keep:
                scratch.drop_all()


def _rehearse_on_copy(
    db: Database,
    connect: Callable[[], Database],
    statements: Sequence[Statement],
    user_queries: Sequence[Statement],
    touched: Sequence[str],
    scratch: _Scratch,
    section: RehearseSection,
    threads: int,
    migration_name: str,
    keep: bool,
    started: datetime,
    t0: float,
    say: Callable[[str], None],
) -> RehearsalReport:
    # A DDL waiting on a metadata lock gives up instead of queueing every write behind it.
    db.execute(f"SET SESSION lock_wait_timeout = {int(section.lock_wait_timeout_s)}", action=ACTION)
    for table in touched:
        say(f"copying {table}")
        scratch.copy(table)
    original = {table: scratch.schema(table) for table in scratch.names}
    indexes_before = {table: scratch.indexes(table) for table in touched}
    findings: list[IndexFinding] = []
    for table in touched:
        findings += index_findings(table, indexes_before[table])
    samples = _samples(db, scratch, touched, db.env.table_prefix)
    queries = hot_queries(touched, db.env.table_prefix, samples) + [
        Query(f"query {q.number} of the query file", q.text, builtin=False, tables=q.tables)
        for q in user_queries
    ]
    say("query plans before")
    before, errors = _plans(db, queries, scratch.names, "before")
    runs: list[StatementRun] = []
    inverses: list[Inverse] = []
    for statement in statements:
        say(f"running {statement.label}")
        inverses.append(inverse_of(statement, scratch.definition(statement.tables[0])))
        runs.append(_run_statement(db, connect, statement, scratch, section, threads))
    for table in scratch.names:
        if scratch.exists(table):
            scratch.analyze(table)
    say("query plans after")
    after, errors_after = _plans(db, queries, scratch.names, "after")
    errors += errors_after
    plans: list[PlanChange] = [
        diff_plans(
            name,
            before[name],
            after[name],
            rows_ratio=section.regression_rows_ratio,
            min_rows=section.regression_min_rows,
        )
        for name in before
        if name in after
    ]
    keys_used: dict[str, dict[str, list[str]]] = {}
    for query in queries:
        for access in before.get(query.name, PlanSummary(tables=[])).tables:
            if access.key:
                for table in query.tables:
                    if table in touched:
                        used = keys_used.setdefault(table, {}).setdefault(access.key, [])
                        if query.name not in used:
                            used.append(query.name)
    for table in touched:
        after_indexes = scratch.indexes(table) if scratch.exists(table) else []
        findings += migration_index_findings(
            table, indexes_before[table], after_indexes, keys_used.get(table, {})
        )
    say("rolling back")
    rollback = _rollback(db, statements, inverses, scratch, original)
    ddl_s = sum(r.duration_s for r in runs)
    reasons = verdict_reasons(
        runs,
        plans,
        rollback.restored,
        section,
        query_errors=errors,
        rollback_differences=rollback.differences,
    )
    duration = time.perf_counter() - t0
    return RehearsalReport(
        environment=db.env.name,
        migration=migration_name,
        started_at=iso_utc(started),
        duration_s=round(duration, 4),
        ddl_s=round(ddl_s, 4),
        overhead_s=round(duration - ddl_s, 4),
        scratch_prefix=scratch.prefix,
        kept=keep,
        statements=[
            StatementSummary(
                number=s.number,
                kind=s.kind,
                tables=list(s.tables),
                columns=list(s.columns),
                sql=s.text,
            )
            for s in statements
        ],
        indexes={t: indexes_before[t] for t in touched},
        index_findings=findings,
        runs=runs,
        plans=plans,
        query_errors=errors,
        rollback=rollback,
        passed=not reasons,
        reasons=reasons,
    )


def _rollback(
    db: Database,
    statements: Sequence[Statement],
    inverses: Sequence[Inverse],
    scratch: _Scratch,
    original: dict[str, dict[str, Any] | None],
) -> Rollback:
    listed = [{"statement": inv.statement, "sql": inv.sql, "notes": inv.notes} for inv in inverses]
    missing = [
        inv.statement
        for inv, statement in zip(inverses, statements, strict=True)
        if inv.sql is None and statement.kind not in ("insert", "update", "delete", "select")
    ]
    if missing:
        return Rollback(
            statements=listed,
            applied=False,
            restored=False,
            differences=[f"no inverse for statement {n}" for n in missing],
        )
    start = time.perf_counter()
    for inv in reversed(inverses):
        if inv.sql is not None:
            db.execute(
                only_on_scratch(rename_tables(inv.sql, scratch.names), scratch.prefix),
                action=ACTION,
            )
    differences: list[str] = []
    for table, before in original.items():
        differences += _schema_differences(table, before, scratch.schema(table))
    return Rollback(
        statements=listed,
        applied=True,
        restored=not differences,
        differences=differences,
        duration_s=round(time.perf_counter() - start, 4),
    )


def explain_query(
    env: EnvironmentSettings, sql: str, *, connect: Callable[[], Database] | None = None
) -> ExplainReport:
    """The plan and timing of one SELECT on ``env`` (``EXPLAIN`` and ``ANALYZE``).

    A SELECT's ANALYZE only reads, so it runs on the environment's tables themselves
    (no copy needed); anything but one SELECT is refused.
    """
    # ANALYZE runs the query on the environment itself: one read-only SELECT only.
    check_select(sql)
    statements = parse_queries(sql)
    if len(statements) != 1:
        raise InputError("--explain takes exactly one SELECT")
    with (connect or (lambda: Database.connect(env)))() as db:
        start = time.perf_counter()
        try:
            explain, analyze = _plan(db, statements[0].text, ())
        except DatabaseError as exc:
            raise InputError(f"the query failed on {env.name}: {exc.one_line()}") from None
        return ExplainReport(
            environment=env.name,
            query=statements[0].text,
            plan=summarise_plan(analyze),
            explain=explain,
            analyze=analyze,
            duration_s=round(time.perf_counter() - start, 4),
        )
