"""Conditions of a check, Gatus-style: parsed from text, evaluated against one probe.

The grammar (one condition per string)::

    status == 200              status OP integer          OP: == != < <= > >=
    duration_ms < 500          this probe's time          (also p50_ms, p95_ms: over the
    p95_ms < 800                                           check's recent probes)
    body contains "Add to cart"        body not contains "Fatal error"
    header x-cache == HIT              header NAME (== | != | contains | not contains) VALUE

Each evaluation says in words what was seen and what was expected, so a page can say
*which* condition failed and why.

    >>> c = parse_condition('header x-cache == HIT')
    >>> evaluate(c, Observation(status=200, duration_s=0.01, headers={"x-cache": "MISS"})).reason
    'header x-cache was "MISS", expected == "HIT"'
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from parity.measure.stats import percentile

__all__ = [
    "Condition",
    "ConditionError",
    "ConditionResult",
    "Observation",
    "evaluate",
    "evaluate_all",
    "parse_condition",
]

Subject = Literal["status", "duration_ms", "p50_ms", "p95_ms", "body", "header"]

_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_TEXT_OPS = ("==", "!=", "contains", "not contains")

_NUMERIC = re.compile(
    r"(?P<subject>status|duration_ms|p50_ms|p95_ms)\s*(?P<op>==|!=|<=|>=|<|>)\s*"
    r"(?P<value>\d+(?:\.\d+)?)"
)
_BODY = re.compile(r"body\s+(?P<op>contains|not contains)\s+(?P<value>.+)")
_HEADER = re.compile(
    r"header\s+(?P<name>[A-Za-z0-9-]+)\s*(?P<op>==|!=|not contains|contains)\s*(?P<value>.+)"
)


class ConditionError(ValueError):
    """A condition parity does not understand; the message says what it accepts."""


@dataclass(frozen=True)
class Condition:
    """One parsed condition."""

    text: str
    subject: Subject
    op: str
    value: str | float
    header: str | None = None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


_HELP = (
    'use status OP N, duration_ms|p50_ms|p95_ms OP N, body [not] contains "...", or'
    " header NAME ==|!=|contains|not contains VALUE (OP: == != < <= > >=)"
)


def parse_condition(text: str) -> Condition:
    """Parse one condition; ConditionError when it is not one parity knows.

    >>> parse_condition("p95_ms < 800").value
    800.0
    >>> parse_condition('body contains "Hello world"').value
    'Hello world'
    """
    clean = " ".join(text.split())
    if found := _NUMERIC.fullmatch(clean):
        subject: Any = found["subject"]
        value = float(found["value"])
        if subject == "status" and not value.is_integer():
            raise ConditionError("a status is a whole number")
        return Condition(clean, subject, found["op"], value)
    if found := _BODY.fullmatch(clean):
        needle = _unquote(found["value"])
        if not needle:
            raise ConditionError("body contains needs some text")
        return Condition(clean, "body", found["op"], needle)
    if found := _HEADER.fullmatch(clean):
        return Condition(
            clean, "header", found["op"], _unquote(found["value"]), header=found["name"].lower()
        )
    raise ConditionError(f"unknown condition: {_HELP}")


@dataclass(frozen=True)
class Observation:
    """What one probe saw: the status, its time, headers (lower-case names) and body.

    ``recent_s`` holds the times of the check's recent probes, this one included, for
    ``p50_ms`` and ``p95_ms``. ``error`` is set when no answer came at all.
    """

    status: int | None
    duration_s: float | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None
    recent_s: Sequence[float] = ()


@dataclass(frozen=True)
class ConditionResult:
    """One condition's verdict on one probe, with what was seen, in words."""

    condition: str
    ok: bool
    observed: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "condition": self.condition,
            "ok": self.ok,
            "observed": self.observed,
            "reason": self.reason,
        }


def _number(value: float) -> str:
    return f"{value:g}" if value.is_integer() else f"{value:.1f}"


def _numeric(condition: Condition, seen: float, what: str) -> ConditionResult:
    assert isinstance(condition.value, float)
    ok = _NUMERIC_OPS[condition.op](seen, condition.value)
    shown = _number(seen)
    reason = f"{what} was {shown}" + ("" if ok else f", expected {condition.op} ")
    if not ok:
        reason += _number(condition.value)
    return ConditionResult(condition.text, ok, shown, reason)


def _text(condition: Condition, seen: str | None, what: str) -> ConditionResult:
    wanted = str(condition.value)
    if seen is None:
        ok = condition.op in ("!=", "not contains")
        return ConditionResult(condition.text, ok, None, f"{what} was missing")
    if condition.op == "==":
        ok = seen == wanted
    elif condition.op == "!=":
        ok = seen != wanted
    elif condition.op == "contains":
        ok = wanted in seen
    else:
        ok = wanted not in seen
    if condition.subject == "body":
        verb = "contains" if wanted in seen else "does not contain"
        return ConditionResult(condition.text, ok, None, f"body {verb} {wanted!r}")
    reason = f'{what} was "{seen}"' + ("" if ok else f', expected {condition.op} "{wanted}"')
    return ConditionResult(condition.text, ok, seen, reason)


def evaluate(condition: Condition, seen: Observation) -> ConditionResult:
    """The verdict of ``condition`` on the probe ``seen``."""
    if seen.error is not None or seen.status is None:
        return ConditionResult(condition.text, False, None, f"no answer: {seen.error}")
    if condition.subject == "status":
        return _numeric(condition, float(seen.status), "status")
    if condition.subject == "duration_ms":
        assert seen.duration_s is not None
        return _numeric(condition, seen.duration_s * 1000, "time (ms)")
    if condition.subject in ("p50_ms", "p95_ms"):
        window = list(seen.recent_s) or ([seen.duration_s] if seen.duration_s is not None else [])
        q = 50 if condition.subject == "p50_ms" else 95
        value = percentile(window, q) * 1000
        return _numeric(condition, value, f"p{q} over the last {len(window)} probes (ms)")
    if condition.subject == "body":
        return _text(condition, seen.body, "body")
    assert condition.header is not None
    return _text(condition, seen.headers.get(condition.header), f"header {condition.header}")


def evaluate_all(texts: Sequence[str], seen: Observation) -> list[ConditionResult]:
    """Every condition's verdict, in order (the texts were validated with the config)."""
    return [evaluate(parse_condition(text), seen) for text in texts]
