"""An environment's MySQL/MariaDB database: read, stream and (when allowed) write.

Reads never need permission. Every write path (``transaction()``, ``execute()``) passes
the write guard first, and a protected environment's session is also opened read-only,
so the server refuses a write even if one slipped past the guard.

Example::

    with Database.connect(settings.environment("staging")) as db:
        for table in db.tables():
            for rows in db.stream(table, chunk_size=2000):
                ...

For copying a whole database byte for byte (``parity refresh``): ``connect(env,
all_bytes=True)`` returns every column as the bytes the server sent (numbers and dates
too), ``snapshot()`` reads from one consistent read-only transaction, and
``open_bulk_writer()`` gives a separate, guarded connection that writes multi-row INSERTs
within ``max_allowed_packet``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import MySQLdb
import MySQLdb.converters
import MySQLdb.cursors

from parity.environments import EnvironmentSettings
from parity.errors import DatabaseError, DatabaseUnreachable
from parity.targets.guard import ProtectedData, ensure_writable, refuse_protected_data
from parity.targets.identity import DataIdentity
from parity.targets.insert_sql import insert_statements, quote_identifier

__all__ = [
    "BulkWriter",
    "ColumnInfo",
    "DataIdentity",
    "Database",
    "Row",
    "ServerIdentity",
    "TableInfo",
    "guard_identity",
    "insert_statements",
    "protected_data",
    "quote_identifier",
]

log = logging.getLogger(__name__)

Row = tuple[Any, ...]

CONNECT_TIMEOUT_S = 5
_UNREACHABLE = {2002, 2003, 2005, 2006, 2013}
_ACCESS_DENIED = {1044, 1045, 1698}
# Column types whose values are bytes with no character set: written as _binary'...'.
_BINARY_TYPES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit"}


def _bytes_only_conversions() -> dict[Any, Any]:
    """mysqlclient's converters without the decoders: every column arrives as bytes."""
    return {k: v for k, v in MySQLdb.converters.conversions.items() if not isinstance(k, int)}


def _text(value: Any) -> str:
    """A metadata value as text, whether the connection returns str or bytes."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8")
    return str(value)


@dataclass(frozen=True)
class TableInfo:
    """A table's name and primary key columns (empty when it has none)."""

    name: str
    primary_key: tuple[str, ...]


@dataclass(frozen=True)
class ColumnInfo:
    """One column: its name, its type (``varchar``, ``longtext``, ``bigint`` ...)."""

    name: str
    data_type: str

    @property
    def is_text(self) -> bool:
        """True for columns that hold text or bytes (where a URL or an address can be)."""
        return self.data_type in _TEXT_TYPES

    @property
    def is_binary(self) -> bool:
        """True for columns without a character set (BLOB, VARBINARY, BIT)."""
        return self.data_type in _BINARY_TYPES


_TEXT_TYPES = {
    "char",
    "varchar",
    "tinytext",
    "text",
    "mediumtext",
    "longtext",
    "json",
    "binary",
    "varbinary",
    "tinyblob",
    "blob",
    "mediumblob",
    "longblob",
    "enum",
    "set",
}


@dataclass(frozen=True)
class ServerIdentity:
    """Which server and schema a connection reached (to tell two environments apart)."""

    hostname: str
    port: int
    datadir: str
    database: str


# What a connection reaches: the server's own global variables (the same whatever host
# spelling, user or socket reached it) and, on a Galera node, its cluster's state UUID.
_IDENTITY_SQL = "SELECT @@hostname, @@port, @@datadir, DATABASE()"
_CLUSTER_SQL = (
    "SELECT variable_value FROM information_schema.global_status"
    " WHERE variable_name = 'WSREP_CLUSTER_STATE_UUID'"
)
PROBE_TIMEOUT_S = 3
_protected_cache: dict[tuple[str, str, str, str], DataIdentity | None] = {}


def _read_identity(query: Callable[[str], list[Row]], prefix: str) -> DataIdentity:
    row = query(_IDENTITY_SQL)[0]
    cluster = query(_CLUSTER_SQL)
    return DataIdentity(
        hostname=_text(row[0]),
        port=int(_text(row[1])),
        datadir=_text(row[2]),
        database=_text(row[3]) if row[3] is not None else "",
        table_prefix=prefix,
        cluster=_text(cluster[0][0]) if cluster and cluster[0][0] else "",
    )


