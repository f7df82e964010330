"""The tables of the state store (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table

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

# -- refresh (parity.refresh): what a refresh run has beyond its row in job_runs --------------
# A refresh is a run of the one ledger (job_runs: job "refresh", scope the target
# environment); these tables hold what only a refresh has, keyed by that run's id.

refresh_runs = Table(
    "refresh_runs",
    metadata,
    Column("run_id", Integer, primary_key=True),  # job_runs.id
    Column("source", String(200), nullable=False),
    Column("target_key", String(400), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False),
    Column("token", String(8), nullable=False),  # names this run's rollback tables
    Column("stage", String(20), nullable=False),  # cleanup copy verify swap prune done
    # True while a later refresh may continue this run's shadow tables and checkpoints.
    Column("resumable", Boolean, nullable=False),
)

refresh_checkpoints = Table(
    "refresh_checkpoints",
    metadata,
    Column("run_id", Integer, primary_key=True),
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
    Column("run_id", Integer, nullable=True),  # job_runs.id of the refresh that made it
    Column("target", String(200), nullable=False),
    Column("target_key", String(400), nullable=False, index=True),
    Column("token", String(8), nullable=False),
    Column("status", String(20), nullable=False),  # pending active restoring restored dropped void
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

# -- monitor (parity.monitor): probes with per-condition results, rollups, state, markers ------

monitor_results = Table(
    "monitor_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("check_key", String(300), nullable=False),  # env/name
    Column("environment", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("duration_s", Float, nullable=True),
    Column("cache_status", String(10), nullable=True),
    Column("error", String(), nullable=True),
    Column("conditions", String(), nullable=False),  # JSON [{condition, ok, observed, reason}]
    Index("ix_monitor_results_check_at", "check_key", "at"),
    Index("ix_monitor_results_at", "at"),
)

monitor_rollups = Table(
    "monitor_rollups",
    metadata,
    Column("check_key", String(300), primary_key=True),
    Column("bucket_start", DateTime(timezone=True), primary_key=True),
    Column("environment", String(200), nullable=False),
    Column("bucket_s", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("p50_ms", Float, nullable=True),
    Column("p95_ms", Float, nullable=True),
    Column("max_ms", Float, nullable=True),
)

monitor_state = Table(
    "monitor_state",
    metadata,
    Column("check_key", String(300), primary_key=True),
    Column("environment", String(200), nullable=False),
    Column("state", String(), nullable=False),  # JSON CheckState
    Column("slow_state", String(), nullable=False),  # JSON CheckState
    Column("slow_verdict", String(), nullable=True),  # JSON SlowVerdict
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

deploy_markers = Table(
    "deploy_markers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(200), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("version", String(200), nullable=True),
    Column("note", String(), nullable=True),
    Column("snapshot_id", Integer, nullable=True),
    Column("source", String(20), nullable=False),  # cli api
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(200), nullable=False, index=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(), nullable=False),
    Column("source", String(20), nullable=False),  # cli api refresh
)

monitor_alerts = Table(
    "monitor_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook", String(200), nullable=False),
    Column("check_key", String(300), nullable=False),
    Column("environment", String(200), nullable=False),
    Column("kind", String(10), nullable=False),  # down slow
    Column("event", String(10), nullable=False),  # failure resolve
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(), nullable=False),
    Column("status", String(10), nullable=False),  # pending sent failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, index=True),
    Column("last_error", String(), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
)

monitor_drift = Table(
    "monitor_drift",
    metadata,
    Column("environment", String(200), primary_key=True),
    Column("marker_id", Integer, nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("findings", String(), nullable=False),  # JSON [Finding.as_dict()]
    Column("error", String(), nullable=True),
)

monitor_wp_cron = Table(
    "monitor_wp_cron",
    metadata,
    Column("environment", String(200), primary_key=True),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("events", Integer, nullable=False),
    Column("overdue", String(), nullable=False),  # JSON [{hook, next_run, seconds_late, ...}]
    Column("error", String(), nullable=True),
)

# -- change records (parity.changes): one row per change, one per check or rollback kept ------

change_records = Table(
    "change_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("environment", String(200), nullable=False, index=True),
    Column("owner", String(200), nullable=False),
    Column("status", String(20), nullable=False),  # open, rolled back
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("body", String(), nullable=False),  # JSON ChangeRecord.as_dict(), never secrets
)

change_checks = Table(
    "change_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_id", Integer, nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # check, rollback
    Column("at", DateTime(timezone=True), nullable=False),
    Column("verdict", String(20), nullable=False),  # met, not met, back, not back
    Column("message", String(), nullable=False),
    Column("body", String(), nullable=False),  # JSON evidence
)

# -- batches of distributed runs (parity.jobs.batches): one row per batch a worker takes ------

job_batches = Table(
    "job_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),  # job_runs.id
    Column("number", Integer, nullable=False),
    Column("ref", String(), nullable=False),  # JSON: which items (rebuilt by the worker)
    Column("status", String(20), nullable=False),  # queued running done
    Column("worker", String(200), nullable=True),  # holder of the attempt that ran it last
    Column("attempts", Integer, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("items_done", Integer, nullable=False),
    Column("items_skipped", Integer, nullable=False),
    Column("items_failed", Integer, nullable=False),
    Index("ix_job_batches_run_number", "run_id", "number", unique=True),
)
