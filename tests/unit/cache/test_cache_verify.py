"""`cache verify` against a fake cached WordPress: passes when right, names what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fake_cache import HASH, PASSWORD, SESSION_VALUE, FakeCachedSite, make_env

from parity.cache import RuleSet, broken_ruleset, default_ruleset
from parity.cache.rules import CacheRule
from parity.cache.verify import verify_environment, verify_sites
from parity.cache.verify_report import EnvironmentReport
from parity.targets.site import Site


def run(
    fake: FakeCachedSite,
    routes: list[str],
    *,
    login: bool = True,
    examples: bool = False,
    rules: RuleSet | None = None,
    **kwargs: object,
) -> EnvironmentReport:
    with Site(make_env(login=login), transport=fake.transport()) as site:
        return verify_environment(
            site,
            rules or default_ruleset(),
            routes,
            examples=examples,
            sleep=fake.clock.sleep,
            clock=fake.clock,
            **kwargs,  # type: ignore[arg-type]
        )


def failures(report: EnvironmentReport) -> set[tuple[str, str]]:
    return {(f.kind, f.key) for f in report.failures}


@pytest.fixture
def healthy() -> Iterator[FakeCachedSite]:
    yield FakeCachedSite(default_ruleset())


def test_a_cache_that_follows_the_default_rules_passes_every_probe(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, ["/", "/hello-world/", "/feed/"], examples=True)
    assert report.ok, [f.message for f in report.findings]
    assert report.logged_in_as == "admin"
    anonymous = report.result("/hello-world/ anonymous")
    assert [o.cache for o in anonymous.observations] == ["MISS", "HIT", "HIT"]
    assert anonymous.observations[2].age is not None and anonymous.observations[2].age >= 1
    assert report.result("/ logged-in").outcome == "bypassed"
    assert report.result("/feed/ anonymous").expected == "bypass"
    assert report.result("/feed/ browser cookies").skipped
    counts = report.counts()
    assert counts["failed"] == 0 and counts["leaks"] == 0 and counts["probes"] > 60


def test_every_probe_of_a_route_uses_a_fresh_url_and_the_bypass_checks_share_it(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, ["/hello-world/"])
    fresh = report.result("/hello-world/ anonymous").probe.url
    assert fresh.startswith("/hello-world/?parity-probe=")
    for check in ("logged-in", "commenter", "password-post", "cart", "POST"):
        assert report.result(f"/hello-world/ {check}").probe.url == fresh
    assert report.result("/hello-world/ as served").probe.url == "/hello-world/"
    assert report.result("/hello-world/ preview").probe.url.endswith("&preview=true")


def test_a_cache_that_serves_logged_in_users_cached_pages_fails_the_logged_in_check() -> None:
    report = run(FakeCachedSite(broken_ruleset("caches-logged-in")), ["/"])
    assert not report.ok
    assert ("expectation", "/ logged-in") in failures(report)
    assert "served from it" in report.result("/ logged-in").detail


def test_a_cache_that_stores_set_cookie_responses_leaks_the_cookie() -> None:
    report = run(FakeCachedSite(broken_ruleset("caches-set-cookie")), ["/?sets-cookie=1"])
    assert ("leak:set-cookie", "/?sets-cookie=1 anonymous") in failures(report)
    assert ("expectation", "/?sets-cookie=1 anonymous") in failures(report)
    leak = report.result("/?sets-cookie=1 anonymous").leaks[0]
    assert "visitor" in leak.message and "v123" not in leak.message


def test_the_default_rules_pass_a_response_that_sets_a_cookie_without_storing_it(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, ["/?sets-cookie=1"])
    result = report.result("/?sets-cookie=1 anonymous")
    assert report.ok
    assert (result.expected, result.decided_by, result.outcome) == (
        "bypass",
        "response-set-cookie",
        "bypassed",
    )


def test_a_cache_that_ignores_the_commenter_cookie_fails_the_commenter_check() -> None:
    report = run(FakeCachedSite(broken_ruleset("ignores-commenter")), ["/"])
    assert failures(report) == {("expectation", "/ commenter")}


def test_a_stored_logged_in_page_is_caught_by_the_leak_detectors() -> None:
    fake = FakeCachedSite(broken_ruleset("caches-logged-in"), strips_cookies=False)
    with Site(make_env(), transport=fake.transport()) as earlier_visitor:
        earlier_visitor.login()
        earlier_visitor.get("/about/", logged_in=True)  # stored, personal page and all
    report = run(fake, ["/about/"])
    kinds = {f.kind for f in report.failures if f.key == "/about/ as served"}
    assert {"leak:admin-bar", "leak:logged-in-class", "leak:user-name"} <= kinds
    names = [leak.message for leak in report.result("/about/ as served").leaks]
    assert any("Ada Admin" in message for message in names)


def test_an_author_byline_with_the_user_name_is_not_a_leak(healthy: FakeCachedSite) -> None:
    report = run(healthy, ["/"])  # anonymous pages show "admin" as the author
    assert not [f for f in report.findings if f.kind == "leak:user-name"]


def test_cookie_blame_names_the_cookie_the_live_cache_passes_on() -> None:
    fake = FakeCachedSite(default_ruleset(), bypass_cookie="_fbp")
    report = run(fake, ["/"])
    result = report.result("/ browser cookies")
    assert result.passed is False
    assert result.blame is not None and result.blame.culprits == (("_fbp",),)
    assert "_fbp (no rule: the rules would cache it)" in result.detail
    assert ("cookie-blame", "/ browser cookies") in failures(report)


def test_a_cookie_the_rules_bypass_on_is_blamed_but_not_a_failure(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, ["/"], extra_cookies={"comment_author_x": "Jane"})
    result = report.result("/ browser cookies")
    assert report.ok
    assert (result.expected, result.passed) == ("bypass", True)
    assert result.blame is not None and result.blame.names == ("comment_author_x",)
    assert "rule commenter" in result.detail


def test_an_age_that_does_not_rise_fails() -> None:
    report = run(FakeCachedSite(default_ruleset(), age_resets=True), ["/"])
    assert ("expectation", "/ anonymous") in failures(report)
    assert "Age did not rise" in report.result("/ anonymous").detail


def _long_ttl() -> RuleSet:
    rules = default_ruleset()
    catch_all = rules.rule("everything-else").model_copy(update={"ttl": 90000})
    replaced = tuple(catch_all if r.name == "everything-else" else r for r in rules.rules)
    return RuleSet(rules=replaced, origins=rules.origins)


def test_pages_with_nonces_cached_longer_than_a_nonce_lives_are_flagged() -> None:
    long = FakeCachedSite(_long_ttl(), nonce_pages=True)
    report = run(long, ["/"], rules=_long_ttl())
    assert ("leak:nonce-ttl", "/ anonymous") in failures(report)
    short = run(FakeCachedSite(default_ruleset(), nonce_pages=True), ["/"])
    assert short.ok


def test_without_a_login_the_logged_in_check_is_left_out_with_a_warning(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, ["/"], login=False)
    assert report.ok
    assert [f.kind for f in report.findings if f.severity == "warn"] == ["no-login"]
    with pytest.raises(KeyError):
        report.result("/ logged-in")


def test_examples_that_would_act_on_the_site_or_describe_a_response_are_skipped(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, [], examples=True)
    skipped = {r.probe.key: r.skipped for r in report.results if r.skipped}
    assert skipped["example wp-cron#1"] == "would run WordPress's scheduled tasks"
    assert skipped["example unsafe-methods#1"].startswith("POST to a PHP script")
    assert skipped["example response-set-cookie#1"] == "describes a made-up response"
    paths = {r.url.path for r in healthy.seen}
    assert "/wp-cron.php" not in paths and "/wp-comments-post.php" not in paths


def test_two_environments_are_compared_probe_by_probe() -> None:
    good = FakeCachedSite(default_ruleset())
    bad = FakeCachedSite(broken_ruleset("ignores-commenter"))
    with (
        Site(make_env("production", protected=True), transport=good.transport()) as a,
        Site(make_env("staging"), transport=bad.transport()) as b,
    ):
        report = verify_sites(
            [a, b], default_ruleset(), ["/"], examples=False, sleep=good.clock.sleep
        )
    assert [env.ok for env in report.environments] == [True, False]
    assert not report.ok
    changed = {(d.key, d.field): d.values for d in report.differences}
    assert changed[("/ commenter", "outcome")] == ("bypassed", "cached")
    assert changed[("/ commenter", "rule")] == ("commenter", "everything-else")


def test_the_report_never_carries_the_password_or_the_session_cookie(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, ["/"], examples=True)
    text = json.dumps(report.as_dict())
    assert PASSWORD not in text
    assert SESSION_VALUE not in text
    assert f"wordpress_logged_in_{HASH}" not in text  # the session's cookie is not listed


def test_every_rule_example_expected_to_cache_is_a_miss_then_a_hit(
    healthy: FakeCachedSite,
) -> None:
    report = run(healthy, [], examples=True)
    cached = [r for r in report.results if r.expected == "cache"]
    assert cached
    for result in cached:
        assert [o.cache for o in result.observations][:2] == ["MISS", "HIT"], result.probe.key


def test_a_rule_from_settings_is_used_for_expectations(healthy: FakeCachedSite) -> None:
    members = CacheRule.model_validate(
        {
            "name": "members",
            "description": "Member pages are personal.",
            "action": "bypass",
            "match": {"paths": ["/members/*"]},
        }
    )
    rules = default_ruleset()
    mine = RuleSet(rules=(members, *rules.rules), origins=rules.origins)
    report = run(healthy, ["/members/me/"], rules=mine)
    result = report.result("/members/me/ anonymous")
    # The cache (default rules) caches it; the rules say bypass: that is a failure.
    assert (result.expected, result.decided_by, result.passed) == ("bypass", "members", False)
