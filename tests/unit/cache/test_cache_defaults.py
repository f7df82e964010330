"""The shipped WordPress rules: every example passes and every usual bypass is covered."""

from __future__ import annotations

import pytest

from parity.cache import (
    BROKEN_KINDS,
    CacheRequest,
    CacheResponse,
    broken_ruleset,
    decide,
    default_ruleset,
)
from parity.cache import evaluate as cache_evaluate
from parity.cache.rules import CATCH_ALL
from parity.errors import InputError

LOGGED_IN = {"wordpress_logged_in_5c0ffee5": "editor|1700000000|t|h"}


def test_default_rules_pass_every_example_with_no_lint_finding() -> None:
    report = cache_evaluate.test_examples(default_ruleset())
    assert report.failed == ()
    assert report.findings == ()
    assert report.ok
    assert len(report.results) >= 2 * len(default_ruleset().rules)


@pytest.mark.parametrize("name", [r.name for r in default_ruleset().rules])
def test_every_default_rule_has_examples_to_cache_and_to_bypass(name: str) -> None:
    expectations = {e.expect for e in default_ruleset().rule(name).examples}
    assert expectations == {"cache", "bypass"}


@pytest.mark.parametrize("name", [r.name for r in default_ruleset().rules if r.action == "bypass"])
def test_every_default_bypass_rule_decides_its_own_bypass_examples(name: str) -> None:
    ruleset = default_ruleset()
    rule = ruleset.rule(name)
    for example in rule.examples:
        if example.expect != "bypass":
            continue
        decision = decide(
            ruleset,
            CacheRequest.from_example(example),
            CacheResponse.build(example.response_headers),
        )
        assert (decision.rule, decision.action) == (name, "bypass"), example.label()


@pytest.mark.parametrize(
    ("cookie", "rule"),
    [
        ("wordpress_logged_in_abc", "logged-in"),
        ("wordpress_sec_abc", "logged-in"),
        ("wp-postpass_abc", "password-post"),
        ("comment_author_abc", "commenter"),
        ("comment_author_url_abc", "commenter"),
        ("woocommerce_items_in_cart", "woocommerce-cart"),
        ("woocommerce_cart_hash", "woocommerce-cart"),
        ("wp_woocommerce_session_abc", "woocommerce-cart"),
    ],
)
def test_default_rules_bypass_personal_cookies(cookie: str, rule: str) -> None:
    request = CacheRequest.build("/a-post/", cookies={"_ga": "GA1", cookie: "v"})
    decision = decide(default_ruleset(), request)
    assert (decision.rule, decision.action) == (rule, "bypass")


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("/wp-admin/", "wp-admin"),
        ("/wp-admin/post.php?post=1&action=edit", "wp-admin"),
        ("/wp-login.php", "wp-login"),
        ("/wp-json/wp/v2/posts", "rest-api"),
        ("/?rest_route=/wp/v2/posts", "rest-route"),
        ("/xmlrpc.php", "xmlrpc"),
        ("/wp-cron.php?doing_wp_cron", "wp-cron"),
        ("/feed/", "feeds"),
        ("/category/news/feed/", "feeds"),
        ("/?feed=rss2", "feed-query"),
        ("/?s=coffee", "search"),
        ("/sample-page/?preview=true", "preview"),
        ("/cart/", "woocommerce-pages"),
        ("/checkout/", "woocommerce-pages"),
        ("/my-account/", "woocommerce-pages"),
        ("/shop/?add-to-cart=12", "woocommerce-cart"),
    ],
)
def test_default_rules_bypass_wordpress_endpoints(url: str, rule: str) -> None:
    decision = decide(default_ruleset(), CacheRequest.build(url))
    assert (decision.rule, decision.action) == (rule, "bypass")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"])
def test_default_rules_bypass_every_method_but_get_and_head(method: str) -> None:
    decision = decide(default_ruleset(), CacheRequest.build("/", method=method))
    assert (decision.rule, decision.action) == ("unsafe-methods", "bypass")


def test_default_rules_bypass_authorization() -> None:
    request = CacheRequest.build("/", headers={"authorization": "Bearer x"})
    assert decide(default_ruleset(), request).rule == "authorization"


@pytest.mark.parametrize(
    ("headers", "rule"),
    [
        ({"Set-Cookie": "a=1"}, "response-set-cookie"),
        ({"Cache-Control": "private, max-age=0"}, "response-private"),
        ({"cache-control": "max-age=0, NO-STORE"}, "response-private"),
    ],
)
def test_default_rules_never_store_personal_responses(headers: dict[str, str], rule: str) -> None:
    decision = decide(default_ruleset(), CacheRequest.build("/"), CacheResponse.build(headers))
    assert (decision.rule, decision.action, decision.phase) == (rule, "bypass", "response")


def test_default_rules_cache_an_anonymous_page_for_an_hour_despite_analytics_cookies() -> None:
    request = CacheRequest.build("/hello-world/", cookies={"_ga": "1", "_gid": "2"})
    decision = decide(default_ruleset(), request, CacheResponse.build({"Cache-Control": "public"}))
    assert (decision.rule, decision.action, decision.ttl) == (CATCH_ALL, "cache", 3600)


@pytest.mark.parametrize("kind", BROKEN_KINDS)
def test_each_broken_variant_fails_cache_test(kind: str) -> None:
    report = cache_evaluate.test_examples(broken_ruleset(kind))
    assert not report.ok
    assert len(report.failed) >= 1
    assert all(r.example.expect == "bypass" for r in report.failed)


def test_broken_caches_logged_in_variant_caches_a_logged_in_page() -> None:
    request = CacheRequest.build("/", cookies=LOGGED_IN)
    assert decide(broken_ruleset("caches-logged-in"), request).action == "cache"
    assert decide(default_ruleset(), request).action == "bypass"


def test_unknown_broken_kind_is_an_input_error() -> None:
    with pytest.raises(InputError, match="known: caches-logged-in"):
        broken_ruleset("caches-everything")
