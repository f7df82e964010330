"""The state store on SQLite and on PostgreSQL: one schema, one set of migrations, leases
judged by the store's clock (the database server's on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from parity.errors import LockHeld
from parity.sandbox.postgres import Postgres
from parity.store import SCHEMA_VERSION, Store, acquire_lease, open_store, schema
from parity.store import clock as store_clock
from parity.store.clock import store_now

pytestmark = pytest.mark.store_backends


def test_the_same_migrations_build_the_same_schema_on_both(store: Store) -> None:
    inspector = inspect(store.engine)
    built = {
        name: sorted(column["name"] for column in inspector.get_columns(name))
        for name in inspector.get_table_names()
    }
    declared = {t.name: sorted(c.name for c in t.columns) for t in schema.metadata.sorted_tables}
    assert built == declared
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.schema_version.c.version)).scalar() == SCHEMA_VERSION


def test_stored_moments_come_back_as_aware_utc(store: Store) -> None:
    moment = datetime(2026, 12, 3, 13, 0, 0, 123456, tzinfo=UTC)
    lease = acquire_lease(store, "job:x", "run-1", timedelta(minutes=1), now=moment)
    with store.engine.connect() as conn:
        row = conn.execute(select(schema.leases)).one()
    assert store_clock.as_utc(row.expires_at) == lease.expires_at
    assert store_clock.as_utc(row.acquired_at).utcoffset() == timedelta(0)


def test_a_lease_is_judged_by_the_store_clock_not_a_machines_own(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    acquire_lease(store, "job:import", "machine-a", timedelta(minutes=5))
    # Machine b's clock runs an hour fast: by its own clock machine a's lease is over.
    fast = datetime.now(UTC) + timedelta(hours=1)
    monkeypatch.setattr(store_clock, "utc_now", lambda: fast)
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(LockHeld, match="held by machine-a"):
            acquire_lease(store, "job:import", "machine-b", timedelta(minutes=5))
    else:  # one machine, one clock: SQLite goes by it
        assert acquire_lease(store, "job:import", "machine-b", timedelta(minutes=5))


def test_store_now_is_the_database_servers_clock_on_postgresql(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_clock, "utc_now", lambda: datetime(2000, 1, 1, tzinfo=UTC))
    with store.engine.connect() as conn:
        now = store_now(conn)
    assert now.tzinfo is UTC
    if store.engine.dialect.name == "postgresql":
        assert abs(now - datetime.now(UTC)) < timedelta(minutes=5)
    else:
        assert now == datetime(2000, 1, 1, tzinfo=UTC)


def test_two_racing_owners_never_both_get_a_lease(store: Store) -> None:
    winners: list[str] = []
    start = threading.Barrier(4)

    def take(owner: str) -> None:
        start.wait()
        try:
            acquire_lease(store, "job:race", owner, timedelta(minutes=5))
        except LockHeld:
            return
        winners.append(owner)

    threads = [threading.Thread(target=take, args=(f"owner-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_a_bare_postgresql_url_opens_with_psycopg(postgres_server: Postgres) -> None:
    url = postgres_server.create_database("t_bare_url")
    try:
        store = open_store(url.replace("postgresql+psycopg://", "postgresql://"))
        with store:
            assert store.engine.dialect.driver == "psycopg"
            with store.engine.connect() as conn:
                version = conn.execute(select(schema.schema_version.c.version)).scalar()
            assert version == SCHEMA_VERSION
    finally:
        postgres_server.drop_database("t_bare_url")


def test_processes_opening_a_new_store_at_once_all_succeed(postgres_server: Postgres) -> None:
    """Workers starting together each open (and would migrate) the same new store."""
    url = postgres_server.create_database("t_opened_at_once")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            open_store(url).close()
        except BaseException as exc:  # the test reports whatever it was
            errors.append(exc)

    try:
        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with open_store(url) as store, store.engine.connect() as conn:
            assert conn.execute(select(schema.schema_version.c.version)).scalar() == SCHEMA_VERSION
    finally:
        postgres_server.drop_database("t_opened_at_once")
