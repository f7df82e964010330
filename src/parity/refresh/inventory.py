"""Reading what a refresh needs to plan: the source's tables, the target's tables and options."""

from __future__ import annotations

from collections.abc import Sequence

from parity.errors import InputError
from parity.refresh.plan import Column, TableShape
from parity.refresh.prefix import PrefixMapper, logical_name
from parity.targets.database import Database, quote_identifier

__all__ = ["source_tables", "target_option_names"]


def source_tables(db: Database, prefix: str, extra: Sequence[str]) -> list[TableShape]:
    """Every base table under ``prefix`` plus the ``extra`` tables, with their shape.

    Raises InputError when an extra table does not exist on the source.
    """
    names = db.tables(prefix)
    everything = set(db.all_tables())
    missing = [name for name in extra if name not in everything]
    if missing:
        raise InputError(
            f"[refresh] extra_tables names {', '.join(missing)}, not found on the source",
            hint="extra_tables lists full table names outside the table prefix",
        )
    names += [name for name in extra if name not in names]
    sizes = db.table_sizes()
    shapes: list[TableShape] = []
    for name in names:
        columns = tuple(
            Column(c.name, text=c.is_text, binary=c.is_binary) for c in db.column_info(name)
        )
        shapes.append(
            TableShape(
                name=name,
                columns=columns,
                primary_key=db.primary_key(name),
                create_sql=db.show_create_table(name),
                size_bytes=sizes.get(name, 0),
            )
        )
    return shapes


def target_option_names(
    db: Database, shapes: Sequence[TableShape], mapper: PrefixMapper, existing: set[str]
) -> dict[str, list[bytes]]:
    """Option names of each target options table the copy will replace (bytes)."""
    found: dict[str, list[bytes]] = {}
    for shape in shapes:
        if logical_name(shape.name, mapper.source) != "options":
            continue
        target = mapper.table(shape.name)
        if target not in existing:
            continue
        rows = db.query(f"SELECT option_name FROM {quote_identifier(target)}")
        found[target] = [
            value if isinstance(value, bytes) else str(value).encode() for (value,) in rows
        ]
    return found
