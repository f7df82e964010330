"""Measurements are saved in the state store and come back whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parity.errors import InputError
from parity.measure.records import (
    Measurement,
    load_measurement,
    recent_measurements,
    save_measurement,
)
from parity.measure.sample import TimedSample
from parity.store.state import Store


def measurement(mode: str = "warm", status: str = "HIT") -> Measurement:
    samples = tuple(TimedSample(0.1 + i / 1000, status, i, 200) for i in range(5))  # type: ignore[arg-type]
    taken = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    return Measurement("staging", "http://s", "/hello-world/", mode, taken, samples)


def test_a_saved_measurement_loads_back_with_its_labelled_samples(store: Store) -> None:
    saved = save_measurement(store, measurement())
    assert saved.id is not None
    loaded = load_measurement(store, saved.id)
    assert loaded == saved
    assert loaded.samples[3] == TimedSample(0.1 + 3 / 1000, "HIT", 3, 200)


def test_summary_mix_and_unexpected_samples() -> None:
    m = measurement("cold", "HIT")
    assert m.cache_mix() == {"HIT": 5}
    assert m.unexpected() == 5  # cold mode should give MISS
    assert measurement().unexpected() == 0
    data = m.as_dict()
    assert data["summary"]["median"] == pytest.approx(0.102)
    assert data["expected_status"] == "MISS"
    assert len(data["samples"]) == 5
    assert "samples" not in m.as_dict(with_samples=False)


def test_unknown_ids_are_an_input_error(store: Store) -> None:
    with pytest.raises(InputError, match="no measurement #42"):
        load_measurement(store, 42)


def test_recent_measurements_newest_first(store: Store) -> None:
    first = save_measurement(store, measurement())
    second = save_measurement(store, measurement("cold", "MISS"))
    assert [m.id for m in recent_measurements(store)] == [second.id, first.id]
