"""The verify plan: which requests each route and example gets, and which are skipped."""

from __future__ import annotations

import hashlib
from itertools import count

import pytest

from parity.cache import default_ruleset
from parity.cache.rules import CacheExample
from parity.cache.verify_plan import (
    BROWSER_COOKIES,
    check_route,
    cookie_hash,
    example_probes,
    example_skip_reason,
    parse_cookie_options,
    probe_url,
    route_probes,
    with_query,
)
from parity.errors import InputError


def tokens() -> list[str]:
    return [f"t{n}" for n in range(1, 100)]


def test_a_route_gets_every_check_in_order() -> None:
    probes = route_probes("/shop/?page=2", tokens(), hash_="h", logged_in=True)
    assert [p.check for p in probes] == [
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
    ]
    by_check = {p.check: p for p in probes}
    assert by_check["as served"].url == "/shop/?page=2"
    assert by_check["anonymous"].url == "/shop/?page=2&parity-probe=t1"
    assert by_check["preview"].url == "/shop/?page=2&parity-probe=t2&preview=true"
    assert by_check["commenter"].cookies == {"comment_author_h": "parity-probe"}
    assert by_check["password-post"].cookies.keys() == {"wp-postpass_h"}
    assert by_check["cart-session"].cookies.keys() == {"wp_woocommerce_session_h"}
    assert by_check["logged-in"].logged_in and not by_check["logged-in"].cookies
    assert by_check["POST"].method == "POST"
    assert {
        p.policy for p in probes if p.check not in ("as served", "anonymous", "browser cookies")
    } == {"bypass"}


def test_without_a_login_there_is_no_logged_in_probe_and_extra_cookies_join_the_browser_set() -> (
    None
):
    probes = route_probes("/", tokens(), hash_="h", logged_in=False, extra_cookies={"a": "1"})
    assert "logged-in" not in [p.check for p in probes]
    browser = next(p for p in probes if p.check == "browser cookies")
    assert browser.cookies == {**BROWSER_COOKIES, "a": "1"}


def test_keys_are_the_same_on_every_run_and_environment() -> None:
    first = route_probes("/", tokens(), hash_="h", logged_in=True)
    second = route_probes("/", (f"other{n}" for n in count()), hash_="x", logged_in=True)
    assert [p.key for p in first] == [p.key for p in second]


@pytest.mark.parametrize("route", ["hello", "/a b/", "/#frag", ""])
def test_bad_routes_are_refused(route: str) -> None:
    with pytest.raises(InputError):
        check_route(route)


def test_cookie_hash_is_wordpress_cookiehash() -> None:
    url = "http://127.0.0.1:8081"
    assert cookie_hash(url) == hashlib.md5(url.encode()).hexdigest()
    assert cookie_hash(url + "/") == cookie_hash(url)
    assert cookie_hash(url, ["x", "wordpress_logged_in_abc"]) == "abc"


def test_examples_become_probes_with_fresh_urls_or_a_skip_reason() -> None:
    planned = example_probes(default_ruleset(), tokens())
    keys = {probe.key: (probe, skip) for probe, skip in planned}
    probe, skip = keys["example search#1"]
    assert skip is None and probe.url.startswith("/?s=hello&parity-probe=")
    assert keys["example wp-cron#2"][1] == "would run WordPress's scheduled tasks"
    assert keys["example response-private#1"][1] == "describes a made-up response"
    assert keys["example unsafe-methods#2"][1] is None  # POST to a page: no effect


def test_example_skip_reasons() -> None:
    def example(**data: object) -> CacheExample:
        return CacheExample.model_validate({"expect": "bypass", **data})

    assert example_skip_reason(example(url="/wp-comments-post.php", method="POST"))
    assert example_skip_reason(example(url="/xmlrpc.php", method="POST"))
    assert example_skip_reason(example(url="/xmlrpc.php")) is None
    assert example_skip_reason(example(url="/", method="DELETE")) is None


def test_cookie_options_parse_and_bad_ones_do_not_echo_the_value() -> None:
    assert parse_cookie_options(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(InputError) as caught:
        parse_cookie_options(["no-equals-secret"])
    assert "give it as NAME=VALUE" in caught.value.one_line()
    with pytest.raises(InputError) as caught:
        parse_cookie_options(["bad name=s3cr3t"])
    assert "s3cr3t" not in caught.value.one_line()


def test_query_helpers() -> None:
    assert with_query("/", "a=1") == "/?a=1"
    assert probe_url("/?p=1", "t") == "/?p=1&parity-probe=t"
