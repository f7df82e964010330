"""A command's maintenance window: open while it runs, closed when it ends, however."""

from __future__ import annotations

import pytest

from parity.monitor.markers import maintenance_while
from parity.monitor.records import MonitorRecords
from parity.store import Store
from parity.store.clock import utc_now


def test_the_window_is_active_during_the_block_and_closed_after(store: Store) -> None:
    records = MonitorRecords(store)
    with maintenance_while(store, "staging", reason="refresh from production", source="refresh"):
        active = records.windows("staging", active_at=utc_now())
        assert [w.reason for w in active] == ["refresh from production"]
    assert records.windows("staging", active_at=utc_now()) == []
    assert records.windows("production", active_at=utc_now()) == []


def test_the_window_is_closed_when_the_command_fails(store: Store) -> None:
    records = MonitorRecords(store)
    with (
        pytest.raises(RuntimeError),
        maintenance_while(store, "staging", reason="refresh", source="refresh"),
    ):
        raise RuntimeError("the refresh failed")
    assert records.windows("staging", active_at=utc_now()) == []
    assert len(records.windows("staging")) == 1