def _address(env: EnvironmentSettings) -> tuple[str | None, str, int]:
    return (env.db.socket, env.db.host, env.db.port)


def protected_data(env: EnvironmentSettings) -> list[ProtectedData]:
    """What every protected environment of ``env``'s config holds, asked of its server.

    Each protected server is asked once per process, read-only, with a short timeout;
    when it cannot be asked, its configured address stands in (see ProtectedData).
    """
    found = []
    for peer in env.protected_peers:
        key = (peer.name, peer.db.where(), peer.db.user, peer.db.database)
        if key not in _protected_cache:
            try:
                conn = _open(peer, timeout=PROBE_TIMEOUT_S, raw=False, all_bytes=False)
            except DatabaseError as exc:
                log.warning(
                    "could not ask %s's server who it is (%s); comparing configured"
                    " addresses instead",
                    peer.name,
                    exc.one_line(),
                )
                _protected_cache[key] = None
            else:
                try:
                    probe = Database(peer, conn)
                    probe._run("SET SESSION TRANSACTION READ ONLY")
                    _protected_cache[key] = probe.data_identity()
                finally:
                    conn.close()
        found.append(
            ProtectedData(
                name=peer.name,
                identity=_protected_cache[key],
                address=_address(peer),
                database=peer.db.database,
                table_prefix=peer.table_prefix,
            )
        )
    return found


def guard_identity(
    env: EnvironmentSettings, target: str, action: str, reached: DataIdentity
) -> None:
    """Refuse a write that reaches a protected environment's data (see the guard)."""
    refuse_protected_data(target, action, reached, _address(env), protected_data(env))


