"""parity's own state: snapshots, runs, measurements, checkpoints and leases.

One run/lease layer for every capability: ``leases`` (one holder at a time),
``holders`` (the ``host:pid:what`` holder format and the dead-holder check) and
``clock`` (aware UTC moments); runs of jobs and refreshes share one ledger
(``parity.jobs.records``).

SQLite at ``.parity/state.db`` by default, through SQLAlchemy Core, or PostgreSQL when
several machines share the work (``[state] url = "postgresql+psycopg://..."``, see
docs/scale.md). The schema is created and upgraded by numbered
migrations (``parity.store.migrations``) when the store is opened.
"""

from parity.store.leases import Lease, acquire_lease, release_lease, take_lease
from parity.store.migrations import SCHEMA_VERSION
from parity.store.state import Store, open_store

__all__ = [
    "SCHEMA_VERSION",
    "Lease",
    "Store",
    "acquire_lease",
    "open_store",
    "release_lease",
    "take_lease",
]
