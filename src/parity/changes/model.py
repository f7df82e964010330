"""A change record and its checks, as data; what changed, and the verdict (pure code).

A change is opened with the job ledger's words: an ``owner``, the ``expected`` result
(``--expect``, machine-checkable) and a rollback (here a ready command, not only a note).
Its ``baseline`` and every later check are plain JSON-ready dicts: they are what the
state store keeps and what ``parity change show --format json`` prints
(docs/json-output.md).

>>> things_changed([{"category": "plugins", "key": "mu-plugins/x.php", "change": "removed",
...     "severity": "error"}, {"category": "options", "key": "seo[sitemap][max]",
...     "change": "changed", "severity": "warn"}])
['plugin mu-plugins/x.php (removed)', 'option seo (changed)']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from parity.changes.expect import ExpectationResult
from parity.errors import InputError
from parity.vocabulary import iso_utc

__all__ = [
    "BACK_IN_RANGE",
    "BACK_IN_RANGE_S",
    "ChangeCheck",
    "ChangeRecord",
    "ChangeStatus",
    "CheckKind",
    "back_in_range",
    "check_change_name",
    "one_variable_warning",
    "things_changed",
    "timing_word",
    "verdict_of",
]

#: After a rollback, a route and mode are back in range when parity finds no difference
#: from the baseline, or their medians are within this fraction of the baseline's, or
#: within ``BACK_IN_RANGE_S`` of it (a cached page's few milliseconds are client and
#: scheduler noise, not a change anyone notices).
BACK_IN_RANGE = 0.20
BACK_IN_RANGE_S = 0.020

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

# Drift findings that follow from any request rather than from a change someone made.
_COUNTED = ("warn", "error")

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def check_change_name(name: str) -> str:
    """``name`` when it is 1-100 letters, digits, ``-_.`` (starting with a letter or digit).

    >>> check_change_name("faster-sample-page")
    'faster-sample-page'
    """
    if not _NAME.fullmatch(name):
        raise InputError(
            f"change name {name!r} must be 1-100 letters, digits, '-', '_' or '.',"
            " starting with a letter or digit"
        )
    return name


class ChangeStatus(StrEnum):
    """Where a change stands."""

    open = "open"
    rolled_back = "rolled back"


class CheckKind(StrEnum):
    """What a kept check was: a ``check`` after the change, or the ``rollback``."""

    check = "check"
    rollback = "rollback"


@dataclass
class ChangeRecord:
    """One change: who, what is expected, the ready rollback, and the baseline."""

    name: str
    environment: str
    owner: str
    expect: list[str]
    rollback_command: str
    routes: list[str]
    modes: list[str]
    samples: int
    opened_at: datetime
    baseline: dict[str, Any]
    query: str | None = None
    command: str | None = None
    note: str | None = None
    status: ChangeStatus = ChangeStatus.open
    commands: list[dict[str, Any]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (docs/json-output.md, ``parity change``)."""
        return {
            "id": self.id,
            "name": self.name,
            "environment": self.environment,
            "owner": self.owner,
            "expect": self.expect,
            "rollback_command": self.rollback_command,
            "query": self.query,
            "command": self.command,
            "note": self.note,
            "routes": self.routes,
            "modes": self.modes,
            "samples": self.samples,
            "status": self.status.value,
            "opened_at": iso_utc(self.opened_at),
            "baseline": self.baseline,
            "commands": self.commands,
            "assumptions": self.assumptions,
        }


@dataclass
class ChangeCheck:
    """One kept check (or rollback) of a change; ``body`` holds its evidence."""

    change_id: int
    kind: CheckKind
    at: datetime
    verdict: str  # met, "not met" (check); back, "not back" (rollback)
    message: str
    body: dict[str, Any]
    id: int | None = None

    @property
    def ok(self) -> bool:
        """True when the expectation was met, or the rollback brought the baseline back."""
        return self.verdict in ("met", "back")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "at": iso_utc(self.at),
            "verdict": self.verdict,
            "ok": self.ok,
            "message": self.message,
            **self.body,
        }


def _thing(finding: Mapping[str, Any]) -> str | None:
    category, key = str(finding.get("category", "")), str(finding.get("key", ""))
    change = finding.get("change", "changed")
    if key.startswith("("):  # "(autoloaded size)": a consequence, not a thing
        return None
    root = key.split("[", 1)[0].removesuffix(" (autoload)")
    if category == "plugins":
        return f"plugin {root} ({change})"
    if category == "options":
        return f"option {root} ({change})"
    if category == "http":
        return f"route {root.split(' ', 1)[0]} answers differently"
    if category == "schema":
        return f"table {root.split('.', 1)[0].split(' ', 1)[0]} ({change})"
    return f"{category} {root.split(' ', 1)[0]} ({change})"


def things_changed(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The distinct things a drift report says changed (warn and error findings), in order."""
    things: list[str] = []
    for finding in findings:
        if finding.get("severity") not in _COUNTED:
            continue
        thing = _thing(finding)
        if thing is not None and thing not in things:
            things.append(thing)
    return things


def one_variable_warning(things: Sequence[str]) -> str | None:
    """The "one variable at a time" warning when more than one thing changed, else None.

    >>> one_variable_warning(["plugin a.php (removed)", "option b (changed)"])[:80]
    'two things changed since the baseline: plugin a.php (removed) and option b (chan'
    """
    if len(things) < 2:
        return None
    count = _NUMBER_WORDS.get(len(things), str(len(things)))
    named = ", ".join(things[:-1]) + f" and {things[-1]}"
    return (
        f"{count} things changed since the baseline: {named}; change one variable at a"
        " time, or the comparison cannot say which one made the difference"
    )


def verdict_of(results: Sequence[ExpectationResult]) -> str:
    """``met`` when every expectation was met, else ``not met``."""
    return "met" if results and all(r.met for r in results) else "not met"


def timing_word(comparisons: Sequence[Mapping[str, Any]], mode: str | None) -> str:
    """What parity's statistics say about ``mode`` (every route): faster, slower, mixed...

    >>> timing_word([{"mode": "cold", "verdict": "faster"}], "cold")
    'faster'
    """
    verdicts = {str(c["verdict"]) for c in comparisons if c.get("mode") == mode}
    if not verdicts:
        return "not measured"
    return verdicts.pop() if len(verdicts) == 1 else "mixed (" + ", ".join(sorted(verdicts)) + ")"


def back_in_range(comparison: Mapping[str, Any]) -> bool:
    """Whether an after-rollback measurement is back in the baseline's range (see above)."""
    verdict = comparison.get("verdict")
    if verdict == "no difference":
        return True
    if verdict == "refused":
        return False
    ratio = comparison.get("median_ratio")
    if ratio is not None and abs(float(ratio) - 1) <= BACK_IN_RANGE:
        return True
    before, after = comparison.get("a") or {}, comparison.get("b") or {}
    if before.get("median") is None or after.get("median") is None:
        return False
    return abs(float(after["median"]) - float(before["median"])) <= BACK_IN_RANGE_S
