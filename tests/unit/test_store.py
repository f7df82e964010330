"""The state store: migrations and leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from parity.errors import LockHeld
from parity.store import SCHEMA_VERSION, acquire_lease, open_store, release_lease, schema


def test_store_is_created_and_migrated_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / '.parity' / 'state.db'}"
    store = open_store(url)
    store.close()
    store = open_store(url)  # opening again does not re-run migrations
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.schema_version.c.version)).scalar() == SCHEMA_VERSION
    store.close()


def test_lease_blocks_second_owner_until_released(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    lease = acquire_lease(store, "refresh:staging", "run-1", timedelta(minutes=5))
    with pytest.raises(LockHeld, match="held by run-1"):
        acquire_lease(store, "refresh:staging", "run-2", timedelta(minutes=5))
    release_lease(store, lease)
    assert acquire_lease(store, "refresh:staging", "run-2", timedelta(minutes=5)).owner == "run-2"


def test_expired_lease_of_a_dead_run_is_taken_over(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    acquire_lease(store, "job:import", "dead-run", timedelta(seconds=30), now=start)
    later = start + timedelta(seconds=31)
    lease = acquire_lease(store, "job:import", "new-run", timedelta(seconds=30), now=later)
    assert lease.owner == "new-run"
