"""Timing a route live, each sample labelled with the cache status it got and its Age.

Three modes, so a lucky cache hit is never mistaken for a fix:

| mode | before each sample | every sample should be |
| --- | --- | --- |
| ``cold`` | the route is purged from the cache | ``MISS`` |
| ``warm`` | (once, before the first) the route is fetched until it is a HIT | ``HIT`` |
| ``logged-in`` | (once) a login through wp-login.php; samples use that session | ``PASS`` |

A sample's time is the whole request, headers and body, as a client sees it
(``time.perf_counter`` around the request).

    samples = take_samples(site, "/hello-world/", "warm", 30)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from parity.cache.observe import CacheStatus, observe
from parity.errors import InputError
from parity.measure.compare import Sample
from parity.targets.cache import Purger
from parity.targets.site import Site

__all__ = ["EXPECTED_STATUS", "MODES", "Mode", "TimedSample", "take_samples"]

Mode = Literal["cold", "warm", "logged-in"]

#: Every mode ``take_samples`` knows.
MODES: tuple[str, ...] = get_args(Mode)

#: The cache status every sample of a mode should have.
EXPECTED_STATUS: dict[str, CacheStatus] = {"cold": "MISS", "warm": "HIT", "logged-in": "PASS"}

# How many requests warm mode makes at most to get the route cached.
_PRIME_ATTEMPTS = 3


@dataclass(frozen=True)
class TimedSample:
    """One timed request: seconds, its cache status (X-Cache), Age, and HTTP status."""

    seconds: float
    cache_status: CacheStatus | None
    age: int | None
    http_status: int

    @property
    def ok(self) -> bool:
        """Whether the answer was a 2xx (0, an unknown status of old records, counts as ok).

        A 500 or a 302 is timed like any answer, but it is the time of an error page or
        a redirect, not of the route: such samples are flagged, not trusted.
        """
        return self.http_status == 0 or 200 <= self.http_status < 300

    def as_sample(self) -> Sample:
        """The pure ``Sample`` that ``parity.measure.compare`` takes."""
        return Sample(self.seconds, self.cache_status, self.age)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON and the state store."""
        return {
            "duration_s": self.seconds,
            "cache_status": self.cache_status,
            "age": self.age,
            "http_status": self.http_status,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimedSample:
        """The sample stored by ``as_dict``."""
        status = data.get("cache_status")
        return cls(
            # "seconds": samples saved before schema_version 1
            seconds=float(data["duration_s"] if "duration_s" in data else data["seconds"]),
            cache_status=status if status in ("HIT", "MISS", "PASS") else None,
            age=None if data.get("age") is None else int(data["age"]),
            http_status=int(data.get("http_status", 0)),
        )


def _timed(site: Site, route: str, *, logged_in: bool) -> TimedSample:
    start = time.perf_counter()
    response = site.get(route, logged_in=logged_in)
    seconds = time.perf_counter() - start
    obs = observe(response, method="GET", url=route, seconds=seconds)
    return TimedSample(seconds, obs.cache, obs.age, obs.status)


def take_samples(
    site: Site,
    route: str,
    mode: str,
    count: int,
    *,
    purger: Purger | None = None,
    on_sample: Callable[[TimedSample], None] | None = None,
) -> list[TimedSample]:
    """``count`` timed GETs of ``route`` in ``mode`` (see the module doc).

    Cold mode needs ``purger`` (the environment's cache purger). Raises InputError for an
    unknown mode or a count below 1; SiteError / CacheError when the site or the cache
    fails.
    """
    if mode not in MODES:
        raise InputError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if count < 1:
        raise InputError(f"--samples must be at least 1 (got {count})")
    if not route.startswith("/"):
        raise InputError(f"route {route!r} must be a path, e.g. /hello-world/")
    if mode == "cold" and purger is None:
        raise InputError("cold mode purges the route before each sample: it needs a cache purger")
    logged_in = mode == "logged-in"
    if logged_in:
        if not site.logged_in:  # one session for every route; the Site ends it on close
            site.login()
    elif mode == "warm":
        for _ in range(_PRIME_ATTEMPTS):
            if _timed(site, route, logged_in=False).cache_status == "HIT":
                break
    samples = []
    for _ in range(count):
        if mode == "cold" and purger is not None:
            purger.purge(route)
        sample = _timed(site, route, logged_in=logged_in)
        samples.append(sample)
        if on_sample is not None:
            on_sample(sample)
    return samples
