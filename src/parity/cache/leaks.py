"""Leak detectors: signs that a response the cache shares with strangers is personal.

Run on every cacheable anonymous response (one the cache served as a HIT or looked up as
a MISS). Each detector names what it saw, never a cookie value:

| kind | what it means |
| --- | --- |
| ``set-cookie`` | a cached (HIT) response sets a cookie: everyone gets the same cookie |
| ``admin-bar`` | WordPress's admin bar markup (``id="wpadminbar"``): a logged-in page |
| ``logged-in-class`` | ``<body class="... logged-in ...">``: a logged-in page |
| ``user-name`` | the logged-in user's name where WordPress greets them ("Howdy, ...") |
| ``vary-cookie`` | ``Vary: Cookie``: the page differs per cookie, yet it is shared |
| ``nonce-ttl`` | the page carries nonces and is cached longer than a nonce surely lives |

A bare user name is *not* a leak (an author byline shows it to everyone); only the
places WordPress greets the current user are checked.

    leaks = find_leaks(observation, ttl=3600, user_names=["admin"])
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from parity.cache.observe import Observation

__all__ = [
    "NONCE_LIFE",
    "Leak",
    "LeakKind",
    "carries_nonce",
    "display_name",
    "find_leaks",
    "max_safe_ttl",
    "response_ttl",
]

LeakKind = Literal[
    "set-cookie", "admin-bar", "logged-in-class", "user-name", "vary-cookie", "nonce-ttl"
]

#: WordPress's default ``nonce_life`` (a day). A nonce is valid for the tick it was made
#: in and the next, each half of this: so between 12 and 24 hours.
NONCE_LIFE = 86400

_ADMIN_BAR = re.compile(r"""id=["']wpadminbar["']""")
_BODY_CLASS = re.compile(r"""<body\b[^>]*\bclass=["']([^"']*)["']""", re.IGNORECASE)
_NONCE = re.compile(
    r"""(?:_wpnonce|_ajax_nonce|nonce)["']?\s*(?:[:=]|value=)\s*["']?[0-9a-f]{10}\b"""
    r"""|createNonceMiddleware\(\s*["'][0-9a-f]{10}["']"""
    r"""|name=["']_wpnonce["'][^>]*value=["'][0-9a-f]{10}["']""",
    re.IGNORECASE,
)
_DISPLAY_NAME = re.compile(r"""class=["']display-name["']>([^<]{1,200})<""")
_MAX_AGE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Leak:
    """One sign that a shared response is personal."""

    kind: LeakKind
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"kind": self.kind, "message": self.message}


def max_safe_ttl(nonce_life: int = NONCE_LIFE) -> int:
    """The longest a page with nonces may be cached: half of ``nonce_life``.

    A nonce made at the end of a tick is valid for one more tick only.

    >>> max_safe_ttl()
    43200
    """
    return nonce_life // 2


def carries_nonce(body: str) -> bool:
    """Whether an HTML page carries a WordPress nonce (10 hex digits after a nonce key).

    >>> carries_nonce('<a href="/wp-login.php?action=logout&_wpnonce=bf7f9f79d9">')
    True
    >>> carries_nonce("<p>no forms here</p>")
    False
    """
    return bool(_NONCE.search(body))


def display_name(body: str) -> str | None:
    """The display name in a logged-in page's admin bar ("Howdy, <name>"), if any."""
    found = _DISPLAY_NAME.search(body)
    return html.unescape(found.group(1)).strip() if found else None


def response_ttl(rule_ttl: int | None, cache_control: str | None) -> int | None:
    """How long the response may be cached: the longest of the rule's TTL and the
    response's ``s-maxage`` / ``max-age`` (caches further out obey those).

    >>> response_ttl(3600, "public, s-maxage=90000")
    90000
    """
    ttls = [rule_ttl] if rule_ttl is not None else []
    for _, seconds in _MAX_AGE.findall(cache_control or ""):
        ttls.append(int(seconds))
    return max(ttls) if ttls else None


def _greets(body: str, name: str) -> bool:
    escaped = re.escape(html.escape(name, quote=True))
    greeting = re.compile(
        rf"""class=["']display-name["']>\s*{escaped}\s*<"""
        rf"""|Howdy,\s*(?:<[^>]+>\s*)*{escaped}\b"""
        rf"""|Logged in as\s*(?:<[^>]+>\s*)*{escaped}\b"""
    )
    return bool(greeting.search(body))


def find_leaks(
    observation: Observation,
    *,
    ttl: int | None,
    user_names: Iterable[str] = (),
    nonce_life: int = NONCE_LIFE,
) -> list[Leak]:
    """Every leak detector on one cacheable anonymous response.

    ``ttl`` is how long the rules cache it (None when unknown); ``user_names`` are the
    logged-in user's login and display name.
    """
    leaks: list[Leak] = []
    body = observation.body
    if observation.set_cookies and observation.cache == "HIT":
        names = ", ".join(observation.set_cookies)
        leaks.append(
            Leak("set-cookie", f"a cached response sets cookie {names}: every visitor gets it")
        )
    if _ADMIN_BAR.search(body):
        leaks.append(Leak("admin-bar", "the admin bar (id=wpadminbar) is in a shared page"))
    body_class = _BODY_CLASS.search(body)
    if body_class and "logged-in" in body_class.group(1).split():
        leaks.append(
            Leak("logged-in-class", "the page's <body> has class logged-in: a logged-in page")
        )
    for name in _unique(user_names):
        if _greets(body, name):
            leaks.append(Leak("user-name", f"the page greets the logged-in user {name!r} by name"))
            break
    if observation.vary and "cookie" in _tokens(observation.vary):
        leaks.append(
            Leak("vary-cookie", "Vary: Cookie on a shared response: the page differs per cookie")
        )
    longest = response_ttl(ttl, observation.cache_control)
    limit = max_safe_ttl(nonce_life)
    if longest is not None and longest > limit and carries_nonce(body):
        leaks.append(
            Leak(
                "nonce-ttl",
                f"the page carries nonces and is cached for {longest} s; a nonce is only"
                f" sure to be valid for {limit} s (half of nonce_life {nonce_life} s)",
            )
        )
    return leaks


def _tokens(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",")]


def _unique(names: Iterable[str]) -> Sequence[str]:
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen
