"""One probe of one check, over HTTP through ``parity.targets.site.Site``.

A logged-in probe opens its own ``Site`` (its WordPress session is ended when it
closes); anonymous probes borrow an idle ``Site`` of their environment and give it back,
so their connections are kept alive between probes instead of opened (and two HTTP
clients built) every time. ``Site`` empties the anonymous jar before each request, and a
borrowed site serves one probe at a time. A probe sends the request (twice for
``repeat`` checks, judging the second) and returns what it saw as an ``Observation``. It never
raises for the site's sake: no answer, a deadline passed or a login refused become an
observation with ``error`` set, which fails every condition with the reason.

``{post}`` is resolved once per environment (and again after ``POST_TTL_S``) through the
REST API: the link of the newest post.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from parity.cache.observe import cache_status
from parity.config import Settings
from parity.errors import ParityError
from parity.monitor.conditions import Observation
from parity.monitor.settings import POST_TOKEN, CheckSpec
from parity.targets.site import Site

__all__ = ["IDLE_SITES", "POST_TTL_S", "Probe", "Prober"]
from parity.environments import EnvironmentSettings

#: How long the resolved ``{post}`` route is reused (seconds).
POST_TTL_S = 300.0
#: The largest body a probe reads (conditions look at the page, not at downloads).
PROBE_MAX_BODY = 4 * 1024 * 1024
#: Idle anonymous sites kept per environment (the scheduler's workers each use one).
IDLE_SITES = 8


@dataclass(frozen=True)
class Probe:
    """What a probe saw and the cache status it got (HIT, MISS, PASS or None)."""

    observation: Observation
    cache: str | None
    route: str


class Prober:
    """Probes checks of one configuration's environments."""

    def __init__(
        self,
        settings: Settings,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self.transport = transport
        self.clock = clock
        self._posts: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        # Idle anonymous sites per environment (at most IDLE_SITES each).
        self._idle: dict[str, list[Site]] = {}
        self._closed = False

    def _site(self, env: EnvironmentSettings) -> Site:
        return Site(
            env,
            timeout=self.timeout_s,
            deadline=self.timeout_s,
            max_body=PROBE_MAX_BODY,
            transport=self.transport,
        )

    def _borrow(self, env: EnvironmentSettings) -> Site:
        with self._lock:
            idle = self._idle.get(env.name)
            if idle:
                return idle.pop()
        return self._site(env)

    def _give_back(self, env: EnvironmentSettings, site: Site) -> None:
        with self._lock:
            idle = self._idle.setdefault(env.name, [])
            if not self._closed and len(idle) < IDLE_SITES:
                idle.append(site)
                return
        site.close()

    def close(self) -> None:
        """Close the idle sites (probes still running close theirs when done)."""
        with self._lock:
            self._closed = True
            sites = [site for idle in self._idle.values() for site in idle]
            self._idle.clear()
        for site in sites:
            site.close()

    def _post_route(self, env: EnvironmentSettings, site: Site) -> str:
        with self._lock:
            cached = self._posts.get(env.name)
        if cached and time.monotonic() - cached[0] < POST_TTL_S:
            return cached[1]
        response = site.get("/wp-json/wp/v2/posts?per_page=1&_fields=link")
        try:
            link = response.json()[0]["link"]
        except (ValueError, LookupError, TypeError):
            raise ParityError(
                f"the REST API of {env.name} named no post (HTTP {response.status_code})"
            ) from None
        parts = urlsplit(str(link))
        route = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        with self._lock:
            self._posts[env.name] = (time.monotonic(), route)
        return route

    def probe(self, check: CheckSpec, recent_s: Sequence[float] = ()) -> Probe:
        """Probe ``check`` once; ``recent_s`` are its recent good times (for p95_ms)."""
        env = self.settings.environment(check.env)
        route = check.route
        try:
            if check.logged_in:
                with self._site(env) as site:
                    route, response, took = self._send(check, env, site)
            else:
                site = self._borrow(env)
                try:
                    route, response, took = self._send(check, env, site)
                except BaseException:
                    site.close()  # its connection may be half-used: not kept
                    raise
                self._give_back(env, site)
        except ParityError as exc:
            seen = Observation(status=None, duration_s=None, error=exc.one_line())
            return Probe(seen, None, route)
        headers = {k.lower(): v for k, v in response.headers.items()}
        seen = Observation(
            status=response.status_code,
            duration_s=took,
            headers=headers,
            body=response.text if check.method == "GET" else "",
            recent_s=[*recent_s, took],
        )
        return Probe(seen, cache_status(headers), route)

    def _send(
        self, check: CheckSpec, env: EnvironmentSettings, site: Site
    ) -> tuple[str, httpx.Response, float]:
        """The probe's requests on ``site``: the route probed, its answer and its time."""
        route = check.route
        if route == POST_TOKEN:
            route = self._post_route(env, site)
        if check.logged_in:
            site.login()
        if check.repeat:
            site.request(check.method, route, logged_in=check.logged_in)
        started = self.clock()
        response = site.request(check.method, route, logged_in=check.logged_in)
        return route, response, self.clock() - started
