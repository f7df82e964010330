"""Rollups: many probes folded into one row per check per time bucket (pure).

50 checks every 30 s for 30 days is 4.3 million probes; at 5-minute buckets the same
history is 432,000 rows, each with the count, the failures and the latency quantiles a
sparkline or an uptime figure needs. Raw probes are kept only for ``retention.raw``.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, 12, 7, 30, tzinfo=UTC)
    >>> bucket_start(t, 300).isoformat()
    '2026-01-01T12:05:00+00:00'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from parity.measure.stats import percentile

__all__ = ["Point", "Rollup", "bucket_start", "rollup"]


@dataclass(frozen=True)
class Point:
    """One probe as a rollup sees it."""

    at: datetime
    ok: bool
    duration_s: float | None


@dataclass(frozen=True)
class Rollup:
    """The probes of one check in one bucket."""

    bucket_start: datetime
    bucket_s: int
    count: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "bucket_start": self.bucket_start.isoformat(),
            "bucket_s": self.bucket_s,
            "count": self.count,
            "failures": self.failures,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "max_ms": self.max_ms,
        }


def bucket_start(at: datetime, bucket_s: int) -> datetime:
    """The start of the bucket ``at`` falls in (buckets are aligned on the epoch, UTC)."""
    epoch = int(at.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(epoch - epoch % bucket_s, UTC)


def rollup(points: Iterable[Point], bucket_s: int) -> list[Rollup]:
    """One Rollup per bucket that has probes, oldest first."""
    buckets: dict[datetime, list[Point]] = {}
    for point in points:
        buckets.setdefault(bucket_start(point.at, bucket_s), []).append(point)
    rows = []
    for start in sorted(buckets):
        members = buckets[start]
        times = [p.duration_s * 1000 for p in members if p.ok and p.duration_s is not None]
        rows.append(
            Rollup(
                bucket_start=start,
                bucket_s=bucket_s,
                count=len(members),
                failures=sum(1 for p in members if not p.ok),
                p50_ms=round(percentile(times, 50), 1) if times else None,
                p95_ms=round(percentile(times, 95), 1) if times else None,
                max_ms=round(max(times), 1) if times else None,
            )
        )
    return rows
