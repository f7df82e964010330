"""What one live response says about the cache: HIT, MISS or PASS, the rule, Age, cookies.

An ``Observation`` keeps what the live checks (``cache verify``, ``cache purge``,
``measure``) reason about, taken from an HTTP response. Cookie *values* are never kept
(only the names of the cookies a response sets), so an observation is safe to print; the
body is kept for the leak detectors but never printed or serialised.

    obs = observe(response, method="GET", url="/hello-world/", seconds=0.041)
    obs.cache, obs.rule, obs.age        # ("HIT", "everything-else", 12)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "CacheStatus",
    "Observation",
    "ResponseLike",
    "cache_status",
    "cookie_names",
    "observe",
]

CacheStatus = Literal["HIT", "MISS", "PASS"]

# What caches put in X-Cache (Varnish VCLs, nginx's $upstream_cache_status, CDNs),
# reduced to the three states parity reasons about.
_STATUS_WORDS: dict[str, CacheStatus] = {
    "HIT": "HIT",
    "STALE": "HIT",
    "UPDATING": "HIT",
    "REVALIDATED": "HIT",
    "MISS": "MISS",
    "EXPIRED": "MISS",
    "PASS": "PASS",
    "BYPASS": "PASS",
}
_FIRST_WORD = re.compile(r"[A-Za-z_]+")


class ResponseLike(Protocol):
    """What ``observe`` reads from a response (httpx.Response has all of it)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    @property
    def text(self) -> str: ...


def cache_status(headers: Mapping[str, str]) -> CacheStatus | None:
    """HIT, MISS or PASS from ``X-Cache`` (its first word), else from ``Age`` (> 0: HIT).

    >>> cache_status({"X-Cache": "HIT from edge"}), cache_status({"x-cache": "BYPASS"})
    ('HIT', 'PASS')
    >>> cache_status({"Age": "3"}), cache_status({}) is None
    ('HIT', True)
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = lowered.get("x-cache", "")
    word = _FIRST_WORD.search(raw)
    if word is not None:
        return _STATUS_WORDS.get(word.group(0).upper())
    age = _int(lowered.get("age"))
    if age is not None and age > 0:
        return "HIT"
    return None


def cookie_names(set_cookie_headers: Sequence[str]) -> tuple[str, ...]:
    """The names of the cookies set by ``Set-Cookie`` headers (never their values).

    >>> cookie_names(["sid=abc; path=/", "wp_lang=en_US"])
    ('sid', 'wp_lang')
    """
    names = []
    for header in set_cookie_headers:
        name = header.split("=", 1)[0].strip()
        if name:
            names.append(name)
    return tuple(names)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip().split(",")[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class Observation:
    """One response as the cache checks see it.

    ``cache`` is the normalised cache status (None when the response does not say);
    ``x_cache`` the raw header; ``rule`` the ``X-Cache-Rule`` header of parity's
    rendered caches; ``set_cookies`` the names of the cookies set; ``at`` a
    ``time.monotonic()`` reading taken when the request was sent.
    """

    method: str
    url: str
    status: int
    cache: CacheStatus | None
    x_cache: str | None = None
    rule: str | None = None
    age: int | None = None
    set_cookies: tuple[str, ...] = ()
    vary: str | None = None
    cache_control: str | None = None
    location: str | None = None
    seconds: float = 0.0
    at: float = 0.0
    body: str = field(default="", repr=False, compare=False)

    @property
    def response_headers(self) -> dict[str, str]:
        """The headers the rules' response checks look at (Set-Cookie names only)."""
        headers: dict[str, str] = {}
        if self.set_cookies:
            headers["Set-Cookie"] = ", ".join(f"{name}=..." for name in self.set_cookies)
        if self.cache_control:
            headers["Cache-Control"] = self.cache_control
        return headers

    def label(self) -> str:
        """A short label, e.g. ``MISS age 0`` or ``PASS``, or ``HTTP 502`` for errors."""
        text = self.cache or (self.x_cache or "no X-Cache")
        if self.age is not None and self.cache != "PASS":
            text += f" age {self.age}"
        if self.status >= 400 and self.status != 404:
            text += f" (HTTP {self.status})"
        return text

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (no body, no cookie values)."""
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "cache": self.cache,
            "x_cache": self.x_cache,
            "rule": self.rule,
            "age": self.age,
            "set_cookie": list(self.set_cookies),
            "vary": self.vary,
            "cache_control": self.cache_control,
            "location": self.location,
            "duration_s": round(self.seconds, 6),
        }


def observe(
    response: ResponseLike, *, method: str, url: str, seconds: float = 0.0, at: float = 0.0
) -> Observation:
    """The observation of ``response`` to ``method url`` (which took ``seconds``)."""
    headers = response.headers
    get_list = getattr(headers, "get_list", None)
    if callable(get_list):
        set_cookie = list(get_list("set-cookie"))
    else:
        one = headers.get("set-cookie")
        set_cookie = [one] if one else []
    plain = {str(k): str(v) for k, v in headers.items()}
    lowered = {k.lower(): v for k, v in plain.items()}
    return Observation(
        method=method,
        url=url,
        status=response.status_code,
        cache=cache_status(plain),
        x_cache=lowered.get("x-cache"),
        rule=lowered.get("x-cache-rule"),
        age=_int(lowered.get("age")),
        set_cookies=cookie_names(set_cookie),
        vary=lowered.get("vary"),
        cache_control=lowered.get("cache-control"),
        location=lowered.get("location"),
        seconds=seconds,
        at=at,
        body=response.text if method != "HEAD" else "",
    )
