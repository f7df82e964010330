"""The site target: anonymous probes carry no cookies, login goes through wp-login.php."""

from __future__ import annotations

import httpx
import pytest

from parity.config import EnvironmentSettings
from parity.errors import LoginFailed, SiteUnreachable
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
