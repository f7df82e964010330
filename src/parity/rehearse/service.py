"""Run a rehearsal: copy the touched tables (or reuse a kept copy), measure the migration
on the copy, roll it back, compare, and drop the copy (or keep it for the next one).

Where the copy lives: scratch tables inside the environment's own schema, named
``prh_<token>_<table>`` (:data:`SCRATCH_PREFIX`); how they are made, reused and kept is
:mod:`parity.rehearse.copies`. A schema of its own would need CREATE/DROP DATABASE
rights that a site's database user rarely has (the sandbox's users, like most hosts',
only have rights on their own database); tables in the same schema need no grant beyond
what WordPress itself has, and every write still passes the write guard of
``Database``. The environment's own tables are only ever read.

Example::

    report = rehearse_migration(settings.environment("staging"), Path("migration.sql").read_text(),
                      section=rehearse_settings(settings))
    report.passed
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from parity.changes.query import check_select
from parity.environments import EnvironmentSettings
from parity.errors import DatabaseError, InputError
from parity.refresh.settings import RefreshSection
from parity.rehearse.copies import SCRATCH_PREFIX, RefreshInto, Scratch
from parity.rehearse.indexes import IndexFinding, index_findings, migration_index_findings
from parity.rehearse.inverse import Inverse, inverse_of
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
_HAS_ALGORITHM = re.compile(r"\bALGORITHM\s*=", re.IGNORECASE)
#: One ALTER TABLE and no second statement.
_PLAIN_ALTER = re.compile(r"ALTER TABLE [^;]*", re.IGNORECASE)
#: Tried in this order; MariaDB refuses an algorithm a change cannot use at once.
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
    return explain, _analyze(db, sql, params)


def _analyze(db: Database, sql: str, params: Sequence[Any]) -> dict[str, Any]:
    """``ANALYZE FORMAT=JSON``: the optimizer's plan and estimates, as ``EXPLAIN FORMAT=JSON``
    prints them, plus what running the query really did (``r_rows``, ``r_total_time_ms``)."""
    found: dict[str, Any] = json.loads(
        _text(db.scalar(f"ANALYZE FORMAT=JSON {sql}", list(params) or None))
    )
    return found


def _plans(
    db: Database, queries: Sequence[Query], mapping: dict[str, str], when: str
) -> tuple[dict[str, PlanSummary], list[QueryError]]:
    found: dict[str, PlanSummary] = {}
    errors: list[QueryError] = []
    for query in queries:
        try:
            # ANALYZE's document holds EXPLAIN's plan and estimates too: one statement.
            analyze = _analyze(db, rename_tables(query.sql, mapping), query.params)
        except DatabaseError as exc:
            errors.append(QueryError(query=query.name, when=when, error=exc.one_line()))
            continue
        # Plans name the scratch tables: say the real names.
        back = {scratch: real for real, scratch in mapping.items()}
        found[query.name] = _real_names(summarise_plan(analyze), back)
    return found, errors


def _samples(db: Database, scratch: Scratch, touched: Sequence[str], prefix: str) -> Samples:
    postmeta = f"{prefix}postmeta"
    if postmeta not in touched:
        return Samples()
    copy = scratch.copies.get(postmeta)
    if copy is not None and copy.samples is not None:
        return copy.samples  # a reused copy holds the same rows: the same samples
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
    scratch: Scratch,
    section: RehearseSection,
    write_load: int,
    rows: int,
) -> StatementRun:
    table = statement.tables[0]
    name = scratch.name(table)
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
    # One load for every attempt: the server refuses an unusable algorithm at once.
    load = WriteLoad(connect, name, threads=write_load, blocked_write_s=section.blocked_write_s)
    with load:
        for algorithm, lock in ALGORITHMS:
            sql = algorithm_sql(statement, name, algorithm, lock)
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
            duration = time.perf_counter() - start
            break
        else:  # pragma: no cover
            raise AssertionError("COPY either runs or raises")
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


def _refuse_unusable(table: str, existing: set[str], env: str, where: str) -> None:
    """InputError (naming ``where``: a statement, the query) for a table ``env`` lacks or
    a rehearsal's own scratch table."""
    if table not in existing:
        raise InputError(
            f"{where}: table {table} does not exist in {env}'s database",
            hint="nothing was changed",
        )
    if table.startswith(SCRATCH_PREFIX):
        raise InputError(f"{where}: {table} is a rehearsal's scratch table")


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
            _refuse_unusable(table, existing, db.env.name, statement.label)
            if table not in touched:
                touched.append(table)
    return touched


