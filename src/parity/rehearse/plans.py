"""Query plans from ``EXPLAIN FORMAT=JSON`` / ``ANALYZE FORMAT=JSON``, and their diff.

Pure code. A plan is summed up per table access (access type, key, rows estimated and
rows read) plus whether the query sorts in a file or builds a temporary table, and its
time. Two summaries of one query, before and after a migration, give a change that is a
regression, an improvement, or neither, and says why in words.

>>> before = summarise_plan('{"query_block": {"table": {"table_name": "m",'
...     ' "access_type": "ref", "key": "meta_key", "rows": 10}}}')
>>> after = summarise_plan('{"query_block": {"table": {"table_name": "m",'
...     ' "access_type": "ALL", "rows": 200000}}}')
>>> diff_plans("meta lookup by key", before, after, rows_ratio=2, min_rows=1000).status
'regressed'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ACCESS_ORDER",
    "PlanChange",
    "PlanSummary",
    "TableAccess",
    "access_rank",
    "diff_plans",
    "summarise_plan",
]

#: MariaDB/MySQL access types from best to worst.
ACCESS_ORDER: tuple[str, ...] = (
    "system",
    "const",
    "eq_ref",
    "ref",
    "fulltext",
    "ref_or_null",
    "unique_subquery",
    "index_subquery",
    "range",
    "index_merge",
    "index",
    "ALL",
)

PlanStatus = Literal["regressed", "improved", "same"]


def access_rank(access_type: str) -> int:
    """Position of an access type in :data:`ACCESS_ORDER` (unknown types rank as ALL).

    >>> access_rank("ref") < access_rank("ALL")
    True
    """
    try:
        return ACCESS_ORDER.index(access_type)
    except ValueError:
        return len(ACCESS_ORDER) - 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class TableAccess(_Model):
    """How one table of a query is read."""

    table: str
    access_type: str
    key: str | None = None
    rows_estimated: float = 0
    rows_read: float | None = None

    @property
    def rows(self) -> float:
        """Rows read when measured (ANALYZE), else the estimate."""
        return self.rows_read if self.rows_read is not None else self.rows_estimated


class PlanSummary(_Model):
    """A query's plan in the few facts that decide its cost."""

    tables: list[TableAccess]
    filesort: bool = False
    temporary: bool = False
    time_s: float | None = None

    @property
    def rows_examined(self) -> float:
        """Rows read over every table access."""
        return sum(t.rows for t in self.tables)

    def describe(self) -> str:
        """One line: ``m: ref meta_key, 12 rows; filesort``."""
        parts = [
            f"{t.table}: {t.access_type}{' ' + t.key if t.key else ''}, {t.rows:.0f} rows"
            for t in self.tables
        ]
        if self.filesort:
            parts.append("filesort")
        if self.temporary:
            parts.append("temporary")
        if self.time_s is not None:
            parts.append(f"{self.time_s * 1000:.1f} ms")
        return "; ".join(parts)


class PlanChange(_Model):
    """One query before and after the migration, and what changed."""

    query: str
    before: PlanSummary
    after: PlanSummary
    status: PlanStatus
    reasons: list[str]
    #: True when the regression is past the thresholds (it fails the verdict).
    significant: bool = False


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def summarise_plan(plan_json: str | dict[str, Any]) -> PlanSummary:
    """The facts of an ``EXPLAIN``/``ANALYZE FORMAT=JSON`` document (MariaDB or MySQL)."""
    doc = json.loads(plan_json) if isinstance(plan_json, str) else plan_json
    tables: list[TableAccess] = []
    filesort = temporary = False
    for key, value in _walk(doc):
        if key == "table" and isinstance(value, dict) and "access_type" in value:
            loops = float(value.get("r_loops", 1) or 1)
            read = value.get("r_rows")
            estimated = value.get("rows", value.get("rows_examined_per_scan", 0)) or 0
            tables.append(
                TableAccess(
                    table=str(value.get("table_name", "?")),
                    access_type=str(value["access_type"]),
                    key=value.get("key"),
                    rows_estimated=float(estimated),
                    rows_read=None if read is None else float(read) * loops,
                )
            )
        elif key in ("filesort", "using_filesort") and value:
            filesort = True
        elif key in ("temporary_table", "using_temporary_table") and value:
            temporary = True
    block = doc.get("query_block", {}) if isinstance(doc, dict) else {}
    time_ms = block.get("r_total_time_ms") if isinstance(block, dict) else None  # ANALYZE only
    return PlanSummary(
        tables=tables,
        filesort=filesort,
        temporary=temporary,
        time_s=None if time_ms is None else round(float(time_ms) / 1000, 6),
    )


def diff_plans(
    query: str,
    before: PlanSummary,
    after: PlanSummary,
    *,
    rows_ratio: float,
    min_rows: int,
) -> PlanChange:
    """Compare two plans of ``query``: what got worse, what got better, in words.

    A regression is significant (fails the verdict) when the query examines at least
    ``min_rows`` rows afterwards and reads a table in a worse way or examines more than
    ``rows_ratio`` times the rows it did.
    """
    worse: list[str] = []
    better: list[str] = []
    old = {t.table: t for t in before.tables}
    for access in after.tables:
        prior = old.get(access.table)
        if prior is None:
            continue
        was = f"{prior.access_type}{' (' + prior.key + ')' if prior.key else ''}"
        now = f"{access.access_type}{' (' + access.key + ')' if access.key else ''}"
        if access_rank(access.access_type) > access_rank(prior.access_type):
            worse.append(f"{access.table}: {was} -> {now}")
        elif access_rank(access.access_type) < access_rank(prior.access_type):
            better.append(f"{access.table}: {was} -> {now}")
        elif prior.key != access.key:
            (better if access.rows < prior.rows else worse).append(
                f"{access.table}: key {prior.key} -> {access.key}"
            )
    for flag in ("filesort", "temporary"):
        was_on, now_on = getattr(before, flag), getattr(after, flag)
        if now_on and not was_on:
            worse.append(f"now uses a {flag}")
        elif was_on and not now_on:
            better.append(f"no longer uses a {flag}")
    rows_before, rows_after = before.rows_examined, after.rows_examined
    grew = rows_after > max(rows_before, 1) * rows_ratio
    shrank = rows_before > max(rows_after, 1) * rows_ratio
    if grew:
        worse.append(f"rows examined {rows_before:.0f} -> {rows_after:.0f}")
    elif shrank:
        better.append(f"rows examined {rows_before:.0f} -> {rows_after:.0f}")
    status: PlanStatus = "regressed" if worse else "improved" if better else "same"
    significant = status == "regressed" and rows_after >= min_rows
    return PlanChange(
        query=query,
        before=before,
        after=after,
        status=status,
        reasons=worse if worse else better,
        significant=significant,
    )
