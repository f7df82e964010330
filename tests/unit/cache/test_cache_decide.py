"""How a rule set decides a request: order, conditions, response checks, and the patterns."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.cache import patterns
from parity.cache.evaluate import CacheRequest, CacheResponse, decide
from parity.cache.rules import CacheRule, RuleSet


def rule(name: str, action: str = "bypass", **fields: Any) -> CacheRule:
    body: dict[str, Any] = {"name": name, "description": name, "action": action, **fields}
    if action == "cache":
        body.setdefault("ttl", 60)
    return CacheRule.model_validate(body)


def rules(*items: CacheRule) -> RuleSet:
    return RuleSet(rules=items)


def test_first_rule_that_decides_wins() -> None:
    ruleset = rules(
        rule("admin", match={"paths": ["/admin/*"]}),
        rule("all", "cache"),
    )
    assert decide(ruleset, CacheRequest.build("/admin/x")).rule == "admin"
    assert decide(ruleset, CacheRequest.build("/other")).rule == "all"


def test_bypass_rule_whose_conditions_do_not_hold_lets_later_rules_decide() -> None:
    ruleset = rules(
        rule("with-cookie", bypass_when={"cookies": ["sess_"]}),
        rule("all", "cache"),
    )
    assert decide(ruleset, CacheRequest.build("/", cookies={"sess_1": "x"})).rule == "with-cookie"
    assert decide(ruleset, CacheRequest.build("/", cookies={"other": "x"})).rule == "all"


def test_cache_rule_with_a_holding_condition_decides_bypass_itself() -> None:
    ruleset = rules(rule("shop", "cache", bypass_when={"query": ["nocache"]}), rule("all", "cache"))
    decision = decide(ruleset, CacheRequest.build("/?nocache"))
    assert (decision.rule, decision.action) == ("shop", "bypass")
    assert "query nocache" in decision.reason


def test_cache_rule_never_caches_a_post() -> None:
    decision = decide(rules(rule("all", "cache")), CacheRequest.build("/", method="POST"))
    assert (decision.rule, decision.action) == ("all", "bypass")


def test_request_no_rule_decides_bypasses_by_default() -> None:
    decision = decide(rules(rule("admin", match={"paths": ["/admin"]})), CacheRequest.build("/"))
    assert (decision.rule, decision.action, decision.phase) == (None, "bypass", "default")


def test_response_checks_apply_from_rules_at_or_above_the_deciding_rule_only() -> None:
    ruleset = rules(
        rule("no-store", bypass_when={"response_cache_control": ["no-store"]}),
        rule("static", "cache", match={"paths": ["/static/*"]}),
        rule("set-cookie", bypass_when={"response_set_cookie": True}),
        rule("all", "cache"),
    )
    sets_cookie = CacheResponse.build({"Set-Cookie": "a=1"})
    no_store = CacheResponse.build({"Cache-Control": "no-store"})
    static, page = CacheRequest.build("/static/a.css"), CacheRequest.build("/page")
    assert decide(ruleset, static, sets_cookie).action == "cache"
    assert decide(ruleset, static, no_store).rule == "no-store"
    assert decide(ruleset, page, sets_cookie).rule == "set-cookie"


def test_response_check_limited_to_paths_applies_only_there() -> None:
    ruleset = rules(
        rule("members", match={"paths": ["/members/*"]}, bypass_when={"response_set_cookie": True}),
        rule("all", "cache"),
    )
    sets_cookie = CacheResponse.build({"Set-Cookie": "a=1"})
    assert decide(ruleset, CacheRequest.build("/members/me"), sets_cookie).action == "bypass"
    assert decide(ruleset, CacheRequest.build("/blog/"), sets_cookie).action == "cache"


def test_without_a_response_a_cache_decision_says_the_response_was_not_checked() -> None:
    decision = decide(rules(rule("all", "cache")), CacheRequest.build("/"))
    assert decision.action == "cache"
    assert decision.response_checked is False
    assert decision.as_dict()["ttl"] == 60


def test_methods_and_except_methods_limit_a_rule() -> None:
    ruleset = rules(
        rule("posts", match={"methods": ["POST"]}),
        rule("not-get", match={"except_methods": ["GET", "HEAD"]}),
        rule("all", "cache"),
    )
    assert decide(ruleset, CacheRequest.build("/", method="POST")).rule == "posts"
    assert decide(ruleset, CacheRequest.build("/", method="PUT")).rule == "not-get"
    assert decide(ruleset, CacheRequest.build("/", method="HEAD")).rule == "all"


def test_request_built_from_an_absolute_url_keeps_path_and_query() -> None:
    request = CacheRequest.build("https://example.com/a/b?x=1", cookies={"c": "1"})
    assert request.url == "/a/b?x=1"
    assert request.cookie_names() == ["c"]
    assert CacheRequest.build("https://example.com").url == "/"


@pytest.mark.parametrize(
    ("globs", "url", "matches"),
    [
        (["/wp-admin"], "/wp-admin", True),
        (["/wp-admin"], "/wp-admin?x=1", True),
        (["/wp-admin"], "/wp-admin/", False),
        (["/wp-admin/*"], "/wp-admin/", True),
        (["/wp-admin/*"], "/wp-administrator", False),
        (["*/feed/*"], "/a/b/feed/atom/", True),
        (["*/feed/*"], "/feeding/", False),
        (["*/feed"], "/x?next=/feed", False),
        (["*.php"], "/index.php?a=b", True),
        (["/a+b(1)"], "/a+b(1)", True),
        (["/a+b(1)"], "/aab1", False),
        ([], "/", False),
    ],
)
def test_path_globs_match_the_whole_path_and_never_the_query(
    globs: list[str], url: str, matches: bool
) -> None:
    assert bool(patterns.compiled(patterns.path_regex(globs)).search(url)) is matches


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ("wordpress_logged_in_abc=1", True),
        ("_ga=1; wordpress_logged_in_abc=1", True),
        ("_ga=1;wordpress_logged_in_abc=1", True),
        ("x=wordpress_logged_in_abc", False),
        ("my_wordpress_logged_in_abc=1", False),
        ("", False),
    ],
)
def test_cookie_prefix_matches_cookie_names_not_values(header: str, matches: bool) -> None:
    regex = patterns.cookie_regex(["wordpress_logged_in_"])
    assert bool(patterns.compiled(regex).search(header)) is matches


@pytest.mark.parametrize(
    ("parameter", "url", "matches"),
    [
        ("s", "/?s=x", True),
        ("s", "/?a=1&s", True),
        ("s", "/?sort=1", False),
        ("s", "/s?x=1", False),
        ("preview=true", "/?preview=true&x=1", True),
        ("preview=true", "/?preview=trueish", False),
        ("preview=true", "/?preview=false", False),
    ],
)
def test_query_parameters_match_by_exact_name_and_raw_value(
    parameter: str, url: str, matches: bool
) -> None:
    regex = patterns.query_regex([parameter])
    assert bool(patterns.compiled(regex).search(url)) is matches


def test_glob_cover_is_sound_for_examples() -> None:
    assert patterns.glob_covers("*", "/anything/*")
    assert patterns.glob_covers("/a/*", "/a/b/*.php")
    assert not patterns.glob_covers("/a/*.php", "/a/*")
    assert not patterns.glob_covers("/a", "/a/*")


SEGMENT = st.text(alphabet="ab/.", max_size=4)
GLOB = st.lists(st.one_of(SEGMENT, st.just("*")), max_size=4).map(lambda p: "/" + "".join(p))


@given(broad=GLOB, narrow=GLOB, path=st.text(alphabet="ab/.", max_size=8))
def test_glob_cover_never_claims_a_path_the_broad_glob_misses(
    broad: str, narrow: str, path: str
) -> None:
    path = "/" + path
    narrow_hit = patterns.compiled(patterns.path_regex([narrow])).search(path)
    broad_hit = patterns.compiled(patterns.path_regex([broad])).search(path)
    if patterns.glob_covers(broad, narrow) and narrow_hit:
        assert broad_hit
