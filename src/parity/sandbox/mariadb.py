"""The sandbox's one MariaDB server: its own data dir, socket, port and pid file.

Root logs in over the unix socket (unix_socket authentication, no password); each site
has its own database and user at '127.0.0.1', which is how WordPress and parity connect::

    server = MariaDB(tools, layout, port=3406)
    server.start()                      # initialises the data dir the first time
    with server.session() as db:
        db.ensure_site_database("wp_production", "parity_production", password)
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parity.errors import SandboxError
from parity.sandbox.layout import Layout
from parity.sandbox.packages import Tools
from parity.sandbox.processes import (
    is_alive,
    last_log_line,
    owned_pid,
    spawn_detached,
    unix_socket_answers,
    wait_until,
)
from parity.targets.root_connection import NO_SUCH_TABLE, RootConnection, RootSqlError

__all__ = ["MariaDB", "RootSession"]

_START_TIMEOUT = 30.0
# Small and quick: a sandbox holds two small WordPress databases.
_SERVER_OPTIONS = (
    "--innodb-buffer-pool-size=64M",
    "--innodb-log-file-size=16M",
    "--innodb-flush-log-at-trx-commit=2",
    "--skip-log-bin",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
    "--max-connections=100",
)


class MariaDB:
    """Start, query and identify the sandbox's MariaDB server."""

    name = "mariadb"

    def __init__(
        self, tools: Tools, layout: Layout, port: int, cache_dir: Path | None = None
    ) -> None:
        self.tools = tools
        self.layout = layout
        self.port = port
        self.cache_dir = cache_dir

    def pid(self) -> int | None:
        """The server's PID when it is running (ours), else None."""
        return owned_pid(*self.layout.process_identity(self.name))

    def connect_args(self) -> dict[str, Any]:
        """Where and as whom root logs in (the unix socket; no password)."""
        return {"unix_socket": str(self.layout.mariadb_socket), "user": "root"}

    def initialise(self) -> None:
        """Create the data directory (only when it has none).

        ``mariadb-install-db`` takes most of a cold start, so its result is kept once as a
        pristine template in the cache directory (keyed by the server binary and options)
        and copied from there; without a usable cache it runs into the data dir directly.
        """
        data = self.layout.mariadb_data
        if (data / "mysql").is_dir():
            return
        template = self._template()
        if template is None:
            self._install_db(data)
            return
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(template, data, symlinks=True)

    def _install_db(self, data: Path) -> None:
        data.mkdir(parents=True, exist_ok=True)
        argv = [
            str(self.tools.mariadb_install_db),
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
            *_SERVER_OPTIONS,
        ]
        self.layout.mariadb_dir.mkdir(parents=True, exist_ok=True)
        log = self.layout.mariadb_dir / "install-db.log"
        with log.open("ab") as out:
            done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise SandboxError(
                f"mariadb-install-db failed: {last_log_line(log)}", hint=f"see {log}"
            )

    def _template(self) -> Path | None:
        """The pristine data dir template, built on first use; None if the cache is unusable."""
        if self.cache_dir is None:
            return None
        binary = self.tools.mariadbd.resolve().stat()
        key = hashlib.sha256(
            repr(
                (str(self.tools.mariadbd), binary.st_size, binary.st_mtime_ns, _SERVER_OPTIONS)
            ).encode()
        ).hexdigest()[:12]
        template = self.cache_dir / f"mariadb-datadir-{key}"
        if (template / "mysql").is_dir():
            return template
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            building = Path(tempfile.mkdtemp(prefix=".building-", dir=self.cache_dir))
        except OSError:
            return None
        try:
            self._install_db(building / "data")
            # Renaming a finished build into place is atomic: a template that exists is
            # complete. If another sandbox won the race, use its template.
            try:
                (building / "data").rename(template)
            except OSError:
                if not (template / "mysql").is_dir():
                    return None
        finally:
            shutil.rmtree(building, ignore_errors=True)
        return template

    def start(self) -> int:
        """Start mariadbd (initialising its data dir first) and wait until root can log in."""
        layout = self.layout
        layout.mariadb_dir.mkdir(parents=True, exist_ok=True)
        self.initialise()
        tmp = layout.mariadb_dir / "tmp"
        tmp.mkdir(exist_ok=True)
        layout.mariadb_socket.unlink(missing_ok=True)
        argv = [
            str(self.tools.mariadbd),
            "--no-defaults",
            "--user=root",
            f"--datadir={layout.mariadb_data}",
            f"--socket={layout.mariadb_socket}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            f"--pid-file={layout.mariadb_pid}",
            f"--log-error={layout.mariadb_log}",
            f"--tmpdir={tmp}",
            # Level 2 logs every socket probe of `status` as an aborted connection.
            "--log-warnings=1",
            *_SERVER_OPTIONS,
        ]
        pid = spawn_detached(argv, layout.mariadb_dir / "mariadbd.out")
        ready = wait_until(
            lambda: unix_socket_answers(layout.mariadb_socket) or not is_alive(pid),
            _START_TIMEOUT,
        )
        if not ready or not is_alive(pid):
            raise SandboxError(
                f"MariaDB did not start on port {self.port}: {last_log_line(layout.mariadb_log)}",
                hint=f"see {layout.mariadb_log}",
            )
        return pid

    @contextmanager
    def session(self) -> Iterator[RootSession]:
        """A root session over the unix socket (autocommit), closed afterwards."""
        try:
            conn = RootConnection.connect(self.layout.mariadb_socket)
        except RootSqlError as exc:
            raise SandboxError(
                f"cannot log in to the sandbox's MariaDB as root on {self.layout.mariadb_socket}:"
                f" {exc.message}",
                hint=f"see {self.layout.mariadb_log}",
            ) from None
        try:
            yield RootSession(conn, self.layout.mariadb_log)
        finally:
            conn.close()


