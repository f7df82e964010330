"""Opening the state store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from parity.errors import ConfigError
from parity.store.migrations import migrate

__all__ = ["Store", "open_store"]


class Store:
    """A handle on parity's state database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Open (creating and migrating as needed) the state store at a SQLAlchemy URL."""
    try:
        parsed = make_url(url)
    except SQLAlchemyError:
        raise ConfigError("[state] url is not a valid database URL") from None
    if parsed.drivername.startswith("sqlite") and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    if parsed.drivername.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # WAL lets a reader (the dashboard) and a writer (a job) work side by side.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

    try:
        with engine.begin() as conn:
            migrate(conn)
    except SQLAlchemyError as exc:
        safe = parsed.render_as_string(hide_password=True)
        raise ConfigError(
            f"state store {safe} could not be opened: {exc.__class__.__name__}"
        ) from None
    return Store(engine)
