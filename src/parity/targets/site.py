"""An environment's WordPress site over HTTP: anonymous and logged-in sessions.

Each ``Site`` owns two cookie jars: the anonymous one is emptied before every request (so
a probe is what a stranger sees), the logged-in one holds the cookies ``wp-login.php``
gave to the environment's login. The transport is swappable (``httpx.MockTransport`` in
unit tests, the real sandbox in integration tests).

Example::

    with Site(settings.environment("staging")) as site:
        site.get("/").status_code          # anonymous
        site.login()
        site.get("/wp-admin/", logged_in=True).status_code
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from parity.config import EnvironmentSettings
from parity.errors import ConfigError, LoginFailed, SiteError, SiteUnreachable
from parity.targets.guard import ensure_writable

__all__ = ["LOGGED_IN_COOKIE", "Site"]

log = logging.getLogger(__name__)

LOGGED_IN_COOKIE = "wordpress_logged_in_"
TIMEOUT_S = 5.0
USER_AGENT = "parity (+staging checks)"


class Site:
    """HTTP access to one environment's site."""

    def __init__(
        self,
        env: EnvironmentSettings,
        *,
        timeout: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.env = env
        common: dict[str, Any] = {
            "base_url": env.url,
            "timeout": httpx.Timeout(timeout),
            "headers": {"User-Agent": USER_AGENT},
            "follow_redirects": False,
        }
        if transport is not None:
            common["transport"] = transport
        self._anon = httpx.Client(**common)
        self._user = httpx.Client(**common)
        self.logged_in = False

    def close(self) -> None:
        """Close both sessions."""
        self._anon.close()
        self._user.close()

    def __enter__(self) -> Site:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def address(self) -> str:
        """host:port of the site, for messages."""
        parts = urlsplit(self.env.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.hostname}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this site."""
        return urljoin(self.env.url + "/", path.lstrip("/"))

    def request(
        self,
        method: str,
        path: str,
        *,
        logged_in: bool = False,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """Send one request; anonymous unless ``logged_in`` (which needs ``login()``)."""
        if logged_in and not self.logged_in:
            self.login()
        client = self._user if logged_in else self._anon
        if not logged_in:
            client.cookies.clear()
        extra = dict(headers or {})
        if cookies:
            # Sent as a header so the anonymous jar stays empty between probes.
            jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
            extra["Cookie"] = f"{extra['Cookie']}; {jar}" if "Cookie" in extra else jar
        try:
            return client.request(
                method,
                self.url(path),
                headers=extra,
                data=data,
                follow_redirects=follow_redirects,
            )
        except httpx.TimeoutException:
            raise SiteUnreachable(
                f"site of {self.env.name} at {self.address} did not answer {method} {path} in time",
            ) from None
        except httpx.TransportError as exc:
            raise SiteUnreachable(
                f"site of {self.env.name} at {self.address} did not answer"
                f" ({exc.__class__.__name__})",
                hint="is the web server running and the url in parity.toml right?",
            ) from None

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET ``path`` (see ``request``)."""
        return self.request("GET", path, **kwargs)

    def write(self, method: str, path: str, *, action: str, **kwargs: Any) -> httpx.Response:
        """A request that changes the site's data: passes the write guard first."""
        ensure_writable(self.env, action)
        return self.request(method, path, **kwargs)

    def login(self) -> None:
        """Log in through wp-login.php with the environment's login."""
        login = self.env.login
        if login is None:
            raise ConfigError(
                f"environment {self.env.name} has no login",
                hint=f'add login = {{ user = "...", password = "${{VAR}}" }} to'
                f" [environments.{self.env.name}]",
            )
        self._user.cookies.clear()
        # WordPress refuses a login without its test cookie (it checks cookies work).
        self.request("GET", "/wp-login.php", logged_in=False)
        self._user.cookies.set("wordpress_test_cookie", "WP%20Cookie%20check")
        try:
            response = self._user.post(
                self.url("/wp-login.php"),
                data={
                    "log": login.user,
                    "pwd": login.password.get_secret_value(),
                    "wp-submit": "Log In",
                    "redirect_to": self.url("/wp-admin/"),
                    "testcookie": "1",
                },
            )
        except httpx.HTTPError:
            raise SiteUnreachable(
                f"site of {self.env.name} at {self.address} did not answer the login"
            ) from None
        if not any(name.startswith(LOGGED_IN_COOKIE) for name in self._user.cookies):
            raise LoginFailed(
                f"{self.env.name}: wp-login.php did not accept user {login.user!r}"
                f" (HTTP {response.status_code})",
                hint="check login.user and login.password in parity.toml",
            )
        self.logged_in = True
        log.info("logged in to %s as %s", self.env.name, login.user)

    def logged_in_cookies(self) -> dict[str, str]:
        """The session cookies of the logged-in user (log in first)."""
        if not self.logged_in:
            raise SiteError(f"not logged in to {self.env.name}")
        # Iterate the jar: WordPress sets same-named cookies on several paths, which makes
        # name lookups ambiguous.
        return {cookie.name: cookie.value or "" for cookie in self._user.cookies.jar}
