"""Roles and their capabilities (the ``{prefix}user_roles`` option), with user counts.

Pure code; the counts come from a query the capture runs (see :func:`user_count_sql`).
"""

from __future__ import annotations

from collections.abc import Mapping

from parity.drift.comparable import Comparable
from parity.drift.model import RoleInfo

__all__ = ["shape_roles", "user_count_sql"]


def shape_roles(value: Comparable, users: Mapping[str, int]) -> dict[str, RoleInfo]:
    """Role -> name, capabilities (granted True, denied False) and users having it."""
    roles: dict[str, RoleInfo] = {}
    if not isinstance(value, dict):
        return roles
    for role, body in sorted(value.items()):
        if not isinstance(body, dict):
            continue
        name = body.get("name")
        caps = body.get("capabilities")
        capabilities: dict[str, bool] = {}
        if isinstance(caps, dict):
            capabilities = {str(k): _truthy(v) for k, v in sorted(caps.items())}
        roles[role] = RoleInfo(
            name=name if isinstance(name, str) else role,
            capabilities=capabilities,
            users=users.get(role, 0),
        )
    return roles


def _truthy(value: Comparable) -> bool:
    # WordPress stores true, 1 or "1" for granted; false, 0 or "" for denied.
    return bool(value) and value != "0"


def user_count_sql(usermeta: str, roles: list[str]) -> tuple[str, list[str]]:
    """A query counting users per role in one pass over the capabilities meta rows.

    Like WordPress's ``count_users()``: the ``{prefix}capabilities`` rows are found by the
    ``meta_key`` index, so the cost follows the number of users, never the posts.
    ``usermeta`` must already be a quoted identifier.
    """
    columns = ", ".join("COUNT(NULLIF(meta_value LIKE %s, false))" for _ in roles) or "0"
    patterns = ['%"' + role.replace("%", "\\%").replace("_", "\\_") + '"%' for role in roles]
    return f"SELECT {columns} FROM {usermeta} WHERE meta_key = %s", patterns
