"""The content import and rollback as the CLI composes them, for the integration tests.

The services take an open connection to the environment (``db``) and the store; these
helpers open the connection, run, and close it, like ``parity content import`` does.
"""

from __future__ import annotations

from typing import Any

from parity.config import Settings
from parity.content.importer import ImportRequest, import_run
from parity.content.importer import import_articles as import_through
from parity.content.importer import rollback_import as rollback_through
from parity.jobs import RunRecord
from parity.store import Store
from parity.targets.database import Database

__all__ = ["import_articles", "rollback_import"]


def import_articles(
    settings: Settings, request: ImportRequest, *, store: Store, **options: Any
) -> RunRecord:
    """Import through a connection to ``request.env`` opened for the run."""
    with Database.connect(settings.environment(request.env)) as db:
        return import_through(settings, request, db=db, store=store, **options)


def rollback_import(settings: Settings, run_id: int, *, store: Store, **options: Any) -> RunRecord:
    """Roll back through a connection to the environment the import wrote to."""
    scope = import_run(store, run_id).scope
    with Database.connect(settings.environment(scope)) as db:
        return rollback_through(settings, run_id, db=db, store=store, **options)
