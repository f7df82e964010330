"""The refresh service: guards, plan, copy, verify, swap, prune, purge.

``RefreshService(source, target, policy, store).run()`` copies the source's database onto
the target, rewritten and scrubbed, into shadow tables, verifies them, and swaps them in
with one ``RENAME TABLE``. Until that statement, the target's live tables are untouched:
a refresh killed at any moment leaves the target serving its old data, and the next run
resumes from its checkpoints (or starts again) and cleans what the dead run left.

Stages, as recorded in the state store and shown by the progress display::

    cleanup -> copy -> verify -> swap -> prune -> done

Each refresh is a run of the one run ledger (job ``refresh``, ``parity.refresh.runs``);
a refresh that continues a killed one is a new run with ``resumed_from`` set.

Guards (each raises before anything is written; the CLI exits 2): the target is
protected; source and target are the same schema on the same server; both have the same
URL; another refresh of the target holds its lease.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta

from parity.environments import EnvironmentSettings
from parity.errors import InputError, ParityError
from parity.jobs.model import CheckStatus, RunStatus
from parity.refresh import checkpoints as cp
from parity.refresh import hooks
from parity.refresh import runs as ledger
from parity.refresh.copy import TableCopy, count_source_rows
from parity.refresh.guards import check_guards, check_same_server, target_key
from parity.refresh.inventory import source_tables, target_option_names
from parity.refresh.locking import TargetLock, failure_reason, warn_failure
from parity.refresh.naming import backup_name, is_leftover, new_token
from parity.refresh.phpass import portable_hash, salt_for
from parity.refresh.plan import RefreshPlan, TablePlan, build_plan
from parity.refresh.prefix import PrefixMapper
from parity.refresh.progress import RefreshProgress, Silent
from parity.refresh.purge import purge_target
from parity.refresh.report import RefreshResult, TableReport
from parity.refresh.rollback import resolve_rollback_points
from parity.refresh.scrub import ScrubContext
from parity.refresh.settings import RefreshSection
from parity.refresh.swap import drop_tables, plan_swap
from parity.refresh.transform import TableStats
from parity.refresh.verify import (
    VerificationFailed,
    check_checksum,
    check_counts,
    check_definition,
    check_serialized,
)
from parity.refresh.workers import ChunkTransformer, auto_workers
from parity.store import Store
from parity.store.clock import utc_now
from parity.store.holders import new_holder
from parity.targets.database import BulkWriter, Database, quote_identifier

__all__ = ["RefreshService"]

log = logging.getLogger(__name__)

#: Rows of one chunk are capped so a chunk holds about this many bytes.
_CHUNK_BYTES = 4 * 1024 * 1024


def _password_hash(policy: RefreshSection, target: EnvironmentSettings) -> tuple[bytes, bool]:
    """The ``user_pass`` every copied user gets, and whether anyone can log in with it."""
    password = policy.staging_password or (target.login.password if target.login else None)
    if password is None:
        return b"*", False  # matches no password: WordPress refuses every login
    salt = salt_for("parity-refresh", target.name)
    return portable_hash(password.get_secret_value(), salt=salt).encode(), True


def _scrub_key(policy: RefreshSection, target: EnvironmentSettings) -> bytes:
    if policy.scrub_key is not None:
        return policy.scrub_key.get_secret_value().encode()
    return hashlib.sha256(f"parity-scrub:{target.name}".encode()).digest()


def _chunk_rows(policy: RefreshSection, plan: TablePlan, rows: int) -> int:
    """Rows per chunk: the policy's, fewer for tables of large rows (bounded memory)."""
    if rows <= 0 or plan.size_bytes <= 0:
        return policy.chunk_rows
    per_row = max(1, plan.size_bytes // rows)
    return max(50, min(policy.chunk_rows, _CHUNK_BYTES // per_row))


class RefreshService:
    """Refresh one target environment from one source, following a policy.

    Example::

        service = RefreshService(production, staging, refresh_settings(settings), store)
        result = service.run(dry_run=True)      # reads everything, writes nothing
        result = service.run()                  # the refresh itself
    """

    def __init__(
        self,
        source: EnvironmentSettings,
        target: EnvironmentSettings,
        policy: RefreshSection,
        store: Store | None,
        *,
        progress: RefreshProgress | None = None,
    ) -> None:
        self.source = source
        self.target = target
        self.policy = policy
        self.store = store
        self.progress: RefreshProgress = progress or Silent()
        self.key = target_key(target)
        self.mapper = PrefixMapper(source.table_prefix, target.table_prefix)

    # -- the whole refresh -------------------------------------------------------------

    def run(self, *, dry_run: bool = False, restart: bool = False) -> RefreshResult:
        """Refresh the target (or, with ``dry_run``, report what a refresh would do)."""
        started = time.monotonic()
        check_guards(self.source, self.target)
        result = RefreshResult(self.source.name, self.target.name, dry_run)
        holder = new_holder(ledger.REFRESH_JOB)
        with ExitStack() as stack:
            src = stack.enter_context(Database.connect(self.source))
            dst = stack.enter_context(Database.connect(self.target))
            check_same_server(src, dst)
            if not dry_run:
                # By identity too, before anything else: the target may be another name
                # for a protected environment's database.
                dst.ensure_writable(f"refresh it from {self.source.name}")
                if self.store is None:
                    raise InputError("a refresh needs parity's state store")
                stack.enter_context(
                    TargetLock(
                        self.store,
                        dst,
                        target=self.target.name,
                        key=self.key,
                        holder=holder,
                        ttl_s=self.policy.lease_seconds,
                    )
                )
            password_hash, can_log_in = _password_hash(self.policy, self.target)
            if not can_log_in:
                result.warnings.append(
                    "no staging password ([refresh] staging_password or a login for"
                    f" {self.target.name}): copied users cannot log in"
                )
            scrub = ScrubContext(
                key=_scrub_key(self.policy, self.target), password_hash=password_hash
            )
            plan = self._plan(src, dst, scrub)
            result.pairs = list(plan.pairs)
            result.excluded_tables = list(plan.excluded_tables)
            result.kept_target_tables = list(plan.kept_target_tables)
            result.preserved_options = list(plan.preserved_options)
            if dry_run:
                self._dry_run(plan, scrub, result)
            else:
                assert self.store is not None
                self._refresh(plan, scrub, result, dst, holder, restart=restart)
        result.seconds = time.monotonic() - started
        return result

    def copy_tables(self, names: Mapping[str, str], *, action: str) -> dict[str, int]:
        """Copy the source's rows of some target tables into tables of other names on the
        target (``{target table: new name}``), rewritten and scrubbed as a refresh would,
        and verified (row counts, definitions, serialized values); nothing is swapped.

        For a scratch copy (``parity rehearse --fresh-copy``): no lease, no checkpoints,
        no rollback point; the target's live tables are not touched. Returns the rows
        each new table holds.
        """
        check_guards(self.source, self.target)
        result = RefreshResult(self.source.name, self.target.name, False)
        with ExitStack() as stack:
            src = stack.enter_context(Database.connect(self.source))
            dst = stack.enter_context(Database.connect(self.target))
            check_same_server(src, dst)
            dst.ensure_writable(action)
            password_hash, _ = _password_hash(self.policy, self.target)
            scrub = ScrubContext(
                key=_scrub_key(self.policy, self.target), password_hash=password_hash
            )
            full = self._plan(src, dst, scrub)
            by_target = {t.target: t for t in full.tables}
            missing = [name for name in names if name not in by_target]
            if missing:
                raise InputError(
                    f"a refresh from {self.source.name} does not copy {', '.join(missing)}",
                    hint="the table is missing there or left out by [refresh] exclude_tables",
                )
            tables = [_renamed(by_target[name], new) for name, new in names.items()]
            plan = replace(full, tables=tuple(tables))
            writer = stack.enter_context(
                dst.open_bulk_writer(
                    action=action, max_statement_bytes=self.policy.max_statement_bytes
                )
            )
            snap = stack.enter_context(Database.connect(self.source, all_bytes=True))
            stack.enter_context(snap.snapshot())
            raw = stack.enter_context(Database.connect(self.target, all_bytes=True))
            transformer = self._transformer(
                plan, scrub, max_statement_bytes=writer.max_statement_bytes
            )
            copier = TableCopy(snap, writer, transformer, chunk_rows=self.policy.chunk_rows)
            expected: dict[str, int] = {}
            try:
                for table in plan.tables:
                    rows = count_source_rows(snap, table)
                    expected[table.source] = rows + len(table.preserved)
                    copier.prepare_shadow(table, None, fresh=True)
                    stats = copier.copy(
                        table,
                        total=rows,
                        base=TableStats(),
                        chunk_rows=_chunk_rows(self.policy, table, rows),
                    )
                    if table.preserved:
                        self._copy_preserved(table, raw, copier)
                    if table.deferred_keys:
                        copier.add_deferred_keys(table, raw.index_names(table.shadow))
                    report = self._table_report(table, rows, stats)
                    result.tables.append(report)
                    check_counts(table, report, raw, expected=expected[table.source])
                    check_definition(table, raw)
                    check_serialized(table, report)
            finally:
                copier.close()
                transformer.close()
        return {t.target: expected[t.source] for t in plan.tables}

    def _plan(self, src: Database, dst: Database, scrub: ScrubContext) -> RefreshPlan:
        shapes = source_tables(src, self.source.table_prefix, self.policy.extra_tables)
        existing = set(dst.all_tables())
        with Database.connect(self.target, all_bytes=True) as raw:
            options = target_option_names(raw, shapes, self.mapper, existing)
        digest = hmac.new(scrub.key, scrub.password_hash, hashlib.sha256).hexdigest()[:16]
        return build_plan(
            self.source,
            self.target,
            self.policy,
            shapes,
            sorted(existing),
            options,
            secret_digest=digest,
        )

    def _dry_run(self, plan: RefreshPlan, scrub: ScrubContext, result: RefreshResult) -> None:
        self.progress.stage("read", "dry run: nothing is written")
        transformer = self._transformer(plan, scrub, max_statement_bytes=None)
        with (
            Database.connect(self.source, all_bytes=True) as snap,
            snap.snapshot(),
        ):
            copier = TableCopy(
                snap, None, transformer, chunk_rows=self.policy.chunk_rows, progress=self.progress
            )
            try:
                for table in plan.tables:
                    rows = count_source_rows(snap, table)
                    stats = copier.copy(
                        table,
                        total=rows,
                        base=TableStats(),
                        chunk_rows=_chunk_rows(self.policy, table, rows),
                    )
                    result.tables.append(self._table_report(table, rows, stats))
            finally:
                transformer.close()

    def _transformer(
        self, plan: RefreshPlan, scrub: ScrubContext, *, max_statement_bytes: int | None
    ) -> ChunkTransformer:
        workers = auto_workers(self.policy.workers, sum(t.size_bytes for t in plan.tables))
        return ChunkTransformer(
            plan.pairs,
            scrub,
            (self.source.table_prefix, self.target.table_prefix),
            workers=workers,
            max_statement_bytes=max_statement_bytes,
        )

    def _table_report(self, table: TablePlan, rows: int, stats: TableStats) -> TableReport:
        return TableReport(
            source=table.source,
            target=table.target,
            rows=rows,
            bytes=table.size_bytes,
            preserved=len(table.preserved),
            exclusions=table.exclusions,
            stats=stats,
        )

    # -- the real thing ----------------------------------------------------------------

    def _refresh(
        self,
        plan: RefreshPlan,
        scrub: ScrubContext,
        result: RefreshResult,
        dst: Database,
        holder: str,
        *,
        restart: bool,
    ) -> None:
        store = self.store
        assert store is not None
        resolve_rollback_points(store, dst, self.key)
        with dst.open_bulk_writer(
            action=f"refresh {self.target.name}",
            max_statement_bytes=self.policy.max_statement_bytes,
        ) as writer:
            previous = self._resumable(plan, restart=restart)
            run = self._new_run(plan, dst, holder, previous)
            checkpoints: dict[str, cp.Checkpoint] = {}
            if previous is not None:
                result.resumed = True
                checkpoints = cp.hand_over_checkpoints(store, previous.id, run.id)
            result.run_id = run.id
            result.rollback_token = run.refresh.token
            try:
                self._cleanup(plan, dst, writer, result, keep=checkpoints)
                ledger.set_stage(store, run.id, "copy", tables_done=0)
                self.progress.stage("copy", f"{len(plan.tables)} tables")
                with (
                    Database.connect(self.source, all_bytes=True) as snap,
                    snap.snapshot(),
                    Database.connect(self.target, all_bytes=True) as raw,
                ):
                    expected = self._copy(plan, scrub, result, snap, raw, writer, run, checkpoints)
                    ledger.set_stage(store, run.id, "verify", tables_done=len(plan.tables))
                    self._verify(plan, result, snap, raw, expected)
                self._swap(plan, dst, writer, run, result)
            except VerificationFailed as exc:
                self._drop_shadows(plan, writer)
                cp.delete_checkpoints(store, run.id)
                ledger.finish_run(
                    store,
                    run.id,
                    RunStatus.failed,
                    tables_done=len(plan.tables),
                    check_status=CheckStatus.failed,
                    check_detail=exc.one_line(),
                    error=exc.one_line(),
                )
                raise
            except BaseException as exc:
                # The shadows stay: the next refresh continues them (resumable).
                interrupted = isinstance(exc, KeyboardInterrupt)
                ledger.finish_run(
                    store,
                    run.id,
                    RunStatus.interrupted if interrupted else RunStatus.failed,
                    tables_done=_tables_done(result),
                    check_status=CheckStatus.not_run,
                    error="stopped by the user" if interrupted else failure_reason(exc),
                    resumable=True,
                )
                raise
            cp.delete_checkpoints(store, run.id)
            try:
                self._prune(writer, result)
            except ParityError as exc:
                # The refresh is done and live; old rollback points wait for the next one.
                result.warnings.append(f"could not drop old rollback points: {exc.one_line()}")
        self.progress.stage("purge", "target cache")
        purged, warnings = purge_target(self.target, self.policy, dst)
        result.purged = purged
        result.warnings.extend(warnings)
        ledger.finish_run(
            store,
            run.id,
            RunStatus.succeeded,
            tables_done=len(plan.tables),
            check_status=CheckStatus.passed,
            check_detail=f"{len(plan.tables)} tables verified before the swap",
            summary=_summary(result),
            stage="done",
        )

    def _resumable(self, plan: RefreshPlan, *, restart: bool) -> ledger.RefreshRun | None:
        """The dead run to resume, if any; no other run stays resumable.

        Runs still ``running`` are dead (this refresh holds the target's lease): they are
        marked interrupted first. A run that got past its swap succeeded (its data is
        live); the others are left as they ended, their checkpoints forgotten.
        """
        store = self.store
        assert store is not None
        ledger.interrupt_dead_runs(store, self.key, self.target.name)
        chosen: ledger.RefreshRun | None = None
        now = utc_now()
        window = timedelta(minutes=self.policy.resume_within_minutes)
        for run in ledger.unfinished_runs(store, self.key):
            if run.refresh.stage in ("prune", "done"):
                # Killed after its swap: its data is live, only the pruning was left.
                ledger.settle_swapped(store, run.id)
                cp.delete_checkpoints(store, run.id)
                continue
            fits = (
                chosen is None
                and not restart
                and self.policy.resume
                and run.refresh.fingerprint == plan.fingerprint
                and run.refresh.stage in ("cleanup", "copy", "verify", "swap")
                and now - ledger.chain_started_at(store, run) <= window
            )
            if fits:
                chosen = run
                continue
            ledger.set_resumable(store, run.id, False)
            cp.delete_checkpoints(store, run.id)
        return chosen

    def _new_run(
        self,
        plan: RefreshPlan,
        dst: Database,
        holder: str,
        previous: ledger.RefreshRun | None,
    ) -> ledger.RefreshRun:
        """Record this refresh: a new run, continuing ``previous`` (its token) when given."""
        store = self.store
        assert store is not None
        if previous is not None:
            token = previous.refresh.token
            ledger.set_resumable(store, previous.id, False)
        else:
            existing = set(dst.all_tables())
            token = new_token()
            while any(backup_name(t.target, token) in existing for t in plan.tables):
                token = new_token()
        details = ledger.RefreshDetails(
            source=self.source.name,
            target_key=self.key,
            fingerprint=plan.fingerprint,
            token=token,
            stage="cleanup",
            resumable=True,
        )
        return ledger.start_run(
            store,
            ledger.refresh_job(self.policy.owner, self.source.name, self.target.name),
            target=self.target.name,
            holder=holder,
            details=details,
            tables=len(plan.tables),
            resumed_from=None if previous is None else previous.id,
        )

    def _cleanup(
        self,
        plan: RefreshPlan,
        dst: Database,
        writer: BulkWriter,
        result: RefreshResult,
        *,
        keep: dict[str, cp.Checkpoint],
    ) -> None:
        """Drop what dead runs left: shadow and trash tables (except shadows being resumed)."""
        self.progress.stage("cleanup", "leftovers of earlier runs")
        prefixes = (self.target.table_prefix, *self.policy.extra_tables)
        resumed = {t.shadow for t in plan.tables if t.source in keep}
        leftovers = [
            name for name in dst.all_tables() if is_leftover(name, prefixes) and name not in resumed
        ]
        if not leftovers:
            hooks.pause_point("cleanup")
        for index, name in enumerate(leftovers):
            writer.execute(f"DROP TABLE IF EXISTS {quote_identifier(name)}")
            result.cleaned_leftovers.append(name)
            if index == 0:
                hooks.pause_point("cleanup")

    def _copy(
        self,
        plan: RefreshPlan,
        scrub: ScrubContext,
        result: RefreshResult,
        snap: Database,
        raw: Database,
        writer: BulkWriter,
        run: ledger.RefreshRun,
        checkpoints: dict[str, cp.Checkpoint],
    ) -> dict[str, int]:
        """Copy every table into its shadow; returns the row count each must have."""
        store = self.store
        assert store is not None
        expected: dict[str, int] = {}
        beat = _Heartbeat()
        present = set(raw.all_tables())
        transformer = self._transformer(plan, scrub, max_statement_bytes=writer.max_statement_bytes)
        copier = TableCopy(
            snap, writer, transformer, chunk_rows=self.policy.chunk_rows, progress=self.progress
        )
        try:
            for table in plan.tables:
                rows = count_source_rows(snap, table)
                expected[table.source] = rows + len(table.preserved)
                report = self._table_report(table, rows, TableStats())
                result.tables.append(report)
                point = checkpoints.get(table.source)
                if point is not None and point.status == "copied" and table.shadow in present:
                    report.stats = TableStats.from_dict(point.stats)
                    report.resumed_from_row = report.stats.rows
                    continue
                resume_key = None
                base = TableStats()
                fresh = True
                if (
                    point is not None
                    and table.shadow in present
                    and table.primary_key
                    and not set(table.pk_indexes) & set(table.rewrite_columns)
                ):
                    fresh = False
                    resume_key = point.last_key
                    base = TableStats.from_dict(point.stats) if resume_key else TableStats()
                    report.resumed_from_row = base.rows
                copier.prepare_shadow(table, resume_key, fresh)

                def save(
                    status: str,
                    key: tuple[bytes, ...] | None,
                    stats: TableStats,
                    *,
                    _t: str = table.source,
                ) -> None:
                    cp.save_checkpoint(
                        store, run.id, _t, status=status, last_key=key, stats=stats.as_dict()
                    )
                    beat.due(store, run.id, result)

                stats = copier.copy(
                    table,
                    total=rows,
                    base=base,
                    resume_from=resume_key,
                    checkpoint=save,
                    chunk_rows=_chunk_rows(self.policy, table, rows),
                )
                if table.preserved:
                    self._copy_preserved(table, raw, copier)
                if table.deferred_keys:
                    copier.add_deferred_keys(table, raw.index_names(table.shadow))
                save("copied", None, stats)
                report.stats = stats
        finally:
            copier.close()
            transformer.close()
        return expected

    def _copy_preserved(self, table: TablePlan, raw: Database, copier: TableCopy) -> None:
        """Options kept from the target: its live rows, with fresh ids."""
        live_columns = set(raw.columns(table.target))
        columns = [c for c in table.columns if c in live_columns and c not in table.primary_key]
        marks = ", ".join(["%s"] * len(table.preserved))
        rows = raw.query(
            f"SELECT {', '.join(quote_identifier(c) for c in columns)}"
            f" FROM {quote_identifier(table.target)} WHERE option_name IN ({marks})",
            list(table.preserved),
        )
        copier.insert_rows(table, columns, rows)

    def _verify(
        self,
        plan: RefreshPlan,
        result: RefreshResult,
        snap: Database,
        raw: Database,
        expected: dict[str, int],
    ) -> None:
        self.progress.stage("verify", "counts, definitions, checksums, serialized values")
        reports = {r.source: r for r in result.tables}
        for table in plan.tables:
            check_counts(table, reports[table.source], raw, expected=expected[table.source])
        hooks.pause_point("verify")
        for table in plan.tables:
            report = reports[table.source]
            check_definition(table, raw)
            if not report.stats.changed and not table.preserved:
                check_checksum(table, report, snap, raw)
            check_serialized(table, report)
        # Fresh statistics travel with the tables through the rename: without them the
        # target's planner and row estimates (drift's volume check) start out wrong.
        raw.query("ANALYZE TABLE " + ", ".join(quote_identifier(t.shadow) for t in plan.tables))

    def _drop_shadows(self, plan: RefreshPlan, writer: BulkWriter) -> None:
        try:
            drop_tables(writer, [t.shadow for t in plan.tables])
        except ParityError as exc:
            warn_failure(log, "could not drop the shadow tables; the next run will", exc)

    def _swap(
        self,
        plan: RefreshPlan,
        dst: Database,
        writer: BulkWriter,
        run: ledger.RefreshRun,
        result: RefreshResult,
    ) -> None:
        store = self.store
        assert store is not None
        ledger.set_stage(store, run.id, "swap", tables_done=len(plan.tables))
        self.progress.stage("swap", f"{len(plan.tables)} tables in one RENAME TABLE")
        swap = plan_swap(plan.tables, dst.all_tables(), run.refresh.token)
        point = cp.add_rollback_point(
            store,
            run_id=run.id,
            target=self.target.name,
            target_key=self.key,
            token=run.refresh.token,
            tables=swap.point,
        )
        hooks.pause_point("swap")
        try:
            writer.execute(swap.statement)
        except BaseException:
            cp.set_rollback_status(store, point, "void")
            raise
        cp.set_rollback_status(store, point, "active")
        ledger.set_stage(store, run.id, "prune")

    def _prune(self, writer: BulkWriter, result: RefreshResult) -> None:
        """Drop rollback points beyond the policy's retention (oldest first)."""
        store = self.store
        assert store is not None
        self.progress.stage("prune", f"keep {self.policy.retention} rollback point(s)")
        points = cp.list_rollback_points(store, target_key=self.key, statuses=["active"])
        doomed = points[self.policy.retention :]
        if not doomed:
            hooks.pause_point("prune")
        for number, point in enumerate(reversed(doomed)):
            tables = [kept for _live, kept in point.tables if kept is not None]
            for index, name in enumerate(tables):
                writer.execute(f"DROP TABLE IF EXISTS {quote_identifier(name)}")
                if number == 0 and index == 0:
                    hooks.pause_point("prune")
            cp.set_rollback_status(store, point.id, "dropped")
            result.dropped_rollback_points.append(point.token)


def _summary(result: RefreshResult) -> dict[str, object]:
    data = result.as_dict()
    data.pop("tables", None)
    return data


def _renamed(table: TablePlan, name: str) -> TablePlan:
    """``table``'s plan writing into ``name`` instead of its shadow."""
    head = f"CREATE TABLE {quote_identifier(table.shadow)}"
    if not table.create_sql.startswith(head):  # pragma: no cover - plans are built so
        raise InputError(f"unexpected definition of {table.target}")
    create_sql = f"CREATE TABLE {quote_identifier(name)}" + table.create_sql[len(head) :]
    return replace(table, shadow=name, create_sql=create_sql)


def _tables_done(result: RefreshResult) -> int:
    """Tables whose copy finished (every table before the last one started)."""
    return max(0, len(result.tables) - 1)


class _Heartbeat:
    """Tells the ledger the run is alive, at most every few seconds (a killed run is
    recorded as ended at its last heartbeat)."""

    EVERY_S = 5.0

    def __init__(self) -> None:
        self._last = time.monotonic()

    def due(self, store: Store, run_id: int, result: RefreshResult) -> None:
        now = time.monotonic()
        if now - self._last >= self.EVERY_S:
            self._last = now
            ledger.heartbeat(store, run_id, _tables_done(result))
