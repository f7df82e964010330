"""The swap and the rollback as RENAME TABLE statements."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.refresh.checkpoints import RollbackPoint
from parity.refresh.plan import Column, TableShape, build_plan
from parity.refresh.settings import RefreshSection
from parity.refresh.swap import plan_rollback, plan_swap, rename_statement

PROD, STAGE = (
    EnvironmentSettings.model_validate(
        {"name": name, "url": f"https://{name}.example", "db": f"mysql://u:p@h:{port}/{name}"}
    )
    for name, port in (("production", 1), ("staging", 2))
)


def _tables():  # type: ignore[no-untyped-def]
    shapes = [
        TableShape(n, (Column("id"),), ("id",), f"CREATE TABLE `{n}` (id int)")
        for n in ("wp_posts", "wp_newplugin")
    ]
    return build_plan(PROD, STAGE, RefreshSection(), shapes, ["wp_posts"], {}).tables


def test_swap_is_one_statement_keeping_old_tables_as_the_rollback_point() -> None:
    swap = plan_swap(_tables(), ["wp_posts", "wp_only_staging"], "ab12")
    assert swap.statement == (
        "RENAME TABLE `_pn_wp_newplugin` TO `wp_newplugin`,"
        " `wp_posts` TO `_poab12_wp_posts`, `_pn_wp_posts` TO `wp_posts`"
    )
    assert swap.point == [("wp_newplugin", None), ("wp_posts", "_poab12_wp_posts")]
    assert swap.renames == [
        ("_pn_wp_newplugin", "wp_newplugin"),
        ("wp_posts", "_poab12_wp_posts"),
        ("_pn_wp_posts", "wp_posts"),
    ]


def _point(tables: tuple[tuple[str, str | None], ...]) -> RollbackPoint:
    return RollbackPoint(1, "run", "staging", "key", "ab12", "active", tables, datetime.now(UTC))


def test_rollback_moves_current_tables_to_trash_and_restores_kept_ones() -> None:
    point = _point((("wp_newplugin", None), ("wp_posts", "_poab12_wp_posts")))
    renames, trash = plan_rollback(point, ["wp_newplugin", "wp_posts", "_poab12_wp_posts"], "zz99")
    assert renames == [
        ("wp_newplugin", "_pdzz99_wp_newplugin"),
        ("wp_posts", "_pdzz99_wp_posts"),
        ("_poab12_wp_posts", "wp_posts"),
    ]
    assert trash == ["_pdzz99_wp_newplugin", "_pdzz99_wp_posts"]
    assert rename_statement(renames).startswith("RENAME TABLE `wp_newplugin` TO")


def test_rollback_of_an_incomplete_point_is_refused() -> None:
    point = _point((("wp_posts", "_poab12_wp_posts"),))
    with pytest.raises(InputError, match="incomplete"):
        plan_rollback(point, ["wp_posts"], "zz99")


def test_rename_statement_needs_renames() -> None:
    with pytest.raises(ValueError):
        rename_statement([])