class Database:
    """A connection to one environment's database."""

    def __init__(self, env: EnvironmentSettings, connection: Any) -> None:
        self.env = env
        # mysqlclient's stubs leave most methods untyped: hold the connection as Any.
        self._conn: Any = connection
        self._identity_cleared = False

    # -- opening and closing -------------------------------------------------------

    @classmethod
    def connect(
        cls,
        env: EnvironmentSettings,
        *,
        timeout: int = CONNECT_TIMEOUT_S,
        raw: bool = False,
        all_bytes: bool = False,
    ) -> Database:
        """Open a connection; errors name host and port, never the password.

        ``raw=True`` returns text columns as the bytes stored (what a byte-exact rewrite
        needs) instead of ``str``. ``all_bytes=True`` also returns numbers, dates and
        every other column as the bytes the server sent, so a row can be written back
        exactly as it was read (and no time is spent converting it).
        """
        database = cls(env, _open(env, timeout=timeout, raw=raw or all_bytes, all_bytes=all_bytes))
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

    def show_create_table(self, table: str) -> str:
        """The ``CREATE TABLE`` statement of ``table``, as the server prints it."""
        rows = self.query(f"SHOW CREATE TABLE {quote_identifier(table)}")
        return _text(rows[0][1])

    def column_info(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` in table order, with their types."""
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [ColumnInfo(_text(r[0]), _text(r[1]).lower()) for r in rows]

    def table_sizes(self) -> dict[str, int]:
        """Bytes (data and indexes, as the server estimates them) of every base table."""
        rows = self.query(
            "SELECT table_name, COALESCE(data_length, 0) + COALESCE(index_length, 0)"
            " FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
        )
        return {_text(r[0]): int(r[1]) for r in rows}

    def all_tables(self) -> list[str]:
        """Every base table of the schema, whatever its prefix."""
        rows = self.query(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        return [_text(r[0]) for r in rows]

    def index_names(self, table: str) -> list[str]:
        """The names of ``table``'s indexes (``PRIMARY`` included)."""
        rows = self.query(
            "SELECT DISTINCT index_name FROM information_schema.statistics"
            " WHERE table_schema = DATABASE() AND table_name = %s",
            [table],
        )
        return [_text(r[0]) for r in rows]

    def data_identity(self) -> DataIdentity:
        """The server, schema and table prefix this connection's writes would reach."""
        return _read_identity(self.query, self.env.table_prefix)

    def ensure_writable(self, action: str) -> None:
        """The write guard for this connection: refuses a protected environment by name,
        and by identity any write that reaches a protected environment's data.

        The identity is checked once per connection, before its first write.
        """
        ensure_writable(self.env, action)
        if not self._identity_cleared:
            guard_identity(self.env, self.env.name, action, self.data_identity())
            self._identity_cleared = True

    def server_identity(self) -> ServerIdentity:
        """Host name, port, data directory and schema of the server this connection reached."""
        row = self.query("SELECT @@hostname, @@port, @@datadir, DATABASE()")[0]
        return ServerIdentity(_text(row[0]), int(row[1]), _text(row[2]), _text(row[3]))

    def max_allowed_packet(self) -> int:
        """The largest statement the server accepts from this session, in bytes."""
        return int(self.scalar("SELECT @@max_allowed_packet"))

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """Every read inside sees one consistent, read-only view of the whole schema.

        ``START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`` at REPEATABLE READ, in
        UTC so TIMESTAMP columns read as they are stored. Ended (rolled back) on exit.
        """
        self._run("SET SESSION time_zone = '+00:00'")
        self._run("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        self._run("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        try:
            yield self
        finally:
            try:
                self._conn.rollback()
            except MySQLdb.MySQLError:
                log.warning("ending the snapshot failed on %s", self.env.name)

    def try_lock(self, name: str) -> bool:
        """Take the server-wide named lock ``name`` (``GET_LOCK``) without waiting.

        The server releases it when this connection ends, even if the process is killed.
        """
        return int(self.scalar("SELECT GET_LOCK(%s, 0)", [name]) or 0) == 1

    def wait_for_lock(self, name: str, timeout_s: int) -> bool:
        """Take the named lock ``name``, waiting up to ``timeout_s`` for its holder to end.

        Like :meth:`try_lock`, the server releases it when this connection ends.
        """
        return int(self.scalar("SELECT GET_LOCK(%s, %s)", [name, timeout_s]) or 0) == 1

    def lock_in_use(self, name: str) -> bool:
        """True when some session of this server holds the named lock ``name``."""
        return self.scalar("SELECT IS_USED_LOCK(%s)", [name]) is not None

    def release_lock(self, name: str) -> None:
        """Give back a named lock taken with :meth:`try_lock`."""
        self.scalar("SELECT RELEASE_LOCK(%s)", [name])

    def open_bulk_writer(
        self, *, action: str, max_statement_bytes: int = 4 * 1024 * 1024
    ) -> BulkWriter:
        """A second connection to this environment for fast bulk writes (guarded).

        Refused on a protected environment. See :class:`BulkWriter`.
        """
        self.ensure_writable(action)
        conn = _open(self.env, timeout=CONNECT_TIMEOUT_S, raw=True, all_bytes=True)
        return BulkWriter(self.env, conn, action=action, max_statement_bytes=max_statement_bytes)

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
        return [_text(r[0]) for r in rows]

    def primary_key(self, table: str) -> tuple[str, ...]:
        """The primary key columns of ``table`` in key order (empty when none)."""
        rows = self.query(
            "SELECT column_name FROM information_schema.statistics"
            " WHERE table_schema = DATABASE() AND table_name = %s AND index_name = 'PRIMARY'"
            " ORDER BY seq_in_index",
            [table],
        )
        return tuple(_text(r[0]) for r in rows)

    def columns(self, table: str) -> list[str]:
        """The column names of ``table`` in table order."""
        rows = self.query(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [_text(r[0]) for r in rows]

    def stream(
        self,
        table: str,
        *,
        chunk_size: int = 2000,
        columns: Sequence[str] | None = None,
        where: str | None = None,
        params: Sequence[Any] | None = None,
        primary_key: Sequence[str] | None = None,
    ) -> Iterator[list[Row]]:
        """Yield the rows of ``table`` in primary-key order, ``chunk_size`` at a time.

        One unbuffered query: memory holds one chunk, whatever the table's size. A table
        without a primary key is streamed in storage order. ``where`` (with ``%s``
        ``params``) filters rows; ``primary_key`` saves looking the key up again.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        cols = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
        pk = self.primary_key(table) if primary_key is None else tuple(primary_key)
        order = f" ORDER BY {', '.join(quote_identifier(c) for c in pk)}" if pk else ""
        filter_sql = f" WHERE {where}" if where else ""
        sql = f"SELECT {cols} FROM {quote_identifier(table)}{filter_sql}{order}"
        cur = self._conn.cursor(MySQLdb.cursors.SSCursor)
        try:
            self._execute(cur, sql, params)
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
        self.ensure_writable(action)
        with self._cursor() as cur:
            return self._execute(cur, sql, params)

    @contextmanager
    def transaction(self, *, action: str) -> Iterator[Writer]:
        """A transaction for writes: committed on success, rolled back on any error."""
        self.ensure_writable(action)
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


class BulkWriter:
    """A separate connection that writes many rows fast, for one guarded action.

    The session skips foreign-key and unique checks (the rows come from a consistent
    copy that already satisfied them), keeps zero dates and explicit zero ids
    (``NO_AUTO_VALUE_ON_ZERO``) and uses UTC, like a mysqldump restore. Each INSERT is
    its own transaction (autocommit), so a table always holds a prefix of what was sent.
    Rows must be tuples of bytes (or None), as ``Database.connect(all_bytes=True)`` reads
    them. Every write re-checks the guard.
    """

    def __init__(
        self, env: EnvironmentSettings, connection: Any, *, action: str, max_statement_bytes: int
    ) -> None:
        ensure_writable(env, action)
        self.env = env
        self.action = action
        self._conn: Any = connection
        # This is a connection of its own: check what it reaches before its first write.
        guard_identity(env, env.name, action, _read_identity(self._query, env.table_prefix))
        self._run(
            "SET SESSION foreign_key_checks = 0, unique_checks = 0,"
            " sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'"
        )
        packet = int(self._query("SELECT @@max_allowed_packet")[0][0])
        self.max_statement_bytes = max(16 * 1024, min(max_statement_bytes, packet - 4096))

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._conn.open:
            self._conn.close()

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def execute(self, sql: str | bytes, params: Sequence[Any] | None = None) -> int:
        """Run one statement (DDL, DELETE ...); returns the affected row count."""
        ensure_writable(self.env, self.action)
        with self._conn.cursor() as cur:
            try:
                return int(cur.execute(sql, params))
            except MySQLdb.MySQLError as exc:
                raise _translate(exc, self.env) from None

    def insert_statements(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[bytes | None]],
        *,
        binary_columns: Sequence[bool] | None = None,
    ) -> Iterator[tuple[bytes, int]]:
        """Multi-row ``INSERT`` statements for ``rows`` within this writer's size limit.

        See :func:`insert_statements`; send each with :meth:`send`.
        """
        return insert_statements(
            table,
            columns,
            rows,
            binary_columns=binary_columns,
            max_bytes=self.max_statement_bytes,
        )

    def send(self, statement: bytes) -> int:
        """Run one statement built by :meth:`insert_statements`; returns rows inserted."""
        ensure_writable(self.env, self.action)
        with self._conn.cursor() as cur:
            try:
                return int(cur.execute(statement))
            except MySQLdb.MySQLError as exc:
                raise _translate(exc, self.env) from None

    def _query(self, sql: str) -> list[Row]:
        with self._conn.cursor() as cur:
            try:
                cur.execute(sql)
            except MySQLdb.MySQLError as exc:
                raise _translate(exc, self.env) from None
            return list(cur.fetchall())

    def _run(self, sql: str) -> None:
        self._query(sql)


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


def _open(env: EnvironmentSettings, *, timeout: int, raw: bool, all_bytes: bool) -> Any:
    """A driver connection to ``env``'s database; errors never show the password."""
    db = env.db
    kwargs: dict[str, Any] = {
        "user": db.user,
        "password": db.password.get_secret_value(),
        "database": db.database,
        "charset": "utf8mb4",
        "connect_timeout": timeout,
        "autocommit": True,
        # One statement per call: a value or a check's SQL can never smuggle a second one.
        "multi_statements": False,
        "use_unicode": not raw,
    }
    if all_bytes:
        kwargs["conv"] = _bytes_only_conversions()
    if db.socket:
        kwargs["unix_socket"] = db.socket
    else:
        kwargs["host"] = db.host
        kwargs["port"] = db.port
    try:
        return MySQLdb.connect(**kwargs)
    except MySQLdb.MySQLError as exc:
        raise _translate(exc, env) from None


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
    if code == 1153:
        return DatabaseError(
            f"database of {env.name} at {where} refused a statement larger than its"
            " max_allowed_packet",
            hint="raise max_allowed_packet on the server, or send smaller rows",
        )
    detail = str(exc.args[1]) if len(exc.args) > 1 else exc.__class__.__name__
    return DatabaseError(f"database of {env.name} at {where}: {detail}")
