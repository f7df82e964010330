"""An environment's WordPress site over HTTP: anonymous and logged-in sessions, bounded.

Each ``Site`` owns two cookie jars: the anonymous one is emptied before every request (so
a probe is what a stranger sees), the logged-in one holds the cookies ``wp-login.php``
gave to the environment's login. The transport is swappable (``httpx.MockTransport`` in
unit tests, the real sandbox in integration tests).

Limits, so no site can hang a run or fill the machine:

- every request has a total ``deadline`` (connect, headers and body together; default
  ``DEADLINE_S``), not only a per-read timeout: a server that trickles one byte a second
  is cut off at the deadline (``SiteUnreachable`` naming the route and the deadline);
- a body is read as a stream and refused past ``max_body`` bytes (default
  ``MAX_BODY_BYTES``; ``SiteError`` naming the route and the cap).

A logged-in session is ended when the ``Site`` is closed: ``close()`` (and leaving the
``with`` block) logs out through ``wp-login.php?action=logout`` with the session's own
nonce, which makes WordPress destroy the session's ``session_tokens`` entry.

Example::

    with Site(settings.environment("staging")) as site:
        site.get("/").status_code          # anonymous
        site.login()
        site.get("/wp-admin/", logged_in=True).status_code
    # logged out here
"""

from __future__ import annotations

import functools
import logging
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from parity.environments import EnvironmentSettings
from parity.errors import ConfigError, LoginFailed, ParityError, SiteError, SiteUnreachable
from parity.targets.guard import ensure_writable

__all__ = ["DEADLINE_S", "LOGGED_IN_COOKIE", "MAX_BODY_BYTES", "Site"]

log = logging.getLogger(__name__)

LOGGED_IN_COOKIE = "wordpress_logged_in_"
TIMEOUT_S = 5.0
#: Default total time one request may take, headers and body included (seconds).
DEADLINE_S = 30.0
#: Default largest response body read (bytes, after content decoding).
MAX_BODY_BYTES = 32 * 1024 * 1024
USER_AGENT = "parity (+staging checks)"

# The logout link WordPress prints (wp_logout_url(), HTML-escaped): its nonce is tied to
# the session, so it is read from the page rather than computed.
_LOGOUT_NONCE = re.compile(r"action=logout[^\"'<>\s]*?_wpnonce=([0-9a-f]+)")

# The monotonic time by which the request being sent must be done (set by ``Site``).
_deadline: ContextVar[float | None] = ContextVar("parity_site_deadline", default=None)


