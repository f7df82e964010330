"""A WordPress site behind a cache that follows a rule set, as an ``httpx.MockTransport``.

The cache does what parity's rendered VCL does, decided by ``parity.cache.decide`` on the
rule set it is given (the defaults, or a broken variant): a bypass passes the request to
WordPress (``X-Cache: PASS``); a cache decision drops the cookies, serves a stored object
(``HIT`` with ``Age`` from a fake clock) or fetches and stores one (``MISS``), unless the
response trips a response rule (``PASS``, not stored). ``PURGE`` drops one URL.

The stand-in WordPress logs in through wp-login.php, shows the admin bar and greets the
user on logged-in pages, and sets a cookie when the query has ``sets-cookie``. Knobs make
the cache misbehave in the ways the live checks must catch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from parity.cache import CacheRequest, CacheResponse, RuleSet, decide
from parity.environments import EnvironmentSettings

SITE_URL = "http://127.0.0.1:8082"
PASSWORD = "s3cret-login-pw"
SESSION_VALUE = "admin%7C1700000000%7Csecret-session-token%7Chash"
HASH = "feedface0123"


def make_env(
    name: str = "staging", *, login: bool = True, protected: bool = False
) -> EnvironmentSettings:
    """An environment whose site is the fake one."""
    data: dict[str, object] = {
        "name": name,
        "url": SITE_URL,
        "db": "mysql://u:p@127.0.0.1:1/wp",
        "protected": protected,
        "cache": {"kind": "varnish", "purge_url": SITE_URL},
    }
    if login:
        data["login"] = {"user": "admin", "password": PASSWORD}
    return EnvironmentSettings.model_validate(data)


class FakeClock:
    """A clock that only moves when slept on (verify's ``sleep`` and ``clock``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@dataclass
class _Stored:
    status: int
    headers: list[tuple[str, str]]
    body: str
    created: float


@dataclass
class FakeCachedSite:
    """The transport's state and knobs.

    ``strips_cookies`` False: cached pages are fetched *with* the visitor's cookies (so
    a logged-in page can be stored and served to strangers). ``bypass_cookie``: a cookie
    name prefix the cache passes although the rules do not say so. ``age_resets``: every
    HIT says Age 0 (an object fetched again and again). ``ignores_purge``: PURGE answers
    200 and drops nothing. ``nonce_pages``: pages carry a WordPress nonce.
    """

    ruleset: RuleSet
    clock: FakeClock = field(default_factory=FakeClock)
    strips_cookies: bool = True
    bypass_cookie: str | None = None
    age_resets: bool = False
    ignores_purge: bool = False
    nonce_pages: bool = False
    store: dict[str, _Stored] = field(default_factory=dict)
    seen: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- WordPress
    def wordpress(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        cookie = request.headers.get("cookie", "")
        if url.path == "/wp-login.php" and url.params.get("action") == "logout":
            return _logout(request, f"wordpress_logged_in_{HASH}")
        if url.path == "/wp-login.php" and request.method == "GET":
            return httpx.Response(
                200, headers={"Set-Cookie": "wordpress_test_cookie=WP%20Cookie%20check; path=/"}
            )
        if url.path == "/wp-login.php" and request.method == "POST":
            if f"pwd={PASSWORD}" in request.content.decode():
                return httpx.Response(
                    302,
                    headers=[
                        ("Location", f"{SITE_URL}/wp-admin/"),
                        ("Set-Cookie", f"wordpress_logged_in_{HASH}={SESSION_VALUE}; path=/"),
                    ],
                )
            return httpx.Response(200, text="<div id='login_error'>wrong</div>")
        logged_in = f"wordpress_logged_in_{HASH}={SESSION_VALUE}" in cookie
        headers: list[tuple[str, str]] = [("Content-Type", "text/html; charset=UTF-8")]
        if logged_in:
            headers.append(("Cache-Control", "no-cache, must-revalidate, max-age=0"))
            body = (
                '<html><body class="home logged-in admin-bar">'
                '<div id="wpadminbar">Howdy, <span class="display-name">Ada Admin</span></div>'
            )
        else:
            body = '<html><body class="home"><p class="author">admin</p>'
        if self.nonce_pages:
            body += '<form><input type="hidden" name="_wpnonce" value="bf7f9f79d9"></form>'
        if "sets-cookie" in parse_qs(url.query.decode()):
            headers.append(("Set-Cookie", "visitor=v123; path=/"))
        return httpx.Response(200, headers=headers, text=body + "</body></html>")

    # -- the cache
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        target = request.url.raw_path.decode()
        if request.method == "PURGE":
            if not self.ignores_purge:
                self.store.pop(target, None)
            return httpx.Response(200, text="purged")
        cookie = request.headers.get("cookie", "")
        cache_request = CacheRequest.build(
            target, request.method, headers={k: v for k, v in request.headers.items()}
        )
        decision = decide(self.ruleset, cache_request)
        forced = self.bypass_cookie is not None and self.bypass_cookie in cookie
        if decision.action == "bypass" or forced:
            reply = self.wordpress(request)
            return self._deliver(
                reply.status_code,
                list(reply.headers.multi_items()),
                reply.text,
                "PASS",
                decision.rule,
                0,
            )
        stored = self.store.get(target)
        if stored is not None:
            age = 0 if self.age_resets else int(self.clock() - stored.created)
            return self._deliver(
                stored.status, stored.headers, stored.body, "HIT", decision.rule, age
            )
        backend = request
        if self.strips_cookies and "cookie" in request.headers:
            kept = {k: v for k, v in request.headers.items() if k.lower() != "cookie"}
            backend = httpx.Request(request.method, request.url, headers=kept)
        reply = self.wordpress(backend)
        headers = list(reply.headers.multi_items())
        after = decide(self.ruleset, cache_request, CacheResponse.build(dict(reply.headers)))
        if after.action == "bypass":
            return self._deliver(reply.status_code, headers, reply.text, "PASS", after.rule, 0)
        self.store[target] = _Stored(reply.status_code, headers, reply.text, self.clock())
        return self._deliver(reply.status_code, headers, reply.text, "MISS", decision.rule, 0)

    @staticmethod
    def _deliver(
        status: int,
        headers: list[tuple[str, str]],
        body: str,
        x_cache: str,
        rule: str | None,
        age: int,
    ) -> httpx.Response:
        kept = [
            (k, v) for k, v in headers if k.lower() not in ("content-length", "content-encoding")
        ]
        kept += [("X-Cache", x_cache), ("X-Cache-Rule", rule or "(none)"), ("Age", str(age))]
        return httpx.Response(status, headers=kept, text=body)


def _logout(request: httpx.Request, cookie: str) -> httpx.Response:
    """WordPress's logout: the "really log out?" link, then the nonce expires the cookie."""
    if request.url.params.get("_wpnonce") != "0a1b2c3d4e":
        link = "/wp-login.php?action=logout&amp;_wpnonce=0a1b2c3d4e"
        return httpx.Response(403, text=f'Do you really want to <a href="{link}">log out</a>?')
    expired = f"{cookie}=+; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"
    return httpx.Response(302, headers={"Set-Cookie": expired})
