"""What ``Sandbox.status()`` reports: each process and each site, as data and as JSON."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ProcessStatus", "SandboxStatus", "SiteStatus", "probe_site"]


@dataclass(frozen=True)
class ProcessStatus:
    """One daemon of the sandbox: is it ours and running, and does it listen."""

    name: str
    pid: int | None
    running: bool
    #: TCP ports it should listen on (127.0.0.1).
    ports: tuple[int, ...]
    #: Unix sockets it should listen on.
    sockets: tuple[str, ...]
    #: True when it holds every one of its ports and sockets answer.
    listening: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "name": self.name,
            "pid": self.pid,
            "running": self.running,
            "ports": list(self.ports),
            "sockets": list(self.sockets),
            "listening": self.listening,
        }


@dataclass(frozen=True)
class SiteStatus:
    """One WordPress site, seen from outside through its Varnish URL."""

    name: str
    url: str
    answers: bool
    http_status: int | None
    #: Why it does not answer ("connection refused", "HTTP 502"), empty when it does.
    detail: str
    database: str
    wp_content_dir: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "environment": self.name,
            "url": self.url,
            "answers": self.answers,
            "http_status": self.http_status,
            "detail": self.detail,
            "database": self.database,
            "wp_content_dir": self.wp_content_dir,
        }


@dataclass(frozen=True)
class SandboxStatus:
    """Everything about one sandbox at one moment. Holds no secret."""

    state_dir: Path
    config_path: Path
    processes: tuple[ProcessStatus, ...]
    sites: tuple[SiteStatus, ...]

    @property
    def running(self) -> bool:
        """Every process runs and listens, and every site answers."""
        return all(p.running and p.listening for p in self.processes) and all(
            s.answers for s in self.sites
        )

    @property
    def stopped(self) -> bool:
        """No process of this sandbox runs."""
        return not any(p.running for p in self.processes)

    def process(self, name: str) -> ProcessStatus:
        """The process called ``name`` ("mariadb", "nginx", "varnish-production", ...)."""
        for process in self.processes:
            if process.name == name:
                return process
        raise KeyError(name)

    def site(self, name: str) -> SiteStatus:
        """The site called ``name`` ("production" or "staging")."""
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json`` (stable keys)."""
        return {
            "state_dir": str(self.state_dir),
            "config_path": str(self.config_path),
            "running": self.running,
            "processes": [p.as_dict() for p in self.processes],
            "sites": [s.as_dict() for s in self.sites],
        }


def probe_site(url: str, timeout: float = 5.0) -> tuple[int | None, str]:
    """GET ``url``'s front page: (HTTP status or None, why it failed or "")."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"User-Agent": "parity-sandbox-status"})
        response = conn.getresponse()
        response.read()
    except TimeoutError:
        return None, f"no answer within {timeout:.0f} s"
    except OSError as exc:
        return None, (exc.strerror or str(exc) or exc.__class__.__name__).lower()
    except http.client.HTTPException as exc:
        return None, f"bad HTTP answer ({exc.__class__.__name__})"
    finally:
        conn.close()
    if response.status != 200:
        return response.status, f"HTTP {response.status}"
    return response.status, ""
