"""Leak detectors: personal content in shared responses, named without cookie values."""

from __future__ import annotations

import pytest

from parity.cache.leaks import (
    carries_nonce,
    display_name,
    find_leaks,
    max_safe_ttl,
    response_ttl,
)
from parity.cache.observe import CacheStatus, Observation

ANON = '<html><body class="home blog"><p class="author">admin</p></body></html>'
LOGGED_IN = (
    '<html><body class="home logged-in admin-bar"><div id="wpadminbar">'
    'Howdy, <span class="display-name">Ada &amp; Co</span></div></body></html>'
)


def obs(
    body: str = ANON,
    cache: CacheStatus | None = "HIT",
    *,
    set_cookies: tuple[str, ...] = (),
    vary: str | None = None,
    cache_control: str | None = None,
) -> Observation:
    return Observation(
        "GET",
        "/",
        200,
        cache,
        set_cookies=set_cookies,
        vary=vary,
        cache_control=cache_control,
        body=body,
    )


def kinds(observation: Observation, **kwargs: object) -> set[str]:
    leaks = find_leaks(observation, ttl=kwargs.pop("ttl", 3600), **kwargs)  # type: ignore[arg-type]
    return {leak.kind for leak in leaks}


def test_an_ordinary_anonymous_page_has_no_leak() -> None:
    assert kinds(obs(), user_names=["admin"]) == set()


def test_a_logged_in_page_is_caught_three_ways() -> None:
    assert kinds(obs(LOGGED_IN), user_names=["admin", "Ada & Co"]) == {
        "admin-bar",
        "logged-in-class",
        "user-name",
    }


def test_set_cookie_is_a_leak_on_a_hit_not_on_a_miss() -> None:
    assert kinds(obs(set_cookies=("sid",))) == {"set-cookie"}
    assert kinds(obs(cache="MISS", set_cookies=("sid",))) == set()
    message = find_leaks(obs(set_cookies=("sid",)), ttl=None)[0].message
    assert "sid" in message


@pytest.mark.parametrize("vary", ["Cookie", "Accept-Encoding, cookie"])
def test_vary_cookie_on_a_shared_response_is_flagged(vary: str) -> None:
    assert kinds(obs(vary=vary)) == {"vary-cookie"}


def test_vary_on_other_headers_is_fine() -> None:
    assert kinds(obs(vary="Accept-Encoding, Origin")) == set()


NONCE_PAGE = ANON.replace("</body>", '<input name="_wpnonce" value="bf7f9f79d9"></body>')


def test_nonces_cached_longer_than_half_the_nonce_life_are_flagged() -> None:
    assert kinds(obs(NONCE_PAGE), ttl=43200) == set()
    assert kinds(obs(NONCE_PAGE), ttl=43201) == {"nonce-ttl"}
    assert kinds(obs(NONCE_PAGE, cache_control="public, s-maxage=86400"), ttl=3600) == {"nonce-ttl"}
    assert kinds(obs(NONCE_PAGE), ttl=3600, nonce_life=3600) == {"nonce-ttl"}
    assert kinds(obs(ANON), ttl=10**6) == set()


@pytest.mark.parametrize(
    "html",
    [
        '<a href="/wp-login.php?action=logout&amp;_wpnonce=bf7f9f79d9">',
        'var wpApiSettings = {"root":"/wp-json/","nonce":"0123456789"};',
        'wp.apiFetch.use( wp.apiFetch.createNonceMiddleware( "abcdef0123" ) );',
        "<button data-nonce='abcdef0123'>",
    ],
)
def test_nonces_in_their_usual_places_are_found(html: str) -> None:
    assert carries_nonce(html)


def test_helpers() -> None:
    assert max_safe_ttl(86400) == 43200
    assert response_ttl(None, None) is None
    assert response_ttl(600, "max-age=60") == 600
    assert display_name(LOGGED_IN) == "Ada & Co"
    assert display_name(ANON) is None
