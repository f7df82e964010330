"""Where integration tests keep parity's state: SQLite files, or the sandbox's PostgreSQL.

``PARITY_TEST_STORE=postgresql`` runs the integration suite with every state store on
PostgreSQL: the session's sandboxes start their PostgreSQL (``up --with postgres``), so
their parity.toml's ``[state] url`` points there, and a test that wants a store of its
own gets a fresh database on it from :func:`fresh_state_url` instead of a SQLite file.
Unset (or ``sqlite``), nothing changes: SQLite files, no PostgreSQL started.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from parity.sandbox import Sandbox

__all__ = ["ON_POSTGRES", "SERVICES", "fresh_state_url", "sandbox_config_text"]

ON_POSTGRES = os.environ.get("PARITY_TEST_STORE", "sqlite") == "postgresql"
#: What the test sandboxes start besides WordPress's services.
SERVICES: tuple[str, ...] = ("postgres",) if ON_POSTGRES else ()


def fresh_state_url(sandbox: Sandbox, folder: Path) -> str:
    """A state store of the test's own: ``folder/state.db``, or a new database on the
    sandbox's PostgreSQL (dropped with the sandbox)."""
    if not ON_POSTGRES:
        return f"sqlite:///{folder / 'state.db'}"
    return sandbox.services.postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


def sandbox_config_text(sandbox: Sandbox) -> str:
    """The sandbox's parity.toml without what ``up --with`` added (its ``[state]`` and
    ``[jobs]`` lines), for a test that sets its own ``[state]``."""
    return sandbox.config_path.read_text("utf-8").split("\n# added by")[0]
