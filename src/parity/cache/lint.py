"""Find mistakes in a rule set without any request: dead rules and contradictions.

Errors (``parity cache test`` fails):

- ``contradiction``: a rule can never decide because an earlier rule already decides
  every request it would, the opposite way; or two examples describe the same request
  and response but expect different outcomes.
- ``never-matches``: a rule has no path, or an earlier rule already decides every request
  it would, the same way (it is dead weight), or a response-only rule has no cache rule
  at or below it (response conditions are checked only after a cache rule decided).

Warnings: ``no-catch-all`` (no rule decides every request, so the rest bypass by
default), ``no-examples``, ``unexercised`` (no example is decided by the rule).

Shadowing is found rule against rule: a later rule covered only by several earlier rules
together is not reported, and glob coverage is checked soundly but not completely
(``patterns.glob_covers``), so every report is real.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from parity.cache.patterns import glob_covers
from parity.cache.rules import Action, BypassConditions, CacheRule, RuleMatch, RuleSet

__all__ = ["LintFinding", "lint_coverage", "lint_examples", "lint_rules", "match_covers"]

Severity = Literal["error", "warn"]


@dataclass(frozen=True)
class LintFinding:
    """One problem found in a rule set."""

    severity: Severity
    kind: str
    rule: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "severity": self.severity,
            "kind": self.kind,
            "rule": self.rule,
            "message": self.message,
        }


def _methods_cover(broad: RuleMatch, narrow: RuleMatch) -> bool:
    if broad.any_method:
        return True
    if broad.methods:
        return bool(narrow.methods) and set(narrow.methods) <= set(broad.methods)
    excluded = set(broad.except_methods)
    if narrow.methods:
        return not set(narrow.methods) & excluded
    return bool(narrow.except_methods) and excluded <= set(narrow.except_methods)


def match_covers(broad: RuleMatch, narrow: RuleMatch) -> bool:
    """True when every request ``narrow`` applies to is one ``broad`` applies to."""
    paths = all(any(glob_covers(b, n) for b in broad.paths) for n in narrow.paths)
    return paths and _methods_cover(broad, narrow)


def _implies(narrow: BypassConditions, broad: BypassConditions) -> bool:
    """True when each request condition of ``narrow`` implies one of ``broad``."""

    def query_implied(parameter: str) -> bool:
        name = parameter.split("=", 1)[0]
        return parameter in broad.query or name in broad.query

    headers = {h.lower() for h in broad.headers}
    return (
        all(any(c.startswith(p) for p in broad.cookies) for c in narrow.cookies)
        and all(query_implied(q) for q in narrow.query)
        and all(h.lower() in headers for h in narrow.headers)
    )


def _shadow(earlier: CacheRule, later: CacheRule) -> Action | None:
    """How ``earlier`` decides every request ``later`` would decide, or None if it does not."""
    if earlier.response_only or not earlier.match.paths:
        return None
    if not match_covers(earlier.match, later.match):
        return None
    later_conditional = later.action == "bypass" and later.bypass_when.on_request
    if earlier.action == "bypass" and earlier.bypass_when.on_request:
        if not later_conditional or not _implies(later.bypass_when, earlier.bypass_when):
            return None
        return "bypass"
    if earlier.action == "bypass":
        return "bypass"
    # A cache rule decides every request it applies to; its own bypass conditions send
    # some of them to bypass.
    if later_conditional and _implies(later.bypass_when, earlier.bypass_when):
        return "bypass"
    return "cache"


def lint_rules(ruleset: RuleSet) -> list[LintFinding]:
    """Structural findings: contradictions, rules that never decide, no catch-all."""
    findings: list[LintFinding] = []
    rules = ruleset.rules
    for index, rule in enumerate(rules):
        if not rule.match.paths:
            findings.append(
                LintFinding("error", "never-matches", rule.name, f"rule {rule.name} has no path")
            )
            continue
        if rule.response_only:
            if not any(r.action == "cache" for r in rules[index:]):
                findings.append(
                    LintFinding(
                        "error",
                        "never-matches",
                        rule.name,
                        f"rule {rule.name} checks responses, but no cache rule comes at or "
                        "after it, and responses are checked only for requests a cache rule "
                        "decided",
                    )
                )
            continue
        for earlier in rules[:index]:
            outcome = _shadow(earlier, rule)
            if outcome is None:
                continue
            if outcome != rule.action:
                findings.append(
                    LintFinding(
                        "error",
                        "contradiction",
                        rule.name,
                        f"rule {rule.name} ({rule.action}) can never decide: the earlier rule "
                        f"{earlier.name} already decides every request it matches, and "
                        f"{outcome}s them",
                    )
                )
            else:
                findings.append(
                    LintFinding(
                        "error",
                        "never-matches",
                        rule.name,
                        f"rule {rule.name} can never decide: the earlier rule {earlier.name} "
                        f"already decides every request it matches (the same way: {outcome})",
                    )
                )
            break
    if not any(r.always_decides and r.match.any_path and r.match.any_method for r in rules):
        findings.append(
            LintFinding(
                "warn",
                "no-catch-all",
                None,
                "no rule decides every request: requests no rule decides bypass the cache; "
                'end with a rule matching every path (paths = ["*"]) to say so explicitly',
            )
        )
    findings += lint_examples(ruleset)
    return findings


def _example_key(rule: CacheRule, index: int) -> tuple[object, ...]:
    example = rule.examples[index]
    return (
        example.method,
        example.url,
        tuple(sorted(example.cookies.items())),
        tuple(sorted((k.lower(), v) for k, v in example.headers.items())),
        tuple(sorted((k.lower(), v) for k, v in example.response_headers.items())),
    )


def lint_examples(ruleset: RuleSet) -> list[LintFinding]:
    """Examples that describe the same request and response but expect different outcomes."""
    seen: dict[tuple[object, ...], tuple[str, int, Action]] = {}
    findings = []
    reported: set[tuple[object, ...]] = set()
    for rule in ruleset.rules:
        for index, example in enumerate(rule.examples):
            key = _example_key(rule, index)
            if key not in seen:
                seen[key] = (rule.name, index, example.expect)
                continue
            first_rule, first_index, first_expect = seen[key]
            if first_expect != example.expect and key not in reported:
                reported.add(key)
                findings.append(
                    LintFinding(
                        "error",
                        "contradiction",
                        rule.name,
                        f"examples disagree on {example.label()}: rule {first_rule} example "
                        f"{first_index + 1} expects {first_expect}, rule {rule.name} example "
                        f"{index + 1} expects {example.expect}",
                    )
                )
    return findings


def lint_coverage(
    ruleset: RuleSet, decided: Mapping[str, int], already: Iterable[LintFinding] = ()
) -> list[LintFinding]:
    """Warnings for rules without examples and rules that decide no example.

    ``decided`` counts the examples each rule decided; rules already reported in
    ``already`` are not reported again.
    """
    known = {f.rule for f in already if f.severity == "error"}
    findings = []
    for rule in ruleset.rules:
        if rule.name in known:
            continue
        if not rule.examples:
            findings.append(
                LintFinding(
                    "warn",
                    "no-examples",
                    rule.name,
                    f"rule {rule.name} has no examples: add a request it must cache and one "
                    "it must bypass",
                )
            )
        elif not decided.get(rule.name):
            findings.append(
                LintFinding(
                    "warn",
                    "unexercised",
                    rule.name,
                    f"rule {rule.name} decides none of the examples: add one it decides",
                )
            )
    return findings
