"""Copying one table into its shadow: stream, transform, write, checkpoint.

Rows are read from the source's consistent snapshot in primary-key order, one chunk at a
time, transformed (:mod:`parity.refresh.transform`), and written by a second thread as
multi-row INSERTs, so reading and transforming overlap with the target server's work.
After each chunk is committed the thread records a checkpoint (last primary key and the
running totals). Memory holds at most a few chunks, whatever the table's size.

A resumed copy first deletes shadow rows past the checkpoint (a kill can land between a
commit and its checkpoint), then continues the source stream after that key.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from parity.collector import fewer_collections
from parity.refresh import hooks
from parity.refresh.plan import TablePlan
from parity.refresh.transform import TableStats
from parity.refresh.workers import ChunkResult, ChunkTransformer
from parity.targets.database import BulkWriter, Database, quote_identifier

__all__ = ["CopyProgress", "TableCopy", "after_key_condition", "count_source_rows"]

_QUEUE_DEPTH = 2
_STOP = object()

Key = tuple[bytes, ...]


class CopyProgress(Protocol):
    """Where a copy reports its progress (the CLI draws bars from it)."""

    def table_started(self, table: str, total: int, done: int) -> None:
        """The copy of ``table`` starts (``done`` rows already there from a dead run)."""

    def rows_done(self, table: str, rows: int) -> None:
        """``rows`` more rows of ``table`` were written (or, in a dry run, read)."""

    def table_finished(self, table: str) -> None:
        """The copy of ``table`` is complete."""


def after_key_condition(primary_key: Sequence[str], key: Key) -> tuple[str, list[bytes]]:
    """SQL selecting rows after ``key`` in primary-key order, with its parameters.

    >>> after_key_condition(["a", "b"], (b"1", b"2"))
    ('(`a` > %s) OR (`a` = %s AND `b` > %s)', [b'1', b'1', b'2'])
    """
    if len(primary_key) != len(key) or not key:
        raise ValueError("key does not match the primary key")
    ors: list[str] = []
    params: list[bytes] = []
    for depth in range(len(primary_key)):
        ands = [f"{quote_identifier(primary_key[i])} = %s" for i in range(depth)]
        ands.append(f"{quote_identifier(primary_key[depth])} > %s")
        params.extend(key[: depth + 1])
        ors.append(" AND ".join(ands))
    if len(ors) == 1:
        return ors[0], params
    return " OR ".join(f"({part})" for part in ors), params


def count_source_rows(snapshot: Database, plan: TablePlan) -> int:
    """Rows of the source table the plan copies (in the snapshot, after exclusions)."""
    where = f" WHERE {plan.where}" if plan.where else ""
    value = snapshot.scalar(
        f"SELECT COUNT(*) FROM {quote_identifier(plan.source)}{where}", list(plan.params)
    )
    return int(value or 0)


@dataclass
class _Chunk:
    table: str
    statements: list[tuple[bytes, int]]
    after: Callable[[], None] | None


class _WriterThread:
    """Sends statements on the writer's connection while the caller reads the next chunk."""

    def __init__(self, writer: BulkWriter, progress: CopyProgress | None) -> None:
        self._writer = writer
        self._progress = progress
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="parity-refresh-writer")
        self._thread.daemon = True
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._error is not None:
                    continue  # drain without working after a failure
                chunk: _Chunk = item
                # Sending holds no lock on Python: the server works while the reader
                # thread fetches, transforms and builds the next statements.
                for statement, rows in chunk.statements:
                    self._writer.send(statement)
                    if self._progress is not None:
                        self._progress.rows_done(chunk.table, rows)
                if chunk.after is not None:
                    chunk.after()
            except BaseException as exc:  # re-raised in the caller's thread
                self._error = exc
            finally:
                self._queue.task_done()

    def put(self, chunk: _Chunk) -> None:
        self.raise_error()
        self._queue.put(chunk)

    def drain(self) -> None:
        """Wait until everything queued was written (raises the thread's error)."""
        self._queue.join()
        self.raise_error()

    def raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=60)


class TableCopy:
    """Copies tables into their shadows on one target, with one writer thread.

    Chunks are transformed by a :class:`~parity.refresh.workers.ChunkTransformer`
    (in worker processes for big copies) while the next chunk is read and the previous
    one is written.
    """

    def __init__(
        self,
        snapshot: Database,
        writer: BulkWriter | None,
        transformer: ChunkTransformer,
        *,
        chunk_rows: int,
        progress: CopyProgress | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._writer = writer
        self._transformer = transformer
        self._chunk_rows = chunk_rows
        self._progress = progress
        self._thread = _WriterThread(writer, progress) if writer is not None else None
        self._paused_copy = False
        self._paused_rewrite = False

    def close(self) -> None:
        """Stop the writer thread."""
        if self._thread is not None:
            self._thread.close()

    def prepare_shadow(self, plan: TablePlan, resume_from: Key | None, fresh: bool) -> None:
        """Create the shadow (``fresh``) or cut it back to the checkpoint (resume)."""
        writer = self._require_writer()
        shadow = quote_identifier(plan.shadow)
        if fresh:
            writer.execute(f"DROP TABLE IF EXISTS {shadow}")
            writer.execute(plan.load_sql)
        elif resume_from is None:
            writer.execute(f"DELETE FROM {shadow}")
        else:
            condition, params = after_key_condition(plan.primary_key, resume_from)
            writer.execute(f"DELETE FROM {shadow} WHERE {condition}", params)

    def copy(
        self,
        plan: TablePlan,
        *,
        total: int,
        base: TableStats,
        resume_from: Key | None = None,
        checkpoint: Callable[[str, Key | None, TableStats], None] | None = None,
        chunk_rows: int | None = None,
    ) -> TableStats:
        """Stream ``plan.source`` into its shadow (or, with no writer, only read it).

        ``checkpoint("copying", last_key, stats)`` is called after each committed chunk;
        ``base`` holds the totals of the dead run being resumed; ``chunk_rows`` overrides
        the rows per chunk for this table. The caller records the final checkpoint.
        Returns the table's totals (``base`` included).
        """
        where = plan.where
        params: list[Any] = list(plan.params)
        if resume_from is not None:
            condition, key_params = after_key_condition(plan.primary_key, resume_from)
            where = f"({where}) AND ({condition})" if where else condition
            params += key_params
        if self._progress is not None:
            self._progress.table_started(plan.source, total, base.rows)
        pk_index = plan.pk_indexes
        totals = TableStats()
        totals.add(base)
        inflight: deque[tuple[Any, Key | None, int]] = deque()
        with fewer_collections():
            for rows in self._snapshot.stream(
                plan.source,
                chunk_size=chunk_rows or self._chunk_rows,
                columns=plan.columns,
                where=where or None,
                params=params or None,
                primary_key=plan.primary_key,
            ):
                key = tuple(bytes(rows[-1][i] or b"") for i in pk_index) if pk_index else None
                inflight.append((self._transformer.submit(plan, rows), key, len(rows)))
                while len(inflight) > self._transformer.depth:
                    self._finish(plan, inflight.popleft(), totals, checkpoint)
            while inflight:
                self._finish(plan, inflight.popleft(), totals, checkpoint)
        if self._thread is not None:
            self._thread.drain()
        if self._progress is not None:
            self._progress.table_finished(plan.source)
        return totals

    def _finish(
        self,
        plan: TablePlan,
        item: tuple[Any, Key | None, int],
        totals: TableStats,
        checkpoint: Callable[[str, Key | None, TableStats], None] | None,
    ) -> None:
        """A transformed chunk: count it, and queue its statements and checkpoint."""
        handle, key, rows = item
        result: ChunkResult = handle.result()
        totals.add(result.stats)
        if self._thread is None:
            if self._progress is not None:
                self._progress.rows_done(plan.source, rows)
            return
        if not self._paused_rewrite and result.stats.values_changed:
            self._paused_rewrite = True
            hooks.pause_point("rewrite")
        after = None
        if checkpoint is not None:
            snapshot = TableStats()
            snapshot.add(totals)
            after = _bind(checkpoint, "copying", key, snapshot)
        self._thread.put(_Chunk(plan.source, result.statements, after))
        if not self._paused_copy and hooks.armed("copy"):
            self._paused_copy = True
            self._thread.drain()
            hooks.pause_point("copy")

    def add_deferred_keys(self, plan: TablePlan, existing: Sequence[str]) -> None:
        """Build the shadow's secondary keys left out for the load (those not there yet)."""
        missing = [key for key in plan.deferred_keys if _key_name(key) not in set(existing)]
        if missing:
            adds = ", ".join(f"ADD {key}" for key in missing)
            self._require_writer().execute(f"ALTER TABLE {quote_identifier(plan.shadow)} {adds}")

    def insert_rows(
        self, plan: TablePlan, columns: Sequence[str], rows: Sequence[Sequence[bytes | None]]
    ) -> int:
        """Write extra rows into the shadow (options kept from the target)."""
        writer = self._require_writer()
        binary = [plan.binary[plan.columns.index(c)] for c in columns]
        count = 0
        for statement, number in writer.insert_statements(
            plan.shadow, columns, rows, binary_columns=binary
        ):
            writer.send(statement)
            count += number
        return count

    def _require_writer(self) -> BulkWriter:
        if self._writer is None:
            raise RuntimeError("a dry run writes nothing")
        return self._writer


def _key_name(key: str) -> str:
    """``KEY `name` (...)`` -> ``name``."""
    return key.split("`", 2)[1].replace("``", "`")


def _bind(
    fn: Callable[[str, Key | None, TableStats], None],
    status: str,
    key: Key | None,
    stats: TableStats,
) -> Callable[[], None]:
    def call() -> None:
        fn(status, key, stats)

    return call
