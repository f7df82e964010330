"""The copy a rehearsal works on: made, reused when kept and still current, or refreshed.

Each rehearsal works on tables of its own, ``prh_<token>_<table>``, in the environment's
schema. Where their rows come from:

* **made**: copied on the server from the environment's table, the way a refresh builds
  its shadows (:mod:`parity.refresh.plan`): created without its plain secondary keys when
  the table is big, filled by one ``INSERT ... SELECT`` in a bulk session
  (``unique_checks=0, foreign_key_checks=0``), then the keys built in one sorted
  ``ALTER TABLE``;
* **reused**: a copy kept by an earlier ``--keep`` run (``prh_kept_<table>``), taken over
  with one ``RENAME TABLE`` (so two rehearsals never share it) and used as it is when
  ``CHECKSUM TABLE`` of the table it came from still gives the checksum recorded when the
  copy was made, and the two tables still have the same schema; otherwise it is dropped
  and made again (the report says why);
* **refreshed**: copied from production through the refresh machinery (rewritten,
  scrubbed: :meth:`parity.refresh.RefreshService.copy_tables`), with ``--fresh-copy``, or
  when a kept copy from production is found and production's table changed since.

What a kept copy is (where its rows came from, the checksums, its row count, the sample
values the hot queries use) is recorded as JSON in the kept table's comment, so the copy
and its record cannot part. A copy is kept for reuse only when the rehearsal left it as
a fresh copy would be: the rollback restored the schema; its data checksum is the one
recorded (checked again when a statement changed rows or an inverse says it cannot bring
values back); and after a migration that changed columns the table was rebuilt (the
rollback's last inverse runs with ``ALGORITHM=COPY``, or ``ALTER TABLE ... FORCE``
follows here), so rows are laid out as in a fresh copy (an instant ADD/DROP COLUMN leaves
metadata behind that a later rehearsal's algorithm could depend on). Otherwise a kept
copy stays under its rehearsal's name for inspection and is never reused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from parity.drift.schema import shape_tables
from parity.environments import EnvironmentSettings
from parity.errors import DatabaseError, InputError, ParityError
from parity.refresh.plan import DEFER_KEYS_BYTES, deferrable_keys
from parity.rehearse.indexes import IndexDef, indexes_from_statistics
from parity.rehearse.inverse import TableDefinition, parse_create_table
from parity.rehearse.model import CopyInfo
from parity.rehearse.parse import rename_tables
from parity.rehearse.queries import Samples
from parity.targets.database import Database, quote_identifier
from parity.vocabulary import iso_utc

__all__ = ["KEPT_PREFIX", "SCRATCH_PREFIX", "CopyRecord", "RefreshInto", "Scratch", "kept_name"]

log = logging.getLogger(__name__)

#: Scratch tables are named ``prh_<token>_<table>``; kept copies ``prh_kept_<table>``.
SCRATCH_PREFIX = "prh_"
KEPT_PREFIX = "prh_kept_"
_RECORD_TAG = "parity-rehearse-copy "
_MAX_NAME = 64

#: Copies refreshed from production: ``(tables {table: scratch name}) -> {table: rows}``.
RefreshInto = Callable[[dict[str, str]], dict[str, int]]


def _text(value: Any) -> str:
    return bytes(value).decode() if isinstance(value, bytes | bytearray) else str(value)


def kept_name(table: str) -> str:
    """The name a kept copy of ``table`` has between rehearsals.

    >>> kept_name("wp_postmeta")
    'prh_kept_wp_postmeta'
    """
    return KEPT_PREFIX + table


class CopyRecord(BaseModel):
    """What a kept copy holds, stored in its table comment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: str  # the environment whose rows the copy holds
    source_checksum: int | None  # CHECKSUM TABLE of the origin's table when copied
    copy_checksum: int  # CHECKSUM TABLE of the copy as kept
    rows: int
    copied_at: str
    samples: dict[str, Any] | None = None

    def comment(self) -> str:
        """The table comment that stores this record."""
        return _RECORD_TAG + self.model_dump_json()

    @classmethod
    def from_comment(cls, comment: str) -> CopyRecord | None:
        """The record in a kept copy's comment (None when there is none or it is damaged)."""
        if not comment.startswith(_RECORD_TAG):
            return None
        try:
            return cls.model_validate_json(comment[len(_RECORD_TAG) :])
        except ValidationError:
            return None


