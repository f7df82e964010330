"""A root session on a local MariaDB over its unix socket: the sandbox's own door.

The local sandbox (never a user's environment: those are reached through
:class:`~parity.targets.database.Database` and its write guard) creates its databases
and users, and seeds its production site, as MariaDB's root, who logs in over the
server's unix socket without a password. The driver stays here, in ``targets/``: its
errors become :class:`~parity.errors.DatabaseError` with the server's own words, and the
sandbox says what it was doing::

    with RootConnection.connect(socket, database="wp_production") as root:
        root.execute("UPDATE wp_options SET option_value = %s WHERE option_name = %s", [v, n])
        root.rows("SELECT option_value FROM wp_options WHERE option_name = %s", ["home"])
        root.commit()
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import MySQLdb

from parity.errors import DatabaseError

__all__ = ["NO_SUCH_TABLE", "RootConnection", "RootSqlError"]

#: Server error codes of "no such database" (1049) and "no such table" (1146).
NO_SUCH_TABLE = frozenset({1049, 1146})
CONNECT_TIMEOUT_S = 5


class RootSqlError(DatabaseError):
    """MariaDB refused a statement of the sandbox's root session."""

    def __init__(self, detail: str, code: int = 0) -> None:
        super().__init__(detail)
        #: The server's error number (0 when the driver gave none).
        self.code = code


def _error(exc: MySQLdb.MySQLError) -> RootSqlError:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    detail = str(exc.args[-1]) if exc.args else exc.__class__.__name__
    return RootSqlError(detail, code)


class RootConnection:
    """A session as MariaDB's root over a unix socket (see the module docstring)."""

    def __init__(self, conn: Any) -> None:
        # mysqlclient's stubs leave most methods untyped: hold the connection as Any.
        self._conn: Any = conn

    @classmethod
    def connect(
        cls, socket: Path | str, *, database: str | None = None, autocommit: bool = True
    ) -> RootConnection:
        """Log in as root over ``socket`` (utf8mb4); RootSqlError when refused."""
        args: dict[str, Any] = {"unix_socket": str(socket), "user": "root"}
        if database is not None:
            args["database"] = database
        try:
            conn = MySQLdb.connect(
                **args, charset="utf8mb4", autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S
            )
        except MySQLdb.MySQLError as exc:
            raise _error(exc) from None
        return cls(conn)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row ``sql`` returns."""
        try:
            with self._conn.cursor() as cur:
                cur.execute(sql, tuple(params))
                return list(cur.fetchall())
        except MySQLdb.MySQLError as exc:
            raise _error(exc) from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        try:
            with self._conn.cursor() as cur:
                cur.execute(sql, tuple(params))
        except MySQLdb.MySQLError as exc:
            raise _error(exc) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run ``sql`` once per row (the driver batches INSERTs)."""
        if not rows:
            return
        try:
            with self._conn.cursor() as cur:
                cur.executemany(sql, [tuple(row) for row in rows])
        except MySQLdb.MySQLError as exc:
            raise _error(exc) from None

    def commit(self) -> None:
        """Commit the transaction."""
        try:
            self._conn.commit()
        except MySQLdb.MySQLError as exc:
            raise _error(exc) from None

    def rollback(self) -> None:
        """Roll the transaction back (quietly, when the session is gone already)."""
        with contextlib.suppress(MySQLdb.MySQLError):  # a dead session rolled back itself
            self._conn.rollback()

    def close(self) -> None:
        """Close the session (safe to call twice)."""
        if self._conn.open:
            self._conn.close()

    def __enter__(self) -> RootConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
