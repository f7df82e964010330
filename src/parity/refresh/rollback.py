"""Undoing a refresh, settling half-recorded rollback points, and the history.

``rollback_refresh`` puts back the tables the latest refresh replaced, in one
``RENAME TABLE`` (current tables to ``_pd<token>_…``, kept ones back), then drops the
set-aside tables and purges the cache. It holds the same lease and server lock as a
refresh, so the two never overlap. It is a run of the ledger (job ``refresh-rollback``,
scope the target); the refresh it undid gets ``rolled_back_by`` set to it.
"""

from __future__ import annotations

from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.jobs.model import CheckStatus, Counts, RunStatus
from parity.jobs.records import JobRecords
from parity.refresh import checkpoints as cp
from parity.refresh import runs as ledger
from parity.refresh.guards import target_key
from parity.refresh.locking import TargetLock, failure_reason
from parity.refresh.naming import new_token, shadow_name
from parity.refresh.progress import RefreshProgress, Silent
from parity.refresh.purge import purge_target
from parity.refresh.report import RollbackResult
from parity.refresh.settings import RefreshSection
from parity.refresh.swap import drop_tables, plan_rollback, rename_statement
from parity.store import Store
from parity.store.holders import new_holder
from parity.targets.database import Database
from parity.targets.guard import ensure_writable

__all__ = ["refresh_history", "resolve_rollback_points", "rollback_refresh"]


def resolve_rollback_points(store: Store, db: Database, key: str) -> None:
    """Settle rollback points a killed run left half-recorded, by looking at the tables.

    ``pending`` (recorded before a swap): the swap happened iff its rollback tables exist
    (or, when it has none, iff no shadow is left). ``restoring`` (before a rollback): the
    rollback happened iff its rollback tables are gone.
    """
    points = cp.list_rollback_points(store, target_key=key, statuses=["pending", "restoring"])
    if not points:
        return
    existing = set(db.all_tables())
    for point in points:
        kept = [k for _live, k in point.tables if k is not None]
        if point.status == "pending":
            if kept:
                swapped = all(k in existing for k in kept)
            else:
                swapped = not any(shadow_name(live) in existing for live, _ in point.tables)
            cp.set_rollback_status(store, point.id, "active" if swapped else "void")
            if swapped and point.run_id is not None:
                ledger.settle_swapped(store, point.run_id)
        else:
            restored = not any(k in existing for k in kept)
            cp.set_rollback_status(store, point.id, "restored" if restored else "active")


def rollback_refresh(
    target: EnvironmentSettings,
    policy: RefreshSection,
    store: Store,
    *,
    progress: RefreshProgress | None = None,
) -> RollbackResult:
    """Put the target's tables back as they were before its latest refresh (atomically).

    Raises InputError when there is no rollback point, ProtectedEnvironment for a
    protected target, LockHeld while a refresh of the target runs.
    """
    ensure_writable(target, "roll back a refresh")
    show = progress or Silent()
    key = target_key(target)
    holder = new_holder(ledger.ROLLBACK_JOB)
    records = JobRecords(store)
    with (
        Database.connect(target) as db,
        TargetLock(
            store,
            db,
            target=target.name,
            key=key,
            holder=holder,
            ttl_s=policy.lease_seconds,
        ),
    ):
        db.ensure_writable("roll back a refresh")
        resolve_rollback_points(store, db, key)
        points = cp.list_rollback_points(store, target_key=key, statuses=["active"])
        if not points:
            raise InputError(
                f"{target.name} has no rollback point",
                hint="a refresh keeps one (see [refresh] retention); `parity refresh history`",
            )
        point = points[0]
        run_id = records.create_run(
            ledger.refresh_rollback_job(policy.owner, target.name, point.run_id or 0),
            scope=target.name,
            runner="in-process",
            holder=holder,
            parameters={
                "environment": target.name,
                "refresh_run": point.run_id,
                "rollback_token": point.token,
            },
            total=len(point.tables),
            resumed_from=None,
        )
        try:
            token = new_token()
            renames, trash = plan_rollback(point, db.all_tables(), token)
            show.stage("swap", f"restore {len(point.tables)} tables of refresh {point.run_id}")
            with db.open_bulk_writer(action=f"roll back the refresh of {target.name}") as writer:
                cp.set_rollback_status(store, point.id, "restoring")
                writer.execute(rename_statement(renames))
                cp.set_rollback_status(store, point.id, "restored")
                if point.run_id is not None:
                    records.set_rolled_back(point.run_id, run_id)
                show.stage("prune", "drop the refreshed tables")
                drop_tables(writer, trash)
            purged, warnings = purge_target(target, policy, db)
        except BaseException as exc:
            interrupted = isinstance(exc, KeyboardInterrupt)
            records.finish_run(
                run_id,
                RunStatus.interrupted if interrupted else RunStatus.failed,
                Counts(),
                check_status=str(CheckStatus.not_run),
                error="stopped by the user" if interrupted else failure_reason(exc),
            )
            raise
        records.finish_run(
            run_id,
            RunStatus.succeeded,
            Counts(done=len(point.tables)),
            check_status=str(CheckStatus.passed),
            check_detail=f"{len(point.tables)} tables of rollback point {point.token} are live",
            summary={"restored": len(point.tables), "dropped": len(trash)},
        )
    return RollbackResult(
        target=target.name,
        token=point.token,
        run_id=point.run_id,
        rollback_run_id=run_id,
        restored=[live for live, _kept in point.tables],
        dropped=trash,
        purged=purged,
        warnings=warnings,
    )


def refresh_history(
    store: Store, target: str | None = None, *, limit: int = 20
) -> tuple[list[ledger.RefreshRun], list[cp.RollbackPoint]]:
    """The latest refreshes and rollbacks (runs of the ledger) and rollback points (of one
    target when named), newest first."""
    runs = ledger.list_history(store, target, limit=limit)
    points = cp.list_rollback_points(store, target=target, limit=limit)
    return runs, points
