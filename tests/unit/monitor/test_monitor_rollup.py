"""Rollups fold probes into buckets with count, failures and latency quantiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parity.monitor.rollup import Point, bucket_start, rollup

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_probes_fold_into_aligned_buckets() -> None:
    points = [Point(T0 + timedelta(seconds=30 * i), i != 3, 0.01 * (i + 1)) for i in range(20)]
    rows = rollup(points, 300)
    assert [r.count for r in rows] == [10, 10]
    assert [r.failures for r in rows] == [1, 0]
    assert rows[0].bucket_start == T0
    assert rows[1].bucket_start == T0 + timedelta(minutes=5)
    assert rows[0].max_ms == 100.0
    assert rows[1].p50_ms == 155.0


def test_a_bucket_of_failures_has_no_latency() -> None:
    rows = rollup([Point(T0, False, None)], 300)
    assert rows[0].failures == 1 and rows[0].p95_ms is None


def test_bucket_start_is_aligned_in_utc() -> None:
    assert bucket_start(T0 + timedelta(seconds=299), 300) == T0
