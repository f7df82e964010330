"""A small write load on a scratch table while a DDL runs, and what it saw.

Each of N threads has a connection of its own and loops over INSERT, UPDATE and SELECT
by primary key on the copy (every write through ``Database.execute``, so the write guard
sees it), timing each. A monitor connection polls the process list for sessions waiting
on the table's metadata lock. :meth:`WriteLoad.stop` deletes the rows the load inserted
(so plans compare the same rows) and sums it up: writes done, writes that
waited longer than ``blocked_write_s``, the longest wait, and the longest metadata-lock
wait.

Example::

    with WriteLoad(connect, "prh_ab12_wp_postmeta", threads=4, blocked_write_s=0.5) as load:
        db.execute("ALTER TABLE ...", action="rehearse")
    load.result.longest_stall_s
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from types import TracebackType

from parity.errors import ParityError
from parity.rehearse.model import LoadResult
from parity.targets.database import Database, quote_identifier

__all__ = ["LOAD_ACTION", "WriteLoad", "load_statements"]

log = logging.getLogger(__name__)

LOAD_ACTION = "rehearse write load on a scratch copy"
_POLL_S = 0.05
_PAUSE_S = 0.01


def load_statements(
    table: str, columns: list[str], primary_key: str, auto_increment: bool
) -> dict[str, str]:
    """The INSERT, UPDATE and SELECT of the load on ``table`` (``%s`` is a key value).

    >>> load_statements("t", ["id", "a"], "id", True)["insert"]
    'INSERT IGNORE INTO `t` (`a`) SELECT `a` FROM `t` WHERE `id` = %s'
    """
    q = quote_identifier
    copied = [c for c in columns if not (auto_increment and c == primary_key)]
    touched = next((c for c in columns if c != primary_key), primary_key)
    cols = ", ".join(q(c) for c in copied)
    return {
        "insert": f"INSERT IGNORE INTO {q(table)} ({cols}) SELECT {cols} FROM {q(table)}"
        f" WHERE {q(primary_key)} = %s",
        "update": f"UPDATE {q(table)} SET {q(touched)} = {q(touched)} WHERE {q(primary_key)} = %s",
        "select": f"SELECT * FROM {q(table)} WHERE {q(primary_key)} = %s",
    }


class WriteLoad:
    """``threads`` writers on ``table`` and a metadata-lock monitor, from enter to exit."""

    def __init__(
        self,
        connect: Callable[[], Database],
        table: str,
        *,
        threads: int,
        blocked_write_s: float,
        warm_up_s: float = 0.2,
    ) -> None:
        self._connect = connect
        self.table = table
        self.threads = threads
        self.blocked_write_s = blocked_write_s
        self.warm_up_s = warm_up_s
        self._stop = threading.Event()
        self._flowing = threading.Event()
        self._first_done = 0
        self._lock = threading.Lock()
        self._latencies: list[tuple[str, float, bool]] = []
        self._mdl_wait_s = 0.0
        self._workers: list[threading.Thread] = []
        self.result = LoadResult()
        self._note: str | None = None
        self._statements: dict[str, str] = {}
        self._keys: list[object] = []
        self._cleanup: tuple[str, object] | None = None

    def __enter__(self) -> WriteLoad:
        if self.threads > 0:
            self._prepare()
        if self._statements:
            for n in range(self.threads):
                self._workers.append(threading.Thread(target=self._writer, args=(n,), daemon=True))
            self._workers.append(threading.Thread(target=self._monitor, daemon=True))
            for worker in self._workers:
                worker.start()
            # The load is flowing before the DDL starts: every writer has done a statement
            # (at most ``warm_up_s``, so a writer that cannot connect delays nothing).
            self._flowing.wait(self.warm_up_s)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self) -> None:
        with self._connect() as db:
            pk = db.primary_key(self.table)
            if len(pk) != 1:
                self._note = "no write load: the table has no single-column primary key"
                return
            extra = db.query(
                "SELECT extra FROM information_schema.columns WHERE table_schema = DATABASE()"
                " AND table_name = %s AND column_name = %s",
                [self.table, pk[0]],
            )
            auto = bool(extra) and "auto_increment" in str(extra[0][0]).lower()
            self._keys = [
                r[0]
                for r in db.query(
                    f"SELECT {quote_identifier(pk[0])} FROM {quote_identifier(self.table)}"
                    " LIMIT 500"
                )
            ]
            if not self._keys:
                self._note = "no write load: the table is empty"
                return
            self._statements = load_statements(self.table, db.columns(self.table), pk[0], auto)
            if auto:
                # Rows the load inserts get keys above this one; stop() deletes them, so
                # the plans after the migration see the same rows as before.
                self._cleanup = (
                    f"DELETE FROM {quote_identifier(self.table)}"
                    f" WHERE {quote_identifier(pk[0])} > %s",
                    db.scalar(
                        f"SELECT COALESCE(MAX({quote_identifier(pk[0])}), 0)"
                        f" FROM {quote_identifier(self.table)}"
                    ),
                )

    def _writer(self, n: int) -> None:
        rng = random.Random(n)
        kinds = ("insert", "update", "select")
        try:
            db = self._connect()
        except ParityError as exc:
            log.warning("write load thread %d could not connect: %s", n, exc.one_line())
            return
        with db:
            i = n
            while not self._stop.is_set():
                kind = kinds[i % 3]
                i += 1
                key = rng.choice(self._keys)
                start = time.perf_counter()
                ok = True
                try:
                    if kind == "select":
                        db.query(self._statements[kind], [key])
                    else:
                        db.execute(self._statements[kind], [key], action=LOAD_ACTION)
                except ParityError:
                    ok = False
                with self._lock:
                    self._latencies.append((kind, time.perf_counter() - start, ok))
                    if i == n + 1:
                        self._first_done += 1
                        if self._first_done == self.threads:
                            self._flowing.set()
                self._stop.wait(_PAUSE_S)

    def _monitor(self) -> None:
        try:
            db = self._connect()
        except ParityError:
            return
        like = "%" + self.table.replace("_", "\\_") + "%"
        with db:
            while not self._stop.is_set():
                try:
                    wait_ms = db.scalar(
                        "SELECT MAX(time_ms) FROM information_schema.processlist"
                        " WHERE state LIKE '%%metadata lock%%' AND info LIKE %s",
                        [like],
                    )
                except ParityError:
                    wait_ms = None
                if wait_ms is not None:
                    with self._lock:
                        self._mdl_wait_s = max(self._mdl_wait_s, float(wait_ms) / 1000)
                self._stop.wait(_POLL_S)

    def stop(self) -> LoadResult:
        """End the load (waits for writes still blocked to finish) and sum it up."""
        if not self._stop.is_set():
            self._stop.set()
            for worker in self._workers:
                worker.join()
            if self._cleanup is not None:
                with self._connect() as db:
                    try:
                        db.execute(self._cleanup[0], [self._cleanup[1]], action=LOAD_ACTION)
                    except ParityError as exc:
                        # The DDL may have dropped the key column: then the rows stay.
                        self._note = f"rows the load inserted were kept: {exc.one_line()}"
            writes = [lat for kind, lat, ok in self._latencies if kind != "select" and ok]
            self.result = LoadResult(
                threads=self.threads if self._statements else 0,
                writes=len(writes),
                reads=sum(1 for kind, _, ok in self._latencies if kind == "select" and ok),
                blocked_writes=sum(1 for lat in writes if lat >= self.blocked_write_s),
                failed=sum(1 for _, _, ok in self._latencies if not ok),
                longest_stall_s=round(max((lat for _, lat, _ in self._latencies), default=0.0), 4),
                metadata_lock_wait_s=round(self._mdl_wait_s, 4),
                note=self._note,
            )
        return self.result
