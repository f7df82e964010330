"""Drift: snapshot an environment and show what differs from another, WordPress-aware.

Pure parts (no I/O), exported here: the snapshot model (:mod:`~parity.drift.model`),
normalisation (:mod:`~parity.drift.normalise`), the PHP-serialized decoder
(:mod:`~parity.drift.phpvalue`), the diff engine (:mod:`~parity.drift.diff`), the
renderers (:mod:`~parity.drift.render`) and the ``[drift]`` settings. The capture
(:mod:`parity.drift.capture`) reads an environment through its targets, and
:mod:`parity.drift.service` is what the shells call; they are imported from their modules,
so that ``parity.config`` can import :class:`DriftSection` without a cycle.

>>> from parity.drift.service import drift_report
>>> drift_report(settings, "production", "staging").exit_code("warn")
0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parity.lazy import lazy_exports

if TYPE_CHECKING:
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


# Loaded on first use, so importing a section model (config.py does) never pulls
# in the whole capability and its imports of parity.config.
_LAZY: dict[str, tuple[str, str]] = {
    "DiffRules": ("parity.drift.diff", "DiffRules"),
    "compare": ("parity.drift.diff", "compare"),
    "DriftReport": ("parity.drift.findings", "DriftReport"),
    "Finding": ("parity.drift.findings", "Finding"),
    "Side": ("parity.drift.findings", "Side"),
    "Snapshot": ("parity.drift.model", "Snapshot"),
    "markdown_report": ("parity.drift.render", "markdown_report"),
    "snapshot_table": ("parity.drift.render", "snapshot_table"),
    "table_report": ("parity.drift.render", "table_report"),
    "CATEGORIES": ("parity.drift.settings", "CATEGORIES"),
    "DriftSection": ("parity.drift.settings", "DriftSection"),
    "Severity": ("parity.drift.settings", "Severity"),
    "drift_settings": ("parity.drift.settings", "drift_settings"),
    "latest_snapshot": ("parity.drift.storage", "latest_snapshot"),
    "list_snapshots": ("parity.drift.storage", "list_snapshots"),
    "load_snapshot": ("parity.drift.storage", "load_snapshot"),
    "save_snapshot": ("parity.drift.storage", "save_snapshot"),
}


__getattr__ = lazy_exports(__name__, _LAZY, globals())
