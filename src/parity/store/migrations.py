"""Numbered schema migrations, applied in order when the store is opened.

Each migration is a function of a connection; the version reached is kept in
``parity_schema``. Add a migration by appending to ``MIGRATIONS``; never edit a released one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)

from parity.store import schema
from parity.store.clock import as_utc

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]


def _v1_leases(conn: Connection) -> None:
    schema.leases.create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1_leases]
SCHEMA_VERSION = len(MIGRATIONS)


#: The PostgreSQL advisory lock that makes openers of one store migrate one at a time.
_MIGRATION_LOCK = 0x70617269  # "pari"


def migrate(conn: Connection) -> int:
    """Bring the schema to ``SCHEMA_VERSION``; returns the version it started from.

    Several processes may open a new store at once (workers starting together): on
    PostgreSQL they take turns through an advisory lock held until the transaction ends,
    and each finds the schema as the one before left it (SQLite's write lock does the
    same there).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
    schema.schema_version.create(conn, checkfirst=True)
    current = conn.execute(select(schema.schema_version.c.version)).scalar()
    if current is None:
        conn.execute(schema.schema_version.insert().values(version=0))
        current = 0
    for number in range(current, SCHEMA_VERSION):
        MIGRATIONS[number](conn)
        conn.execute(schema.schema_version.update().values(version=number + 1))
    return int(current)


def _v2_job_runs(conn: Connection) -> None:
    """Job runs, their items (idempotency keys, undo data) and log lines (parity.jobs)."""
    for table in (schema.job_runs, schema.job_items, schema.job_log):
        table.create(conn)


MIGRATIONS.append(_v2_job_runs)
SCHEMA_VERSION = len(MIGRATIONS)


def _v3_snapshots(conn: Connection) -> None:
    """Drift snapshots (parity.drift)."""
    schema.snapshots.create(conn)


MIGRATIONS.append(_v3_snapshots)
SCHEMA_VERSION = len(MIGRATIONS)


