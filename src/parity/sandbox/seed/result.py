"""What a seed run did, per kind of record, for the table and JSON outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "KindCount", "SampleArticle", "SeedResult"]

#: The kinds of record a seed reports, in the order it shows them.
KINDS: tuple[str, ...] = (
    "articles",
    "pages",
    "attachments",
    "users",
    "comments",
    "terms",
    "options",
    "transients",
    "files",
)


@dataclass
class KindCount:
    """How many records of one kind were added, updated, left as they were, removed."""

    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many records of this kind production holds from the seed now."""
        return self.added + self.updated + self.unchanged

    def count(self, status: str) -> None:
        """Count one record as ``added``, ``updated``, ``unchanged`` or ``removed``."""
        setattr(self, status, getattr(self, status) + 1)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "total": self.total,
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class SampleArticle:
    """Where the sample article ended up."""

    source_id: str
    title: str
    post_id: int
    path: str
    url: str


@dataclass
class SeedResult:
    """One run of ``parity sandbox seed``. Holds no secret."""

    url: str
    database: str
    articles: int
    seed: int
    counts: dict[str, KindCount]
    sample: SampleArticle
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether the run wrote anything."""
        return any(c.added or c.updated or c.removed for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json`` (stable keys, see docs/sandbox.md)."""
        return {
            "site": "production",
            "url": self.url,
            "database": self.database,
            "articles": self.articles,
            "seed": self.seed,
            "changed": self.changed,
            "duration_s": round(self.seconds, 3),
            "sample": {
                "source_id": self.sample.source_id,
                "title": self.sample.title,
                "post_id": self.sample.post_id,
                "path": self.sample.path,
                "url": self.sample.url,
            },
            "counts": {kind: self.counts[kind].as_dict() for kind in KINDS},
        }
