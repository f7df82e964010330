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

from typing import TYPE_CHECKING

from parity.lazy import lazy_exports

if TYPE_CHECKING:
    from parity.refresh.checkpoints import RollbackPoint, RunRecord
    from parity.refresh.guards import check_guards, target_key
    from parity.refresh.phpass import check_portable_hash, portable_hash
    from parity.refresh.plan import RefreshPlan, TablePlan, build_plan
    from parity.refresh.progress import RefreshProgress
    from parity.refresh.report import RefreshResult, RollbackResult, TableReport
    from parity.refresh.rollback import refresh_history, rollback_refresh
    from parity.refresh.service import RefreshService
    from parity.refresh.settings import RefreshSection, ScrubRule, refresh_settings
    from parity.refresh.urls import refresh_pairs, url_pairs
    from parity.refresh.verify import VerificationFailed

__all__ = [
    "RefreshPlan",
    "RefreshProgress",
    "RefreshResult",
    "RefreshSection",
    "RefreshService",
    "RollbackPoint",
    "RollbackResult",
    "RunRecord",
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


# Loaded on first use, so importing a section model (config.py does) never pulls
# in the whole capability and its imports of parity.config.
_LAZY: dict[str, tuple[str, str]] = {
    "RollbackPoint": ("parity.refresh.checkpoints", "RollbackPoint"),
    "RunRecord": ("parity.refresh.checkpoints", "RunRecord"),
    "check_portable_hash": ("parity.refresh.phpass", "check_portable_hash"),
    "portable_hash": ("parity.refresh.phpass", "portable_hash"),
    "RefreshPlan": ("parity.refresh.plan", "RefreshPlan"),
    "TablePlan": ("parity.refresh.plan", "TablePlan"),
    "build_plan": ("parity.refresh.plan", "build_plan"),
    "RefreshResult": ("parity.refresh.report", "RefreshResult"),
    "RollbackResult": ("parity.refresh.report", "RollbackResult"),
    "TableReport": ("parity.refresh.report", "TableReport"),
    "RefreshProgress": ("parity.refresh.progress", "RefreshProgress"),
    "RefreshService": ("parity.refresh.service", "RefreshService"),
    "check_guards": ("parity.refresh.guards", "check_guards"),
    "refresh_history": ("parity.refresh.rollback", "refresh_history"),
    "rollback_refresh": ("parity.refresh.rollback", "rollback_refresh"),
    "target_key": ("parity.refresh.guards", "target_key"),
    "RefreshSection": ("parity.refresh.settings", "RefreshSection"),
    "ScrubRule": ("parity.refresh.settings", "ScrubRule"),
    "refresh_settings": ("parity.refresh.settings", "refresh_settings"),
    "refresh_pairs": ("parity.refresh.urls", "refresh_pairs"),
    "url_pairs": ("parity.refresh.urls", "url_pairs"),
    "VerificationFailed": ("parity.refresh.verify", "VerificationFailed"),
}


__getattr__ = lazy_exports(__name__, _LAZY, globals())
