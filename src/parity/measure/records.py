"""Measurements in parity's state store: one row per route measured, with its samples.

saved = save_measurement(store, Measurement("staging", url, "/", "warm", now, samples))
again = load_measurement(store, saved.id)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from parity.errors import InputError
from parity.measure.compare import Sample, cache_mix
from parity.measure.sample import EXPECTED_STATUS, TimedSample
from parity.measure.stats import Summary, summarize
from parity.store import schema
from parity.store.clock import as_utc
from parity.store.state import Store
from parity.vocabulary import iso_utc

__all__ = ["Measurement", "load_measurement", "recent_measurements", "save_measurement"]


@dataclass(frozen=True)
class Measurement:
    """Timed samples of one route on one environment, in one mode (``id`` once saved)."""

    environment: str
    site_url: str
    route: str
    mode: str
    taken_at: datetime
    samples: tuple[TimedSample, ...]
    id: int | None = None

    def pure_samples(self) -> list[Sample]:
        """The samples as ``parity.measure.compare`` takes them."""
        return [s.as_sample() for s in self.samples]

    def summary(self) -> Summary:
        """Median, p95, MAD and the bootstrap interval of the median (seconds)."""
        return summarize(s.seconds for s in self.samples)

    def cache_mix(self) -> dict[str, int]:
        """How many samples had each cache status."""
        return cache_mix(self.pure_samples())

    def unexpected(self) -> int:
        """How many samples did not get the cache status their mode should give."""
        wanted = EXPECTED_STATUS.get(self.mode)
        return sum(1 for s in self.samples if s.cache_status != wanted)

    def non_2xx(self) -> int:
        """How many samples were answered with a status other than 2xx (a 500, a 302...)."""
        return sum(1 for s in self.samples if not s.ok)

    def http_statuses(self) -> dict[str, int]:
        """How many samples had each HTTP status (keys are strings, as in JSON)."""
        counts: dict[str, int] = {}
        for sample in self.samples:
            key = str(sample.http_status)
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def non_2xx_text(self) -> str:
        """``2 of 30 samples were not 2xx (HTTP 500 x2)``, or "" when all were 2xx."""
        bad = self.non_2xx()
        if not bad:
            return ""
        counts: dict[int, int] = {}
        for sample in self.samples:
            if not sample.ok:
                counts[sample.http_status] = counts.get(sample.http_status, 0) + 1
        statuses = ", ".join(f"HTTP {status} x{n}" for status, n in sorted(counts.items()))
        return f"{bad} of {len(self.samples)} samples were not 2xx ({statuses})"

    def label(self) -> str:
        """``#12 staging /hello-world/ warm``."""
        number = f"#{self.id} " if self.id is not None else ""
        return f"{number}{self.environment} {self.route} {self.mode}"

    def as_dict(self, *, with_samples: bool = True) -> dict[str, Any]:
        """Plain data for JSON output (documented in docs/measure.md)."""
        data: dict[str, Any] = {
            "id": self.id,
            "environment": self.environment,
            "site_url": self.site_url,
            "route": self.route,
            "mode": self.mode,
            "taken_at": iso_utc(self.taken_at),
            "expected_status": EXPECTED_STATUS.get(self.mode),
            "unexpected": self.unexpected(),
            "non_2xx": self.non_2xx(),
            "http_statuses": self.http_statuses(),
            "summary": {**self.summary().as_dict(), "cache_mix": self.cache_mix()},
        }
        if with_samples:
            data["samples"] = [s.as_dict() for s in self.samples]
        return data


def save_measurement(store: Store, measurement: Measurement) -> Measurement:
    """Insert ``measurement``; the same with its new ``id``."""
    body = json.dumps([s.as_dict() for s in measurement.samples])
    with store.engine.begin() as conn:
        result = conn.execute(
            insert(schema.measurements).values(
                environment=measurement.environment,
                site_url=measurement.site_url,
                route=measurement.route,
                mode=measurement.mode,
                taken_at=measurement.taken_at,
                samples=body,
            )
        )
        key = result.inserted_primary_key
    assert key is not None
    return replace(measurement, id=int(key[0]))


def _from_row(row: Any) -> Measurement:
    taken = as_utc(row.taken_at)
    samples = tuple(TimedSample.from_dict(d) for d in json.loads(row.samples))
    return Measurement(row.environment, row.site_url, row.route, row.mode, taken, samples, row.id)


def load_measurement(store: Store, measurement_id: int) -> Measurement:
    """The measurement saved as ``measurement_id``; InputError when there is none."""
    table = schema.measurements
    with store.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == measurement_id)).first()
    if row is None:
        raise InputError(
            f"no measurement #{measurement_id} in the state store",
            hint="`parity measure ENV --route ROUTE` prints the ids of what it saves",
        )
    return _from_row(row)


def recent_measurements(store: Store, limit: int = 20) -> list[Measurement]:
    """The latest ``limit`` measurements, newest first."""
    table = schema.measurements
    with store.engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.id.desc()).limit(limit)).all()
    return [_from_row(row) for row in rows]
