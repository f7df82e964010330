"""An environment's MySQL/MariaDB database: read, stream and (when allowed) write.

Reads never need permission. Every write path (``transaction()``, ``execute()``) passes
the write guard first, and a protected environment's session is also opened read-only,
so the server refuses a write even if one slipped past the guard.

Example::

    with Database.connect(settings.environment("staging")) as db:
        for table in db.tables():
            for rows in db.stream(table, chunk_size=2000):
                ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import MySQLdb
import MySQLdb.cursors

from parity.config import EnvironmentSettings
from parity.errors import DatabaseError, DatabaseUnreachable
from parity.targets.guard import ensure_writable

__all__ = ["Database", "Row", "quote_identifier"]

log = logging.getLogger(__name__)

Row = tuple[Any, ...]

CONNECT_TIMEOUT_S = 5
_UNREACHABLE = {2002, 2003, 2005, 2006, 2013}
_ACCESS_DENIED = {1044, 1045, 1698}


def quote_identifier(name: str) -> str:
    """Quote a table or column name for MySQL (backticks, doubled inside).

    >>> quote_identifier("wp_posts")
    '`wp_posts`'
    """
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class TableInfo:
    """A table's name and primary key columns (empty when it has none)."""

    name: str
    primary_key: tuple[str, ...]


class Database:
    """A connection to one environment's database."""

    def __init__(self, env: EnvironmentSettings, connection: Any) -> None:
        self.env = env
        # mysqlclient's stubs leave most methods untyped: hold the connection as Any.
        self._conn: Any = connection

    # -- opening and closing -------------------------------------------------------

    @classmethod
    def connect(
        cls, env: EnvironmentSettings, *, timeout: int = CONNECT_TIMEOUT_S, raw: bool = False
    ) -> Database:
        """Open a connection; errors name host and port, never the password.

        ``raw=True`` returns text columns as the bytes stored (what a byte-exact rewrite
        needs) instead of ``str``.
        """
        db = env.db
        kwargs: dict[str, Any] = {
            "user": db.user,
            "password": db.password.get_secret_value(),
            "database": db.database,
            "charset": "utf8mb4",
            "connect_timeout": timeout,
            "autocommit": True,
            "use_unicode": not raw,
        }
        if db.socket:
            kwargs["unix_socket"] = db.socket
        else:
            kwargs["host"] = db.host
            kwargs["port"] = db.port
        try:
            conn = MySQLdb.connect(**kwargs)
        except MySQLdb.MySQLError as exc:
            raise _translate(exc, env) from None
        database = cls(env, conn)
        if env.protected:
            # Belt and braces: the server itself refuses writes on this session.
            database._run("SET SESSION TRANSACTION READ ONLY")
        return database

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._conn.open:
            self._conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
        """Run a read statement and return every row."""
        with self._cursor() as cur:
            self._execute(cur, sql, params)
            return list(cur.fetchall())

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def tables(self, prefix: str | None = None) -> list[str]:
        """Base tables whose name starts with ``prefix`` (default: the table prefix)."""
        prefix = self.env.table_prefix if prefix is None else prefix
        like = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
        rows = self.query(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            " AND table_name LIKE %s ORDER BY table_name",
            [like],
        )
        return [str(r[0]) for r in rows]

    def primary_key(self, table: str) -> tuple[str, ...]:
        """The primary key columns of ``table`` in key order (empty when none)."""
        rows = self.query(
            "SELECT column_name FROM information_schema.statistics"
            " WHERE table_schema = DATABASE() AND table_name = %s AND index_name = 'PRIMARY'"
            " ORDER BY seq_in_index",
            [table],
        )
        return tuple(str(r[0]) for r in rows)

    def columns(self, table: str) -> list[str]:
        """The column names of ``table`` in table order."""
        rows = self.query(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [str(r[0]) for r in rows]

    def stream(
        self, table: str, *, chunk_size: int = 2000, columns: Sequence[str] | None = None
    ) -> Iterator[list[Row]]:
        """Yield the rows of ``table`` in primary-key order, ``chunk_size`` at a time.

        One unbuffered query: memory holds one chunk, whatever the table's size. A table
        without a primary key is streamed in storage order.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        cols = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
        pk = self.primary_key(table)
        order = f" ORDER BY {', '.join(quote_identifier(c) for c in pk)}" if pk else ""
        sql = f"SELECT {cols} FROM {quote_identifier(table)}{order}"
        cur = self._conn.cursor(MySQLdb.cursors.SSCursor)
        try:
            self._execute(cur, sql, None)
            while True:
                try:
                    rows = cur.fetchmany(chunk_size)
                except MySQLdb.MySQLError as exc:
                    raise _translate(exc, self.env) from None
                if not rows:
                    break
                yield list(rows)
        finally:
            cur.close()

    # -- writing (always through the guard) ---------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None, *, action: str) -> int:
        """Run one write statement outside a transaction; returns affected rows."""
        ensure_writable(self.env, action)
        with self._cursor() as cur:
            return self._execute(cur, sql, params)

    @contextmanager
    def transaction(self, *, action: str) -> Iterator[Writer]:
        """A transaction for writes: committed on success, rolled back on any error."""
        ensure_writable(self.env, action)
        self._run("START TRANSACTION")
        writer = Writer(self)
        try:
            yield writer
        except BaseException:
            try:
                self._conn.rollback()
            except MySQLdb.MySQLError:
                log.warning("rollback failed on %s", self.env.name)
            raise
        else:
            try:
                self._conn.commit()
            except MySQLdb.MySQLError as exc:
                raise _translate(exc, self.env) from None

    # -- internals -----------------------------------------------------------------

    def _cursor(self) -> Any:
        return self._conn.cursor()

    def _run(self, sql: str) -> None:
        with self._cursor() as cur:
            self._execute(cur, sql, None)

    def _execute(self, cur: Any, sql: str, params: Any) -> int:
        try:
            return int(cur.execute(sql, params))
        except MySQLdb.MySQLError as exc:
            raise _translate(exc, self.env) from None


class Writer:
    """Statements inside one open transaction (handed out by ``Database.transaction``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> int:
        """Run one statement; returns the affected row count."""
        with self._db._cursor() as cur:
            return self._db._execute(cur, sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement for many rows (INSERTs are folded into multi-row ones)."""
        if not rows:
            return 0
        with self._db._cursor() as cur:
            try:
                return int(cur.executemany(sql, rows) or 0)
            except MySQLdb.MySQLError as exc:
                raise _translate(exc, self._db.env) from None


def _translate(exc: MySQLdb.MySQLError, env: EnvironmentSettings) -> DatabaseError:
    """A parity error for a driver error: names host and port, never the password."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    where = env.db.where()
    if code in _UNREACHABLE:
        return DatabaseUnreachable(
            f"database of {env.name} at {where} did not answer",
            hint="is the server running and the host/port in parity.toml right?",
        )
    if code in _ACCESS_DENIED:
        return DatabaseError(
            f"database of {env.name} at {where} refused user {env.db.user!r}"
            f" for database {env.db.database!r}",
            hint="check the user and password in the db URL",
        )
    if code == 1049:
        return DatabaseError(f"database {env.db.database!r} does not exist at {where}")
    detail = str(exc.args[1]) if len(exc.args) > 1 else exc.__class__.__name__
    return DatabaseError(f"database of {env.name} at {where}: {detail}")
