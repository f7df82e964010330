"""HTTP facts of a snapshot: how routes answer (anonymous and logged in), versions by REST.

A probe records the first answer's status and redirect target, follows redirects that
stay on the site (up to five), and keeps the final answer's status and cache-relevant
headers. Values that change by themselves are left out (``Date``, ``Age``, ``X-Cache``,
``X-Varnish``); ``Expires`` is kept only as "set"; cookie names lose their per-site hash.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from parity.drift.model import RouteProbe, Source
from parity.drift.normalise import Normaliser
from parity.errors import ConfigError, ParityError, SiteUnreachable
from parity.targets.site import Site

__all__ = [
    "CACHE_HEADERS",
    "core_version",
    "probe_headers",
    "probe_key",
    "probe_routes",
    "rest_get",
]

log = logging.getLogger(__name__)

#: Response headers a probe keeps (lower case).
CACHE_HEADERS: tuple[str, ...] = (
    "cache-control",
    "content-type",
    "expires",
    "pragma",
    "surrogate-control",
    "vary",
    "x-robots-tag",
)
MAX_REDIRECTS = 5

_COOKIE_HASH = re.compile(r"_[0-9a-f]{32}$")
_FEED_GENERATOR = re.compile(r"<generator>https?://wordpress\.org/\?v=([^<\s]+)</generator>")
_HTML_GENERATOR = re.compile(r'<meta name="generator" content="WordPress ([^"\s]+)"')


def probe_key(route: str, logged_in: bool) -> str:
    """``anon /feed/`` or ``user /feed/``: the key of a probe in a snapshot."""
    return f"{'user' if logged_in else 'anon'} {route}"


def probe_headers(headers: Mapping[str, str], cookies: Sequence[str]) -> dict[str, str]:
    """The cache-relevant headers of a response, normalised for comparison.

    >>> probe_headers({"Cache-Control": "no-cache", "Expires": "Wed, 11 Jan 1984"}, [])
    {'cache-control': 'no-cache', 'expires': '(set)'}
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    out: dict[str, str] = {}
    for name in CACHE_HEADERS:
        if name in lowered:
            out[name] = "(set)" if name == "expires" else " ".join(lowered[name].split())
    names = sorted({_cookie_name(c) for c in cookies})
    if names:
        out["set-cookie"] = ", ".join(names)
    return out


def _cookie_name(header: str) -> str:
    name = header.split("=", 1)[0].strip()
    return _COOKIE_HASH.sub("_{hash}", name)


def _same_site_path(location: str, base_url: str) -> str | None:
    if location.startswith("/") and not location.startswith("//"):
        return location
    if location.lower().startswith(base_url.lower() + "/"):
        return location[len(base_url) :]
    if location.lower() == base_url.lower():
        return "/"
    return None


def _probe(
    site: Site, route: str, path: str, logged_in: bool, normaliser: Normaliser
) -> RouteProbe:
    response = site.get(path, logged_in=logged_in)
    status = response.status_code
    first_location = response.headers.get("location")
    hops = 0
    while response.is_redirect and hops < MAX_REDIRECTS:
        target = _same_site_path(response.headers.get("location", ""), site.env.url)
        if target is None:
            break
        response = site.get(target, logged_in=logged_in)
        hops += 1
    final = None if response.is_redirect else response.status_code
    return RouteProbe(
        route=route,
        path=path,
        logged_in=logged_in,
        status=status,
        location=normaliser.text(first_location) if first_location else None,
        final_status=final,
        headers=probe_headers(response.headers, response.headers.get_list("set-cookie")),
    )


def probe_routes(
    site: Site,
    routes: Sequence[tuple[str, str | None]],
    normaliser: Normaliser,
    *,
    logged_in: bool,
) -> tuple[dict[str, RouteProbe], list[str]]:
    """Probe ``(route, path)`` pairs anonymously, then logged in when ``logged_in``.

    A route whose path could not be resolved (no published post) is recorded as such.
    Returns the probes and notes on what could not be probed.
    """
    probes: dict[str, RouteProbe] = {}
    notes: list[str] = []
    modes = [False]
    if logged_in:
        try:
            site.login()
            modes.append(True)
        except ConfigError:
            notes.append("logged-in probes skipped: the environment has no login")
        except ParityError as exc:
            notes.append(f"logged-in probes skipped: {exc.one_line()}")
    for mode in modes:
        for route, path in routes:
            key = probe_key(route, mode)
            if path is None:
                probes[key] = RouteProbe(route=route, logged_in=mode, error="nothing to probe")
                continue
            try:
                probes[key] = _probe(site, route, path, mode, normaliser)
            except SiteUnreachable as exc:
                notes.append(f"HTTP probes stopped: {exc.one_line()}")
                return probes, notes
            except ParityError as exc:
                probes[key] = RouteProbe(
                    route=route, path=path, logged_in=mode, error=exc.__class__.__name__
                )
    return probes, notes


def rest_get(site: Site, route: str) -> Any | None:
    """GET a REST route logged in (with a REST nonce); the JSON, or None if refused."""
    try:
        nonce = site.get("/wp-admin/admin-ajax.php?action=rest-nonce", logged_in=True)
        if nonce.status_code != 200 or not nonce.text.strip():
            return None
        response = site.get(
            f"/?rest_route={route}",
            logged_in=True,
            headers={"X-WP-Nonce": nonce.text.strip()},
        )
    except ParityError as exc:
        log.info("REST %s on %s failed: %s", route, site.env.name, exc.one_line())
        return None
    if response.status_code != 200:
        return None
    try:
        return json.loads(response.text)
    except ValueError:
        return None


def core_version(site: Site) -> tuple[str | None, Source]:
    """WordPress's version from the feed's generator tag, else the home page's meta tag."""
    places: tuple[tuple[str, re.Pattern[str], Source], ...] = (
        ("/?feed=rss2", _FEED_GENERATOR, "feed"),
        ("/", _HTML_GENERATOR, "html"),
    )
    for path, pattern, source in places:
        try:
            response = site.get(path)
        except ParityError:
            return None, "none"
        match = pattern.search(response.text) if response.status_code == 200 else None
        if match:
            return match.group(1), source
    return None, "none"
