"""Refresh: copy production's database to staging, rewritten, scrubbed, atomic, resumable.

The pure parts (policy, URL pairs, naming, planning, scrubbing, prefix mapping, password
hashes, row transforms) do no I/O; :class:`RefreshService` puts them to work against the
two databases (through :mod:`parity.targets`) and parity's state store::

    service = RefreshService(production, staging, refresh_settings(settings), store)
    result = service.run(dry_run=True)    # what would happen; writes nothing
    result = service.run()                # copy, verify, swap, prune, purge
    rollback_refresh(staging, policy, store)

See docs/refresh.md for the design: shadow tables, one RENAME TABLE, checkpoints,
rollback points, guards.
"""

from __future__ import annotations

from parity.refresh.checkpoints import RollbackPoint
from parity.refresh.guards import check_guards, target_key
from parity.refresh.phpass import check_portable_hash, portable_hash
from parity.refresh.plan import RefreshPlan, TablePlan, build_plan
from parity.refresh.progress import RefreshProgress
from parity.refresh.report import RefreshResult, RollbackResult, TableReport
from parity.refresh.rollback import refresh_history, rollback_refresh
from parity.refresh.runs import RefreshRun
from parity.refresh.service import RefreshService
from parity.refresh.settings import RefreshSection, ScrubRule, refresh_settings
from parity.refresh.urls import refresh_pairs, url_pairs
from parity.refresh.verify import VerificationFailed

__all__ = [
    "RefreshPlan",
    "RefreshProgress",
    "RefreshResult",
    "RefreshRun",
    "RefreshSection",
    "RefreshService",
    "RollbackPoint",
    "RollbackResult",
    "ScrubRule",
    "TablePlan",
    "TableReport",
    "VerificationFailed",
    "build_plan",
    "check_guards",
    "check_portable_hash",
    "portable_hash",
    "refresh_history",
    "refresh_pairs",
    "refresh_settings",
    "rollback_refresh",
    "target_key",
    "url_pairs",
]
