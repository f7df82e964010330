"""The one clock of parity's state: every stored moment is an aware UTC datetime.

SQLite gives ``DateTime(timezone=True)`` columns back naive; :func:`as_utc` puts the
UTC zone back on them, so no caller compares a naive moment with an aware one.
:func:`store_now` is the clock leases are judged by: on PostgreSQL the database server's,
which every machine sharing the store shares, so a worker's wrong clock cannot steal or
keep a lease; on SQLite (one machine) this machine's.

>>> as_utc(datetime(2026, 11, 26, 13, 36, 15)).isoformat()
'2026-11-26T13:36:15+00:00'
>>> as_utc(None) is None
True
>>> utc_now().tzinfo is UTC
True
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from sqlalchemy import Connection, func, select

__all__ = ["as_utc", "store_now", "utc_now"]


def utc_now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """``value`` with its zone: a naive moment read from the store is UTC (None stays None)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def store_now(conn: Connection) -> datetime:
    """The current moment by the store's clock: the server's on PostgreSQL, else ours."""
    if conn.dialect.name == "postgresql":
        # clock_timestamp(), not now(): now() is frozen at the start of the transaction.
        moment: datetime = conn.execute(select(func.clock_timestamp())).scalar_one()
        return as_utc(moment).astimezone(UTC)
    return utc_now()
