"""What ``parity cache verify`` sends: the probes for each route and each rule example.

Pure: this module only decides the requests. For each route:

| check | request | expected |
| --- | --- | --- |
| ``as served`` | the route as it is, anonymously | no leak (whatever the cache state) |
| ``anonymous`` | a fresh URL of the route, twice | what the rules say: MISS then HIT, or bypass |
| ``logged-in`` | the same URL through the real logged-in session | bypass |
| ``commenter`` / ``password-post`` / ``cart`` / ``cart-session`` | with those cookies | bypass |
| ``preview`` | with ``preview=true`` | bypass |
| ``POST`` | POST with an empty body | bypass |
| ``browser cookies`` | a realistic set of browser cookies | the rules' outcome (else: blame) |

A fresh URL is the route with ``parity-probe=<token>`` added to its query, so its first
request is a MISS without purging anything. Rule examples are probed the same way,
except those describing a made-up response (``response_headers``) and those that would
do something on the site (``wp-cron.php``, a non-GET to a PHP script).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from parity.cache.rules import Action, CacheExample, RuleSet
from parity.errors import InputError

__all__ = [
    "BROWSER_COOKIES",
    "PROBE_PARAMETER",
    "Check",
    "Probe",
    "check_route",
    "cookie_hash",
    "example_probes",
    "example_skip_reason",
    "parse_cookie_options",
    "probe_url",
    "route_probes",
    "with_query",
]

Check = Literal[
    "as served",
    "anonymous",
    "logged-in",
    "commenter",
    "password-post",
    "cart",
    "cart-session",
    "preview",
    "POST",
    "browser cookies",
    "example",
]

#: The query parameter that makes a probe's URL fresh (first request: a MISS).
PROBE_PARAMETER = "parity-probe"

#: A realistic set of cookies a returning anonymous visitor's browser sends: analytics,
#: consent, and what WordPress leaves behind after a logout. None of them should stop the
#: page from being cached.
BROWSER_COOKIES: dict[str, str] = {
    "_ga": "GA1.1.1234567890.1700000000",
    "_gid": "GA1.1.987654321.1700000000",
    "_gcl_au": "1.1.1234567890.1700000000",
    "_fbp": "fb.1.1700000000000.1234567890",
    "cookielawinfo-checkbox-necessary": "yes",
    "wordpress_test_cookie": "WP%20Cookie%20check",
    "wp-settings-1": "libraryContent%3Dbrowse",
    "wp-settings-time-1": "1700000000",
}


@dataclass(frozen=True)
class Probe:
    """One request of the plan.

    ``key`` names it the same way on every environment (no token), so two environments'
    results can be compared. ``policy`` is the outcome parity requires whatever the
    rules say (the safety checks: bypass); None means "what the rules decide".
    ``cookies`` hold made-up values only: the logged-in probe uses the real session
    (``logged_in``) instead, whose cookies are never part of a probe.
    """

    key: str
    route: str
    check: Check
    url: str
    method: str = "GET"
    cookies: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    logged_in: bool = False
    policy: Action | None = None
    note: str | None = None

    def label(self) -> str:
        """The check, with the cookie and header names it sends."""
        text = self.check if self.check != "example" else f"example {self.note or ''}".strip()
        if self.method not in ("GET",) and self.check != "POST":
            text += f" ({self.method})"
        return text

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (cookie and header names, never values)."""
        return {
            "key": self.key,
            "route": self.route,
            "check": self.check,
            "method": self.method,
            "url": self.url,
            "cookies": sorted(self.cookies),
            "headers": sorted(self.headers),
            "logged_in": self.logged_in,
            "policy": self.policy,
            "note": self.note,
        }


def with_query(url: str, parameter: str) -> str:
    """``url`` with ``parameter`` (``name=value``) added to its query string.

    >>> with_query("/?p=1", "preview=true"), with_query("/a/", "x=1")
    ('/?p=1&preview=true', '/a/?x=1')
    """
    return f"{url}&{parameter}" if "?" in url else f"{url}?{parameter}"


def probe_url(url: str, token: str) -> str:
    """``url`` made fresh with the probe parameter and ``token``."""
    return with_query(url, f"{PROBE_PARAMETER}={token}")


