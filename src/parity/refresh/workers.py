"""Transforming chunks of rows in worker processes, so a refresh uses every core.

Rewriting and scrubbing is pure Python; one process can only use one core, while the
target server needs another to insert. A :class:`ChunkTransformer` runs
:class:`~parity.refresh.transform.TableTransform` (and builds the INSERT statements) either
in-process (``workers = 0``, used for small copies and dry runs) or in a pool of worker
processes. Results come back in submission order, so tables are still written in
primary-key order; the caller bounds how many chunks are in flight, so memory stays
bounded.

Two switches show where a worker's time goes: see :mod:`parity.refresh.worker_clocks`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from parity.refresh.plan import TablePlan
from parity.refresh.prefix import PrefixMapper
from parity.refresh.scrub import ScrubContext
from parity.refresh.transform import TableStats, TableTransform
from parity.refresh.worker_clocks import ChunkClocks, ChunkProfile
from parity.targets.insert_sql import insert_statements

__all__ = ["ChunkResult", "ChunkTransformer", "auto_workers"]

Row = Sequence[bytes | None]

#: Below this many source bytes, worker processes cost more than they save.
SMALL_COPY_BYTES = 64 * 1024 * 1024


def auto_workers(setting: int | None, source_bytes: int) -> int:
    """How many worker processes to use: the policy's number, or (``None``) one per core
    for a copy big enough to gain from them, else none."""
    if setting is not None:
        return setting
    cores = os.cpu_count() or 1
    if cores < 2 or source_bytes < SMALL_COPY_BYTES:
        return 0
    return cores


@dataclass
class ChunkResult:
    """One transformed chunk: its INSERT statements (none in a dry run) and what it did."""

    statements: list[tuple[bytes, int]]
    stats: TableStats


class _Transforms:
    """The transforms of one process, one per table, made on first use."""

    def __init__(
        self,
        pairs: Sequence[tuple[str, str]],
        scrub: ScrubContext,
        prefixes: tuple[str, str],
        max_statement_bytes: int | None,
    ) -> None:
        self.pairs = list(pairs)
        self.scrub = scrub
        self.mapper = PrefixMapper(*prefixes)
        self.max_statement_bytes = max_statement_bytes
        self.tables: dict[str, TableTransform] = {}
        self._profile = ChunkProfile.from_env()
        self._times = ChunkClocks.from_env()

    def run(self, plan: TablePlan, rows: Sequence[Row]) -> ChunkResult:
        if self._profile is None:
            return self._run(plan, rows)
        with self._profile:
            return self._run(plan, rows)

    def flush_profile(self) -> None:
        if self._profile is not None:
            self._profile.dump()
        if self._times is not None:
            self._times.dump()

    def _run(self, plan: TablePlan, rows: Sequence[Row]) -> ChunkResult:
        times = self._times
        started = time.process_time() if times is not None else 0.0
        transform = self.tables.get(plan.source)
        if transform is None:
            transform = self.tables[plan.source] = TableTransform(
                plan, self.pairs, self.scrub, self.mapper
            )
            if times is not None:
                times.clock_rewrites(transform)
        before = transform.stats()
        out = transform.apply(rows)
        delta = transform.stats().since(before)
        transformed = time.process_time() if times is not None else 0.0
        statements: list[tuple[bytes, int]] = []
        if self.max_statement_bytes is not None:
            statements = list(
                insert_statements(
                    plan.shadow,
                    plan.columns,
                    out,
                    binary_columns=plan.binary,
                    max_bytes=self.max_statement_bytes,
                )
            )
        if times is not None:
            times.chunk(len(rows), transformed - started, time.process_time() - transformed)
        return ChunkResult(statements, delta)


_WORKER: _Transforms | None = None


def _init_worker(
    pairs: Sequence[tuple[str, str]],
    scrub: ScrubContext,
    prefixes: tuple[str, str],
    max_statement_bytes: int | None,
    parent: int,
) -> None:
    global _WORKER
    _WORKER = _Transforms(pairs, scrub, prefixes, max_statement_bytes)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    # Every chunk arrives as thousands of new tuples, which the cyclic collector tracks:
    # keep what start-up loaded out of its walks, and let it run less often (a worker
    # makes few cycles, and each chunk's objects are gone when its result is sent).
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _exit_with(parent: int) -> None:
    """End this worker when the refresh that started it is gone (even by kill -9):
    its queues never close, so nothing else would end it."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _work(plan: TablePlan, rows: Sequence[Row]) -> ChunkResult:
    assert _WORKER is not None
    return _WORKER.run(plan, rows)


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that does not import the program's main module first.

    A spawned process runs the parent's main module again before it does anything
    (so that functions defined there can be unpickled): for the ``parity`` command that
    is the whole CLI, about 2 s of CPU per worker, and a script that runs a refresh would
    need an ``if __name__ == "__main__":`` guard. Workers only run this module's
    functions, so the parent's ``__main__`` is hidden while the process is started (the
    start-up data is gathered then, in this thread).
    """

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = _BARE_MAIN
        try:
            return multiprocessing.context.SpawnProcess._Popen(process_obj)
        finally:
            sys.modules["__main__"] = main


_BARE_MAIN = types.ModuleType("__main__")


class _SpawnContext(multiprocessing.context.SpawnContext):
    """spawn, with :class:`_WorkerProcess` processes."""

    Process = _WorkerProcess


class _Done:
    """A finished result, shaped like a Future (for the in-process path)."""

    def __init__(self, value: ChunkResult) -> None:
        self._value = value

    def result(self) -> ChunkResult:
        return self._value


class ChunkTransformer:
    """Transforms chunks in-process or in ``workers`` processes; ``submit`` returns a handle
    whose ``result()`` gives the :class:`ChunkResult`.

    ``max_statement_bytes=None`` builds no statements (dry run).
    """

    def __init__(
        self,
        pairs: Sequence[tuple[str, str]],
        scrub: ScrubContext,
        prefixes: tuple[str, str],
        *,
        workers: int,
        max_statement_bytes: int | None,
    ) -> None:
        self.workers = workers
        self._local: _Transforms | None = None
        self._pool: ProcessPoolExecutor | None = None
        args = (list(pairs), scrub, prefixes, max_statement_bytes)
        if workers > 0:
            # spawn, not fork: the parent has threads (lease renewal, writer) and open
            # connections that a forked child must not inherit.
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=_SpawnContext(),
                initializer=_init_worker,
                initargs=(*args, os.getpid()),
            )
        else:
            self._local = _Transforms(*args)

    @property
    def depth(self) -> int:
        """How many chunks to keep in flight: enough to keep every worker busy, few
        enough to bound memory."""
        return self.workers + 1

    def submit(self, plan: TablePlan, rows: Sequence[Row]) -> Future[ChunkResult] | _Done:
        """Transform ``rows`` of ``plan``'s table (in order with earlier submissions)."""
        if self._pool is not None:
            return self._pool.submit(_work, plan, rows)
        assert self._local is not None
        return _Done(self._local.run(plan, rows))

    def close(self) -> None:
        """Stop the worker processes (pending chunks are dropped)."""
        if self._local is not None:
            self._local.flush_profile()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
