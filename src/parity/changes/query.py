"""The slow query of a change: only a read-only SELECT, and what its plan says.

Pure code. ``check_select`` refuses anything but one plain SELECT (no ``INTO``, no
locking read, no second statement), because parity runs it with ``ANALYZE`` (which
executes it) on the environment. ``plan_figures`` reads MariaDB's
``ANALYZE FORMAT=JSON`` (or MySQL's ``EXPLAIN FORMAT=JSON``) document:

- ``rows_examined``: the sum over every table access of ``r_loops x r_rows`` (rows read
  before the attached condition filters them; ANALYZE only);
- ``rows_estimated``: the sum of the optimizer's ``rows`` estimates;
- ``duration_s``: ``r_total_time_ms`` of the outer query block (ANALYZE only).

>>> check_select("SELECT ID FROM wp_posts WHERE post_status = 'publish';")
"SELECT ID FROM wp_posts WHERE post_status = 'publish'"
>>> plan_figures({"query_block": {"r_total_time_ms": 2.5,
...     "table": {"table_name": "wp_posts", "rows": 90, "r_loops": 1, "r_rows": 100}}})
(100.0, 90.0, 0.0025)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from parity.errors import InputError
from parity.jobs.sqlcheck import single_select

__all__ = ["check_select", "plan_figures"]

_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`")
_FORBIDDEN = re.compile(r"\b(into|for\s+update|lock\s+in\s+share\s+mode|sleep|benchmark)\b", re.I)


def check_select(sql: str) -> str:
    """``sql`` without a trailing ``;`` when it is one read-only SELECT; else InputError.

    The statement's shape (one SELECT, no second statement, no executable comment) is
    judged by the one lexer parity has for that, :func:`parity.jobs.sqlcheck.single_select`;
    this adds what running it with ANALYZE on an environment must also exclude.
    """
    try:
        text = single_select(sql)
    except ValueError as exc:
        raise InputError(f"the query {exc}", hint="give one read-only SELECT") from None
    if not re.match(r"\s*select\b", text, re.I):
        raise InputError(
            "the query must be a SELECT: parity runs it (ANALYZE) on the environment, read-only"
        )
    bare = _STRINGS.sub("''", text)  # what is inside quotes says nothing about the statement
    found = _FORBIDDEN.search(bare)
    if found:
        raise InputError(f"the query must only read: {found.group(0).upper()} is not allowed")
    return text


def _tables(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "table_name" in node:
            yield node
        for value in node.values():
            yield from _tables(value)
    elif isinstance(node, list):
        for item in node:
            yield from _tables(item)


def plan_figures(plan: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(rows_examined, rows_estimated, duration_s) of a JSON plan (None when not in it)."""
    examined: float | None = None
    estimated: float | None = None
    for table in _tables(plan):
        if "r_rows" in table and table["r_rows"] is not None:
            loops = float(table.get("r_loops", 1) or 0)
            examined = (examined or 0.0) + loops * float(table["r_rows"])
        if "rows" in table and table["rows"] is not None:
            estimated = (estimated or 0.0) + float(table["rows"])
    block = plan.get("query_block")
    total = block.get("r_total_time_ms") if isinstance(block, dict) else None
    duration = None if total is None else float(total) / 1000
    return examined, estimated, duration
