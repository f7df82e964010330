"""The results of ``parity cache verify``: per probe, per environment, and the differences.

Pure data and judgement (no I/O). How a probe's responses are judged:

- the **outcome** of its requests: ``cached`` (a HIT), ``bypassed`` (PASS), ``not stored``
  (MISS, then not a HIT either), or ``unknown`` (the cache does not say: no ``X-Cache``);
- expected **cache**: MISS then HIT (``Age`` present); later a third request must still be
  a HIT with ``Age`` risen (checked by the service);
- expected **bypass**: never a HIT, and not stored.

A finding is ``fail`` (exit 1), ``warn`` or ``info``. The JSON form is documented in
docs/cache.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from parity.cache.blame import Blame
from parity.cache.leaks import Leak
from parity.cache.observe import Observation
from parity.cache.rules import Action
from parity.cache.verify_plan import Probe
from parity.vocabulary import Severity

__all__ = [
    "Difference",
    "EnvironmentReport",
    "Finding",
    "Outcome",
    "ProbeResult",
    "Severity",
    "VerifyReport",
    "differences",
    "judge",
    "outcome_of",
]

Outcome = Literal["cached", "bypassed", "not stored", "unknown", "skipped"]


def outcome_of(observations: Sequence[Observation]) -> Outcome:
    """What a sequence of responses to one request says the cache did with it.

    >>> from parity.cache.observe import Observation as O
    >>> outcome_of([O("GET", "/", 200, "MISS"), O("GET", "/", 200, "HIT")])
    'cached'
    """
    statuses = [o.cache for o in observations]
    if not statuses:
        return "skipped"
    if "HIT" in statuses:
        return "cached"
    if statuses[0] == "PASS":
        return "bypassed"
    if None in statuses:
        return "unknown"
    return "not stored" if len(statuses) > 1 else "unknown"


def judge(expected: Action, observations: Sequence[Observation]) -> tuple[bool, str]:
    """Whether the responses meet the expectation, and why not (or a short confirmation)."""
    outcome = outcome_of(observations)
    seen = ", ".join(o.label() for o in observations)
    errors = [o for o in observations if o.status >= 500]
    if errors:
        return False, f"the site answered HTTP {errors[0].status} ({seen})"
    if outcome == "unknown":
        return False, f"cannot tell: the response has no X-Cache or Age ({seen})"
    if expected == "cache":
        statuses = [o.cache for o in observations]
        if statuses[:2] == ["MISS", "HIT"] or statuses[:2] == ["HIT", "HIT"]:
            hit = observations[1]
            if hit.age is None and hit.x_cache is not None:
                return True, f"{seen} (no Age header)"
            return True, seen
        if outcome == "bypassed":
            return False, f"expected MISS then HIT, but the cache passed it ({seen})"
        return False, f"expected MISS then HIT, got {seen}"
    if outcome == "cached":
        return False, f"should bypass the cache, but was served from it ({seen})"
    if outcome == "not stored" and observations[0].cache == "MISS":
        return True, f"{seen} (looked up, not stored)"
    return True, seen


@dataclass
class ProbeResult:
    """One probe: what was expected (and which rule says so), what came back, the verdict.

    ``passed`` is None for probes that expect nothing (``as served``) and for skipped
    ones; ``leaks`` and ``blame`` are filled for anonymous responses. ``ttl`` is how long
    the rules cache the response (None when they do not).
    """

    probe: Probe
    expected: Action | None
    decided_by: str | None = None
    reason: str = ""
    ttl: int | None = None
    observations: list[Observation] = field(default_factory=list)
    passed: bool | None = None
    detail: str = ""
    skipped: str | None = None
    leaks: list[Leak] = field(default_factory=list)
    blame: Blame | None = None

    @property
    def outcome(self) -> Outcome:
        """What the cache did (``skipped`` when not sent)."""
        return "skipped" if self.skipped else outcome_of(self.observations)

    @property
    def live_rule(self) -> str | None:
        """The ``X-Cache-Rule`` of the first response that has one."""
        return next((o.rule for o in self.observations if o.rule), None)

    @property
    def failed(self) -> bool:
        """True when the expectation failed or a leak was found."""
        return self.passed is False or bool(self.leaks)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            **self.probe.as_dict(),
            "expected": self.expected,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "ttl": self.ttl,
            "observed": [o.as_dict() for o in self.observations],
            "outcome": self.outcome,
            "live_rule": self.live_rule,
            "passed": self.passed,
            "detail": self.detail,
            "skipped": self.skipped,
            "leaks": [leak.as_dict() for leak in self.leaks],
            "blame": self.blame.as_dict() if self.blame else None,
        }


@dataclass(frozen=True)
class Finding:
    """Something ``verify`` reports beside the per-probe verdicts."""

    severity: Severity
    kind: str
    key: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "severity": self.severity,
            "kind": self.kind,
            "key": self.key,
            "message": self.message,
        }


@dataclass
class EnvironmentReport:
    """Every probe on one environment and what was found."""

    name: str
    url: str
    protected: bool
    logged_in_as: str | None
    results: list[ProbeResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        """Findings that make verify exit 1."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def result(self, key: str) -> ProbeResult:
        """The result of the probe called ``key`` (KeyError when there is none)."""
        for result in self.results:
            if result.probe.key == key:
                return result
        raise KeyError(key)

    def counts(self) -> dict[str, int]:
        """How many probes were sent, passed, failed and skipped; leaks; findings."""
        sent = [r for r in self.results if not r.skipped]
        return {
            "probes": len(sent),
            "passed": sum(1 for r in sent if r.passed),
            "failed": sum(1 for r in sent if r.passed is False),
            "skipped": len(self.results) - len(sent),
            "leaks": sum(len(r.leaks) for r in self.results),
            "errors": len(self.failures),
            "warnings": sum(1 for f in self.findings if f.severity == "warn"),
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "environment": self.name,
            "url": self.url,
            "protected": self.protected,
            "logged_in_as": self.logged_in_as,
            "ok": self.ok,
            "probes": [r.as_dict() for r in self.results],
            "findings": [f.as_dict() for f in self.findings],
            "counts": self.counts(),
        }


