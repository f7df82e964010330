"""The site target: anonymous probes carry no cookies, login goes through wp-login.php."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from parity.environments import EnvironmentSettings
from parity.errors import LoginFailed, SiteError, SiteUnreachable
from parity.targets.site import Site

SECRET = "s3cret-login-pw"


def make_env() -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {
            "name": "staging",
            "url": "http://127.0.0.1:8082",
            "db": "mysql://u:p@127.0.0.1:1/wp",
            "login": {"user": "admin", "password": SECRET},
        }
    )


def wordpress(accept: bool, seen: list[httpx.Request]) -> httpx.MockTransport:
    """A tiny stand-in for wp-login.php's cookie dance."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/wp-login.php" and request.url.params.get("action") == "logout":
            return logout(request, nonce="0a1b2c3d4e")
        if request.url.path == "/wp-login.php" and request.method == "GET":
            return httpx.Response(
                200, headers={"Set-Cookie": "wordpress_test_cookie=WP%20Cookie%20check; path=/"}
            )
        if request.url.path == "/wp-login.php" and request.method == "POST":
            body = request.content.decode()
            has_test_cookie = "wordpress_test_cookie" in request.headers.get("cookie", "")
            if accept and has_test_cookie and f"pwd={SECRET}" in body:
                return httpx.Response(
                    302,
                    headers=[
                        ("Location", "http://127.0.0.1:8082/wp-admin/"),
                        ("Set-Cookie", "wordpress_logged_in_abc=admin%7C1; path=/"),
                    ],
                )
            return httpx.Response(200, text="<div id='login_error'>wrong</div>")
        return httpx.Response(200, text="ok")

    return httpx.MockTransport(handler)


def logout(request: httpx.Request, *, nonce: str) -> httpx.Response:
    """wp-login.php?action=logout: the "really log out?" link, then the nonce ends it."""
    if request.url.params.get("_wpnonce") != nonce:
        link = f"http://127.0.0.1:8082/wp-login.php?action=logout&amp;_wpnonce={nonce}"
        return httpx.Response(
            403, text=f'<p>Do you really want to <a href="{link}">log out</a>?</p>'
        )
    expired = "wordpress_logged_in_abc=+; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"
    return httpx.Response(
        302,
        headers=[("Location", "/wp-login.php?loggedout=true"), ("Set-Cookie", expired)],
    )


def test_login_posts_credentials_with_test_cookie_and_keeps_session() -> None:
    seen: list[httpx.Request] = []
    with Site(make_env(), transport=wordpress(True, seen)) as site:
        site.login()
        assert site.logged_in
        site.get("/wp-admin/", logged_in=True)
        assert "wordpress_logged_in_abc" in seen[-1].headers["cookie"]


def test_anonymous_requests_never_carry_the_login_cookies() -> None:
    seen: list[httpx.Request] = []
    with Site(make_env(), transport=wordpress(True, seen)) as site:
        site.login()
        site.get("/")
        site.get("/", cookies={"comment_author_x": "bob"})
        assert "cookie" not in seen[-2].headers
        assert seen[-1].headers["cookie"] == "comment_author_x=bob"


def test_rejected_login_names_the_user_but_not_the_password() -> None:
    seen: list[httpx.Request] = []
    with (
        Site(make_env(), transport=wordpress(False, seen)) as site,
        pytest.raises(LoginFailed) as info,
    ):
        site.login()
    assert "'admin'" in info.value.one_line()
    assert SECRET not in info.value.one_line()


def test_unreachable_site_names_host_and_port() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with (
        Site(make_env(), transport=httpx.MockTransport(refuse)) as site,
        pytest.raises(SiteUnreachable, match=r"127\.0\.0\.1:8082"),
    ):
        site.get("/")


# -- ending the session (issue 11, item 4)


def logouts(seen: list[httpx.Request]) -> list[str]:
    return [str(r.url) for r in seen if r.url.params.get("action") == "logout"]


def test_leaving_the_with_block_logs_out_with_the_nonce_wordpress_gave() -> None:
    seen: list[httpx.Request] = []
    with Site(make_env(), transport=wordpress(True, seen)) as site:
        site.login()
    assert logouts(seen) == [
        "http://127.0.0.1:8082/wp-login.php?action=logout",
        "http://127.0.0.1:8082/wp-login.php?action=logout&_wpnonce=0a1b2c3d4e",
    ]
    # Both logout requests carry the session (WordPress ties the nonce to it).
    assert all("wordpress_logged_in_abc" in r.headers["cookie"] for r in seen[-2:])
    assert not site.logged_in


