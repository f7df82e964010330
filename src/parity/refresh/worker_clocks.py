"""Where a refresh worker's time goes (for benchmarks; off by default).

``PARITY_REFRESH_PROFILE=<dir>`` profiles each worker process (and the in-process
transformer) with cProfile into ``<dir>/refresh-worker-<pid>.prof`` (read them with
``pstats``), written every few seconds and when the transformer closes;
``PARITY_REFRESH_TIMES=<dir>`` only clocks the CPU time spent in the rewrite engine, in
the rest of the row transform and in building statements, into
``<dir>/refresh-times-<pid>.json`` after every chunk (cProfile inflates the engine's
Python parts; the clocks add about a microsecond per value).
"""

from __future__ import annotations

import cProfile
import json
import os
import time

from parity.refresh.transform import TableTransform

__all__ = ["PROFILE_ENV", "TIMES_ENV", "ChunkClocks", "ChunkProfile"]

PROFILE_ENV = "PARITY_REFRESH_PROFILE"
TIMES_ENV = "PARITY_REFRESH_TIMES"


class ChunkProfile:
    """cProfile around each chunk, dumped to a file every few seconds (a pool's worker
    processes end without running exit handlers)."""

    def __init__(self, folder: str) -> None:
        self._path = os.path.join(folder, f"refresh-worker-{os.getpid()}.prof")
        self._profiler = cProfile.Profile()
        self._dumped = time.monotonic()

    @classmethod
    def from_env(cls) -> ChunkProfile | None:
        folder = os.environ.get(PROFILE_ENV)
        return cls(folder) if folder else None

    def __enter__(self) -> None:
        self._profiler.enable()

    def __exit__(self, *exc: object) -> None:
        self._profiler.disable()
        if time.monotonic() - self._dumped > 2.0:
            self.dump()

    def dump(self) -> None:
        self._profiler.dump_stats(self._path)
        self._dumped = time.monotonic()


class ChunkClocks:
    """CPU seconds of one process: in the rewrite engine, in the whole row transform
    (the engine included), in building statements."""

    def __init__(self, folder: str) -> None:
        self._path = os.path.join(folder, f"refresh-times-{os.getpid()}.json")
        self.totals = {"chunks": 0, "rows": 0, "rewrite": 0.0, "transform": 0.0, "statements": 0.0}

    @classmethod
    def from_env(cls) -> ChunkClocks | None:
        folder = os.environ.get(TIMES_ENV)
        return cls(folder) if folder else None

    def clock_rewrites(self, transform: TableTransform) -> None:
        """Make ``transform`` add the CPU time of each rewrite call to the totals."""
        rewriter = transform.rewriter
        if rewriter is None:
            return
        inner = rewriter.rewrite
        clock = time.process_time
        totals = self.totals

        def rewrite(value: bytes, *, where: str | None = None) -> bytes:
            started = clock()
            try:
                return inner(value, where=where)
            finally:
                totals["rewrite"] += clock() - started

        rewriter.rewrite = rewrite  # type: ignore[method-assign]

    def chunk(self, rows: int, transform: float, statements: float) -> None:
        self.totals["chunks"] += 1
        self.totals["rows"] += rows
        self.totals["transform"] += transform
        self.totals["statements"] += statements
        self.dump()  # a pool's workers end without exit handlers: keep the file current

    def dump(self) -> None:
        with open(self._path, "w", encoding="utf-8") as handle:
            json.dump(self.totals, handle)
