"""Rehearse a migration on a scratch copy of real data (``parity rehearse``).

Pure parts, exported here: :mod:`~parity.rehearse.parse` (sqlglot, MySQL dialect),
:mod:`~parity.rehearse.indexes`, :mod:`~parity.rehearse.inverse`,
:mod:`~parity.rehearse.plans`, :mod:`~parity.rehearse.queries`,
:mod:`~parity.rehearse.verdict`, the report models and the ``[rehearse]`` settings.
The I/O parts, :mod:`parity.rehearse.load` (the write load) and
:mod:`parity.rehearse.service` (the rehearsal itself, which receives its ``Database``),
are imported from their modules, so that ``parity.config`` can import
:class:`RehearseSection` without a cycle.

Example::

    from parity.rehearse.service import rehearse_migration
    report = rehearse_migration(env, Path("m.sql").read_text(), section=RehearseSection())
    report.passed
"""

from __future__ import annotations

from parity.rehearse.indexes import IndexDef, IndexFinding, index_findings
from parity.rehearse.model import ExplainReport, RehearsalReport
from parity.rehearse.plans import PlanChange, PlanSummary, diff_plans, summarise_plan
from parity.rehearse.settings import RehearseSection, rehearse_settings
from parity.rehearse.verdict import verdict_reasons

__all__ = [
    "ExplainReport",
    "IndexDef",
    "IndexFinding",
    "PlanChange",
    "PlanSummary",
    "RehearsalReport",
    "RehearseSection",
    "diff_plans",
    "index_findings",
    "rehearse_settings",
    "summarise_plan",
    "verdict_reasons",
]
