"""``--expect``: what a change should achieve, as machine-checkable expressions.

Pure code. An expectation is one of four forms (several are joined with ``and``, or
given as several ``--expect``):

=======================================  ================================================
``[MODE] median -20%``                   the median is at least 20% lower than the
                                         baseline, and parity's statistics call it
                                         *faster* (``+10%``: at most 10% higher)
``[MODE] p95 < 300ms``                   the p95 (or median) after the change, with
                                         ``<``, ``<=``, ``>``, ``>=`` and ``ms`` or ``s``
``query rows_examined < 1000``           the slow query's rows examined (``rows_examined``,
                                         ``rows_estimated``) or ``duration`` (``50ms``)
``command exit 0``                       the command's exit code
=======================================  ================================================

``MODE`` is ``cold``, ``warm`` or ``logged-in``; without it the expectation is about the
first of cold, logged-in, warm that was measured (cold: what a visitor the cache cannot
help sees). A timing expectation holds when it holds for every route of the change.

>>> [str(e) for e in parse_expectations(["median -20% and command exit 0"])]
['median -20%', 'command exit 0']
>>> parse_expectation("p95 < 300ms").threshold
0.3
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from parity.errors import InputError

__all__ = [
    "MODE_PREFERENCE",
    "CommandOutcome",
    "Expectation",
    "ExpectationResult",
    "QueryOutcome",
    "TimingOutcome",
    "default_mode",
    "evaluate",
    "parse_expectation",
    "parse_expectations",
    "timing_outcome",
]

Kind = Literal["relative", "absolute", "query", "command"]
Operator = Literal["<", "<=", ">", ">=", "="]

#: Which measured mode an expectation without a mode is about, first found wins.
MODE_PREFERENCE: tuple[str, ...] = ("cold", "logged-in", "warm")

_MODES = r"(?:(?P<mode>cold|warm|logged-in)\s+)?"
_RELATIVE = re.compile(
    _MODES + r"(?P<stat>median|p95)\s+(?P<sign>[-+])\s*(?P<pct>\d+(?:\.\d+)?)\s*%"
)
_ABSOLUTE = re.compile(
    _MODES + r"(?P<stat>median|p95)\s*(?P<op><=|>=|<|>|=)\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)"
)
_QUERY = re.compile(
    r"query\s+(?P<field>rows_examined|rows_estimated|duration)\s*(?P<op><=|>=|<|>|=)\s*"
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)?"
)
_COMMAND = re.compile(r"command\s+exit\s*(?:=\s*)?(?P<code>\d{1,3})")
_AND = re.compile(r"\s+and\s+|\s*&&\s*")

_FORMS = "`median -20%`, `p95 < 300ms`, `query rows_examined < 1000` or `command exit 0`"


@dataclass(frozen=True)
class Expectation:
    """One parsed expectation (see the module doc); ``text`` is how the user wrote it."""

    text: str
    kind: Kind
    mode: str | None = None
    stat: str | None = None  # median p95 (timings); rows_examined rows_estimated duration
    op: Operator = "<"
    threshold: float = 0.0  # seconds, rows, a fraction (relative) or an exit code

    def __str__(self) -> str:
        return self.text


def parse_expectation(text: str) -> Expectation:
    """One expectation; InputError naming the accepted forms when ``text`` is none of them."""
    clean = " ".join(text.split())
    lowered = clean.lower()
    if m := _RELATIVE.fullmatch(lowered):
        pct = float(m["pct"]) / 100
        if m["sign"] == "-" and not 0 < pct < 1:
            raise InputError(f"--expect {clean!r}: a decrease is between 0% and 100%")
        return Expectation(
            clean,
            "relative",
            m["mode"],
            m["stat"],
            "<=",
            1 - pct if m["sign"] == "-" else 1 + pct,
        )
    if m := _ABSOLUTE.fullmatch(lowered):
        seconds = float(m["num"]) / (1000 if m["unit"] == "ms" else 1)
        return Expectation(clean, "absolute", m["mode"], m["stat"], _op(m["op"]), seconds)
    if m := _QUERY.fullmatch(lowered):
        field, unit = m["field"], m["unit"]
        if (field == "duration") != (unit is not None):
            need = "a unit (ms or s)" if field == "duration" else "a count, without a unit"
            raise InputError(f"--expect {clean!r}: query {field} takes {need}")
        value = float(m["num"]) / (1000 if unit == "ms" else 1)
        return Expectation(clean, "query", None, field, _op(m["op"]), value)
    if m := _COMMAND.fullmatch(lowered):
        return Expectation(clean, "command", None, "exit", "=", float(m["code"]))
    raise InputError(f"--expect {clean!r} is not an expectation parity can check", hint=_FORMS)


def _op(text: str) -> Operator:
    ops: dict[str, Operator] = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "="}
    return ops[text]


def parse_expectations(texts: Iterable[str]) -> list[Expectation]:
    """Every expectation of every ``--expect`` (each may join several with ``and``)."""
    parsed = [parse_expectation(part) for text in texts for part in _AND.split(text.strip())]
    if not parsed:
        raise InputError("a change needs an expectation", hint=f"give --expect, e.g. {_FORMS}")
    return parsed


# -- what is evaluated ---------------------------------------------------------------------


@dataclass(frozen=True)
class TimingOutcome:
    """One route and mode: the baseline's and the after's numbers and parity's verdict."""

    route: str
    mode: str
    verdict: str  # faster slower "no difference" refused
    message: str
    before_median_s: float
    after_median_s: float
    before_p95_s: float
    after_p95_s: float
    p_value: float | None = None
    median_ratio: float | None = None


