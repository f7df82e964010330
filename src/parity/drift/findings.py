"""Findings and the drift report: what differs, how much it matters, and the exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import JsonValue

from parity.drift.settings import CATEGORIES, Severity
from parity.vocabulary import iso_utc

__all__ = [
    "SEVERITIES",
    "Change",
    "DriftReport",
    "Finding",
    "Origin",
    "Side",
    "severity_rank",
]

#: Severities from least to most serious.
SEVERITIES: tuple[Severity, ...] = ("info", "warn", "error")

#: ``added``: only B has it; ``removed``: only A has it; ``changed``: both, different.
Change = Literal["added", "removed", "changed"]

#: Where a side of a comparison came from: captured now, the state store, a JSON file.
Origin = Literal["live", "store", "file"]


def severity_rank(severity: Severity) -> int:
    """0 for info, 1 for warn, 2 for error."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    """One difference between A and B."""

    category: str
    key: str
    severity: Severity
    change: Change
    a: JsonValue = None
    b: JsonValue = None
    group: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, JsonValue]:
        """JSON-ready form (see docs/drift.md for the shape)."""
        return {
            "category": self.category,
            "key": self.key,
            "severity": self.severity,
            "change": self.change,
            "a": self.a,
            "b": self.b,
            "group": self.group,
            "note": self.note,
        }


@dataclass(frozen=True)
class Side:
    """One side of a comparison: which environment, when, and from where."""

    label: str
    environment: str
    taken_at: datetime
    snapshot_id: int | None = None
    origin: Origin = "live"

    def as_dict(self) -> dict[str, JsonValue]:
        """JSON-ready form."""
        return {
            "label": self.label,
            "environment": self.environment,
            "taken_at": iso_utc(self.taken_at),
            "snapshot_id": self.snapshot_id,
            "origin": self.origin,
        }


def _order(finding: Finding) -> tuple[int, str, str]:
    category = (
        CATEGORIES.index(finding.category) if finding.category in CATEGORIES else len(CATEGORIES)
    )
    return category, finding.group, finding.key


@dataclass(frozen=True)
class DriftReport:
    """Every finding of one comparison, in report order, and how many were ignored."""

    a: Side
    b: Side
    findings: tuple[Finding, ...]
    ignored: int = 0
    duration_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(sorted(self.findings, key=_order)))

    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity present (``{"info": 0, ...}``)."""
        seen = Counter(f.severity for f in self.findings)
        return {s: seen.get(s, 0) for s in SEVERITIES}

    def worst(self) -> Severity | None:
        """The most serious severity found, or None when there is no finding."""
        ranks = [severity_rank(f.severity) for f in self.findings]
        return SEVERITIES[max(ranks)] if ranks else None

    def at_or_above(self, fail_on: Severity) -> list[Finding]:
        """The findings at or above ``fail_on``."""
        floor = severity_rank(fail_on)
        return [f for f in self.findings if severity_rank(f.severity) >= floor]

    def exit_code(self, fail_on: Severity) -> int:
        """0 when nothing at or above ``fail_on`` was found, else 1."""
        return 1 if self.at_or_above(fail_on) else 0

    def by_category(self) -> dict[str, list[Finding]]:
        """Findings grouped by category, in report order."""
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.category, []).append(finding)
        return groups

    def as_dict(self, fail_on: Severity) -> dict[str, JsonValue]:
        """The stable JSON form of the report (documented in docs/drift.md)."""
        return {
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
            "fail_on": fail_on,
            "drift": self.exit_code(fail_on) == 1,
            "counts": dict(self.counts()),
            "ignored": self.ignored,
            "notes": list(self.notes),
            "findings": [f.as_dict() for f in self.findings],
        }
