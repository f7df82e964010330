"""Indexes of the touched tables: duplicates, left-prefix redundancy, missing primary
keys, and what a migration does to them.

Pure code: the service reads ``information_schema.statistics`` and hands the rows here.

>>> idx = indexes_from_statistics([
...     ("PRIMARY", 1, "meta_id", None, 0, "BTREE"),
...     ("meta_key", 1, "meta_key", 191, 1, "BTREE"),
...     ("key_value", 1, "meta_key", 191, 1, "BTREE"),
...     ("key_value", 2, "meta_value", 32, 1, "BTREE")])
>>> [f.kind for f in index_findings("wp_postmeta", idx)]
['left_prefix']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "IndexDef",
    "IndexFinding",
    "index_findings",
    "indexes_from_statistics",
    "migration_index_findings",
]

FindingKind = Literal[
    "duplicate", "left_prefix", "missing_primary_key", "removed_in_use", "made_redundant"
]


class IndexDef(BaseModel):
    """An index: name, columns in order (``col`` or ``col(prefix)``), unique, kind."""

    model_config = ConfigDict(frozen=True)

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    kind: str = "BTREE"

    def describe(self) -> str:
        """``UNIQUE meta_key (meta_key(191))``-style text."""
        head = "UNIQUE " if self.unique and self.name != "PRIMARY" else ""
        kind = "" if self.kind == "BTREE" else f"{self.kind} "
        return f"{head}{kind}{self.name} ({', '.join(self.columns)})"


class IndexFinding(BaseModel):
    """Something worth knowing about a table's indexes, said in words."""

    model_config = ConfigDict(frozen=True)

    table: str
    kind: FindingKind
    index: str | None
    detail: str


def indexes_from_statistics(rows: Iterable[Sequence[Any]]) -> list[IndexDef]:
    """Indexes from ``(index_name, seq_in_index, column_name, sub_part, non_unique,
    index_type)`` rows of one table, PRIMARY first, then by name."""
    parts: dict[str, list[tuple[int, str]]] = {}
    flags: dict[str, tuple[bool, str]] = {}
    for name, seq, column, sub_part, non_unique, kind in rows:
        text = str(column) + (f"({int(sub_part)})" if sub_part is not None else "")
        parts.setdefault(str(name), []).append((int(seq), text))
        flags[str(name)] = (int(non_unique) == 0, str(kind or "BTREE"))
    found = [
        IndexDef(
            name=name,
            columns=tuple(text for _, text in sorted(cols)),
            unique=flags[name][0],
            kind=flags[name][1],
        )
        for name, cols in parts.items()
    ]
    return sorted(found, key=lambda i: (i.name != "PRIMARY", i.name))


def _redundant_pairs(indexes: Sequence[IndexDef]) -> list[tuple[str, IndexDef, IndexDef]]:
    """(kind, redundant index, index that covers it), for BTREE indexes."""
    out: list[tuple[str, IndexDef, IndexDef]] = []
    btree = [i for i in indexes if i.kind == "BTREE"]
    for n, a in enumerate(btree):
        for b in btree[n + 1 :]:
            if a.columns == b.columns:
                # Keep PRIMARY, then a unique index, then the first by name.
                keep_a = (
                    a.name == "PRIMARY"
                    or (a.unique and not b.unique)
                    or (a.unique == b.unique and b.name != "PRIMARY")
                )
                out.append(("duplicate", b, a) if keep_a else ("duplicate", a, b))
    for a in btree:
        for b in btree:
            if (
                a.name != "PRIMARY"
                and not a.unique
                and len(a.columns) < len(b.columns)
                and b.columns[: len(a.columns)] == a.columns
            ):
                out.append(("left_prefix", a, b))
    return out


def index_findings(table: str, indexes: Sequence[IndexDef]) -> list[IndexFinding]:
    """Duplicates, left-prefix-redundant indexes and a missing primary key of ``table``."""
    findings: list[IndexFinding] = []
    if not any(i.name == "PRIMARY" for i in indexes):
        findings.append(
            IndexFinding(
                table=table,
                kind="missing_primary_key",
                index=None,
                detail=f"{table} has no primary key (row-based replication and online"
                " schema changes need one)",
            )
        )
    for kind, redundant, cover in _redundant_pairs(indexes):
        word = "duplicates" if kind == "duplicate" else "is a left prefix of"
        findings.append(
            IndexFinding(
                table=table,
                kind="duplicate" if kind == "duplicate" else "left_prefix",
                index=redundant.name,
                detail=f"{redundant.describe()} {word} {cover.describe()}",
            )
        )
    return findings


def migration_index_findings(
    table: str,
    before: Sequence[IndexDef],
    after: Sequence[IndexDef],
    keys_used: Mapping[str, Sequence[str]],
) -> list[IndexFinding]:
    """What the migration does to ``table``'s indexes: indexes it removes while a query
    uses them (``keys_used``: index name -> queries whose plan used it before), and
    indexes it makes redundant."""
    findings: list[IndexFinding] = []
    after_names = {i.name for i in after}
    for index in before:
        if index.name not in after_names and keys_used.get(index.name):
            queries = ", ".join(keys_used[index.name])
            findings.append(
                IndexFinding(
                    table=table,
                    kind="removed_in_use",
                    index=index.name,
                    detail=f"the migration removes {index.describe()}, used by: {queries}",
                )
            )
    old = {(k, r.name, c.name) for k, r, c in _redundant_pairs(before)}
    for kind, redundant, cover in _redundant_pairs(after):
        if (kind, redundant.name, cover.name) in old:
            continue
        findings.append(
            IndexFinding(
                table=table,
                kind="made_redundant",
                index=redundant.name,
                detail=f"after the migration {redundant.describe()} is redundant with"
                f" {cover.describe()}",
            )
        )
    return findings
