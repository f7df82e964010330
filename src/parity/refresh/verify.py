"""Checks on the shadow tables before anything is swapped.

* **row counts**: each shadow holds exactly the source's rows (counted in the same
  snapshot, after exclusions) plus the options kept from the target;
* **definitions**: each shadow's ``SHOW CREATE TABLE`` equals the source's (name aside);
* **checksums**: a table whose every value was copied unchanged has the same checksum as
  the source (computed by each server over the same rows: no data crosses the network);
* **serialized values**: no value the copy changed fails to unserialize unless its
  source value already did (so the copy has no more broken values than the source;
  unchanged values are equal).

Any failure raises :class:`VerificationFailed`; staging keeps its old tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parity.errors import ParityError
from parity.refresh.plan import TablePlan
from parity.refresh.report import TableReport
from parity.targets.database import Database, quote_identifier

__all__ = [
    "VerificationFailed",
    "check_checksum",
    "check_counts",
    "check_definition",
    "check_serialized",
    "checksum_sql",
    "normalise_definition",
]

_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=\d+")
_CONSTRAINT_NAME = re.compile(r"CONSTRAINT `(?:[^`]|``)+` FOREIGN KEY")


class VerificationFailed(ParityError):
    """The copy did not verify; the target was left on its old data."""


def checksum_sql(table: str, columns: Sequence[str], where: str = "") -> str:
    """A statement giving ``(row count, checksum)`` of ``table``, order-independent.

    Each row's columns are cast to bytes (so collations never mix), joined with NULL
    markers, hashed with MD5; the first 16 hex digits are XORed over all rows.
    """
    values = ", ".join(f"CAST({quote_identifier(c)} AS BINARY)" for c in columns)
    nulls = ", ".join(f"ISNULL({quote_identifier(c)})" for c in columns)
    row = f"MD5(CONCAT_WS('|', {values}, {nulls}))"
    checksum = f"BIT_XOR(CAST(CONV(LEFT({row}, 16), 16, 10) AS UNSIGNED))"
    filter_sql = f" WHERE {where}" if where else ""
    return f"SELECT COUNT(*), COALESCE({checksum}, 0) FROM {quote_identifier(table)}{filter_sql}"


def normalise_definition(create_sql: str) -> str:
    """A definition without its AUTO_INCREMENT counter (which moves as rows arrive) and
    without foreign-key names (InnoDB names a shadow's keys itself)."""
    return _CONSTRAINT_NAME.sub("FOREIGN KEY", _AUTO_INCREMENT.sub("", create_sql))


def check_counts(plan: TablePlan, report: TableReport, target: Database, *, expected: int) -> None:
    """The shadow holds ``expected`` rows (source rows + preserved options)."""
    actual = int(target.scalar(f"SELECT COUNT(*) FROM {quote_identifier(plan.shadow)}") or 0)
    if actual != expected:
        raise VerificationFailed(
            f"{plan.target}: the copy has {actual} rows, the source {expected}",
            hint="nothing was swapped; run the refresh again",
        )
    report.verified = True


def check_definition(plan: TablePlan, target: Database) -> None:
    """The shadow was created exactly as the source table is defined."""
    actual = normalise_definition(target.show_create_table(plan.shadow))
    expected = normalise_definition(plan.create_sql)
    if actual != expected:
        raise VerificationFailed(
            f"{plan.target}: the copy's definition differs from the source's",
            hint="the target server may not support the source's table options",
        )


def check_checksum(
    plan: TablePlan, report: TableReport, snapshot: Database, target: Database
) -> None:
    """Same checksum on both sides, for a table copied without any change."""
    source = snapshot.query(checksum_sql(plan.source, plan.columns, plan.where), list(plan.params))[
        0
    ]
    copy = target.query(checksum_sql(plan.shadow, plan.columns))[0]
    if (int(source[0]), int(source[1])) != (int(copy[0]), int(copy[1])):
        report.checksum = "mismatch"
        raise VerificationFailed(
            f"{plan.target}: the copy's checksum differs from the source's",
            hint="nothing was swapped; run the refresh again",
        )
    report.checksum = "ok"


def check_serialized(plan: TablePlan, report: TableReport) -> None:
    """The copy breaks no serialized value the source had intact."""
    stats = report.stats
    if stats.broken_after > stats.broken_before:
        raise VerificationFailed(
            f"{plan.target}: {stats.broken_after - stats.broken_before} changed values"
            " no longer unserialize (their source values did)",
            hint="please report this with `parity refresh --dry-run --format json`",
        )
