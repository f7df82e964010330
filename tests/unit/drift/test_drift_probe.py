"""HTTP probes through a swappable transport: statuses, redirects, headers, REST, version."""

from __future__ import annotations

import httpx

from parity.drift.normalise import Normaliser
from parity.drift.probe import core_version, probe_headers, probe_routes, rest_get
from parity.environments import EnvironmentSettings
from parity.targets.site import Site

URL = "http://127.0.0.1:8082"


def make_env(login: bool = True) -> EnvironmentSettings:
    data: dict[str, object] = {
        "name": "staging",
        "url": URL,
        "db": "mysql://u:p@127.0.0.1:1/wp",
    }
    if login:
        data["login"] = {"user": "admin", "password": "pw"}
    return EnvironmentSettings.model_validate(data)


def handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    query = request.url.query.decode()
    logged_in = "wordpress_logged_in_" in request.headers.get("cookie", "")
    if path == "/wp-login.php" and request.url.params.get("action") == "logout":
        if request.url.params.get("_wpnonce") != "0a1b2c3d4e":
            link = "/wp-login.php?action=logout&amp;_wpnonce=0a1b2c3d4e"
            return httpx.Response(403, text=f'<a href="{link}">log out</a>')
        expired = "=+; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"
        cookie = "wordpress_logged_in_0123456789abcdef0123456789abcdef"
        return httpx.Response(302, headers={"Set-Cookie": cookie + expired})
    if path == "/wp-login.php" and request.method == "POST":
        return httpx.Response(
            302,
            headers=[
                ("Location", f"{URL}/wp-admin/"),
                ("Set-Cookie", "wordpress_logged_in_0123456789abcdef0123456789abcdef=x; path=/"),
            ],
        )
    if path == "/" and query == "p=1":
        return httpx.Response(301, headers={"Location": f"{URL}/hello-world/"})
    if path == "/" and query == "p=2":
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/"})
    if path == "/hello-world/":
        headers = {"Cache-Control": "no-cache" if logged_in else "max-age=60"}
        return httpx.Response(
            200,
            headers={**headers, "Age": "12", "X-Cache": "HIT", "Date": "now", "Vary": "Cookie"},
        )
    if path == "/wp-admin/admin-ajax.php" and logged_in:
        return httpx.Response(200, text="n0nce")
    if query.startswith("rest_route=/wp/v2/plugins"):
        if request.headers.get("x-wp-nonce") == "n0nce":
            return httpx.Response(200, json=[{"plugin": "a/a", "version": "1.0"}])
        return httpx.Response(401, json={"code": "rest_not_logged_in"})
    if query == "feed=rss2":
        return httpx.Response(200, text="<generator>https://wordpress.org/?v=6.1.9</generator>")
    return httpx.Response(404)


def site(login: bool = True) -> Site:
    return Site(make_env(login), transport=httpx.MockTransport(handler))


def test_probe_follows_redirects_on_the_site_and_keeps_final_headers() -> None:
    with site() as s:
        probes, notes = probe_routes(
            s, [("{post}", "/?p=1"), ("/away", "/?p=2")], Normaliser(URL), logged_in=True
        )
    assert notes == []
    anon = probes["anon {post}"]
    assert (anon.status, anon.location, anon.final_status) == (301, "{site}/hello-world/", 200)
    assert anon.headers == {"cache-control": "max-age=60", "vary": "Cookie"}
    assert probes["user {post}"].headers["cache-control"] == "no-cache"
    away = probes["anon /away"]
    assert (away.status, away.location, away.final_status) == (
        302,
        "https://elsewhere.example/",
        None,
    )


def test_without_a_login_only_anonymous_probes_run_and_a_note_says_so() -> None:
    with site(login=False) as s:
        probes, notes = probe_routes(s, [("/", "/")], Normaliser(URL), logged_in=True)
    assert list(probes) == ["anon /"]
    assert notes == ["logged-in probes skipped: the environment has no login"]


def test_unresolved_route_is_recorded_not_requested() -> None:
    with site() as s:
        probes, _ = probe_routes(s, [("{page}", None)], Normaliser(URL), logged_in=False)
    assert probes["anon {page}"].error == "nothing to probe"


def test_unreachable_site_stops_probing_with_a_note() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with Site(make_env(False), transport=httpx.MockTransport(down)) as s:
        probes, notes = probe_routes(
            s, [("/", "/"), ("/feed/", "/feed/")], Normaliser(URL), logged_in=False
        )
    assert probes == {}
    assert len(notes) == 1 and notes[0].startswith("HTTP probes stopped")


def test_cookie_names_lose_their_per_site_hash_and_expires_is_only_present() -> None:
    headers = probe_headers(
        {"Expires": "Wed, 11 Jan 1984 05:00:00 GMT", "X-Varnish": "123"},
        ["wordpress_logged_in_0123456789abcdef0123456789abcdef=secret; path=/", "b=1"],
    )
    assert headers == {"expires": "(set)", "set-cookie": "b, wordpress_logged_in_{hash}"}


def test_rest_uses_a_nonce_and_core_version_comes_from_the_feed() -> None:
    with site() as s:
        s.login()
        assert rest_get(s, "/wp/v2/plugins") == [{"plugin": "a/a", "version": "1.0"}]
        assert core_version(s) == ("6.1.9", "feed")
