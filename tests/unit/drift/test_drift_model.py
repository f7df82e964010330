"""Snapshots round-trip through JSON and through the state store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from parity.drift.model import OptionInfo, RouteProbe, Snapshot
from parity.drift.service import read_snapshot_file, write_snapshot_file
from parity.drift.storage import latest_snapshot, list_snapshots, load_snapshot, save_snapshot
from parity.errors import InputError
from parity.store import open_store

Make = Callable[..., Snapshot]


def test_json_round_trip_keeps_everything(make_snapshot: Make) -> None:
    snap = make_snapshot(
        options={"o": OptionInfo(value={"a": [1, None, "x", 1.5, True]}, owner="core")},
        http={"anon /": RouteProbe(route="/", status=200, headers={"vary": "Cookie"})},
        notes=["n"],
    )
    assert Snapshot.from_json(snap.to_json()) == snap


def test_snapshot_file_round_trip_and_bad_files(make_snapshot: Make, tmp_path: Path) -> None:
    snap = make_snapshot()
    path = tmp_path / "s.json"
    write_snapshot_file(snap, path)
    assert read_snapshot_file(path) == snap
    (tmp_path / "bad.json").write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a parity snapshot"):
        read_snapshot_file(tmp_path / "bad.json")


def test_store_migration_creates_the_snapshots_table(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    assert "snapshots" in inspect(store.engine).get_table_names()
    store.close()


def test_store_saves_loads_and_finds_the_latest(make_snapshot: Make, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    first = save_snapshot(store, make_snapshot(environment="staging"))
    later = make_snapshot(environment="staging")
    later = later.model_copy(update={"taken_at": later.taken_at + timedelta(hours=1)})
    second = save_snapshot(store, later)
    save_snapshot(store, make_snapshot(environment="production"))
    assert first.id is not None and second.id == first.id + 1
    assert load_snapshot(store, first.id) == first
    assert latest_snapshot(store, "staging") == second
    assert latest_snapshot(store, "nowhere") is None
    assert [r.id for r in list_snapshots(store, "staging")] == [second.id, first.id]
    assert list_snapshots(store)[0].taken_at.tzinfo is not None
    with pytest.raises(InputError, match="no snapshot #99"):
        load_snapshot(store, 99)
    store.close()


def test_label_names_environment_time_and_id(make_snapshot: Make) -> None:
    assert make_snapshot().with_id(7).label() == "production@2026-11-26T10:00:00Z (#7)"