def _copy_source(
    env: EnvironmentSettings,
    fresh_copy: bool,
    production: EnvironmentSettings | None,
    refresh_policy: RefreshSection | None,
) -> RefreshInto | None:
    """Refuse a protected ``env`` (by name, before any connection) and a ``--fresh-copy``
    with nothing to copy from; how copies are refreshed from ``production`` (None when
    there is none)."""
    ensure_writable(env, ACTION)
    if fresh_copy and production is None:
        raise InputError(
            "--fresh-copy needs the production environment to copy from",
            hint="name it `production` in parity.toml, or mark exactly one environment"
            " `protected = true`",
        )
    if production is None:
        return None
    if production.name == env.name:
        raise InputError(f"{env.name} cannot be refreshed from itself")
    source = production

    def refresh_into(names: dict[str, str]) -> dict[str, int]:
        from parity.refresh.service import RefreshService

        service = RefreshService(source, env, refresh_policy or RefreshSection(), None)
        return service.copy_tables(names, action=ACTION)

    return refresh_into


def rehearse_migration(
    env: EnvironmentSettings,
    migration_sql: str,
    *,
    section: RehearseSection,
    migration_name: str = "migration.sql",
    queries_sql: str | None = None,
    write_load: int | None = None,
    keep: bool = False,
    fresh_copy: bool = False,
    production: EnvironmentSettings | None = None,
    refresh_policy: RefreshSection | None = None,
    connect: Callable[[], Database] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RehearsalReport:
    """Rehearse ``migration_sql`` on a scratch copy of ``env``'s touched tables.

    ``keep`` keeps the copy afterwards, for the next rehearsal to reuse while the
    environment's table is unchanged; ``fresh_copy`` first refreshes the copy from
    ``production`` through the refresh machinery (``refresh_policy``: its rewrites and
    scrubbing). Raises ``InputError`` (unparseable SQL naming the statement, a missing
    table, ``fresh_copy`` without ``production``) or ``ProtectedEnvironment`` before
    anything is written.
    """
    statements = parse_migration(migration_sql)
    user_queries = parse_queries(queries_sql) if queries_sql else []
    refresh_into = _copy_source(env, fresh_copy, production, refresh_policy)
    open_db = connect or (lambda: Database.connect(env))
    say = progress or (lambda _message: None)
    threads = section.write_load if write_load is None else write_load
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    with open_db() as db:
        db.ensure_writable(ACTION)  # by identity
        touched = _check_tables(db, statements)
        scratch = Scratch(db, secrets.token_hex(3), action=ACTION)
        for statement in statements:
            for table in statement.tables:
                scratch.name(table)
        outcome = _Outcome()
        try:
            # A DDL waiting on a metadata lock gives up instead of queueing every write.
            db.execute(
                f"SET SESSION lock_wait_timeout = {int(section.lock_wait_timeout_s)}",
                action=ACTION,
            )
            scratch.prepare(
                touched,
                keep=keep,
                fresh_from=production if fresh_copy else None,
                production=production,
                refresh_into=refresh_into,
                say=say,
            )
            report = _rehearse_on_copy(
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
                say,
                outcome,
            )
        except BaseException:
            scratch.finish(keep=keep, failed="the rehearsal stopped half-way")
            raise
        say("dropping the copy" if not keep else "keeping the copy")
        copies = scratch.finish(
            keep=keep,
            restored=report.rollback.restored is True,
            data_may_differ=outcome.data_may_differ,
            columns_changed=outcome.columns_changed,
            samples=outcome.samples,
        )
    duration = time.perf_counter() - t0
    return report.model_copy(
        update={
            "duration_s": round(duration, 4),
            "copy_s": round(sum(c.duration_s for c in copies), 4),
            "overhead_s": round(duration - report.ddl_s, 4),
            "copies": copies,
        }
    )


@dataclass
class _Outcome:
    """What the end of a rehearsal needs to know to keep its copy for reuse."""

    data_may_differ: bool = False
    columns_changed: set[str] = field(default_factory=set)
    samples: dict[str, Samples] = field(default_factory=dict)


def _rehearse_on_copy(
    db: Database,
    connect: Callable[[], Database],
    statements: Sequence[Statement],
    user_queries: Sequence[Statement],
    touched: Sequence[str],
    scratch: Scratch,
    section: RehearseSection,
    threads: int,
    migration_name: str,
    keep: bool,
    started: datetime,
    say: Callable[[str], None],
    outcome: _Outcome,
) -> RehearsalReport:
    original = {table: scratch.schema(table) for table in scratch.names}
    indexes_before = {table: scratch.indexes(table) for table in touched}
    findings: list[IndexFinding] = []
    for table in touched:
        findings += index_findings(table, indexes_before[table])
    samples = _samples(db, scratch, touched, db.env.table_prefix)
    postmeta = f"{db.env.table_prefix}postmeta"
    if postmeta in touched:
        outcome.samples[postmeta] = samples
    queries = hot_queries(touched, db.env.table_prefix, samples) + [
        Query(f"query {q.number} of the query file", q.text, builtin=False, tables=q.tables)
        for q in user_queries
    ]
    say("query plans before")
    before, errors = _plans(db, queries, scratch.names, "before")
    runs: list[StatementRun] = []
    inverses: list[Inverse] = []
    rows = {table: copy.info.rows for table, copy in scratch.copies.items()}
    shapes: dict[str, list[Any]] = {}
    for statement in statements:
        say(f"running {statement.label}")
        table = statement.tables[0]
        definition = scratch.definition(table)
        shapes.setdefault(table, []).append(definition.columns if definition else None)
        inverses.append(inverse_of(statement, definition))
        if table not in rows:
            rows[table] = scratch.rows(table) if definition is not None else 0
        runs.append(_run_statement(db, connect, statement, scratch, section, threads, rows[table]))
        if not statement.is_ddl:
            outcome.data_may_differ = True
            rows.pop(table, None)  # counted again before the next statement on it
    for table, seen in shapes.items():
        definition = scratch.definition(table)
        seen.append(definition.columns if definition else None)
        if any(a != b for a, b in itertools.pairwise(seen)):
            outcome.columns_changed.add(table)
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
    # A copy kept for reuse must be laid out as a fresh copy: after a column change, the
    # last inverse on the table rebuilds it (ALGORITHM=COPY) instead of leaving the
    # metadata of an instant change behind.
    rebuild = set(outcome.columns_changed) if keep else set()
    rollback = _rollback(db, statements, inverses, scratch, original, rebuild)
    if keep:
        outcome.columns_changed = rebuild  # those its rollback could not rebuild
    if any(inv.notes for inv in inverses) or not rollback.applied:
        outcome.data_may_differ = True
    ddl_s = sum(r.duration_s for r in runs)
    reasons = verdict_reasons(
        runs,
        plans,
        rollback.restored,
        section,
        query_errors=errors,
        rollback_differences=rollback.differences,
    )
    return RehearsalReport(
        environment=db.env.name,
        migration=migration_name,
        started_at=iso_utc(started),
        duration_s=0.0,  # the whole rehearsal's figures are set when the copy is put away
        ddl_s=round(ddl_s, 4),
        copy_s=0.0,
        overhead_s=0.0,
        scratch_prefix=scratch.prefix,
        kept=keep,
        copies=[],
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
    scratch: Scratch,
    original: dict[str, dict[str, Any] | None],
    rebuild: set[str],
) -> Rollback:
    """Run the inverses (last statement first) and compare the schema with the original.

    For each table of ``rebuild``, the last inverse run on it takes ``ALGORITHM=COPY``
    when it is one plain ``ALTER TABLE``; the tables that could not be rebuilt so stay in
    ``rebuild`` (the caller rebuilds them), the others are removed from it.
    """
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
    last: dict[str, int] = {}
    for position, (inv, statement) in enumerate(zip(inverses, statements, strict=True)):
        if inv.sql is not None:
            last.setdefault(statement.tables[0], position)
    rebuilt: set[str] = set()
    took = 0.0
    for position in reversed(range(len(inverses))):
        inv, table = inverses[position], statements[position].tables[0]
        if inv.sql is None:
            continue
        sql = rename_tables(inv.sql, scratch.names)
        plain = _PLAIN_ALTER.fullmatch(sql) and not _HAS_ALGORITHM.search(sql)
        if table in rebuild and last[table] == position and plain:
            sql += ", ALGORITHM=COPY"
            rebuilt.add(table)
        start = time.perf_counter()
        db.execute(only_on_scratch(sql, scratch.prefix), action=ACTION)
        took += time.perf_counter() - start
    rebuild.difference_update(rebuilt)
    differences: list[str] = []
    for table, before in original.items():
        differences += _schema_differences(table, before, scratch.schema(table))
    return Rollback(
        statements=listed,
        applied=True,
        restored=not differences,
        differences=differences,
        duration_s=round(took, 4),
    )


def explain_query(
    env: EnvironmentSettings,
    sql: str,
    *,
    keep: bool = False,
    fresh_copy: bool = False,
    production: EnvironmentSettings | None = None,
    refresh_policy: RefreshSection | None = None,
    connect: Callable[[], Database] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExplainReport:
    """The plan and timing (``EXPLAIN`` and ``ANALYZE``) of one SELECT, on a copy of the
    tables it reads, as a rehearsal has them.

    A kept copy still current is used (and put back, ``--keep`` or not); otherwise the
    tables are copied (dropped afterwards unless ``keep``), or refreshed from
    ``production`` with ``fresh_copy``. Anything but one SELECT, a table the environment
    lacks or a protected environment is refused (``InputError``, ``ProtectedEnvironment``)
    before anything is written.
    """
    check_select(sql)
    statements = parse_queries(sql)
    if len(statements) != 1:
        raise InputError("--explain takes exactly one SELECT")
    query = statements[0]
    refresh_into = _copy_source(env, fresh_copy, production, refresh_policy)
    say = progress or (lambda _message: None)
    with (connect or (lambda: Database.connect(env)))() as db:
        db.ensure_writable(ACTION)  # by identity
        existing = set(db.all_tables())
        tables = list(dict.fromkeys(query.tables))
        for table in tables:
            _refuse_unusable(table, existing, env.name, "the query")
        scratch = Scratch(db, secrets.token_hex(3), action=ACTION)
        try:
            for table in tables:
                scratch.name(table)
            scratch.prepare(
                tables,
                keep=keep,
                fresh_from=production if fresh_copy else None,
                production=production,
                refresh_into=refresh_into,
                say=say,
            )
            say("query plan")
            back = {name: real for real, name in scratch.names.items()}
            start = time.perf_counter()
            try:
                explain, analyze = _plan(db, rename_tables(query.text, scratch.names), ())
            except DatabaseError as exc:
                raise InputError(
                    f"the query failed on the copy of {env.name}: {exc.one_line()}"
                ) from None
            took = time.perf_counter() - start
        except BaseException:
            scratch.finish(keep=keep, failed="stopped half-way", keep_reused=True)
            raise
        copies = scratch.finish(keep=keep, restored=True, data_may_differ=False, keep_reused=True)
    return ExplainReport(
        environment=env.name,
        query=query.text,
        plan=_real_names(summarise_plan(analyze), back),
        explain=_renamed_document(explain, back),
        analyze=_renamed_document(analyze, back),
        duration_s=round(took, 4),
        copies=copies,
    )


def _real_names(summary: PlanSummary, back: dict[str, str]) -> PlanSummary:
    """A plan that names scratch tables, naming the real ones."""
    tables = [t.model_copy(update={"table": back.get(t.table, t.table)}) for t in summary.tables]
    return summary.model_copy(update={"tables": tables})


def _renamed_document(document: Any, back: dict[str, str]) -> Any:
    """An EXPLAIN/ANALYZE JSON document naming the real tables, not their copies (in
    ``table_name`` and in conditions alike: scratch names are unmistakable)."""
    if isinstance(document, dict):
        return {key: _renamed_document(value, back) for key, value in document.items()}
    if isinstance(document, list):
        return [_renamed_document(value, back) for value in document]
    if isinstance(document, str):
        for scratch, real in back.items():
            document = document.replace(scratch, real)
    return document