@dataclass(frozen=True)
class QueryOutcome:
    """The slow query after the change."""

    rows_examined: float | None
    rows_estimated: float | None
    duration_s: float | None


@dataclass(frozen=True)
class CommandOutcome:
    """The command after the change."""

    exit_code: int | None


@dataclass(frozen=True)
class ExpectationResult:
    """Whether one expectation was met, and the numbers that say so, in words."""

    expectation: str
    met: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"expect": self.expectation, "met": self.met, "detail": self.detail}


def _holds(value: float, op: Operator, threshold: float) -> bool:
    if op == "<":
        return value < threshold
    if op == "<=":
        return value <= threshold
    if op == ">":
        return value > threshold
    if op == ">=":
        return value >= threshold
    return value == threshold


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def default_mode(measured: Sequence[str]) -> str | None:
    """The mode an expectation without one is about (see ``MODE_PREFERENCE``).

    >>> default_mode(["warm", "logged-in"])
    'logged-in'
    """
    return next((m for m in MODE_PREFERENCE if m in measured), None)


def _timing(expect: Expectation, timings: Sequence[TimingOutcome]) -> ExpectationResult:
    measured = list(dict.fromkeys(t.mode for t in timings))
    mode = expect.mode or default_mode(measured)
    chosen = [t for t in timings if t.mode == mode]
    if not chosen:
        return ExpectationResult(expect.text, False, f"no {mode or 'timing'} measurement to judge")
    parts, met = [], True
    for t in chosen:
        before = t.before_median_s if expect.stat == "median" else t.before_p95_s
        after = t.after_median_s if expect.stat == "median" else t.after_p95_s
        where = f"{t.route} {t.mode}"
        if expect.kind == "absolute":
            ok = _holds(after, expect.op, expect.threshold)
            parts.append(f"{where}: {expect.stat} {_ms(after)} {expect.op} {_ms(expect.threshold)}")
        elif t.verdict == "refused":
            ok = False
            parts.append(f"{where}: {t.message}")
        else:
            ratio = after / before if before > 0 else float("inf")
            ok = ratio <= expect.threshold
            if expect.threshold < 1:
                # A decrease must also be one parity's statistics call faster.
                ok = ok and t.verdict == "faster"
            p = "" if t.p_value is None else f", p = {t.p_value:.3g}"
            parts.append(
                f"{where}: {t.verdict}, {expect.stat} {_ms(before)} -> {_ms(after)}"
                f" (ratio {ratio:.3f}{p})"
            )
        met = met and ok
    return ExpectationResult(expect.text, met, "; ".join(parts))


def _query(expect: Expectation, query: QueryOutcome | None) -> ExpectationResult:
    if query is None:
        return ExpectationResult(expect.text, False, "no --query was recorded with this change")
    value = {
        "rows_examined": query.rows_examined,
        "rows_estimated": query.rows_estimated,
        "duration": query.duration_s,
    }[expect.stat or ""]
    if value is None:
        return ExpectationResult(expect.text, False, f"the query's {expect.stat} is not known")
    ok = _holds(value, expect.op, expect.threshold)
    shown = _ms(value) if expect.stat == "duration" else f"{value:g}"
    return ExpectationResult(expect.text, ok, f"query {expect.stat} = {shown}")


def _command(expect: Expectation, command: CommandOutcome | None) -> ExpectationResult:
    if command is None or command.exit_code is None:
        return ExpectationResult(expect.text, False, "no --command was recorded with this change")
    ok = command.exit_code == int(expect.threshold)
    return ExpectationResult(expect.text, ok, f"the command exited {command.exit_code}")


def evaluate(
    expectations: Sequence[Expectation],
    timings: Sequence[TimingOutcome],
    query: QueryOutcome | None = None,
    command: CommandOutcome | None = None,
) -> list[ExpectationResult]:
    """Judge every expectation against what a check found."""
    results = []
    for expect in expectations:
        if expect.kind in ("relative", "absolute"):
            results.append(_timing(expect, timings))
        elif expect.kind == "query":
            results.append(_query(expect, query))
        else:
            results.append(_command(expect, command))
    return results


def timing_outcome(route: str, mode: str, comparison: Mapping[str, Any]) -> TimingOutcome:
    """A ``TimingOutcome`` from a comparison as ``Comparison.as_dict()`` gives it."""
    return TimingOutcome(
        route=route,
        mode=mode,
        verdict=str(comparison["verdict"]),
        message=str(comparison["message"]),
        before_median_s=float(comparison["a"]["median"]),
        after_median_s=float(comparison["b"]["median"]),
        before_p95_s=float(comparison["a"]["p95"]),
        after_p95_s=float(comparison["b"]["p95"]),
        p_value=comparison.get("p_value"),
        median_ratio=comparison.get("median_ratio"),
    )
