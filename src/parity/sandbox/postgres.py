"""The sandbox's private PostgreSQL cluster: a state store that several workers share.

PostgreSQL refuses to run as root, so the cluster belongs to the ``postgres`` system user
(Debian's package creates it) and every program of it is started through ``runuser``.
Its data directory cannot live in the state directory (root's, mode 0700, which postgres
may not enter), so it lives in postgres's home, named by the sandbox's tag::

    /var/lib/postgresql/parity-sandbox/<tag>/data      the cluster (initdb), its socket
    /var/lib/postgresql/parity-sandbox/<tag>/server.log
    <state>/postgres/password                          role parity's password (0600)

    server = Postgres(layout, port=5532)
    server.start()                  # initdb the first time, then pg_ctl start -w
    server.url()                    # postgresql+psycopg://parity:…@127.0.0.1:5532/parity
    server.create_database("t1")    # a throwaway database (tests)
    server.stop()                   # fast shutdown: open sessions do not hold it up

The cluster trades durability for speed (``fsync=off``): it is a sandbox.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.errors import SandboxError
from parity.sandbox.layout import Layout
from parity.sandbox.processes import (
    is_alive,
    last_log_line,
    port_is_free,
    stop_processes,
    wait_until,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["DEFAULT_POSTGRES_PORT", "Postgres", "find_postgres_bin"]

#: The sandbox's PostgreSQL port without an offset (Debian's own cluster has 5432).
DEFAULT_POSTGRES_PORT = 5532

_ROLE = "parity"
_DATABASE = "parity"
_OS_USER = "postgres"
_START_TIMEOUT = 60
_SERVER_OPTIONS = (
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
    "-c shared_buffers=32MB",
)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_postgres_bin(root: Path = Path("/usr/lib/postgresql")) -> Path | None:
    """The ``bin`` folder of the newest PostgreSQL Debian installed (has initdb), or None.

    >>> find_postgres_bin(Path("/nonexistent")) is None
    True
    """
    found = []
    for initdb in root.glob("*/bin/initdb"):
        version = initdb.parent.parent.name
        if version.isdigit():
            found.append((int(version), initdb.parent))
    return max(found)[1] if found else None


def _as_postgres() -> tuple[int, int, Path]:
    try:
        entry = pwd.getpwnam(_OS_USER)
    except KeyError:
        raise SandboxError(
            "there is no 'postgres' system user to run PostgreSQL as",
            hint="install Debian's postgresql package (apt-get install postgresql)",
        ) from None
    return entry.pw_uid, entry.pw_gid, Path(entry.pw_dir)


class Postgres:
    """Start, stop and use the sandbox's private PostgreSQL cluster."""

    name = "postgres"

    def __init__(self, layout: Layout, port: int, *, bin_dir: Path | None = None) -> None:
        self.layout = layout
        self.port = port
        self._bin_dir = bin_dir

    # -- where things are
    @property
    def bin_dir(self) -> Path:
        """The folder of initdb, pg_ctl and postgres."""
        found = self._bin_dir or find_postgres_bin()
        if found is None:
            raise SandboxError(
                "PostgreSQL's programs are not installed (no /usr/lib/postgresql/*/bin/initdb)",
                hint="install Debian's postgresql package (apt-get install postgresql)",
            )
        return found

    @property
    def cluster_dir(self) -> Path:
        """This sandbox's folder in postgres's home (the cluster, its log and socket)."""
        return _as_postgres()[2] / "parity-sandbox" / self.layout.tag

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.cluster_dir / "data"

    @property
    def log_file(self) -> Path:
        """The server's log."""
        return self.cluster_dir / "server.log"

    @property
    def state_dir(self) -> Path:
        """The sandbox's own folder for PostgreSQL (the password, mode 0700)."""
        return self.layout.root / "postgres"

    def password(self) -> str:
        """Role parity's password, generated once (a secret: never print it)."""
        file = self.state_dir / "password"
        try:
            return file.read_text("ascii").strip()
        except FileNotFoundError:
            pass
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        password = secrets.token_urlsafe(24)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(password + "\n")
        return password

    def url(self, database: str = _DATABASE) -> str:
        """The SQLAlchemy URL of ``database`` as role parity (it holds the password)."""
        return f"postgresql+psycopg://{_ROLE}:{self.password()}@127.0.0.1:{self.port}/{database}"

    def display_url(self, database: str = _DATABASE) -> str:
        """:meth:`url` with the password masked, safe to print."""
        return f"postgresql+psycopg://{_ROLE}:***@127.0.0.1:{self.port}/{database}"

    def pid(self) -> int | None:
        """The postmaster's PID when this cluster runs, else None."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0].strip()
        except (OSError, IndexError):
            return None
        if not first.isdigit() or not is_alive(int(first)):
            return None
        try:
            cmdline = Path(f"/proc/{first}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return None
        return int(first) if str(self.data_dir) in cmdline else None

    # -- life cycle
    def _run_as_postgres(self, argv: list[str], what: str) -> None:
        cwd = self.cluster_dir
        with self.log_file.open("ab") as out:
            try:
                done = subprocess.run(
                    ["runuser", "-u", _OS_USER, "--", *argv],
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    timeout=_START_TIMEOUT + 10,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise SandboxError(f"{what} did not finish", hint=f"see {self.log_file}") from None
        if done.returncode != 0:
            raise SandboxError(
                f"{what} failed: {last_log_line(self.log_file)}", hint=f"see {self.log_file}"
            )

    def _make_cluster_dir(self) -> None:
        uid, gid, home = _as_postgres()
        for folder in (home / "parity-sandbox", self.cluster_dir):
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chown(folder, uid, gid)
        self.log_file.touch(mode=0o600, exist_ok=True)
        os.chown(self.log_file, uid, gid)

    def initialise(self) -> None:
        """Create the cluster with role parity (only when it has none)."""
        if (self.data_dir / "PG_VERSION").is_file():
            return
        bin_dir = self.bin_dir
        self._make_cluster_dir()
        uid, gid, _ = _as_postgres()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        pwfile = self.cluster_dir / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(self.password() + "\n")
        os.chown(pwfile, uid, gid)
        try:
            self._run_as_postgres(
                [
                    str(bin_dir / "initdb"),
                    f"--pgdata={self.data_dir}",
                    f"--username={_ROLE}",
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ],
                "initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self) -> int:
        """Start the cluster (initialising it first) and create database parity; its PID."""
        running = self.pid()
        if running is not None:
            return running
        if not port_is_free(self.port):
            raise SandboxError(
                f"port {self.port} (postgres) on 127.0.0.1 is already in use by another program",
                hint="move the sandbox's ports with --port-offset",
            )
        self.initialise()
        self._make_cluster_dir()
        options = " ".join(
            (
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.cluster_dir}",
                *_SERVER_OPTIONS,
            )
        )
        self._run_as_postgres(
            [
                str(self.bin_dir / "pg_ctl"),
                "start",
                f"--pgdata={self.data_dir}",
                f"--log={self.log_file}",
                "--wait",
                f"--timeout={_START_TIMEOUT}",
                "--silent",
                f"--options={options}",
            ],
            f"PostgreSQL on port {self.port}",
        )
        pid = self.pid()
        if pid is None:
            raise SandboxError(
                f"PostgreSQL did not start on port {self.port}: {last_log_line(self.log_file)}",
                hint=f"see {self.log_file}",
            )
        if not self._database_exists(_DATABASE):
            self.create_database(_DATABASE)
        return pid

    def stop(self) -> None:
        """Stop the cluster (fast shutdown: sessions are ended, work is rolled back)."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGINT)
        if not wait_until(lambda: not is_alive(pid), 30, interval=0.05):
            stop_processes([pid])

    def purge(self) -> None:
        """Stop the cluster and remove it, with the sandbox's password file."""
        self.stop()
        with contextlib.suppress(SandboxError):  # no postgres user: no cluster either
            shutil.rmtree(self.cluster_dir, ignore_errors=True)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    # -- databases
    def _admin(self) -> psycopg.Connection[Any]:
        import psycopg  # the driver only when a database is used

        try:
            return psycopg.connect(
                host="127.0.0.1",
                port=self.port,
                user=_ROLE,
                password=self.password(),
                dbname="postgres",
                autocommit=True,
                connect_timeout=10,
            )
        except psycopg.Error as exc:
            raise SandboxError(
                f"cannot log in to the sandbox's PostgreSQL on port {self.port}:"
                f" {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}",
                hint=f"see {self.log_file}",
            ) from None

    def _database_exists(self, name: str) -> bool:
        with self._admin() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        return row is not None

    def create_database(self, name: str) -> str:
        """Create the empty database ``name`` (lower-case letters, digits, _); its URL."""
        if not _NAME.match(name):
            raise SandboxError(f"{name!r} is not a database name parity creates")
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER {_ROLE} TEMPLATE template0')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop the database ``name`` (its sessions are ended first)."""
        if not _NAME.match(name):
            raise SandboxError(f"{name!r} is not a database name parity creates")
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
