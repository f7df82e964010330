"""What a refresh (or a dry run, or a rollback) reports: per table and in total.

Plain data with a stable JSON form (``--format json``); the command line draws tables
from it. Nothing here holds a value from the databases, only names and counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from parity.refresh.transform import TableStats
from parity.vocabulary import pair_dict

__all__ = ["RefreshResult", "RollbackResult", "TableReport"]


@dataclass
class TableReport:
    """One table of a refresh."""

    source: str
    target: str
    rows: int = 0  # rows in the source after exclusions
    bytes: int = 0  # the server's estimate of the source table's size
    preserved: int = 0  # option rows kept from the target
    exclusions: tuple[str, ...] = ()
    stats: TableStats = field(default_factory=TableStats)
    resumed_from_row: int = 0
    checksum: str = "skipped"  # ok, skipped (values changed), mismatch
    verified: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        stats = self.stats.as_dict()
        stats.pop("by_pair")  # by the pair's index: the run's total names the pairs
        return {
            "source": self.source,
            "target": self.target,
            "rows": self.rows,
            "bytes": self.bytes,
            "preserved_rows": self.preserved,
            "exclusions": list(self.exclusions),
            "resumed_from_row": self.resumed_from_row,
            "checksum": self.checksum,
            "verified": self.verified,
            **stats,
        }


@dataclass
class RefreshResult:
    """Everything a refresh did (or, with ``dry_run``, would do)."""

    source: str
    target: str
    dry_run: bool
    run_id: int | None = None  # the run in the ledger (job ``refresh``); None in a dry run
    resumed: bool = False
    tables: list[TableReport] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    excluded_tables: list[tuple[str, str]] = field(default_factory=list)
    kept_target_tables: list[str] = field(default_factory=list)
    preserved_options: list[str] = field(default_factory=list)
    cleaned_leftovers: list[str] = field(default_factory=list)
    rollback_token: str | None = None
    dropped_rollback_points: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows copied (or to copy), all tables."""
        return sum(t.rows for t in self.tables)

    @property
    def bytes(self) -> int:
        """Estimated bytes of the copied tables."""
        return sum(t.bytes for t in self.tables)

    def totals(self) -> TableStats:
        """Every table's stats added up."""
        total = TableStats()
        for table in self.tables:
            total.add(table.stats)
        return total

    def scrubbed(self) -> dict[str, int]:
        """Values changed per scrub rule, all tables."""
        counts: Counter[str] = Counter()
        for table in self.tables:
            counts.update(table.stats.scrubbed)
        return dict(sorted(counts.items()))

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON form printed by ``parity refresh --format json``."""
        totals = self.totals()
        return {
            "dry_run": self.dry_run,
            "source": self.source,
            "target": self.target,
            "run_id": self.run_id,
            "resumed": self.resumed,
            "duration_s": round(self.seconds, 3),
            "rows": self.rows,
            "bytes": self.bytes,
            "rewrite": {
                "pairs": [pair_dict(search, replace) for search, replace in self.pairs],
                "occurrences": totals.occurrences,
                "values_changed": totals.values_changed,
                "by_pair": [
                    {**pair_dict(search, replace), "occurrences": totals.by_pair.get(index, 0)}
                    for index, (search, replace) in enumerate(self.pairs)
                ],
                "by_encoding": dict(sorted(totals.by_encoding.items())),
                "malformed": totals.malformed,
                "not_rewritten": dict(sorted(totals.not_rewritten.items())),
            },
            "scrub": self.scrubbed(),
            "prefix_mapped": totals.prefix_mapped,
            "preserved_options": self.preserved_options,
            "excluded_tables": [{"table": t, "reason": r} for t, r in self.excluded_tables],
            "kept_target_tables": self.kept_target_tables,
            "cleaned_leftovers": self.cleaned_leftovers,
            "rollback_token": self.rollback_token,
            "dropped_rollback_points": self.dropped_rollback_points,
            "purged": self.purged,
            "warnings": self.warnings,
            "tables": [t.as_dict() for t in self.tables],
        }


@dataclass
class RollbackResult:
    """What a rollback restored."""

    target: str
    token: str
    run_id: int | None  # the refresh undone (None: its run was not recorded)
    rollback_run_id: int | None = None  # this rollback's run (job ``refresh-rollback``)
    restored: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "target": self.target,
            "rollback_token": self.token,
            "run_id": self.run_id,
            "rollback_run_id": self.rollback_run_id,
            "restored": self.restored,
            "dropped": self.dropped,
            "purged": self.purged,
            "warnings": self.warnings,
        }
