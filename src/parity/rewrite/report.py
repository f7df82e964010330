"""What a rewriter did: occurrences per pair and encoding, and what it left alone.

A report never holds the values themselves (they may hold secrets): only counts,
reasons, offsets and the caller's label for where a value came from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from parity.vocabulary import pair_dict

__all__ = ["Malformed", "RewriteReport", "Skipped"]

#: How many malformed values and skipped occurrences a report lists one by one.
DEFAULT_CAP = 100


@dataclass(frozen=True, slots=True)
class Malformed:
    """A value that looks PHP-serialized but does not parse; it was left as it was."""

    reason: str
    offset: int
    size: int
    where: str | None = None
    repaired: bool = False

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "reason": self.reason,
            "offset": self.offset,
            "size": self.size,
            "where": self.where,
            "repaired": self.repaired,
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """Occurrences found but deliberately not rewritten, and why."""

    reason: str
    occurrences: int
    where: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"reason": self.reason, "occurrences": self.occurrences, "where": self.where}


@dataclass
class RewriteReport:
    """Running totals of one :class:`~parity.rewrite.Rewriter` (or of one dry run).

    ``by_pair`` and ``by_encoding`` count occurrences replaced; ``by_pair_encoding`` has
    both keys. Malformed values and skipped occurrences are counted in full and listed up
    to ``cap`` entries each.
    """

    pairs: list[tuple[str, str]]
    cap: int = DEFAULT_CAP
    values_seen: int = 0
    values_scanned: int = 0  # values that held an anchor and were parsed
    values_changed: int = 0
    by_pair_encoding: Counter[tuple[int, str]] = field(default_factory=Counter)
    malformed_count: int = 0
    malformed: list[Malformed] = field(default_factory=list)
    repaired_count: int = 0
    skipped_count: int = 0
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def occurrences(self) -> int:
        """Occurrences replaced (or, in a dry run, that would be), all pairs."""
        return sum(self.by_pair_encoding.values())

    @property
    def by_pair(self) -> dict[tuple[str, str], int]:
        """Occurrences per (search, replace) pair."""
        totals: dict[tuple[str, str], int] = {pair: 0 for pair in self.pairs}
        for (index, _encoding), number in self.by_pair_encoding.items():
            totals[self.pairs[index]] += number
        return totals

    @property
    def by_encoding(self) -> dict[str, int]:
        """Occurrences per encoding (raw, json, block, url, and base64/... layers)."""
        totals: Counter[str] = Counter()
        for (_index, encoding), number in self.by_pair_encoding.items():
            totals[encoding] += number
        return dict(totals)

    def add_malformed(self, entry: Malformed) -> None:
        """Record a malformed value (and whether repair made it readable)."""
        self.malformed_count += 1
        if entry.repaired:
            self.repaired_count += 1
        if len(self.malformed) < self.cap:
            self.malformed.append(entry)

    def add_skipped(self, reason: str, occurrences: int, where: str | None) -> None:
        """Record occurrences that were found but not rewritten."""
        if occurrences <= 0:
            return
        self.skipped_count += occurrences
        self.skipped_by_reason[reason] += occurrences
        if len(self.skipped) < self.cap:
            self.skipped.append(Skipped(reason, occurrences, where))

    def merge(self, other: RewriteReport) -> None:
        """Add ``other``'s totals (same pairs) into this report."""
        self.values_seen += other.values_seen
        self.values_scanned += other.values_scanned
        self.values_changed += other.values_changed
        self.by_pair_encoding.update(other.by_pair_encoding)
        self.malformed_count += other.malformed_count
        self.repaired_count += other.repaired_count
        self.malformed.extend(other.malformed[: max(0, self.cap - len(self.malformed))])
        self.skipped_count += other.skipped_count
        self.skipped_by_reason.update(other.skipped_by_reason)
        self.skipped.extend(other.skipped[: max(0, self.cap - len(self.skipped))])

    def as_dict(self) -> dict[str, Any]:
        """The rewrite report every command prints (replace and refresh alike): the keys
        of :data:`parity.vocabulary.REWRITE_KEYS`."""
        return {
            "pairs": [pair_dict(search, replace) for search, replace in self.pairs],
            "occurrences": self.occurrences,
            "values_changed": self.values_changed,
            "by_pair": [
                {**pair_dict(search, replace), "occurrences": number}
                for (search, replace), number in self.by_pair.items()
            ],
            "by_encoding": dict(sorted(self.by_encoding.items())),
            "malformed": self.malformed_count,
            "not_rewritten": dict(sorted(self.skipped_by_reason.items())),
        }

    def malformed_examples(self) -> list[dict[str, Any]]:
        """The malformed values listed one by one (up to the cap): where and why."""
        return [entry.as_dict() for entry in self.malformed]
