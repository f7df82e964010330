"""The monitor's rows in parity's state store: probes, rollups, state, markers, windows.

Every write is one short transaction. Probes are kept for ``retention.raw`` with each
condition's result; :meth:`MonitorRecords.roll_up` folds closed buckets into
``monitor_rollups`` (kept for ``retention.rollups``) and :meth:`MonitorRecords.prune`
deletes what is older than the retention.

Example::

    records = MonitorRecords(store)
    records.add_result(probe)
    records.recent_timings("staging/home", limit=70)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from parity.monitor.conditions import ConditionResult
from parity.monitor.latency import SlowVerdict, Timing
from parity.monitor.rollup import Point, Rollup, bucket_start, rollup
from parity.monitor.state import CheckState
from parity.store import Store, schema
from parity.store.clock import as_utc

__all__ = [
    "AlertRow",
    "DeployMarker",
    "DriftSince",
    "MaintenanceWindow",
    "MonitorRecords",
    "ProbeResult",
    "StoredState",
    "WpCronSeen",
]


@dataclass(frozen=True)
class ProbeResult:
    """One probe of one check, with each condition's result."""

    check_key: str
    environment: str
    at: datetime
    ok: bool
    http_status: int | None
    duration_s: float | None
    cache_status: str | None
    error: str | None
    conditions: tuple[ConditionResult, ...]
    id: int | None = None

    def failing_reason(self) -> str:
        """The failed conditions' reasons, joined (empty when the probe passed)."""
        return "; ".join(c.reason for c in self.conditions if not c.ok)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "check": self.check_key,
            "environment": self.environment,
            "at": self.at.isoformat(),
            "ok": self.ok,
            "http_status": self.http_status,
            "duration_s": self.duration_s,
            "cache_status": self.cache_status,
            "error": self.error,
            "conditions": [c.as_dict() for c in self.conditions],
        }


@dataclass(frozen=True)
class StoredState:
    """A check's up/down and slow state as last saved."""

    check_key: str
    environment: str
    state: CheckState
    slow_state: CheckState
    slow: SlowVerdict | None
    updated_at: datetime


@dataclass(frozen=True)
class DeployMarker:
    """A deployment marked on an environment, with the drift snapshot taken then."""

    id: int
    environment: str
    at: datetime
    version: str | None
    note: str | None
    snapshot_id: int | None
    source: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "environment": self.environment,
            "at": self.at.isoformat(),
            "version": self.version,
            "note": self.note,
            "snapshot_id": self.snapshot_id,
            "source": self.source,
        }


@dataclass(frozen=True)
class MaintenanceWindow:
    """A time during which an environment's checks run but send no alerts."""

    id: int
    environment: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "environment": self.environment,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "reason": self.reason,
            "source": self.source,
        }