# The refresh tables as migration 4 made them (string run ids), frozen here: migration 7
# reads them, carries their rows over and replaces them.
_v4 = MetaData()
_V4_RUNS = Table(
    "refresh_runs",
    _v4,
    Column("id", String(32), primary_key=True),
    Column("source", String(200), nullable=False),
    Column("target", String(200), nullable=False),
    Column("target_key", String(400), nullable=False, index=True),
    Column("owner", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("token", String(8), nullable=False),
    Column("status", String(20), nullable=False),  # running completed failed abandoned ...
    Column("stage", String(20), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("summary", String(), nullable=True),
    Column("error", String(), nullable=True),
)
_V4_CHECKPOINTS = Table(
    "refresh_checkpoints",
    _v4,
    Column("run_id", String(32), primary_key=True),
    Column("source_table", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("last_key", String(), nullable=True),
    Column("stats", String(), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
_V4_POINTS = Table(
    "refresh_rollback_points",
    _v4,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), nullable=False),
    Column("target", String(200), nullable=False),
    Column("target_key", String(400), nullable=False, index=True),
    Column("token", String(8), nullable=False),
    Column("status", String(20), nullable=False),
    Column("tables", String(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _v4_refresh(conn: Connection) -> None:
    """Refresh runs, their per-table checkpoints and rollback points (parity.refresh)."""
    for table in (_V4_RUNS, _V4_CHECKPOINTS, _V4_POINTS):
        table.create(conn)


MIGRATIONS.append(_v4_refresh)
SCHEMA_VERSION = len(MIGRATIONS)


def _v5_measurements(conn: Connection) -> None:
    """Timed samples of routes, labelled with cache status and Age (parity.measure)."""
    schema.measurements.create(conn)


MIGRATIONS.append(_v5_measurements)
SCHEMA_VERSION = len(MIGRATIONS)


def _v6_job_items_by_run_and_key(conn: Connection) -> None:
    """Resolving a run's items looks them up by (run_id, key) (parity.jobs)."""
    conn.exec_driver_sql('CREATE INDEX ix_job_items_run_key ON job_items (run_id, "key")')


MIGRATIONS.append(_v6_job_items_by_run_and_key)
SCHEMA_VERSION = len(MIGRATIONS)


# What migration 7 writes for the runs it carries over: the words parity.refresh uses for
# its runs at the time of this migration (frozen here, as a migration must be).
_STATUS_V7 = {
    "running": "running",
    "completed": "succeeded",
    "rolled back": "succeeded",
    "failed": "failed",
    "stopped": "failed",
    "abandoned": "interrupted",
}
_OWNER_V7 = "ops team"
_EXPECTED_V7 = (
    "every shadow table matches the source before the swap: row counts, definitions,"
    " checksums, serialized values"
)


def _job_run(
    conn: Connection,
    *,
    job: str,
    scope: str,
    holder: str,
    description: str,
    expected: str,
    rollback: tuple[str, str],
    status: str,
    started: datetime,
    ended: datetime | None,
    parameters: dict[str, Any],
    **rest: Any,
) -> int:
    result = conn.execute(
        schema.job_runs.insert().values(
            job=job,
            scope=scope,
            owner=_OWNER_V7,
            description=description,
            expected=expected,
            rollback_note=rollback[0],
            rollback_command=rollback[1],
            status=status,
            runner="in-process",
            holder=holder,
            started_at=started,
            heartbeat_at=ended or started,
            ended_at=ended,
            items_done=0,
            items_skipped=0,
            items_failed=0,
            parameters=json.dumps(parameters, sort_keys=True),
            **rest,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _v7_refresh_runs_in_the_run_ledger(conn: Connection) -> None:
    """Refresh runs become runs of the one ledger (job_runs, job ``refresh``, scope the
    target environment, integer ids, ``succeeded``/``failed``/``interrupted``); what only a
    refresh has (stage, rollback token, fingerprint) stays in ``refresh_runs``, keyed by
    that id. Old rows are carried over: ``completed`` becomes ``succeeded``, ``stopped``
    ``failed`` (still resumable), ``abandoned`` ``interrupted``; a ``rolled back`` run
    becomes ``succeeded`` with ``rolled_back_by`` naming a ``refresh-rollback`` run made
    from its restored rollback point. Checkpoints and rollback points follow their run.
    """
    runs = list(conn.execute(select(_V4_RUNS).order_by(_V4_RUNS.c.started_at, _V4_RUNS.c.id)))
    checkpoints = list(conn.execute(select(_V4_CHECKPOINTS)))
    points = list(conn.execute(select(_V4_POINTS).order_by(_V4_POINTS.c.id)))
    # Read first, then drop: the new tables take the same names (and index names).
    for table in (_V4_POINTS, _V4_CHECKPOINTS, _V4_RUNS):
        table.drop(conn)
    for table in (schema.refresh_runs, schema.refresh_checkpoints, schema.refresh_rollback_points):
        table.create(conn)

    ids: dict[str, int] = {}
    for run in runs:
        started = as_utc(run.started_at)
        ended = as_utc(run.finished_at)
        status = _STATUS_V7.get(run.status, "failed")
        summary = json.loads(run.summary) if run.summary else None
        error = run.error
        if status == "succeeded" and error:
            # "stopped after the swap; finished by a later run": a note, not an error.
            summary, error = {**(summary or {}), "note": error}, None
        if status != "running" and ended is None:
            ended = started
        new_id = _job_run(
            conn,
            job="refresh",
            scope=run.target,
            holder=run.owner,
            description=f"Copy {run.source}'s database onto {run.target}: rewritten,"
            " scrubbed, verified, swapped in atomically.",
            expected=_EXPECTED_V7,
            rollback=(
                "Puts back the tables this refresh replaced, in one RENAME TABLE, while its"
                " rollback point is kept",
                f"parity refresh rollback {run.target}",
            ),
            status=status,
            started=started,
            ended=ended,
            parameters={"source": run.source, "environment": run.target},
            check_status="passed" if status == "succeeded" else None,
            summary=None if summary is None else json.dumps(summary, sort_keys=True),
            error=error,
        )
        ids[run.id] = new_id
        conn.execute(
            schema.refresh_runs.insert().values(
                run_id=new_id,
                source=run.source,
                target_key=run.target_key,
                fingerprint=run.fingerprint,
                token=run.token,
                stage=run.stage,
                resumable=run.status in ("running", "stopped"),
            )
        )
        if run.status == "rolled back":
            restored = [p for p in points if p.run_id == run.id and p.status == "restored"]
            when = as_utc(restored[-1].updated_at) if restored else ended
            undo_id = _job_run(
                conn,
                job="refresh-rollback",
                scope=run.target,
                holder=run.owner,
                description=f"Put back {run.target}'s tables from before refresh {new_id}.",
                expected="the tables of the rollback point are live again",
                rollback=(
                    "Refresh again to redo the refresh",
                    f"parity refresh --from {run.source} --to {run.target}",
                ),
                status="succeeded",
                started=when,
                ended=when,
                parameters={
                    "environment": run.target,
                    "refresh_run": new_id,
                    "rollback_token": run.token,
                },
            )
            conn.execute(
                schema.job_runs.update()
                .where(schema.job_runs.c.id == new_id)
                .values(rolled_back_by=undo_id)
            )

    carried = [
        {
            "run_id": ids[row.run_id],
            "source_table": row.source_table,
            "status": row.status,
            "last_key": row.last_key,
            "stats": row.stats,
            "updated_at": as_utc(row.updated_at),
        }
        for row in checkpoints
        if row.run_id in ids  # a checkpoint of no run could never be resumed
    ]
    if carried:
        conn.execute(schema.refresh_checkpoints.insert(), carried)
    for point in points:
        conn.execute(
            schema.refresh_rollback_points.insert().values(
                run_id=ids.get(point.run_id),
                target=point.target,
                target_key=point.target_key,
                token=point.token,
                status=point.status,
                tables=point.tables,
                created_at=as_utc(point.created_at),
                updated_at=as_utc(point.updated_at),
            )
        )


MIGRATIONS.append(_v7_refresh_runs_in_the_run_ledger)
SCHEMA_VERSION = len(MIGRATIONS)


def _v8_monitor(conn: Connection) -> None:
    """Probe results, rollups, check state, deploy markers, maintenance windows, alerts and
    drift since a marker (parity.monitor)."""
    for table in (
        schema.monitor_results,
        schema.monitor_rollups,
        schema.monitor_state,
        schema.deploy_markers,
        schema.maintenance_windows,
        schema.monitor_alerts,
        schema.monitor_drift,
    ):
        table.create(conn)


MIGRATIONS.append(_v8_monitor)
SCHEMA_VERSION = len(MIGRATIONS)


def _v9_change_records(conn: Connection) -> None:
    """Change records and their kept checks and rollbacks (parity.changes)."""
    for table in (schema.change_records, schema.change_checks):
        table.create(conn)


MIGRATIONS.append(_v9_change_records)
SCHEMA_VERSION = len(MIGRATIONS)


def _v10_monitor_wp_cron(conn: Connection) -> None:
    """The overdue WP-cron events of each environment, as the monitor last read them."""
    schema.monitor_wp_cron.create(conn)


MIGRATIONS.append(_v10_monitor_wp_cron)
SCHEMA_VERSION = len(MIGRATIONS)


def _v11_job_batches(conn: Connection) -> None:
    """Batches of runs handed to workers, and which worker ran each (parity.jobs.batches)."""
    schema.job_batches.create(conn)


MIGRATIONS.append(_v11_job_batches)
SCHEMA_VERSION = len(MIGRATIONS)


def _v12_job_items_by_fingerprint(conn: Connection) -> None:
    """A worker's batch asks which of its files' fingerprints are done (parity.jobs): a
    read of the batch, not of every item the ledger holds."""
    conn.exec_driver_sql("CREATE INDEX ix_job_items_fingerprint ON job_items (fingerprint)")


MIGRATIONS.append(_v12_job_items_by_fingerprint)
SCHEMA_VERSION = len(MIGRATIONS)
