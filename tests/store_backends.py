"""The state store under test on SQLite and on PostgreSQL.

A test module marked ``pytestmark = pytest.mark.store_backends`` runs each test that uses
the ``store`` fixture twice: on a fresh SQLite file, and on a PostgreSQL database (migrated
once, emptied after each test) of a private cluster that one session fixture starts
through the sandbox's own code (``parity.sandbox.postgres``).
``PARITY_TEST_STORE=postgresql`` puts every other ``store`` on PostgreSQL too (the whole
suite on PostgreSQL); ``PARITY_TEST_STORE=both`` runs every ``store`` test on both.
PostgreSQL tests are skipped, with the reason, only where PostgreSQL's programs are not
installed (CI installs them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from parity.sandbox.layout import Layout
from parity.sandbox.postgres import DEFAULT_POSTGRES_PORT, Postgres, find_postgres_bin
from parity.store import Store, open_store, schema

__all__ = [
    "BACKENDS",
    "backends_for",
    "default_backend",
    "open_test_store",
    "postgres_server",
    "postgres_store_url",
]

BACKENDS = ("sqlite", "postgresql")
#: Above the integration tests' private sandboxes (offset + 200).
_PORT_SHIFT = 300


def default_backend() -> str:
    """The backend of a ``store`` fixture that is not parametrised (sqlite unless told)."""
    wanted = os.environ.get("PARITY_TEST_STORE", "sqlite")
    return "postgresql" if wanted == "postgresql" else "sqlite"


def backends_for(node: pytest.Function | pytest.Item | object, marked: bool) -> tuple[str, ...]:
    """The backends a ``store`` test runs on: both when marked or asked for, else none
    (the fixture's default)."""
    if marked or os.environ.get("PARITY_TEST_STORE") == "both":
        return BACKENDS
    return ()


def _skip_reason() -> str | None:
    if find_postgres_bin() is None:
        return "PostgreSQL's programs are not installed (apt-get install postgresql)"
    if os.geteuid() != 0:
        return "the sandbox's PostgreSQL is started as root (through runuser)"
    return None


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """A private PostgreSQL cluster for the whole session, removed afterwards."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    offset = int(os.environ.get("PARITY_TEST_PORT_OFFSET", "0"))
    server = Postgres(
        Layout.at(tmp_path_factory.mktemp("postgres")), DEFAULT_POSTGRES_PORT + offset + _PORT_SHIFT
    )
    server.start()
    try:
        yield server
    finally:
        server.purge()


@contextmanager
def open_test_store(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> Iterator[Store]:
    """An empty store on ``backend``: a fresh SQLite file, or the session's PostgreSQL
    database (emptied again afterwards)."""
    if backend == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'state.db'}")
        try:
            yield opened
        finally:
            opened.close()
        return
    url: str = request.getfixturevalue("postgres_store_url")
    opened = open_store(url)
    try:
        yield opened
    finally:
        _empty(opened)
        opened.close()


def _empty(store: Store) -> None:
    """Every table of the store emptied, ids restarted (the schema stays migrated)."""
    tables = ", ".join(
        f'"{table.name}"'
        for table in schema.metadata.sorted_tables
        if table is not schema.schema_version
    )
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY")


@pytest.fixture(scope="session")
def postgres_store_url(postgres_server: Postgres) -> str:
    """One migrated database for the session's ``store`` tests (emptied after each)."""
    url = postgres_server.create_database(f"t_{uuid.uuid4().hex[:16]}")
    open_store(url).close()
    return url
