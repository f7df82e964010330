"""The TCP ports a sandbox listens on (all on 127.0.0.1), and how to override them.

Every port has a default; ``SandboxPorts.with_offset(100)`` moves them all at once
(3506, 8501/8502, 8181/8182, 6191/6192), so a second sandbox can run beside the first::

    ports = SandboxPorts.with_offset(100)
    ports.production_varnish   # 8181
    SandboxPorts(mariadb=3407)  # only one port changed
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from parity.errors import SandboxError

__all__ = ["PORT_OPTIONS", "SandboxPorts"]

#: The command-line option that changes each port (named in "port in use" errors).
PORT_OPTIONS: dict[str, str] = {
    "mariadb": "--mariadb-port",
    "production_nginx": "--production-nginx-port",
    "production_varnish": "--production-port",
    "production_varnish_admin": "--production-admin-port",
    "staging_nginx": "--staging-nginx-port",
    "staging_varnish": "--staging-port",
    "staging_varnish_admin": "--staging-admin-port",
}


@dataclass(frozen=True)
class SandboxPorts:
    """The ports of one sandbox; the Varnish ports are the sites' public URLs."""

    mariadb: int = 3406
    production_nginx: int = 8401
    production_varnish: int = 8081
    production_varnish_admin: int = 6091
    staging_nginx: int = 8402
    staging_varnish: int = 8082
    staging_varnish_admin: int = 6092

    def __post_init__(self) -> None:
        values = self.as_dict()
        for name, port in values.items():
            if not isinstance(port, int) or not 1 <= port <= 65535:
                raise SandboxError(
                    f"port {port!r} for {describe(name)} is not a TCP port (1-65535)",
                    hint=f"change it with {PORT_OPTIONS[name]}",
                )
        seen: dict[int, str] = {}
        for name, port in values.items():
            if port in seen:
                raise SandboxError(
                    f"port {port} is given to both {describe(seen[port])} and {describe(name)}",
                    hint=f"change one with {PORT_OPTIONS[seen[port]]} or {PORT_OPTIONS[name]}",
                )
            seen[port] = name

    @classmethod
    def with_offset(cls, offset: int, **overrides: int) -> SandboxPorts:
        """Every default port plus ``offset``, then the individual ``overrides``.

        >>> SandboxPorts.with_offset(100, mariadb=4000).production_nginx
        8501
        """
        moved = {name: port + offset for name, port in cls().as_dict().items()}
        moved.update(overrides)
        return cls(**moved)

    def with_overrides(self, **overrides: int | None) -> SandboxPorts:
        """A copy with the given ports changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def as_dict(self) -> dict[str, int]:
        """Port name -> number, e.g. ``{"mariadb": 3406, ...}``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SandboxPorts:
        """The ports saved by ``as_dict`` (unknown names are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in known})

    def varnish(self, site: str) -> int:
        """The public (Varnish) port of ``site``."""
        return int(getattr(self, f"{site}_varnish"))

    def varnish_admin(self, site: str) -> int:
        """The Varnish admin (-T) port of ``site``."""
        return int(getattr(self, f"{site}_varnish_admin"))

    def nginx(self, site: str) -> int:
        """The nginx (backend) port of ``site``."""
        return int(getattr(self, f"{site}_nginx"))


def describe(name: str) -> str:
    """A port's field name in words: ``production_varnish_admin`` -> "production varnish admin"."""
    return name.replace("_", " ")
