"""The one clock of parity's state: every stored moment is an aware UTC datetime.

SQLite gives ``DateTime(timezone=True)`` columns back naive; :func:`as_utc` puts the
UTC zone back on them, so no caller compares a naive moment with an aware one.

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

__all__ = ["as_utc", "utc_now"]


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