@dataclass
class _Copy:
    """One copy during a rehearsal: what it is, and what the rehearsal did to it."""

    info: CopyInfo
    record: CopyRecord | None = None  # checksums known for it (a reused or kept copy)
    samples: Samples | None = None
    stored: CopyRecord | None = None  # the record its table comment holds now


class Scratch:
    """The rehearsal's tables: real name -> scratch name, the copies, and their reads."""

    def __init__(self, db: Database, token: str, *, action: str) -> None:
        self.db = db
        self.prefix = f"{SCRATCH_PREFIX}{token}_"
        self.action = action
        self.names: dict[str, str] = {}
        self.copies: dict[str, _Copy] = {}

    # -- names ------------------------------------------------------------------------

    def name(self, table: str) -> str:
        if table not in self.names:
            scratch = self.prefix + table
            if len(scratch) > _MAX_NAME or len(kept_name(table)) > _MAX_NAME:
                raise InputError(f"table name {table} is too long for a scratch copy")
            self.names[table] = scratch
        return self.names[table]

    def _run(self, sql: str) -> int:
        return self.db.execute(sql, action=self.action)

    # -- making, reusing, refreshing ------------------------------------------------------

    def prepare(
        self,
        tables: Sequence[str],
        *,
        keep: bool,
        fresh_from: EnvironmentSettings | None,
        production: EnvironmentSettings | None,
        refresh_into: RefreshInto | None,
        say: Callable[[str], None],
    ) -> None:
        """Have a copy of each of ``tables``: reused when a kept one is still current,
        else made from the environment's rows (or refreshed from production)."""
        existing = set(self.db.all_tables())
        refresh: list[tuple[str, str | None]] = []
        for table in tables:
            start = time.perf_counter()
            reason: str | None = None
            record: CopyRecord | None = None
            if kept_name(table) in existing and self._claim(table):
                record = self._record(table)
                verdict = self._still_current(table, record, fresh_from, production)
                if verdict is None and record is not None:
                    say(f"reusing the kept copy of {table}")
                    self._reused(table, record, time.perf_counter() - start)
                    continue
                reason = verdict
                self._run(f"DROP TABLE {quote_identifier(self.name(table))}")
            from_production = fresh_from is not None or (
                record is not None and production is not None and record.origin == production.name
            )
            if from_production:
                refresh.append((table, reason))
                continue
            say(f"copying {table}" + (f" ({reason})" if reason else ""))
            self._make(table, reason, keep=keep, seconds=time.perf_counter() - start)
        if refresh:
            source = fresh_from or production
            assert source is not None and refresh_into is not None
            say(f"refreshing the copy of {', '.join(t for t, _ in refresh)} from {source.name}")
            self._refresh(source, refresh, refresh_into, keep=keep)

    def _claim(self, table: str) -> bool:
        """Take the kept copy over (one atomic rename); False when another run took it."""
        try:
            self._run(
                f"RENAME TABLE {quote_identifier(kept_name(table))}"
                f" TO {quote_identifier(self.name(table))}"
            )
        except DatabaseError:
            return False
        return True

    def _record(self, table: str) -> CopyRecord | None:
        comment = self.db.scalar(
            "SELECT table_comment FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_name = %s",
            [self.name(table)],
        )
        return CopyRecord.from_comment(_text(comment or ""))

    def _still_current(
        self,
        table: str,
        record: CopyRecord | None,
        fresh_from: EnvironmentSettings | None,
        production: EnvironmentSettings | None,
    ) -> str | None:
        """None when the kept copy can be used as it is; else why it is made again."""
        env = self.db.env
        if record is None:
            return "the kept copy has no record of what it holds"
        if fresh_from is not None:
            return "--fresh-copy was given"
        if record.origin == env.name:
            if self.schema(table) != self.schema(table, source=True):
                return f"the schema of {env.name}'s {table} changed since the copy was made"
            if self.checksum(table) != record.source_checksum:
                return f"{env.name}'s {table} changed since the copy was made (checksum)"
            return None
        if production is not None and record.origin == production.name:
            if record.source_checksum is None:
                return f"{production.name}'s {table} changed while the copy was made"
            with Database.connect(production) as source:
                now = _checksum_of(source, table)
            if now != record.source_checksum:
                return f"{production.name}'s {table} changed since the copy was refreshed"
            return None
        return f"the kept copy came from {record.origin}, which is not known here"

    def _reused(self, table: str, record: CopyRecord, seconds: float) -> None:
        samples = Samples(**record.samples) if record.samples else None
        self.copies[table] = _Copy(
            CopyInfo(
                table=table,
                scratch=self.name(table),
                origin=record.origin,
                how="reused",
                rows=record.rows,
                copied_at=record.copied_at,
                duration_s=round(seconds, 4),
            ),
            record=record,
            samples=samples,
            stored=record,
        )

    def _make(self, table: str, reason: str | None, *, keep: bool, seconds: float) -> None:
        """Copy the environment's ``table`` on the server, keys built after the rows."""
        start = time.perf_counter()
        q, scratch = quote_identifier, self.name(table)
        copied_at = iso_utc(datetime.now(UTC))
        size = int(
            self.db.scalar(
                "SELECT COALESCE(data_length, 0) + COALESCE(index_length, 0)"
                " FROM information_schema.tables WHERE table_schema = DATABASE()"
                " AND table_name = %s",
                [table],
            )
            or 0
        )
        keys = deferrable_keys(self.db.show_create_table(table)) if size >= DEFER_KEYS_BYTES else ()
        self._run(f"CREATE TABLE {q(scratch)} LIKE {q(table)}")
        if keys:
            drops = ", ".join(f"DROP KEY {q(_key_name(key))}" for key in keys)
            self._run(f"ALTER TABLE {q(scratch)} {drops}")
        # Rows that satisfied the source's keys need no checks again (as in a refresh).
        self._run("SET SESSION unique_checks = 0, foreign_key_checks = 0")
        try:
            rows = self._run(f"INSERT INTO {q(scratch)} SELECT * FROM {q(table)}")
        finally:
            self._run("SET SESSION unique_checks = 1, foreign_key_checks = 1")
        if keys:
            self._run(f"ALTER TABLE {q(scratch)} " + ", ".join(f"ADD {key}" for key in keys))
        self.analyze(table)
        record = None
        if keep:
            # The copy's checksum is the source's at the moment it was copied: the next
            # rehearsal compares the source with it.
            checksum = self.checksum(table, copy=True)
            record = CopyRecord(
                origin=self.db.env.name,
                source_checksum=checksum,
                copy_checksum=checksum,
                rows=rows,
                copied_at=copied_at,
            )
        self.copies[table] = _Copy(
            CopyInfo(
                table=table,
                scratch=scratch,
                origin=self.db.env.name,
                how="made",
                reason=reason,
                rows=rows,
                copied_at=copied_at,
                duration_s=round(seconds + time.perf_counter() - start, 4),
            ),
            record=record,
        )

    def _refresh(
        self,
        source: EnvironmentSettings,
        tables: Sequence[tuple[str, str | None]],
        refresh_into: RefreshInto,
        *,
        keep: bool,
    ) -> None:
        """Copy ``tables`` from ``source`` through the refresh machinery."""
        start = time.perf_counter()
        copied_at = iso_utc(datetime.now(UTC))
        names = {table: self.name(table) for table, _ in tables}
        with Database.connect(source) as src:
            before = {table: _checksum_of(src, table) for table in names}
            rows = refresh_into(names)
            after = {table: _checksum_of(src, table) for table in names}
        seconds = (time.perf_counter() - start) / len(names)
        for table, reason in tables:
            self.analyze(table)
            checksum = self.checksum(table, copy=True) if keep else 0
            self.copies[table] = _Copy(
                CopyInfo(
                    table=table,
                    scratch=names[table],
                    origin=source.name,
                    how="refreshed",
                    reason=reason,
                    rows=rows[table],
                    copied_at=copied_at,
                    duration_s=round(seconds, 4),
                ),
                record=CopyRecord(
                    origin=source.name,
                    # Changed during the copy: the next rehearsal refreshes it again.
                    source_checksum=before[table] if before[table] == after[table] else None,
                    copy_checksum=checksum,
                    rows=rows[table],
                    copied_at=copied_at,
                ),
            )

    # -- the end: drop, or keep for the next rehearsal ------------------------------------

    def finish(
        self,
        *,
        keep: bool,
        restored: bool = False,
        data_may_differ: bool = True,
        columns_changed: set[str] | frozenset[str] = frozenset(),
        samples: dict[str, Samples] | None = None,
        failed: str | None = None,
        keep_reused: bool = False,
    ) -> list[CopyInfo]:
        """Drop every scratch table, or (``keep``) keep each copy: for reuse when it is
        still as fresh as a fresh copy, else under its rehearsal's name (always so when
        the rehearsal ``failed``). ``keep_reused`` puts a reused kept copy back even
        without ``keep`` (a run that only read it)."""
        samples = samples or {}
        infos: list[CopyInfo] = []
        for table, scratch in self.names.items():
            copy = self.copies.get(table)
            kept = keep or (keep_reused and copy is not None and copy.info.how == "reused")
            if copy is None or not kept:
                self._drop(scratch)
                if copy is not None:
                    infos.append(copy.info)
                continue
            why_not = failed or self._why_not_reusable(
                table, copy, restored, data_may_differ, table in columns_changed
            )
            kept_as = scratch
            if why_not is None and copy.record is not None:
                known = asdict(samples[table]) if table in samples else copy.record.samples
                record = copy.record.model_copy(update={"samples": known})
                try:
                    if record != copy.stored:
                        self._run(
                            f"ALTER TABLE {quote_identifier(scratch)} COMMENT = "
                            + _sql_string(record.comment())
                        )
                    self._run(
                        f"RENAME TABLE {quote_identifier(scratch)}"
                        f" TO {quote_identifier(kept_name(table))}"
                    )
                    kept_as = kept_name(table)
                except DatabaseError as exc:
                    why_not = f"could not keep it for reuse: {exc.one_line()}"
            infos.append(copy.info.model_copy(update={"kept_as": kept_as, "not_reusable": why_not}))
        return infos

    def _why_not_reusable(
        self, table: str, copy: _Copy, restored: bool, data_may_differ: bool, rebuild: bool
    ) -> str | None:
        if copy.record is None:
            return "no checksum was recorded for it"
        if not restored:
            return "the rollback did not restore the schema"
        if data_may_differ and self.checksum(table, copy=True) != copy.record.copy_checksum:
            return "its rows differ from the copy's (a statement or its rollback changed them)"
        if rebuild:
            # An instant column change leaves metadata a fresh copy does not have.
            self._run(f"ALTER TABLE {quote_identifier(self.name(table))} FORCE")
        return None

    def _drop(self, scratch: str) -> None:
        try:
            self._run(f"DROP TABLE IF EXISTS {quote_identifier(scratch)}")
        except ParityError as exc:
            log.warning("could not drop scratch table %s: %s", scratch, exc.one_line())

    # -- reads ----------------------------------------------------------------------------

    def analyze(self, table: str) -> None:
        self._run(f"ANALYZE TABLE {quote_identifier(self.name(table))}")

    def checksum(self, table: str, *, copy: bool = False) -> int:
        """``CHECKSUM TABLE`` of the copy (``copy``) or of the environment's table."""
        return _checksum_of(self.db, self.name(table) if copy else table)

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

    def schema(self, table: str, *, source: bool = False) -> dict[str, Any] | None:
        """The copy (or, ``source``, the environment's table) as drift compares it, plus
        its column order (None when absent)."""
        name = table if source else self.name(table)
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
        strip = "" if source else self.prefix
        shaped = shape_tables(strip, tables, columns, statistics)[table]
        return {"table": shaped.model_dump(), "order": [_text(c[1]) for c in columns]}


def _checksum_of(db: Database, table: str) -> int:
    row = db.query(f"CHECKSUM TABLE {quote_identifier(table)}")
    return int(row[0][1] or 0) if row else 0


def _key_name(key: str) -> str:
    """``KEY `name` (...)`` -> ``name``."""
    return key.split("`", 2)[1].replace("``", "`")


def _sql_string(value: str) -> str:
    """A string literal for a table comment (DDL takes no placeholders)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
