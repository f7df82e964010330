"""The atomic swap, the rollback, and dropping old rollback points.

MariaDB and MySQL run one ``RENAME TABLE a TO b, c TO d, ...`` statement atomically: all
renames happen or none do, and no query sees a half-swapped schema. A refresh swaps every
table in one such statement (live -> rollback name, shadow -> live); a rollback does the
reverse (live -> trash name, rollback -> live), then drops the trash.

The functions building statements are pure; the ones taking a writer run them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from parity.errors import InputError
from parity.refresh.checkpoints import RollbackPoint
from parity.refresh.naming import backup_name, trash_name
from parity.refresh.plan import TablePlan
from parity.targets.database import BulkWriter, quote_identifier

__all__ = [
    "SwapPlan",
    "drop_tables",
    "plan_rollback",
    "plan_swap",
    "rename_statement",
]


def rename_statement(renames: Sequence[tuple[str, str]]) -> str:
    """One ``RENAME TABLE`` statement doing every rename, in order.

    >>> rename_statement([("wp_posts", "_po1234_wp_posts"), ("_pn_wp_posts", "wp_posts")])
    'RENAME TABLE `wp_posts` TO `_po1234_wp_posts`, `_pn_wp_posts` TO `wp_posts`'
    """
    if not renames:
        raise ValueError("nothing to rename")
    body = ", ".join(f"{quote_identifier(a)} TO {quote_identifier(b)}" for a, b in renames)
    return f"RENAME TABLE {body}"


class SwapPlan:
    """The renames of one swap and the rollback point they leave."""

    def __init__(self, renames: list[tuple[str, str]], point: list[tuple[str, str | None]]) -> None:
        self.renames = renames
        self.point = point

    @property
    def statement(self) -> str:
        """The one RENAME TABLE statement."""
        return rename_statement(self.renames)


def plan_swap(tables: Sequence[TablePlan], existing: Iterable[str], token: str) -> SwapPlan:
    """Renames that put every shadow table live, keeping each live table as a rollback table.

    A table the target did not have yet gets no rollback table (a rollback drops it).
    """
    present = set(existing)
    renames: list[tuple[str, str]] = []
    point: list[tuple[str, str | None]] = []
    for table in tables:
        if table.target in present:
            kept = backup_name(table.target, token)
            renames.append((table.target, kept))
            point.append((table.target, kept))
        else:
            point.append((table.target, None))
        renames.append((table.shadow, table.target))
    return SwapPlan(renames, point)


def plan_rollback(
    point: RollbackPoint, existing: Iterable[str], token: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """Renames restoring ``point``'s tables, and the trash tables to drop afterwards.

    Raises InputError when a table the point needs is gone (nothing is renamed then).
    """
    present = set(existing)
    missing = [kept for _live, kept in point.tables if kept is not None and kept not in present]
    if missing:
        raise InputError(
            f"rollback point {point.token} of {point.target} is incomplete:"
            f" {', '.join(missing)} no longer exist",
            hint="it cannot be restored; `parity refresh history` lists the others",
        )
    renames: list[tuple[str, str]] = []
    trash: list[str] = []
    for live, kept in point.tables:
        if live in present:
            doomed = trash_name(live, token)
            renames.append((live, doomed))
            trash.append(doomed)
        if kept is not None:
            renames.append((kept, live))
    return renames, trash


def drop_tables(writer: BulkWriter, names: Sequence[str]) -> None:
    """``DROP TABLE IF EXISTS`` each table (one statement per table, so progress is
    visible and a kill leaves only whole tables)."""
    for name in names:
        writer.execute(f"DROP TABLE IF EXISTS {quote_identifier(name)}")
