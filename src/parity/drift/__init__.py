"""Drift: snapshot an environment and show what differs from another, WordPress-aware.

Pure parts (no I/O), exported here: the snapshot model (:mod:`~parity.drift.model`),
normalisation (:mod:`~parity.drift.normalise`), the comparable view of decoded PHP
values (:mod:`~parity.drift.comparable`; decoding is :mod:`parity.wordpress.phpvalue`'s),
the diff engine (:mod:`~parity.drift.diff`), the renderers (:mod:`~parity.drift.render`)
and the ``[drift]`` settings. The capture
(:mod:`parity.drift.capture`) reads an environment through its targets, and
:mod:`parity.drift.service` is what the shells call; they are imported from their modules,
so that ``parity.config`` can import :class:`DriftSection` without a cycle.

>>> from parity.drift.service import drift_report
>>> drift_report(settings, "production", "staging").exit_code("warn")
0
"""

from __future__ import annotations

from parity.drift.diff import DiffRules, compare
from parity.drift.findings import DriftReport, Finding, Side
from parity.drift.model import Snapshot
from parity.drift.render import markdown_report, snapshot_table, table_report
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
    "markdown_report",
    "save_snapshot",
    "snapshot_table",
    "table_report",
]
