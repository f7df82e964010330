"""The verdict: which measured facts fail a rehearsal, against the ``[rehearse]`` thresholds.

Pure code.

>>> from parity.rehearse.model import StatementRun
>>> run = StatementRun(number=1, table="wp_postmeta", kind="alter_table",
...                    algorithm="COPY", duration_s=2.0, table_rows=200000)
>>> verdict_reasons([run], [], None, RehearseSection())
['statement 1 needs ALGORITHM=COPY on wp_postmeta (200000 rows > 100000)']
"""

from __future__ import annotations

from collections.abc import Sequence

from parity.rehearse.model import QueryError, StatementRun
from parity.rehearse.plans import PlanChange
from parity.rehearse.settings import RehearseSection

__all__ = ["verdict_reasons"]


def verdict_reasons(
    runs: Sequence[StatementRun],
    plans: Sequence[PlanChange],
    rollback_restored: bool | None,
    section: RehearseSection,
    *,
    query_errors: Sequence[QueryError] = (),
    rollback_differences: Sequence[str] = (),
) -> list[str]:
    """Why the rehearsal fails, in words (empty: it passes)."""
    reasons: list[str] = []
    for run in runs:
        if run.algorithm == "COPY" and run.table_rows > section.copy_max_rows:
            reasons.append(
                f"statement {run.number} needs ALGORITHM=COPY on {run.table}"
                f" ({run.table_rows} rows > {section.copy_max_rows})"
            )
        if run.load is not None and run.load.longest_stall_s > section.max_write_stall_s:
            reasons.append(
                f"statement {run.number} blocked writes to {run.table} for"
                f" {run.load.longest_stall_s:.2f}s (> {section.max_write_stall_s}s;"
                f" {run.load.blocked_writes} writes blocked)"
            )
    for change in plans:
        if change.significant:
            reasons.append(f"query '{change.query}' regresses: {'; '.join(change.reasons)}")
    for error in query_errors:
        if error.when == "after":
            reasons.append(f"query '{error.query}' fails after the migration: {error.error}")
    if rollback_restored is False:
        detail = "; ".join(rollback_differences) or "no inverse for every statement"
        reasons.append(f"the rollback does not restore the schema: {detail}")
    return reasons
