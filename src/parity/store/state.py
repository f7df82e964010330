"""Opening the state store.

A SQLite store is private: its file is created mode 0600 (its ``-wal`` and ``-shm``
files follow the file's mode) and an existing one readable by others is tightened to
0600. Its folder must exist, except the default ``.parity`` folder beside the config,
which is created mode 0700 (its parent must exist). A URL whose driver is not installed
is a ConfigError naming the package, not a traceback.

PostgreSQL is the store several machines share: ``postgresql+psycopg://user:pw@host/db``
(a bare ``postgresql://`` means the same: psycopg 3 is parity's PostgreSQL driver). The
same migrations build the same schema on both; leases there run on the server's clock.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from parity.errors import ConfigError
from parity.store.migrations import migrate

__all__ = ["DEFAULT_FOLDER", "Store", "open_store"]

#: The one folder parity creates for a SQLite store when it is missing (mode 0700).
DEFAULT_FOLDER = ".parity"


class Store:
    """A handle on parity's state database; a context manager that closes itself.

    ``with open_store(url) as store: ...`` releases the connection pool on the way out,
    whether the block returns or raises.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _prepare_sqlite_file(database: str) -> None:
    """Make sure the SQLite file's folder exists and the file is private (0600)."""
    if database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise ConfigError(f"[state] url: {folder} is not a folder")
        if folder.name != DEFAULT_FOLDER or not folder.parent.is_dir():
            raise ConfigError(
                f"[state] url: the folder {folder} does not exist",
                hint="create it (mode 0700) or point [state] url at an existing folder",
            )
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ConfigError(f"[state] url: cannot create {folder} ({exc.strerror})") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _tighten(path)
    except OSError as exc:
        raise ConfigError(f"[state] url: cannot create {path} ({exc.strerror})") from None
    else:
        os.close(fd)  # an empty file is an empty SQLite database


def _tighten(path: Path) -> None:
    """An existing store readable by others (made before 0600) becomes 0600."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(os.stat(file).st_mode)
            if mode & 0o077:
                os.chmod(file, mode & 0o700)
        except OSError:
            pass  # not ours to change, or gone: the store still opens


def _driver_missing(parsed: URL, exc: ImportError) -> ConfigError:
    module = (exc.name or "").split(".")[0] or "its driver"
    dialect = parsed.get_backend_name()
    return ConfigError(
        f"[state] url needs the Python module {module!r} for {dialect}, which is not installed",
        hint=f"install it in parity's environment (pip install {module}) or use sqlite",
    )


def open_store(url: str) -> Store:
    """Open (creating and migrating as needed) the state store at a SQLAlchemy URL.

    Raises ConfigError for an invalid URL, a missing folder (other than the default
    ``.parity``), a driver that is not installed, or a store that cannot be opened.
    """
    try:
        parsed = make_url(url)
    except SQLAlchemyError:
        raise ConfigError("[state] url is not a valid database URL") from None
    is_sqlite = parsed.drivername.startswith("sqlite")
    if is_sqlite and parsed.database:
        _prepare_sqlite_file(parsed.database)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        # A server store may restart under long-lived workers: test connections on checkout.
        engine = create_engine(parsed) if is_sqlite else create_engine(parsed, pool_pre_ping=True)
    except ImportError as exc:
        raise _driver_missing(parsed, exc) from None
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"[state] url cannot be used ({exc.__class__.__name__})",
            hint="see docs/configuration.md for the URLs parity accepts",
        ) from None
    if is_sqlite:

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
