"""Numbered schema migrations, applied in order when the store is opened.

Each migration is a function of a connection; the version reached is kept in
``parity_schema``. Add a migration by appending to ``MIGRATIONS``; never edit a released one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select

from parity.store import schema

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]


def _v1_leases(conn: Connection) -> None:
    schema.leases.create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1_leases]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: Connection) -> int:
    """Bring the schema to ``SCHEMA_VERSION``; returns the version it started from."""
    schema.schema_version.create(conn, checkfirst=True)
    current = conn.execute(select(schema.schema_version.c.version)).scalar()
    if current is None:
        conn.execute(schema.schema_version.insert().values(version=0))
        current = 0
    for number in range(current, SCHEMA_VERSION):
        MIGRATIONS[number](conn)
        conn.execute(schema.schema_version.update().values(version=number + 1))
    return int(current)
