"""Decide, offline, whether the rules cache a request; check every example against them.

``decide`` is the reference semantics of a rule set (the renderers produce VCL and nginx
configuration that behave the same way; see ``parity.cache.rules`` for the evaluation
order). It does no I/O, so the live checks can use it to know what to expect::

    request = CacheRequest.build("/hello-world/", cookies={"comment_author_1": "Jane"})
    decide(default_ruleset(), request)
    # Decision(rule='commenter', action='bypass', ttl=None, reason='cookie comment_author_1 ...')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from parity.cache import patterns
from parity.cache.lint import LintFinding, lint_coverage, lint_rules
from parity.cache.rules import CACHEABLE_METHODS, Action, CacheExample, CacheRule, RuleSet

__all__ = [
    "CacheRequest",
    "CacheResponse",
    "Decision",
    "ExampleResult",
    "RulesReport",
    "decide",
    "test_examples",
]

Phase = Literal["request", "response", "default"]


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}


@dataclass(frozen=True)
class CacheRequest:
    """What the rules look at in a request: method, target (path + query) and headers.

    ``headers`` are keyed in lower case; cookies are in the ``cookie`` header.
    """

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        url: str,
        method: str = "GET",
        cookies: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> CacheRequest:
        """A request from its parts; an absolute ``http(s)://`` URL is reduced to its target.

        ``cookies`` are joined into one Cookie header after any Cookie in ``headers``.
        """
        if url.startswith(("http://", "https://")):
            parts = urlsplit(url)
            url = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lowered = _lower(headers)
        if cookies:
            pairs = "; ".join(f"{name}={value}" for name, value in cookies.items())
            lowered["cookie"] = f"{lowered['cookie']}; {pairs}" if lowered.get("cookie") else pairs
        return cls(url=url, method=method.upper(), headers=lowered)

    @classmethod
    def from_example(cls, example: CacheExample) -> CacheRequest:
        """The request an example describes."""
        return cls.build(example.url, example.method, example.cookies, example.headers)

    def header(self, name: str) -> str:
        """A header's value, or "" when absent."""
        return self.headers.get(name.lower(), "")

    def cookie_names(self) -> list[str]:
        """The names of the cookies sent, in order."""
        names = []
        for part in self.header("cookie").split(";"):
            name = part.split("=", 1)[0].strip()
            if name:
                names.append(name)
        return names


@dataclass(frozen=True)
class CacheResponse:
    """What the rules look at in a response: its headers (keyed in lower case)."""

    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, headers: Mapping[str, str] | None = None) -> CacheResponse:
        """A response from its headers (any case)."""
        return cls(headers=_lower(headers))

    def header(self, name: str) -> str:
        """A header's value, or "" when absent."""
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Decision:
    """What the rules do with a request: which rule decided, cache or bypass, and why.

    ``rule`` is None when no rule decided (the request bypasses by default). ``phase``
    says whether the request or the response settled it. ``response_checked`` is False
    when ``decide`` was given no response, so a ``cache`` is "cache unless the response
    trips a response condition".
    """

    rule: str | None
    action: Action
    ttl: int | None
    reason: str
    phase: Phase = "request"
    response_checked: bool = True

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "rule": self.rule,
            "action": self.action,
            "ttl": self.ttl,
            "reason": self.reason,
            "phase": self.phase,
            "response_checked": self.response_checked,
        }


def _applies(rule: CacheRule, request: CacheRequest) -> bool:
    match = rule.match
    if not match.allows_method(request.method):
        return False
    if match.any_path:
        return True
    return bool(patterns.compiled(patterns.path_regex(match.paths)).search(request.url))


def _match_reason(rule: CacheRule, request: CacheRequest) -> str:
    match = rule.match
    if match.any_path:
        where = "any path"
    else:
        where = next(
            (
                f"path {p}"
                for p in match.paths
                if patterns.compiled(patterns.path_regex([p])).search(request.url)
            ),
            "path",
        )
    if match.any_method:
        return where
    return f"{where}, method {request.method}"


def _request_condition(rule: CacheRule, request: CacheRequest) -> str | None:
    """Why a request condition of ``rule`` holds, or None when none does."""
    when = rule.bypass_when
    if when.cookies:
        header = request.header("cookie")
        if patterns.compiled(patterns.cookie_regex(when.cookies)).search(header):
            for name in request.cookie_names():
                for prefix in when.cookies:
                    if name.startswith(prefix):
                        return f"cookie {name} (prefix {prefix})"
            return "cookie prefix " + " or ".join(when.cookies)
    for parameter in when.query:
        if patterns.compiled(patterns.query_regex([parameter])).search(request.url):
            return f"query {parameter}"
    for name in when.headers:
        if request.header(name):
            return f"header {name}"
    return None


