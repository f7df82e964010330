"""The cache in front of an environment: purge one route, check the endpoint answers.

A purge is not a data write, so it is allowed on protected environments, but every purge
is logged. ``Purger`` is the interface; Varnish and nginx purge endpoints implement it.
"""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from parity.environments import EnvironmentSettings
from parity.errors import CacheError, ConfigError

__all__ = ["HttpPurger", "Purger", "purger_for"]

log = logging.getLogger(__name__)


class Purger(Protocol):
    """Something that can drop one cached route."""

    def purge(self, path: str) -> int:
        """Purge ``path``; returns the endpoint's HTTP status."""
        ...


class HttpPurger:
    """Purges by sending an HTTP request to the cache with the site's Host header.

    Varnish takes ``PURGE /path`` (matching Host + URL exactly); an nginx purge endpoint
    (ngx_cache_purge) takes ``GET /purge/path``.
    """

    def __init__(
        self,
        env: EnvironmentSettings,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if env.cache is None or env.cache.kind == "none":
            raise ConfigError(f"environment {env.name} has no cache configured")
        self.env = env
        self.kind = env.cache.kind
        self.endpoint = (env.cache.purge_url or env.url).rstrip("/")
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), transport=transport or httpx.HTTPTransport()
        )

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()

    def purge(self, path: str) -> int:
        """Purge one route; raises CacheError when the endpoint refuses or is down."""
        if not path.startswith("/"):
            path = "/" + path
        if self.kind == "nginx":
            method, url = "GET", f"{self.endpoint}/purge{path}"
        else:
            method, url = "PURGE", f"{self.endpoint}{path}"
        host = urlsplit(self.env.url).netloc
        log.info("purge %s %s on %s", method, path, self.env.name)
        try:
            response = self._client.request(method, url, headers={"Host": host})
        except httpx.HTTPError as exc:
            where = urlsplit(self.endpoint).netloc
            raise CacheError(
                f"cache of {self.env.name} at {where} did not answer ({exc.__class__.__name__})"
            ) from None
        if response.status_code in (401, 403, 405):
            raise CacheError(
                f"cache of {self.env.name} refused {method} {path} (HTTP {response.status_code})",
                hint="allow purges from this host in the cache's configuration",
            )
        # 404 from an nginx purge endpoint means "was not cached", which is fine.
        return response.status_code


def purger_for(env: EnvironmentSettings) -> HttpPurger:
    """The purger for an environment's configured cache."""
    return HttpPurger(env)
