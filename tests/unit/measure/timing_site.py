"""A tiny cached WordPress stand-in for timing tests (an ``httpx.MockTransport``).

GET of a page: ``PASS`` with a logged-in cookie, else ``HIT`` when stored (Age from the
number of hits) or ``MISS`` (then stored). ``PURGE`` drops one URL. wp-login.php logs in.
"""

from __future__ import annotations

import httpx

from parity.environments import EnvironmentSettings

SITE_URL = "http://127.0.0.1:8082"
PASSWORD = "s3cret-login-pw"


def make_env(name: str = "staging", *, protected: bool = False) -> EnvironmentSettings:
    """An environment whose site is the stand-in."""
    return EnvironmentSettings.model_validate(
        {
            "name": name,
            "url": SITE_URL,
            "db": "mysql://u:p@127.0.0.1:1/wp",
            "protected": protected,
            "login": {"user": "admin", "password": PASSWORD},
            "cache": {"kind": "varnish", "purge_url": SITE_URL},
        }
    )


class TimingSite:
    """The transport's state: stored URLs and their hit counts, and every request seen."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.seen: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        target = request.url.raw_path.decode()
        if request.method == "PURGE":
            self.hits.pop(target, None)
            return httpx.Response(200)
        if request.url.path == "/wp-login.php" and request.url.params.get("action") == "logout":
            return _logout(request)
        if request.url.path == "/wp-login.php":
            if request.method == "POST" and f"pwd={PASSWORD}" in request.content.decode():
                return httpx.Response(
                    302, headers={"Set-Cookie": "wordpress_logged_in_abc=admin%7C1; path=/"}
                )
            return httpx.Response(200, headers={"Set-Cookie": "wordpress_test_cookie=1; path=/"})
        if "wordpress_logged_in_" in request.headers.get("cookie", ""):
            return httpx.Response(200, headers={"X-Cache": "PASS", "Age": "0"}, text="hi")
        if target in self.hits:
            self.hits[target] += 1
            age = str(self.hits[target])
            return httpx.Response(200, headers={"X-Cache": "HIT", "Age": age}, text="hi")
        self.hits[target] = 0
        return httpx.Response(200, headers={"X-Cache": "MISS", "Age": "0"}, text="hi")


def _logout(request: httpx.Request) -> httpx.Response:
    """WordPress's logout: the "really log out?" link, then the nonce expires the cookie."""
    if request.url.params.get("_wpnonce") != "0a1b2c3d4e":
        link = "/wp-login.php?action=logout&amp;_wpnonce=0a1b2c3d4e"
        return httpx.Response(403, text=f'Do you really want to <a href="{link}">log out</a>?')
    expired = "wordpress_logged_in_abc=+; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"
    return httpx.Response(302, headers={"Set-Cookie": expired})
