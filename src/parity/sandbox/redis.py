"""The sandbox's private Redis: the broker Celery workers take parity's batches from.

One ``redis-server`` with its own configuration, data, log and pid file in the state
directory, a generated password, and an append-only file so that queued batches survive
a restart of the broker::

    <state>/redis/redis.conf      port, password, appendonly (mode 0600)
    <state>/redis/redis.pid       redis.log   appendonlydir/

    server = Redis(layout, port=6479)
    server.start()
    server.url()                  # redis://:…@127.0.0.1:6479/0 (holds the password)
    server.stop()
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from parity.errors import SandboxError
from parity.sandbox.layout import Layout
from parity.sandbox.processes import (
    is_alive,
    last_log_line,
    listening_ports,
    owned_pid,
    port_is_free,
    spawn_detached,
    stop_processes,
    wait_until,
)

__all__ = ["DEFAULT_REDIS_PORT", "Redis", "find_redis_server"]

#: The sandbox's Redis port without an offset (Debian's own redis-server has 6379).
DEFAULT_REDIS_PORT = 6479

_START_TIMEOUT = 30.0


def find_redis_server(search_path: str | None = None) -> Path | None:
    """The ``redis-server`` program, or None when Debian's redis-server is not installed."""
    found = shutil.which("redis-server", path=search_path)
    return Path(found) if found else None


class Redis:
    """Start and stop the sandbox's Redis."""

    name = "redis"

    def __init__(self, layout: Layout, port: int, *, program: Path | None = None) -> None:
        self.layout = layout
        self.port = port
        self._program = program

    @property
    def folder(self) -> Path:
        """Redis's folder in the state directory (its data, config, log and pid file)."""
        return self.layout.root / "redis"

    @property
    def config_file(self) -> Path:
        """redis.conf (holds the password: mode 0600)."""
        return self.folder / "redis.conf"

    @property
    def pid_file(self) -> Path:
        """redis-server's pid file."""
        return self.folder / "redis.pid"

    @property
    def log_file(self) -> Path:
        """redis-server's log."""
        return self.folder / "redis.log"

    def password(self) -> str:
        """The generated password (a secret: never print it)."""
        file = self.folder / "password"
        try:
            return file.read_text("ascii").strip()
        except FileNotFoundError:
            pass
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        password = secrets.token_urlsafe(24)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(password + "\n")
        return password

    def url(self, db: int = 0) -> str:
        """The broker URL (it holds the password)."""
        return f"redis://:{self.password()}@127.0.0.1:{self.port}/{db}"

    def display_url(self, db: int = 0) -> str:
        """:meth:`url` with the password masked, safe to print."""
        return f"redis://:***@127.0.0.1:{self.port}/{db}"

    def pid(self) -> int | None:
        """redis-server's PID when it runs (ours), else None."""
        # The process title names the config file (proc-title-template below).
        return owned_pid(self.pid_file, str(self.config_file))

    def write_config(self) -> None:
        """Write redis.conf (mode 0600)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        lines = [
            "# written by `parity sandbox up --with redis`",
            f"port {self.port}",
            "bind 127.0.0.1",
            "protected-mode yes",
            f"requirepass {self.password()}",
            "daemonize no",
            f"dir {self.folder}",
            f"pidfile {self.pid_file}",
            f"logfile {self.log_file}",
            'proc-title-template "{title} {listen-addr} {config-file}"',
            # Queued batches survive a restart of the broker.
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
        ]
        fd = os.open(self.config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    def start(self) -> int:
        """Start redis-server (if it does not run yet) and wait until it listens; its PID."""
        running = self.pid()
        if running is not None:
            return running
        program = self._program or find_redis_server()
        if program is None:
            raise SandboxError(
                "redis-server is not installed",
                hint="install Debian's redis-server package (apt-get install redis-server)",
            )
        if not port_is_free(self.port):
            raise SandboxError(
                f"port {self.port} (redis) on 127.0.0.1 is already in use by another program",
                hint="move the sandbox's ports with --port-offset",
            )
        self.write_config()
        pid = spawn_detached([str(program), str(self.config_file)], self.folder / "redis.out")
        ready = wait_until(
            lambda: not is_alive(pid) or self.port in listening_ports([pid]), _START_TIMEOUT
        )
        if not ready or not is_alive(pid):
            raise SandboxError(
                f"Redis did not start on port {self.port}: {last_log_line(self.log_file)}",
                hint=f"see {self.log_file}",
            )
        return pid

    def stop(self) -> None:
        """Stop redis-server (SIGTERM: it writes its append-only file and exits)."""
        pid = self.pid()
        if pid is not None:
            stop_processes([pid])

    def purge(self) -> None:
        """Stop it and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