def _response_condition(rule: CacheRule, response: CacheResponse) -> str | None:
    """Why a response condition of ``rule`` holds, or None when none does."""
    when = rule.bypass_when
    if when.response_set_cookie and response.header("set-cookie"):
        return "response sets a cookie (Set-Cookie)"
    value = response.header("cache-control")
    for directive in when.response_cache_control:
        if patterns.compiled(patterns.cache_control_regex([directive])).search(value):
            return f"response says Cache-Control: {directive}"
    return None


def decide(
    ruleset: RuleSet, request: CacheRequest, response: CacheResponse | None = None
) -> Decision:
    """Which rule decides ``request`` (and ``response``, when given), and how.

    Request phase: the first rule that decides wins (a cache rule bypasses methods
    other than GET and HEAD). Response phase (only after a cache
    rule decided, and only when ``response`` is given): the response conditions of the
    rules at or above that rule whose match applies; the first that holds bypasses.
    """
    checks: list[CacheRule] = []
    for rule in ruleset.rules:
        if not _applies(rule, request):
            continue
        if rule.bypass_when.on_response:
            checks.append(rule)
        if rule.response_only:
            continue
        condition = _request_condition(rule, request)
        if rule.action == "bypass":
            if rule.bypass_when.on_request and condition is None:
                continue
            reason = condition or _match_reason(rule, request)
            return Decision(rule.name, "bypass", None, reason)
        if condition is not None:
            return Decision(rule.name, "bypass", None, f"{condition} (a bypass condition)")
        if request.method not in CACHEABLE_METHODS:
            reason = f"method {request.method}: only GET and HEAD are ever cached"
            return Decision(rule.name, "bypass", None, reason)
        if response is not None:
            for check in checks:
                why = _response_condition(check, response)
                if why is not None:
                    return Decision(check.name, "bypass", None, why, "response")
        reason = f"{_match_reason(rule, request)}; no bypass condition holds"
        return Decision(rule.name, "cache", rule.ttl, reason, response_checked=response is not None)
    return Decision(None, "bypass", None, "no rule decides: bypass by default", "default")


@dataclass(frozen=True)
class ExampleResult:
    """One example checked: the rule it belongs to, what was expected and what happened."""

    rule: str
    index: int
    example: CacheExample
    decision: Decision

    @property
    def passed(self) -> bool:
        """True when the rules do what the example expects."""
        return self.decision.action == self.example.expect

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        example = self.example
        return {
            "rule": self.rule,
            "index": self.index,
            "request": {
                "method": example.method,
                "url": example.url,
                "cookies": sorted(example.cookies),
                "headers": sorted(example.headers),
                "response_headers": dict(example.response_headers),
            },
            "note": example.note,
            "expected": example.expect,
            "actual": self.decision.action,
            "decided_by": self.decision.rule,
            "reason": self.decision.reason,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class RulesReport:
    """Every example's result and every lint finding of a rule set."""

    ruleset: RuleSet
    results: tuple[ExampleResult, ...]
    findings: tuple[LintFinding, ...]

    @property
    def failed(self) -> tuple[ExampleResult, ...]:
        """The examples the rules get wrong."""
        return tuple(r for r in self.results if not r.passed)

    @property
    def errors(self) -> tuple[LintFinding, ...]:
        """Lint findings that make ``parity cache test`` fail."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def ok(self) -> bool:
        """True when every example passes and lint found no error."""
        return not self.failed and not self.errors

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``parity cache test --format json`` (documented in docs/cache.md)."""
        return {
            "ok": self.ok,
            "rules": [
                {
                    "name": rule.name,
                    "origin": self.ruleset.origin(rule.name),
                    "summary": rule.summary(),
                }
                for rule in self.ruleset.rules
            ],
            "examples": [r.as_dict() for r in self.results],
            "findings": [f.as_dict() for f in self.findings],
            "counts": {
                "examples": len(self.results),
                "failed": len(self.failed),
                "errors": len(self.errors),
                "warnings": len(self.findings) - len(self.errors),
            },
        }


def test_examples(ruleset: RuleSet) -> RulesReport:
    """Decide every example of every rule against the whole rule set, and lint the rules.

    An example passes when the rules' action is the one it expects, whichever rule
    decided. The report also carries lint findings: contradictions, rules that can never
    decide, and (as warnings) rules without examples or that decide none of them.
    """
    results = []
    for rule in ruleset.rules:
        for index, example in enumerate(rule.examples):
            request = CacheRequest.from_example(example)
            response = CacheResponse.build(example.response_headers)
            results.append(
                ExampleResult(rule.name, index, example, decide(ruleset, request, response))
            )
    findings = lint_rules(ruleset)
    decided: dict[str, int] = {}
    for result in results:
        if result.decision.rule is not None:
            decided[result.decision.rule] = decided.get(result.decision.rule, 0) + 1
    findings += lint_coverage(ruleset, decided, already=findings)
    return RulesReport(ruleset, tuple(results), tuple(findings))


# Not a pytest test, whatever its name says.
test_examples.__test__ = False  # type: ignore[attr-defined]
