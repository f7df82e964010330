"""The sandbox's optional services: ``parity sandbox up --with redis,postgres``.

Redis (the broker of Celery workers) and PostgreSQL (a state store several workers
share) start beside MariaDB, on ports moved by the same offset as the sandbox's others
(default 6479 and 5532; ``--port-offset 100`` gives 6579 and 5632). When they run, the
sandbox's parity.toml gets ``[state] url`` and ``[jobs] broker`` pointing at them, so
``parity worker`` and ``--on celery`` work against the sandbox as they are::

    services = SandboxServices(layout, ports)
    services.start(parse_services("redis,postgres"))
    services.status()      # [{name, pid, running, port, url (masked)}]
    services.stop()
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import ConfigError
from parity.sandbox.layout import Layout
from parity.sandbox.ports import SandboxPorts
from parity.sandbox.postgres import DEFAULT_POSTGRES_PORT, Postgres
from parity.sandbox.redis import DEFAULT_REDIS_PORT, Redis
from parity.sandbox.state import write_private

__all__ = ["SERVICES", "SandboxServices", "ServiceStatus", "parse_services"]

#: The services ``--with`` accepts, in the order they start.
SERVICES: tuple[str, ...] = ("redis", "postgres")

# What `up --with` adds to the generated parity.toml (kept apart from the file's own text).
_CONFIG_MARK = "# added by `parity sandbox up --with`"


def parse_services(text: str | None) -> tuple[str, ...]:
    """``"redis,postgres"`` -> ("redis", "postgres"); an unknown name is a ConfigError.

    >>> parse_services("postgres, redis")
    ('redis', 'postgres')
    >>> parse_services(None)
    ()
    """
    if not text:
        return ()
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(SERVICES))
    if unknown:
        raise ConfigError(
            f"--with: unknown service {unknown[0]!r} (known: {', '.join(SERVICES)})",
            hint="for example: parity sandbox up --with redis,postgres",
        )
    return tuple(name for name in SERVICES if name in names)


@dataclass(frozen=True)
class ServiceStatus:
    """One optional service as ``status`` shows it (the URL's password masked)."""

    name: str
    pid: int | None
    port: int
    url: str

    @property
    def running(self) -> bool:
        """Whether it runs."""
        return self.pid is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "pid": self.pid,
            "running": self.running,
            "port": self.port,
            "url": self.url,
        }


class SandboxServices:
    """Redis and PostgreSQL of one sandbox, on ports moved like the sandbox's others."""

    def __init__(self, layout: Layout, ports: SandboxPorts) -> None:
        self.layout = layout
        offset = ports.mariadb - SandboxPorts().mariadb
        self.redis = Redis(layout, DEFAULT_REDIS_PORT + offset)
        self.postgres = Postgres(layout, DEFAULT_POSTGRES_PORT + offset)

    def _all(self) -> tuple[Redis | Postgres, ...]:
        return (self.redis, self.postgres)

    def start(self, names: Iterable[str]) -> None:
        """Start the named services that do not run yet."""
        wanted = set(names)
        for service in self._all():
            if service.name in wanted:
                service.start()

    def running(self) -> list[str]:
        """The names of the services that run now."""
        return [service.name for service in self._all() if service.pid() is not None]

    def status(self) -> list[ServiceStatus]:
        """Each service that runs or was started here before."""
        shown = []
        for service in self._all():
            pid = service.pid()
            if pid is None and not self._was_started(service):
                continue
            shown.append(ServiceStatus(service.name, pid, service.port, service.display_url()))
        return shown

    def _was_started(self, service: Redis | Postgres) -> bool:
        folder = service.folder if isinstance(service, Redis) else service.state_dir
        return folder.is_dir()

    def stop(self) -> None:
        """Stop whichever runs."""
        for service in self._all():
            service.stop()

    def purge(self) -> None:
        """Stop them and remove what they made (PostgreSQL's cluster included)."""
        for service in self._all():
            if self._was_started(service) or service.pid() is not None:
                service.purge()

    def add_to_config(self, config_file: Path) -> None:
        """Point the sandbox's parity.toml at the running services (mode 0600 kept)."""
        running = self.running()
        if not running or not config_file.is_file():
            return
        text = config_file.read_text("utf-8").split(f"\n{_CONFIG_MARK}\n")[0].rstrip("\n")
        lines = ["", _CONFIG_MARK]
        if "postgres" in running:
            lines += ["[state]", f"url = {json.dumps(self.postgres.url())}", ""]
        if "redis" in running:
            lines += ["[jobs]", f"broker = {json.dumps(self.redis.url())}", ""]
        write_private(config_file, text + "\n" + "\n".join(lines))