def test_close_logs_out_too_and_an_anonymous_site_never_calls_logout() -> None:
    seen: list[httpx.Request] = []
    site = Site(make_env(), transport=wordpress(True, seen))
    site.login()
    site.close()
    assert len(logouts(seen)) == 2
    anonymous: list[httpx.Request] = []
    with Site(make_env(), transport=wordpress(True, anonymous)) as other:
        other.get("/")
    assert logouts(anonymous) == []


def test_a_second_login_ends_the_first_session_so_only_one_is_ever_held() -> None:
    seen: list[httpx.Request] = []
    with Site(make_env(), transport=wordpress(True, seen)) as site:
        site.login()
        site.login()
    posts = [r for r in seen if r.method == "POST"]
    assert len(posts) == 2
    assert len(logouts(seen)) == 4  # one logout per login


def test_a_logout_wordpress_does_not_honour_fails_the_run_naming_the_user() -> None:
    def no_logout(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("action") == "logout":
            return httpx.Response(200, text="<html>a login page without a logout link</html>")
        return wordpress(True, []).handle_request(request)

    with (
        pytest.raises(SiteError, match="left to expire") as info,
        Site(make_env(), transport=httpx.MockTransport(no_logout)) as site,
    ):
        site.login()
    assert "'admin'" in info.value.one_line()
    assert SECRET not in info.value.one_line()


def test_a_failed_logout_does_not_hide_the_error_that_ended_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def no_logout(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("action") == "logout":
            return httpx.Response(200, text="no link")
        return wordpress(True, []).handle_request(request)

    with (
        pytest.raises(RuntimeError, match="the real error"),
        Site(make_env(), transport=httpx.MockTransport(no_logout)) as site,
    ):
        site.login()
        raise RuntimeError("the real error")
    assert "could not log out of staging" in caplog.text


# -- bounded HTTP (issue 11, items 5 and 6)


class Trickle(httpx.SyncByteStream):
    """A body that yields ``chunk`` after each ``pause`` seconds, ``count`` times."""

    def __init__(self, chunk: bytes, count: int, pause: float = 0.0) -> None:
        self.chunk, self.count, self.pause = chunk, count, pause

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.count):
            time.sleep(self.pause)
            yield self.chunk


def serving(stream: httpx.SyncByteStream, headers: dict[str, str] | None = None) -> Site:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, stream=stream)

    return Site(make_env(), transport=httpx.MockTransport(handler), deadline=0.5, max_body=1000)


def test_a_body_over_the_cap_is_refused_naming_the_route_and_the_cap() -> None:
    with serving(Trickle(b"x" * 100, 1_000_000)) as site, pytest.raises(SiteError) as info:
        site.get("/endless/")
    assert info.value.one_line().startswith(
        "site of staging at 127.0.0.1:8082 answered GET /endless/ with a body over the 1000"
        " bytes cap"
    )
    assert not isinstance(info.value, SiteUnreachable)  # not blamed on a timeout


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    stream = Trickle(b"x", 1, pause=5.0)  # would take 5 s if it were read
    started = time.monotonic()
    with (
        serving(stream, {"Content-Length": "5000"}) as site,
        pytest.raises(SiteError, match="over the 1000 bytes cap"),
    ):
        site.get("/big/")
    assert time.monotonic() - started < 1


def test_a_body_that_never_ends_in_time_stops_at_the_deadline() -> None:
    started = time.monotonic()
    with (
        serving(Trickle(b"x", 100, pause=0.1)) as site,
        pytest.raises(SiteUnreachable) as info,
    ):
        site.get("/slow/")
    assert time.monotonic() - started < 1.5
    assert "did not finish GET /slow/ within the 0.5 s deadline" in info.value.one_line()


def test_a_body_within_the_limits_reads_as_usual() -> None:
    with serving(Trickle(b'{"a": 1}', 1)) as site:
        response = site.get("/ok/")
    assert response.json() == {"a": 1}
    assert response.text == '{"a": 1}'