@dataclass(frozen=True)
class Difference:
    """A probe that came out differently on two environments."""

    key: str
    field: str
    values: tuple[str, str]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"key": self.key, "field": self.field, "a": self.values[0], "b": self.values[1]}


def _facts(result: ProbeResult) -> dict[str, str]:
    first = result.observations[0] if result.observations else None
    return {
        "outcome": result.outcome,
        "status": str(first.status) if first else "-",
        "rule": result.live_rule or "-",
        "verdict": {True: "ok", False: "FAIL", None: "-"}[result.passed],
    }


def differences(a: EnvironmentReport, b: EnvironmentReport) -> list[Difference]:
    """The probes sent on both environments whose outcome, first HTTP status, live rule
    or verdict differ. ``as served`` probes are compared on status only (their cache
    state depends on earlier visitors).
    """
    found: list[Difference] = []
    others = {r.probe.key: r for r in b.results if not r.skipped}
    for result in a.results:
        other = others.get(result.probe.key)
        if result.skipped or other is None:
            continue
        mine, theirs = _facts(result), _facts(other)
        fields = ("status",) if result.probe.check == "as served" else tuple(mine)
        for name in fields:
            if mine[name] != theirs[name]:
                found.append(Difference(result.probe.key, name, (mine[name], theirs[name])))
    return found


@dataclass
class VerifyReport:
    """``cache verify`` on one or two environments."""

    environments: list[EnvironmentReport]
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every environment passed (differences alone do not fail)."""
        return all(env.ok for env in self.environments)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``parity cache verify --format json`` (docs/cache.md)."""
        totals: dict[str, int] = {}
        for env in self.environments:
            for key, value in env.counts().items():
                totals[key] = totals.get(key, 0) + value
        return {
            "ok": self.ok,
            "environments": [env.as_dict() for env in self.environments],
            "differences": [d.as_dict() for d in self.differences],
            "counts": {**totals, "differences": len(self.differences)},
        }
