"""parity's own state: snapshots, runs, measurements, checkpoints and leases.

SQLite at ``.parity/state.db`` by default, through SQLAlchemy Core so a team can point
``[state] url`` at PostgreSQL later. The schema is created and upgraded by numbered
migrations (``parity.store.migrations``) when the store is opened.
"""

from parity.store.leases import Lease, acquire_lease, release_lease
from parity.store.migrations import SCHEMA_VERSION
from parity.store.state import Store, open_store

__all__ = ["SCHEMA_VERSION", "Lease", "Store", "acquire_lease", "open_store", "release_lease"]