def _bounded(timeout: float | None) -> float | None:
    """``timeout`` shortened to what is left before the current request's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("request deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, with every stream held to the request's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.connect_unix_socket(path, _bounded(timeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every site (loading the CA bundle costs ~10-90 ms of
    CPU; a monitor probing 50 routes every 30 s would otherwise spend most of its time
    there). An SSLContext is safe to share between connections and threads."""
    return httpx.create_ssl_context()


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's own transport, on a connection pool that honours the request deadline.

    A per-read timeout alone never ends a response that trickles a byte at a time; the
    pool's network backend is where every socket read happens, so the deadline is applied
    there. httpx takes no network backend, so its pool is replaced by an equal one.
    """
    transport = httpx.HTTPTransport(verify=_ssl_context())
    transport._pool = httpcore.ConnectionPool(
        ssl_context=_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_DeadlineBackend(),
    )
    return transport


class Site:
    """HTTP access to one environment's site.

    ``timeout`` bounds each connect, read and write; ``deadline`` (default
    ``DEADLINE_S``) the whole request; ``max_body`` (default ``MAX_BODY_BYTES``) the size
    of a response body. See the module doc.
    """

    def __init__(
        self,
        env: EnvironmentSettings,
        *,
        timeout: float = TIMEOUT_S,
        deadline: float | None = None,
        max_body: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.env = env
        self.deadline = DEADLINE_S if deadline is None else deadline
        self.max_body = MAX_BODY_BYTES if max_body is None else max_body
        common: dict[str, Any] = {
            "base_url": env.url,
            "timeout": httpx.Timeout(timeout),
            "headers": {"User-Agent": USER_AGENT},
            "follow_redirects": False,
        }
        self._anon = httpx.Client(transport=transport or _deadline_transport(), **common)
        self._user = httpx.Client(transport=transport or _deadline_transport(), **common)
        self.logged_in = False

    def close(self) -> None:
        """End the WordPress session (when logged in), then close both HTTP sessions.

        Never raises: a logout that fails is logged as a warning (``__exit__`` raises it
        instead when nothing else went wrong).
        """
        try:
            self._end_session(raise_errors=False)
        finally:
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
        try:
            # With an error already on its way, that error is the one to show.
            self._end_session(raise_errors=exc is None)
        finally:
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
        """Send one request; anonymous unless ``logged_in`` (which needs ``login()``).

        The whole request must be done within ``deadline`` seconds and its body must fit
        in ``max_body`` bytes. Raises SiteUnreachable (no answer, or not in time) or
        SiteError (an answer parity cannot use, e.g. a body over the cap).
        """
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
        return self._send(
            client, method, path, headers=extra, data=data, follow_redirects=follow_redirects
        )

    def _send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
        sink: Callable[[bytes], object] | None = None,
    ) -> httpx.Response:
        """One request through ``client``, held to the deadline and the body cap.

        With ``sink``, the body of a 200 answer goes to ``sink`` chunk by chunk instead
        of into the response.
        """
        deadline = time.monotonic() + self.deadline
        token = _deadline.set(deadline)
        try:
            with client.stream(
                method,
                self.url(path),
                headers=headers,
                data=data,
                follow_redirects=follow_redirects,
            ) as response:
                to = sink if sink is not None and response.status_code == 200 else None
                self._read_body(response, method, path, deadline, to)
            return response
        except httpx.TimeoutException:
            # A read cut short by the deadline times out right at it (allow clock jitter).
            if time.monotonic() >= deadline - 0.05:
                raise self._too_slow(method, path) from None
            raise SiteUnreachable(
                f"site of {self.env.name} at {self.address} did not answer {method} {path} in time",
            ) from None
        except httpx.TransportError as exc:
            raise SiteUnreachable(
                f"site of {self.env.name} at {self.address} did not answer"
                f" ({exc.__class__.__name__})",
                hint="is the web server running and the url in parity.toml right?",
            ) from None
        except httpx.HTTPError as exc:
            raise SiteError(
                f"site of {self.env.name} at {self.address} answered {method} {path}"
                f" with a response parity cannot read ({exc.__class__.__name__})"
            ) from None
        finally:
            _deadline.reset(token)

    def _read_body(
        self,
        response: httpx.Response,
        method: str,
        path: str,
        deadline: float,
        sink: Callable[[bytes], object] | None = None,
    ) -> None:
        """Read ``response``'s body as a stream, within the deadline and the size cap
        (into the response, or chunk by chunk into ``sink``)."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise self._too_big(method, path)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_body:
                raise self._too_big(method, path)
            if time.monotonic() >= deadline:
                raise self._too_slow(method, path)
            if sink is not None:
                sink(chunk)
                continue
            chunks.append(chunk)
        # The body is kept as if read with .read(): .content, .text and .json() work.
        response._content = b"".join(chunks)

    def _too_slow(self, method: str, path: str) -> SiteUnreachable:
        return SiteUnreachable(
            f"site of {self.env.name} at {self.address} did not finish {method} {path}"
            f" within the {self.deadline:g} s deadline",
            hint="a request must be done, body included, by then",
        )

    def _too_big(self, method: str, path: str) -> SiteError:
        return SiteError(
            f"site of {self.env.name} at {self.address} answered {method} {path} with a body"
            f" over the {_size(self.max_body)} cap; parity stopped reading it",
        )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET ``path`` (see ``request``)."""
        return self.request("GET", path, **kwargs)

    def download(self, path: str, sink: Callable[[bytes], object]) -> httpx.Response:
        """GET ``path`` anonymously, handing a 200 answer's body to ``sink`` chunk by
        chunk (never held whole in memory), within the deadline and the size cap.

        Returns the response (its headers; the body of any other status is kept in it).
        Sends no cookies, so several threads may download through one ``Site``.
        """
        return self._send(self._anon, "GET", path, sink=sink)

    def write(self, method: str, path: str, *, action: str, **kwargs: Any) -> httpx.Response:
        """A request that changes the site's data: passes the write guard first."""
        ensure_writable(self.env, action)
        return self.request(method, path, **kwargs)

    def login(self) -> None:
        """Log in through wp-login.php with the environment's login.

        A session this ``Site`` already holds is ended first, so one ``Site`` never holds
        more than one WordPress session; ``close()`` ends the last one.
        """
        login = self.env.login
        if login is None:
            raise ConfigError(
                f"environment {self.env.name} has no login",
                hint=f'add login = {{ user = "...", password = "${{VAR}}" }} to'
                f" [environments.{self.env.name}]",
            )
        self._end_session(raise_errors=True)
        self._user.cookies.clear()
        # WordPress refuses a login without its test cookie (it checks cookies work).
        self.request("GET", "/wp-login.php", logged_in=False)
        self._user.cookies.set("wordpress_test_cookie", "WP%20Cookie%20check")
        response = self._send(
            self._user,
            "POST",
            "/wp-login.php",
            data={
                "log": login.user,
                "pwd": login.password.get_secret_value(),
                "wp-submit": "Log In",
                "redirect_to": self.url("/wp-admin/"),
                "testcookie": "1",
            },
        )
        if not self._has_session_cookie():
            raise LoginFailed(
                f"{self.env.name}: wp-login.php did not accept user {login.user!r}"
                f" (HTTP {response.status_code})",
                hint="check login.user and login.password in parity.toml",
            )
        self.logged_in = True
        log.info("logged in to %s as %s", self.env.name, login.user)

    def logout(self) -> None:
        """End the session ``login()`` started, as WordPress's own logout link does.

        WordPress then destroys the session's entry in the user's ``session_tokens``
        usermeta (and deletes that row when it was the user's last session). The nonce of
        the logout link is read from ``wp-login.php?action=logout`` (WordPress's "do you
        really want to log out?" page), which is there whatever the theme or admin pages.
        Raises SiteError when WordPress did not end the session. Does nothing when not
        logged in.
        """
        if not self.logged_in:
            return
        user = self.env.login.user if self.env.login else "?"
        page = self._send(self._user, "GET", "/wp-login.php?action=logout")
        found = _LOGOUT_NONCE.search(page.text)
        if found is None:
            raise SiteError(
                f"{self.env.name}: wp-login.php?action=logout offered no logout link"
                f" (HTTP {page.status_code}); the session of {user!r} was left to expire"
            )
        done = self._send(self._user, "GET", f"/wp-login.php?action=logout&_wpnonce={found[1]}")
        # wp_logout() destroys the session, then expires the cookies: an expired
        # logged-in cookie is the proof that WordPress ran it.
        if self._has_session_cookie():
            raise SiteError(
                f"{self.env.name}: wp-login.php did not end the session of {user!r}"
                f" (HTTP {done.status_code}); it was left to expire"
            )
        self.logged_in = False
        self._user.cookies.clear()
        log.info("logged out of %s as %s", self.env.name, user)

    def _end_session(self, *, raise_errors: bool) -> None:
        """Log out when logged in; a failure is raised or logged as a warning."""
        if not self.logged_in:
            return
        try:
            self.logout()
        except ParityError as exc:
            self.logged_in = False  # tried once: never twice, never in a loop
            if raise_errors:
                raise
            log.warning("could not log out of %s: %s", self.env.name, exc.one_line())

    def _has_session_cookie(self) -> bool:
        return any(name.startswith(LOGGED_IN_COOKIE) for name in self._user.cookies)

    def logged_in_cookies(self) -> dict[str, str]:
        """The session cookies of the logged-in user (log in first)."""
        if not self.logged_in:
            raise SiteError(f"not logged in to {self.env.name}")
        # Iterate the jar: WordPress sets same-named cookies on several paths, which makes
        # name lookups ambiguous.
        return {cookie.name: cookie.value or "" for cookie in self._user.cookies.jar}


def _size(n: int) -> str:
    """``33554432`` -> ``32 MiB``."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"