def cookie_hash(site_url: str, logged_in_cookie_names: Iterable[str] = ()) -> str:
    """WordPress's COOKIEHASH: taken from a ``wordpress_logged_in_<hash>`` cookie when the
    session has one, else md5 of the site URL (WordPress's own default).
    """
    for name in logged_in_cookie_names:
        if name.startswith("wordpress_logged_in_") and len(name) > len("wordpress_logged_in_"):
            return name[len("wordpress_logged_in_") :]
    return hashlib.md5(site_url.rstrip("/").encode(), usedforsecurity=False).hexdigest()


def check_route(route: str) -> str:
    """``route`` when it is a path with an optional query; InputError otherwise."""
    if not route.startswith("/") or any(c in route for c in " #\t\r\n"):
        raise InputError(f"route {route!r} must be a path with an optional ?query, e.g. /about/")
    return route


def route_probes(
    route: str,
    tokens: Iterable[str],
    *,
    hash_: str,
    logged_in: bool,
    extra_cookies: Mapping[str, str] | None = None,
) -> list[Probe]:
    """The probes of one route (see the module doc). ``tokens`` yields fresh tokens.

    The anonymous probe's URL is shared by the bypass checks that follow it: once it is
    cached, any of them that the cache wrongly serves comes back a HIT.
    """
    route = check_route(route)
    token = iter(tokens)
    fresh = probe_url(route, next(token))
    browser = {**BROWSER_COOKIES, **(extra_cookies or {})}
    probes = [
        Probe(f"{route} as served", route, "as served", route),
        Probe(f"{route} anonymous", route, "anonymous", fresh),
    ]
    if logged_in:
        probes.append(
            Probe(f"{route} logged-in", route, "logged-in", fresh, logged_in=True, policy="bypass")
        )
    probes += [
        Probe(
            f"{route} commenter",
            route,
            "commenter",
            fresh,
            cookies={f"comment_author_{hash_}": "parity-probe"},
            policy="bypass",
        ),
        Probe(
            f"{route} password-post",
            route,
            "password-post",
            fresh,
            cookies={f"wp-postpass_{hash_}": "%24P%24Bparityprobe"},
            policy="bypass",
        ),
        Probe(
            f"{route} cart",
            route,
            "cart",
            fresh,
            cookies={"woocommerce_items_in_cart": "1", "woocommerce_cart_hash": "parityprobe"},
            policy="bypass",
        ),
        Probe(
            f"{route} cart-session",
            route,
            "cart-session",
            fresh,
            cookies={f"wp_woocommerce_session_{hash_}": "parity-probe"},
            policy="bypass",
        ),
        Probe(
            f"{route} preview",
            route,
            "preview",
            with_query(probe_url(route, next(token)), "preview=true"),
            policy="bypass",
        ),
        Probe(f"{route} POST", route, "POST", fresh, method="POST", policy="bypass"),
        Probe(f"{route} browser cookies", route, "browser cookies", fresh, cookies=browser),
    ]
    return probes


def example_skip_reason(example: CacheExample) -> str | None:
    """Why an example is not probed live, or None when it is."""
    if example.response_headers:
        return "describes a made-up response"
    path = urlsplit(example.url).path
    if path == "/wp-cron.php":
        return "would run WordPress's scheduled tasks"
    if example.method not in ("GET", "HEAD") and path.endswith(".php"):
        return f"{example.method} to a PHP script could change the site"
    return None


def example_probes(ruleset: RuleSet, tokens: Iterable[str]) -> list[tuple[Probe, str | None]]:
    """A probe per rule example, with the reason it is skipped (None: it is sent)."""
    token = iter(tokens)
    planned: list[tuple[Probe, str | None]] = []
    for rule in ruleset.rules:
        for index, example in enumerate(rule.examples):
            skip = example_skip_reason(example)
            url = example.url if skip else probe_url(example.url, next(token))
            probe = Probe(
                key=f"example {rule.name}#{index + 1}",
                route=example.url,
                check="example",
                url=url,
                method=example.method,
                cookies=dict(example.cookies),
                headers=dict(example.headers),
                note=f"{rule.name}#{index + 1}",
            )
            planned.append((probe, skip))
    return planned


def parse_cookie_options(values: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (the ``--cookie`` option) as a dict; InputError when malformed."""
    cookies: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        name = name.strip()
        if not sep or not name or any(c in name for c in " ;,\t"):
            raise InputError(f"--cookie {value.split('=')[0]!r}...: give it as NAME=VALUE")
        cookies[name] = rest
    return cookies