class RootSession:
    """What the sandbox itself does in MariaDB as root."""

    def __init__(self, conn: RootConnection, log: Path) -> None:
        self._conn = conn
        self._log = log

    def ensure_site_database(self, database: str, user: str, password: str) -> None:
        """Create ``database`` and ``user``@'127.0.0.1' with all rights on it (idempotent)."""
        statements: list[tuple[str, tuple[str, ...]]] = [
            (
                f"CREATE DATABASE IF NOT EXISTS `{database}`"
                " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                (),
            ),
            ("CREATE USER IF NOT EXISTS %s@'127.0.0.1' IDENTIFIED BY %s", (user, password)),
            # The password in the state file wins, whatever the database remembers.
            ("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, password)),
            (f"GRANT ALL PRIVILEGES ON `{database}`.* TO %s@'127.0.0.1'", (user,)),
        ]
        try:
            for sql, args in statements:
                self._conn.execute(sql, args)
        except RootSqlError as exc:
            raise SandboxError(
                f"cannot create database {database} or user {user}: {exc.message}",
                hint=f"see {self._log}",
            ) from None

    def option(self, database: str, table_prefix: str, name: str) -> str | None:
        """A WordPress option's value, or None when WordPress is not installed there."""
        table = f"`{database}`.`{table_prefix}options`"
        try:
            rows = self._conn.rows(f"SELECT option_value FROM {table} WHERE option_name=%s", [name])
        except RootSqlError as exc:
            if exc.code in NO_SUCH_TABLE:  # WordPress is not installed there (yet)
                return None
            raise SandboxError(f"cannot read {database}: {exc.message}") from None
        return None if not rows else str(rows[0][0])

    def set_options(self, database: str, table_prefix: str, values: dict[str, str]) -> None:
        """Set WordPress options directly (used when a site's port changed)."""
        table = f"`{database}`.`{table_prefix}options`"
        for name, value in values.items():
            self._conn.execute(
                f"UPDATE {table} SET option_value=%s WHERE option_name=%s", (value, name)
            )
