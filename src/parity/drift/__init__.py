"""Drift: snapshot an environment and show what differs from another, WordPress-aware.

Pure parts (no I/O), exported here: the snapshot model (:mod:`~parity.drift.model`),
normalisation (:mod:`~parity.drift.normalise`), the comparable view of decoded PHP
values (:mod:`~parity.drift.comparable`; decoding is :mod:`parity.wordpress.phpvalue`'s),
the diff engine (:mod:`~parity.drift.diff`) and the ``[drift]`` settings (the renderers
are the CLI's: :mod:`parity.cli.drift_render`). The capture
(:mod:`parity.drift.capture`) reads an environment through its targets, and
:mod:`parity.drift.service` takes open targets and the store (:mod:`parity.drift.live` opens
them for the shells); they are imported from their modules,
so that ``parity.config`` can import :class:`DriftSection` without a cycle.

>>> from parity.drift.live import live_environments
>>> from parity.drift.service import drift_report
>>> live = live_environments(settings, section)
>>> drift_report("production", "staging", live=live, store=store, section=section).exit_code("warn")
0
"""

from __future__ import annotations

from parity.drift.diff import DiffRules, compare
from parity.drift.findings import DriftReport, Finding, Side
from parity.drift.model import Snapshot
from parity.drift.settings import CATEGORIES, DriftSection, Severity, drift_settings
from parity.drift.storage import latest_snapshot, list_snapshots, load_snapshot, save_snapshot

__all__ = [
    "CATEGORIES",
    "DiffRules",
    "DriftReport",
    "DriftSection",
    "Finding",
    "Severity",
    "Side",
    "Snapshot",
    "compare",
    "drift_settings",
    "latest_snapshot",
    "list_snapshots",
    "load_snapshot",
    "save_snapshot",
]
