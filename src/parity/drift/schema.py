"""Tables, columns and indexes from ``information_schema`` rows, and the core index check.

Pure code: the capture runs three queries (tables, columns, statistics) and hands the
rows here. Names are stored without the table prefix, so environments with different
prefixes compare, and spellings that differ between MariaDB and MySQL are made alike
(``bigint(20)`` vs ``bigint``, quoted defaults).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from parity.drift.core_schema import core_schema_for
from parity.drift.model import ColumnInfo, CoreIndexReport, IndexInfo, TableInfo

__all__ = ["core_index_report", "normalise_default", "normalise_type", "shape_tables"]

_INT_WIDTH = re.compile(r"^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)")


def normalise_type(column_type: str) -> str:
    """Column type without integer display widths (MySQL 8 no longer reports them).

    >>> normalise_type("bigint(20) unsigned")
    'bigint unsigned'
    """
    return _INT_WIDTH.sub(r"\1", column_type.strip().lower())


def normalise_default(value: str | None) -> str | None:
    """A column default as text, without MariaDB's quoting (``'0'`` -> ``0``).

    >>> normalise_default("'0000-00-00 00:00:00'"), normalise_default("NULL")
    ('0000-00-00 00:00:00', None)
    """
    if value is None or value == "NULL":
        return None
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if value.lower() in ("current_timestamp()", "current_timestamp"):
        return "CURRENT_TIMESTAMP"
    return value


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def shape_tables(
    prefix: str,
    tables: Iterable[tuple[Any, ...]],
    columns: Iterable[tuple[Any, ...]],
    statistics: Iterable[tuple[Any, ...]],
) -> dict[str, TableInfo]:
    """Build table descriptions from ``information_schema`` rows.

    ``tables``: (name, engine, collation); ``columns``: (table, column, column_type,
    is_nullable, column_default, extra, collation); ``statistics``: (table, index,
    seq_in_index, column, sub_part, non_unique, index_type), in index order.
    """
    heads: dict[str, tuple[str | None, str | None]] = {}
    for name, engine, collation in tables:
        heads[_strip(str(name), prefix)] = (engine, collation)
    cols: dict[str, dict[str, ColumnInfo]] = {t: {} for t in heads}
    for table, column, ctype, nullable, default, extra, collation in columns:
        key = _strip(str(table), prefix)
        if key not in cols:
            continue
        cleaned = " ".join(w for w in str(extra or "").split() if w != "DEFAULT_GENERATED")
        cols[key][str(column)] = ColumnInfo(
            type=normalise_type(str(ctype)),
            nullable=str(nullable).upper() == "YES",
            default=normalise_default(None if default is None else str(default)),
            extra=cleaned.lower(),
            collation=collation,
        )
    parts: dict[str, dict[str, list[str]]] = {t: {} for t in heads}
    flags: dict[tuple[str, str], tuple[bool, str]] = {}
    for table, index, _seq, column, sub_part, non_unique, kind in statistics:
        key = _strip(str(table), prefix)
        if key not in parts:
            continue
        text = str(column) + (f"({int(sub_part)})" if sub_part is not None else "")
        parts[key].setdefault(str(index), []).append(text)
        flags[(key, str(index))] = (int(non_unique) == 0, str(kind or "BTREE"))
    out: dict[str, TableInfo] = {}
    for table in sorted(heads):
        engine, collation = heads[table]
        indexes = {
            name: IndexInfo(
                columns=cols_of,
                unique=flags[(table, name)][0],
                kind=flags[(table, name)][1],
            )
            for name, cols_of in sorted(parts[table].items())
        }
        out[table] = TableInfo(
            engine=engine,
            charset=collation.split("_", 1)[0] if collation else None,
            collation=collation,
            columns=cols[table],
            indexes=indexes,
        )
    return out


def core_index_report(
    tables: Mapping[str, TableInfo], db_version: int | None, multisite: bool
) -> CoreIndexReport:
    """Indexes of core tables that core does not define, lacks, or defines otherwise."""
    core, exact = core_schema_for(db_version)
    missing: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    different: dict[str, list[str]] = {}
    for table, expected in core.expected(multisite).items():
        info = tables.get(table)
        if info is None:
            continue
        for name, index in expected.items():
            found = info.indexes.get(name)
            if found is None:
                missing.setdefault(table, []).append(name)
            elif tuple(found.columns) != index.columns or found.unique != index.unique:
                different.setdefault(table, []).append(name)
        for name in info.indexes:
            if name not in expected:
                extra.setdefault(table, []).append(name)
    return CoreIndexReport(
        db_version=core.db_version,
        exact=exact,
        missing=missing,
        extra=extra,
        different=different,
    )
