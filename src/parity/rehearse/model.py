"""What a rehearsal found: the report and its parts (pydantic models, JSON-ready).

The JSON document (``--format json``) is :meth:`RehearsalReport.to_json` under the
shared vocabulary: ``environment``, durations in ``*_s``, moments ISO 8601 ``+00:00``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from parity.rehearse.indexes import IndexDef, IndexFinding
from parity.rehearse.plans import PlanChange, PlanSummary

__all__ = [
    "AlgorithmAttempt",
    "CopyInfo",
    "ExplainReport",
    "LoadResult",
    "QueryError",
    "RehearsalReport",
    "Rollback",
    "StatementRun",
    "StatementSummary",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class CopyInfo(_Model):
    """The copy of one table the rehearsal ran on: where its rows came from, and how.

    ``how`` is ``made`` (copied from the environment's table), ``reused`` (a copy kept by
    an earlier ``--keep`` run whose source still has the recorded checksum) or
    ``refreshed`` (copied from production through the refresh machinery).
    """

    table: str
    scratch: str
    origin: str
    how: str
    reason: str | None = None
    rows: int
    copied_at: str
    duration_s: float
    kept_as: str | None = None
    not_reusable: str | None = None


class StatementSummary(_Model):
    """A statement of the migration as parsed."""

    number: int
    kind: str
    tables: list[str]
    columns: list[str]
    sql: str


class AlgorithmAttempt(_Model):
    """One ``ALGORITHM=...`` the server refused, and why."""

    algorithm: str
    refused: str


class LoadResult(_Model):
    """What the write load saw while one DDL ran."""

    threads: int = 0
    writes: int = 0
    reads: int = 0
    blocked_writes: int = 0
    failed: int = 0
    longest_stall_s: float = 0.0
    metadata_lock_wait_s: float = 0.0
    note: str | None = None


class StatementRun(_Model):
    """How one statement ran on the copy."""

    number: int
    table: str
    kind: str
    algorithm: str | None = None
    lock: str | None = None
    duration_s: float
    table_rows: int = 0
    refused: list[AlgorithmAttempt] = Field(default_factory=list)
    load: LoadResult | None = None


class QueryError(_Model):
    """A query of the set that failed before or after the migration."""

    query: str
    when: str
    error: str


class Rollback(_Model):
    """The inverse statements, whether they ran on the copy, and whether the schema came
    back identical."""

    statements: list[dict[str, Any]]
    applied: bool
    restored: bool | None
    differences: list[str] = Field(default_factory=list)
    duration_s: float = 0.0


class RehearsalReport(_Model):
    """Everything one rehearsal measured, and its verdict."""

    environment: str
    migration: str
    started_at: str
    duration_s: float
    ddl_s: float
    copy_s: float
    overhead_s: float
    scratch_prefix: str
    kept: bool
    copies: list[CopyInfo]
    statements: list[StatementSummary]
    indexes: dict[str, list[IndexDef]]
    index_findings: list[IndexFinding]
    runs: list[StatementRun]
    plans: list[PlanChange]
    query_errors: list[QueryError]
    rollback: Rollback
    passed: bool
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        """The report as the JSON document's body (``ok`` is added by the shell)."""
        data = self.model_dump(mode="json")
        data["verdict"] = {"passed": data.pop("passed"), "reasons": data.pop("reasons")}
        return data


class ExplainReport(_Model):
    """The plan and timing of one query (``parity rehearse --explain``)."""

    environment: str
    query: str
    plan: PlanSummary
    explain: dict[str, Any]
    analyze: dict[str, Any]
    duration_s: float  # the query's EXPLAIN and ANALYZE
    copies: list[CopyInfo]  # the copy the query ran on
