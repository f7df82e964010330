"""The tables of the state store (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

schema_version = Table(
    "parity_schema",
    metadata,
    Column("version", Integer, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# -- job runs (parity.jobs): one row per run, its items, and its log lines ------------------
# Long text columns use String() without a length: TEXT on SQLite and PostgreSQL.

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(100), nullable=False, index=True),
    Column("scope", String(200), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("description", String(), nullable=False),
    Column("expected", String(), nullable=False),
    Column("rollback_note", String(), nullable=False),
    Column("rollback_command", String(), nullable=True),
    Column("status", String(20), nullable=False),
    Column("runner", String(50), nullable=False),
    Column("holder", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("items_total", Integer, nullable=True),
    Column("items_done", Integer, nullable=False, default=0),
    Column("items_skipped", Integer, nullable=False, default=0),
    Column("items_failed", Integer, nullable=False, default=0),
    Column("check_status", String(20), nullable=True),
    Column("check_detail", String(), nullable=True),
    Column("parameters", String(), nullable=False),  # JSON, never secrets
    Column("summary", String(), nullable=True),  # JSON
    Column("error", String(), nullable=True),
    Column("resumed_from", Integer, nullable=True),
    Column("rolled_back_by", Integer, nullable=True),
)

job_items = Table(
    "job_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("job", String(100), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("key", String(500), nullable=False, index=True),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(200), nullable=True),
    Column("undo", String(), nullable=True),  # JSON
    Column("error", String(), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

job_log = Table(
    "job_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("level", String(10), nullable=False),
    Column("message", String(), nullable=False),
)

# -- drift snapshots (parity.drift): one row per snapshot, its JSON body ----------------------

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(200), nullable=False, index=True),
    Column("taken_at", DateTime(timezone=True), nullable=False, index=True),
    Column("format", Integer, nullable=False),
    Column("body", String(), nullable=False),  # Snapshot JSON: normalised, never secrets
)

# -- refresh (parity.refresh): runs, per-table checkpoints, rollback points ----------------------

refresh_runs = Table(
    "refresh_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source", String(200), nullable=False),
    Column("target", String(200), nullable=False),
    Column("target_key", String(400), nullable=False, index=True),
    Column("owner", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("token", String(8), nullable=False),  # names this run's rollback tables
    Column("status", String(20), nullable=False),  # running completed failed abandoned
    Column("stage", String(20), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("summary", String(), nullable=True),  # JSON, never secrets
    Column("error", String(), nullable=True),
)

refresh_checkpoints = Table(
    "refresh_checkpoints",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("source_table", String(200), primary_key=True),
    Column("status", String(20), nullable=False),  # copying copied
    Column("last_key", String(), nullable=True),  # JSON list of hex primary key values
    Column("stats", String(), nullable=False),  # JSON TableStats
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

refresh_rollback_points = Table(
    "refresh_rollback_points",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), nullable=False),
    Column("target", String(200), nullable=False),
    Column("target_key", String(400), nullable=False, index=True),
    Column("token", String(8), nullable=False),
    Column("status", String(20), nullable=False),  # pending active restored dropped
    Column("tables", String(), nullable=False),  # JSON [[live table, rollback table or null]]
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# -- measurements (parity.measure): one row per route measured, its labelled samples -----------

measurements = Table(
    "measurements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(200), nullable=False, index=True),
    Column("site_url", String(2000), nullable=False),
    Column("route", String(2000), nullable=False),
    Column("mode", String(20), nullable=False),  # cold warm logged-in
    Column("taken_at", DateTime(timezone=True), nullable=False, index=True),
    Column("samples", String(), nullable=False),  # JSON [{seconds, cache_status, age, http_status}]
)
