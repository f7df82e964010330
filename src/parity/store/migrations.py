"""Numbered schema migrations, applied in order when the store is opened.

Each migration is a function of a connection; the version reached is kept in
``parity_schema``. Add a migration by appending to ``MIGRATIONS``; never edit a released one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select

from parity.store import schema

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]


def _v1_leases(conn: Connection) -> None:
    schema.leases.create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1_leases]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: Connection) -> int:
    """Bring the schema to ``SCHEMA_VERSION``; returns the version it started from."""
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


def _v4_refresh(conn: Connection) -> None:
    """Refresh runs, their per-table checkpoints and rollback points (parity.refresh)."""
    for table in (schema.refresh_runs, schema.refresh_checkpoints, schema.refresh_rollback_points):
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
