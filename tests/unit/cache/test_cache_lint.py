"""Lint finds dead rules and contradictions, and reports nothing that is not there."""

from __future__ import annotations

from typing import Any

from parity.cache import evaluate as cache_evaluate
from parity.cache.lint import LintFinding, lint_rules
from parity.cache.rules import CacheRule, RuleSet


def rule(name: str, action: str = "bypass", **fields: Any) -> CacheRule:
    body: dict[str, Any] = {"name": name, "description": name, "action": action, **fields}
    if action == "cache":
        body.setdefault("ttl", 60)
    return CacheRule.model_validate(body)


def kinds(findings: list[LintFinding] | tuple[LintFinding, ...]) -> set[tuple[str, str | None]]:
    return {(f.kind, f.rule) for f in findings}


CATCH_ALL = rule("all", "cache")


def test_rule_below_a_broader_rule_with_the_same_action_never_matches() -> None:
    ruleset = RuleSet(
        rules=(
            rule("admin", match={"paths": ["/wp-admin/*"]}),
            rule("admin-ajax", match={"paths": ["/wp-admin/admin-ajax.php"]}),
            CATCH_ALL,
        )
    )
    findings = lint_rules(ruleset)
    assert kinds(findings) == {("never-matches", "admin-ajax")}
    assert findings[0].severity == "error"
    assert "admin" in findings[0].message


def test_rule_shadowed_with_the_opposite_action_is_a_contradiction() -> None:
    ruleset = RuleSet(
        rules=(
            rule("logged-in", bypass_when={"cookies": ["wordpress_logged_in_"]}),
            rule("cache-logged-in", "cache", bypass_when={}, match={"paths": ["*"]}),
            rule("never", match={"paths": ["/x"]}),
        )
    )
    findings = lint_rules(ruleset)
    assert ("contradiction", "never") in kinds(findings)
    assert ("contradiction", "cache-logged-in") not in kinds(findings)


def test_identical_conditions_with_opposite_actions_are_a_contradiction() -> None:
    ruleset = RuleSet(
        rules=(
            rule("a", match={"paths": ["/shop/*"]}),
            rule("b", "cache", match={"paths": ["/shop/*"]}),
            CATCH_ALL,
        )
    )
    assert kinds(lint_rules(ruleset)) == {("contradiction", "b")}


def test_narrower_cookie_prefix_below_a_broader_one_never_matches() -> None:
    ruleset = RuleSet(
        rules=(
            rule("wp", bypass_when={"cookies": ["wordpress_"]}),
            rule("logged-in", bypass_when={"cookies": ["wordpress_logged_in_"]}),
            CATCH_ALL,
        )
    )
    assert kinds(lint_rules(ruleset)) == {("never-matches", "logged-in")}


def test_rules_that_only_overlap_are_not_reported() -> None:
    ruleset = RuleSet(
        rules=(
            rule("get-admin", match={"paths": ["/wp-admin/*"], "methods": ["GET"]}),
            rule("admin", match={"paths": ["/wp-admin/*"]}),
            rule("cookie", bypass_when={"cookies": ["a_"]}),
            rule("other-cookie", bypass_when={"cookies": ["b_"]}),
            CATCH_ALL,
        )
    )
    assert lint_rules(ruleset) == []


def test_rule_without_paths_never_matches() -> None:
    ruleset = RuleSet(rules=(rule("empty", match={"paths": []}), CATCH_ALL))
    assert kinds(lint_rules(ruleset)) == {("never-matches", "empty")}


def test_response_check_below_every_cache_rule_never_applies() -> None:
    ruleset = RuleSet(
        rules=(rule("all", "cache"), rule("late", bypass_when={"response_set_cookie": True}))
    )
    assert ("never-matches", "late") in kinds(lint_rules(ruleset))


def test_missing_catch_all_is_a_warning() -> None:
    ruleset = RuleSet(rules=(rule("admin", match={"paths": ["/wp-admin/*"]}),))
    findings = lint_rules(ruleset)
    assert kinds(findings) == {("no-catch-all", None)}
    assert findings[0].severity == "warn"


def test_examples_that_disagree_about_the_same_request_are_a_contradiction() -> None:
    ruleset = RuleSet(
        rules=(
            rule("a", match={"paths": ["/a"]}, examples=[{"url": "/x", "expect": "cache"}]),
            rule("b", match={"paths": ["/b"]}, examples=[{"url": "/x", "expect": "bypass"}]),
            CATCH_ALL,
        )
    )
    findings = lint_rules(ruleset)
    assert ("contradiction", "b") in kinds(findings)
    assert "examples disagree on GET /x" in " ".join(f.message for f in findings)


def test_test_examples_warns_about_rules_without_examples_or_deciding_none() -> None:
    ruleset = RuleSet(
        rules=(
            rule("bare", match={"paths": ["/bare"]}),
            rule("idle", match={"paths": ["/idle"]}, examples=[{"url": "/", "expect": "cache"}]),
            rule("all", "cache", examples=[{"url": "/bare", "expect": "bypass"}]),
        )
    )
    report = cache_evaluate.test_examples(ruleset)
    assert kinds(report.findings) == {("no-examples", "bare"), ("unexercised", "idle")}
    assert {f.severity for f in report.findings} == {"warn"}
    assert report.ok


def test_report_fails_on_a_lint_error_even_when_every_example_passes() -> None:
    ruleset = RuleSet(
        rules=(
            rule(
                "a", match={"paths": ["/shop/*"]}, examples=[{"url": "/shop/", "expect": "bypass"}]
            ),
            rule("b", "cache", match={"paths": ["/shop/*"]}),
            rule("all", "cache", examples=[{"url": "/", "expect": "cache"}]),
        )
    )
    report = cache_evaluate.test_examples(ruleset)
    assert report.failed == ()
    assert not report.ok
    assert report.as_dict()["counts"]["errors"] == 1