@dataclass(frozen=True)
class AlertRow:
    """One alert for one webhook, and how its delivery went."""

    id: int
    webhook: str
    check_key: str
    environment: str
    kind: str
    event: str
    at: datetime
    reason: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (never the webhook's URL: it may hold a token)."""
        return {
            "id": self.id,
            "webhook": self.webhook,
            "check": self.check_key,
            "environment": self.environment,
            "kind": self.kind,
            "event": self.event,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


@dataclass(frozen=True)
class DriftSince:
    """Drift of an environment since its last deploy marker, as last captured."""

    environment: str
    marker_id: int
    checked_at: datetime
    findings: list[dict[str, Any]]
    error: str | None


@dataclass(frozen=True)
class WpCronSeen:
    """An environment's WordPress cron as the service last read it: how many events, and
    the overdue ones (``{hook, next_run, seconds_late, schedule}``), or why it could not."""

    environment: str
    checked_at: datetime
    events: int
    overdue: list[dict[str, Any]]
    error: str | None


def _state_json(state: CheckState) -> str:
    return json.dumps(state.as_dict())


def _state_from(text: str) -> CheckState:
    data = json.loads(text)
    return CheckState(
        health=data["health"],
        failures=int(data["failures"]),
        successes=int(data["successes"]),
        since=as_utc(datetime.fromisoformat(data["since"])) if data["since"] else None,
        reason=data["reason"],
        alerted=bool(data["alerted"]),
    )


def _verdict_from(text: str | None) -> SlowVerdict | None:
    if not text:
        return None
    return SlowVerdict(**json.loads(text))


def _result(row: Any) -> ProbeResult:
    return ProbeResult(
        check_key=row.check_key,
        environment=row.environment,
        at=as_utc(row.at),
        ok=bool(row.ok),
        http_status=row.http_status,
        duration_s=row.duration_s,
        cache_status=row.cache_status,
        error=row.error,
        conditions=tuple(ConditionResult(**c) for c in json.loads(row.conditions)),
        id=row.id,
    )


# Statements built once and executed with parameters: the service writes every probe,
# and building a statement with .values() costs more than running it.
_INSERT_RESULT = insert(schema.monitor_results)
_UPDATE_STATE = update(schema.monitor_state).where(
    schema.monitor_state.c.check_key == bindparam("b_check_key")
)
_INSERT_STATE = insert(schema.monitor_state)
_ACTIVE_WINDOW = select(func.max(schema.maintenance_windows.c.ends_at)).where(
    schema.maintenance_windows.c.environment == bindparam("b_env"),
    schema.maintenance_windows.c.starts_at <= bindparam("b_now"),
    schema.maintenance_windows.c.ends_at > bindparam("b_now"),
)


def _insert_result(conn: Connection, result: ProbeResult) -> None:
    conn.execute(
        _INSERT_RESULT,
        {
            "check_key": result.check_key,
            "environment": result.environment,
            "at": result.at,
            "ok": result.ok,
            "http_status": result.http_status,
            "duration_s": result.duration_s,
            "cache_status": result.cache_status,
            "error": result.error,
            "conditions": json.dumps([c.as_dict() for c in result.conditions]),
        },
    )


def _upsert_state(
    conn: Connection,
    check_key: str,
    environment: str,
    state: CheckState,
    slow_state: CheckState,
    slow: SlowVerdict | None,
    at: datetime,
) -> None:
    values = {
        "environment": environment,
        "state": _state_json(state),
        "slow_state": _state_json(slow_state),
        "slow_verdict": json.dumps(slow.as_dict()) if slow else None,
        "updated_at": at,
    }
    done = conn.execute(_UPDATE_STATE, {"b_check_key": check_key, **values})
    if done.rowcount == 0:
        conn.execute(_INSERT_STATE, {"check_key": check_key, **values})


class MonitorRecords:
    """Reads and writes the monitor's tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- probes ---------------------------------------------------------------------

    def add_result(self, result: ProbeResult) -> None:
        """Store one probe."""
        with self.store.engine.begin() as conn:
            _insert_result(conn, result)

    def record_probe(
        self,
        result: ProbeResult,
        state: CheckState,
        slow_state: CheckState,
        slow: SlowVerdict | None,
    ) -> None:
        """Store one probe and its check's new state in one transaction (one commit per
        probe: what the running service does every interval for every check).

        On SQLite (in WAL mode) this commit does not wait for the disk
        (``synchronous=NORMAL``, about half its CPU): a power cut may lose the last
        probes, never corrupt the store. The connection's setting is put back after, so
        every other write keeps the store's default."""
        sqlite = self.store.engine.dialect.name == "sqlite"
        with self.store.engine.connect() as conn:
            kept = 2  # FULL, SQLite's default
            if sqlite:  # before the first write: pysqlite has not begun a transaction
                kept = int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            try:
                _insert_result(conn, result)
                _upsert_state(
                    conn, result.check_key, result.environment, state, slow_state, slow, result.at
                )
                conn.commit()
            finally:
                if sqlite:
                    conn.rollback()  # nothing left to undo: only ends SQLAlchemy's block
                    conn.exec_driver_sql(f"PRAGMA synchronous={kept}")
                    conn.commit()

    def recent_results(self, check_key: str, limit: int = 50) -> list[ProbeResult]:
        """The latest ``limit`` probes of a check, newest first."""
        table = schema.monitor_results
        query = (
            select(table)
            .where(table.c.check_key == check_key)
            .order_by(table.c.at.desc(), table.c.id.desc())
            .limit(limit)
        )
        with self.store.engine.connect() as conn:
            return [_result(row) for row in conn.execute(query)]

    def recent_timings(
        self, check_key: str, limit: int, *, before: datetime | None = None
    ) -> list[Timing]:
        """The times of the latest ``limit`` good probes (before ``before``), oldest first."""
        table = schema.monitor_results
        query = select(table.c.at, table.c.duration_s, table.c.cache_status).where(
            table.c.check_key == check_key, table.c.ok.is_(True), table.c.duration_s.is_not(None)
        )
        if before is not None:
            query = query.where(table.c.at < before)
        query = query.order_by(table.c.at.desc(), table.c.id.desc()).limit(limit)
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(query))
        return [Timing(as_utc(r.at), float(r.duration_s), r.cache_status) for r in reversed(rows)]

    def recent_durations(
        self, check_keys: Sequence[str], since: datetime, limit: int
    ) -> dict[str, list[float]]:
        """Each check's latest ``limit`` good probe durations (seconds) at or after
        ``since``, oldest first, by check key: one query for them all, reading only the
        two columns a sparkline needs."""
        table = schema.monitor_results
        query = (
            select(table.c.check_key, table.c.duration_s)
            .where(
                table.c.check_key.in_(check_keys),
                table.c.at >= since,
                table.c.ok.is_(True),
                table.c.duration_s.is_not(None),
            )
            .order_by(table.c.at, table.c.id)
        )
        found: dict[str, list[float]] = {key: [] for key in check_keys}
        with self.store.engine.connect() as conn:
            for key, duration in conn.execute(query).all():
                found[key].append(duration)
        return {key: durations[-limit:] for key, durations in found.items()}

    def timings_after(self, check_key: str, after: datetime, limit: int) -> list[Timing]:
        """The times of the first ``limit`` good probes at or after ``after``, oldest first."""
        table = schema.monitor_results
        query = (
            select(table.c.at, table.c.duration_s, table.c.cache_status)
            .where(
                table.c.check_key == check_key,
                table.c.ok.is_(True),
                table.c.duration_s.is_not(None),
                table.c.at >= after,
            )
            .order_by(table.c.at, table.c.id)
            .limit(limit)
        )
        with self.store.engine.connect() as conn:
            return [
                Timing(as_utc(r.at), float(r.duration_s), r.cache_status)
                for r in conn.execute(query)
            ]

    # -- state ----------------------------------------------------------------------

    def save_state(
        self,
        check_key: str,
        environment: str,
        state: CheckState,
        slow_state: CheckState,
        slow: SlowVerdict | None,
        at: datetime,
    ) -> None:
        """Insert or replace a check's state."""
        with self.store.engine.begin() as conn:
            _upsert_state(conn, check_key, environment, state, slow_state, slow, at)

    def states(self) -> dict[str, StoredState]:
        """Every check's saved state, by check key."""
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(select(schema.monitor_state)))
        return {
            row.check_key: StoredState(
                row.check_key,
                row.environment,
                _state_from(row.state),
                _state_from(row.slow_state),
                _verdict_from(row.slow_verdict),
                as_utc(row.updated_at),
            )
            for row in rows
        }

    # -- rollups and retention ------------------------------------------------------

    def roll_up(self, now: datetime, bucket_s: int) -> int:
        """Fold every closed bucket not rolled up yet; returns the rows written."""
        results, rollups = schema.monitor_results, schema.monitor_rollups
        open_bucket = bucket_start(now, bucket_s)
        written = 0
        with self.store.engine.begin() as conn:
            done = dict(
                conn.execute(
                    select(rollups.c.check_key, func.max(rollups.c.bucket_start)).group_by(
                        rollups.c.check_key
                    )
                ).all()
            )
            keys = conn.execute(select(results.c.check_key, results.c.environment).distinct()).all()
            for key, environment in keys:
                query = select(results.c.at, results.c.ok, results.c.duration_s).where(
                    results.c.check_key == key, results.c.at < open_bucket
                )
                last = done.get(key)
                if last is not None:
                    query = query.where(results.c.at >= as_utc(last) + timedelta(seconds=bucket_s))
                points = [
                    Point(as_utc(r.at), bool(r.ok), r.duration_s) for r in conn.execute(query)
                ]
                rows = rollup(points, bucket_s)
                if rows:
                    conn.execute(
                        insert(rollups),
                        [
                            {
                                "check_key": key,
                                "environment": environment,
                                "bucket_start": r.bucket_start,
                                "bucket_s": r.bucket_s,
                                "count": r.count,
                                "failures": r.failures,
                                "p50_ms": r.p50_ms,
                                "p95_ms": r.p95_ms,
                                "max_ms": r.max_ms,
                            }
                            for r in rows
                        ],
                    )
                    written += len(rows)
        return written

    def rollups(self, check_key: str, since: datetime) -> list[Rollup]:
        """A check's rollups from ``since``, oldest first."""
        table = schema.monitor_rollups
        query = (
            select(table)
            .where(table.c.check_key == check_key, table.c.bucket_start >= since)
            .order_by(table.c.bucket_start)
        )
        with self.store.engine.connect() as conn:
            return [
                Rollup(
                    as_utc(r["bucket_start"]),
                    r["bucket_s"],
                    r["count"],
                    r["failures"],
                    r["p50_ms"],
                    r["p95_ms"],
                    r["max_ms"],
                )
                for r in conn.execute(query).mappings()
            ]

    def prune(self, now: datetime, raw_s: float, rollups_s: float) -> tuple[int, int]:
        """Delete probes older than ``raw_s`` and rollups, alerts and windows older than
        ``rollups_s``; returns (probes, rollups) deleted."""
        raw_cut = now - timedelta(seconds=raw_s)
        old_cut = now - timedelta(seconds=rollups_s)
        with self.store.engine.begin() as conn:
            probes = conn.execute(
                delete(schema.monitor_results).where(schema.monitor_results.c.at < raw_cut)
            ).rowcount
            rolled = conn.execute(
                delete(schema.monitor_rollups).where(
                    schema.monitor_rollups.c.bucket_start < old_cut
                )
            ).rowcount
            conn.execute(delete(schema.monitor_alerts).where(schema.monitor_alerts.c.at < old_cut))
            conn.execute(
                delete(schema.maintenance_windows).where(
                    schema.maintenance_windows.c.ends_at < old_cut
                )
            )
        return int(probes), int(rolled)

    # -- deploy markers -------------------------------------------------------------

    def add_marker(
        self,
        environment: str,
        at: datetime,
        *,
        version: str | None,
        note: str | None,
        snapshot_id: int | None,
        source: str,
    ) -> DeployMarker:
        """Record a deployment of ``environment``."""
        with self.store.engine.begin() as conn:
            key = conn.execute(
                insert(schema.deploy_markers).values(
                    environment=environment,
                    at=at,
                    version=version,
                    note=note,
                    snapshot_id=snapshot_id,
                    source=source,
                )
            ).inserted_primary_key
        assert key is not None
        return DeployMarker(int(key[0]), environment, at, version, note, snapshot_id, source)

    def markers(self, environment: str | None = None, limit: int = 20) -> list[DeployMarker]:
        """The latest markers (of one environment), newest first."""
        table = schema.deploy_markers
        query = select(table).order_by(table.c.at.desc(), table.c.id.desc()).limit(limit)
        if environment is not None:
            query = query.where(table.c.environment == environment)
        with self.store.engine.connect() as conn:
            return [
                DeployMarker(
                    r.id, r.environment, as_utc(r.at), r.version, r.note, r.snapshot_id, r.source
                )
                for r in conn.execute(query)
            ]

    def last_marker(self, environment: str) -> DeployMarker | None:
        """The newest marker of ``environment``."""
        found = self.markers(environment, limit=1)
        return found[0] if found else None

    # -- maintenance ----------------------------------------------------------------

    def open_window(
        self, environment: str, starts_at: datetime, ends_at: datetime, reason: str, source: str
    ) -> MaintenanceWindow:
        """Record a maintenance window."""
        with self.store.engine.begin() as conn:
            key = conn.execute(
                insert(schema.maintenance_windows).values(
                    environment=environment,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    reason=reason,
                    source=source,
                )
            ).inserted_primary_key
        assert key is not None
        return MaintenanceWindow(int(key[0]), environment, starts_at, ends_at, reason, source)

    def close_window(self, window_id: int, at: datetime) -> None:
        """End a window now (a refresh that finished early)."""
        table = schema.maintenance_windows
        with self.store.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == window_id, table.c.ends_at > at)
                .values(ends_at=at)
            )

    def windows(
        self, environment: str | None = None, *, active_at: datetime | None = None, limit: int = 20
    ) -> list[MaintenanceWindow]:
        """Windows (of one environment; active at a moment), latest end first."""
        table = schema.maintenance_windows
        query = select(table).order_by(table.c.ends_at.desc(), table.c.id.desc()).limit(limit)
        if environment is not None:
            query = query.where(table.c.environment == environment)
        if active_at is not None:
            query = query.where(and_(table.c.starts_at <= active_at, table.c.ends_at > active_at))
        with self.store.engine.connect() as conn:
            return [
                MaintenanceWindow(
                    r.id, r.environment, as_utc(r.starts_at), as_utc(r.ends_at), r.reason, r.source
                )
                for r in conn.execute(query)
            ]

    def open_windows(self, now: datetime) -> list[tuple[str, datetime, datetime]]:
        """Every window not ended at ``now`` (active or to come): (environment, start,
        end). The running service keeps them and asks no query per probe."""
        table = schema.maintenance_windows
        query = select(table.c.environment, table.c.starts_at, table.c.ends_at).where(
            table.c.ends_at > now
        )
        with self.store.engine.connect() as conn:
            return [(r[0], as_utc(r[1]), as_utc(r[2])) for r in conn.execute(query)]

    def maintenance_until(self, environment: str, now: datetime) -> datetime | None:
        """When the maintenance of ``environment`` active at ``now`` ends (None: none).

        Asked by every probe, so it runs one prepared statement."""
        with self.store.engine.connect() as conn:
            ends = conn.execute(_ACTIVE_WINDOW, {"b_env": environment, "b_now": now}).scalar()
        return None if ends is None else as_utc(ends)

    # -- alerts ---------------------------------------------------------------------

    def queue_alert(
        self,
        webhooks: Sequence[str],
        *,
        check_key: str,
        environment: str,
        kind: str,
        event: str,
        at: datetime,
        reason: str,
    ) -> None:
        """One pending alert per webhook."""
        if not webhooks:
            return
        rows = [
            {
                "webhook": name,
                "check_key": check_key,
                "environment": environment,
                "kind": kind,
                "event": event,
                "at": at,
                "reason": reason,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": at,
            }
            for name in webhooks
        ]
        with self.store.engine.begin() as conn:
            conn.execute(insert(schema.monitor_alerts), rows)

    def _alerts(self, query: Any) -> list[AlertRow]:
        with self.store.engine.connect() as conn:
            return [
                AlertRow(
                    r.id,
                    r.webhook,
                    r.check_key,
                    r.environment,
                    r.kind,
                    r.event,
                    as_utc(r.at),
                    r.reason,
                    r.status,
                    r.attempts,
                    as_utc(r.next_attempt_at),
                    r.last_error,
                    as_utc(r.sent_at),
                )
                for r in conn.execute(query)
            ]

    def due_alerts(self, now: datetime, limit: int = 50) -> list[AlertRow]:
        """Pending alerts whose next attempt is due, oldest first."""
        table = schema.monitor_alerts
        return self._alerts(
            select(table)
            .where(table.c.status == "pending", table.c.next_attempt_at <= now)
            .order_by(table.c.id)
            .limit(limit)
        )

    def alerts(self, limit: int = 50) -> list[AlertRow]:
        """The latest alerts, newest first."""
        table = schema.monitor_alerts
        return self._alerts(select(table).order_by(table.c.id.desc()).limit(limit))

    def alert_attempted(
        self,
        alert_id: int,
        *,
        at: datetime,
        sent: bool,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record one delivery attempt: sent, to retry at ``retry_at``, or given up."""
        table = schema.monitor_alerts
        status = "sent" if sent else ("pending" if retry_at is not None else "failed")
        with self.store.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == alert_id)
                .values(
                    status=status,
                    attempts=table.c.attempts + 1,
                    last_error=error,
                    sent_at=at if sent else None,
                    next_attempt_at=retry_at or at,
                )
            )

    # -- drift since the marker -----------------------------------------------------

    def save_drift(
        self,
        environment: str,
        marker_id: int,
        at: datetime,
        findings: list[dict[str, Any]],
        error: str | None,
    ) -> None:
        """Insert or replace the drift of ``environment`` since marker ``marker_id``."""
        table = schema.monitor_drift
        values = {
            "marker_id": marker_id,
            "checked_at": at,
            "findings": json.dumps(findings, default=str),
            "error": error,
        }
        with self.store.engine.begin() as conn:
            done = conn.execute(
                update(table).where(table.c.environment == environment).values(values)
            )
            if done.rowcount == 0:
                conn.execute(insert(table).values(environment=environment, **values))

    def drift(self, environment: str) -> DriftSince | None:
        """The last captured drift of ``environment`` since its marker."""
        table = schema.monitor_drift
        with self.store.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.environment == environment)).first()
        if row is None:
            return None
        return DriftSince(
            environment, row.marker_id, as_utc(row.checked_at), json.loads(row.findings), row.error
        )

    # -- WordPress cron -------------------------------------------------------------

    def save_wp_cron(self, seen: WpCronSeen) -> None:
        """Insert or replace what was read of an environment's WordPress cron."""
        table = schema.monitor_wp_cron
        values = {
            "checked_at": seen.checked_at,
            "events": seen.events,
            "overdue": json.dumps(seen.overdue),
            "error": seen.error,
        }
        with self.store.engine.begin() as conn:
            done = conn.execute(
                update(table).where(table.c.environment == seen.environment).values(values)
            )
            if done.rowcount == 0:
                conn.execute(insert(table).values(environment=seen.environment, **values))

    def wp_cron(self) -> dict[str, WpCronSeen]:
        """Every environment's WordPress cron as last read, by environment."""
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(select(schema.monitor_wp_cron)))
        return {
            row.environment: WpCronSeen(
                row.environment,
                as_utc(row.checked_at),
                int(row.events),
                json.loads(row.overdue),
                row.error,
            )
            for row in rows
        }
