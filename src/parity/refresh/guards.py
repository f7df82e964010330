"""Refusals a refresh checks before it writes anything, and what identifies a target.

Each guard raises a :class:`~parity.errors.ParityError` (the CLI exits 2): the target is
protected (through the one write guard in :mod:`parity.targets.guard`); both environments
have the same URL; they are the same database, judged first from the configuration, then
on the servers themselves.
"""

from __future__ import annotations

import secrets

from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.targets.database import Database
from parity.targets.guard import ensure_writable

__all__ = ["check_guards", "check_same_server", "target_key"]


def target_key(env: EnvironmentSettings) -> str:
    """What identifies a refresh target: server, schema and table prefix."""
    return f"{env.db.where()}/{env.db.database}/{env.table_prefix}"


def check_guards(source: EnvironmentSettings, target: EnvironmentSettings) -> None:
    """Refuse a refresh that must never run (before connecting to anything).

    The target must be writable and differ from the source in URL and database.
    """
    ensure_writable(target, f"refresh it from {source.name}")
    if source.url.rstrip("/").lower() == target.url.rstrip("/").lower():
        raise InputError(
            f"{source.name} and {target.name} have the same URL ({target.url})",
            hint="a refresh rewrites the source's URL to the target's: they must differ",
        )
    if (source.db.socket, source.db.host, source.db.port, source.db.database) == (
        target.db.socket,
        target.db.host,
        target.db.port,
        target.db.database,
    ):
        raise InputError(
            f"{source.name} and {target.name} are the same database"
            f" ({target.db.database} at {target.db.where()})",
            hint="the target must be another database (or another server)",
        )


def check_same_server(source: Database, target: Database) -> None:
    """Refuse when both connections reach the same schema of the same server.

    A named lock taken by the source's session is visible to the target's session only
    when both are on one server, whatever host names and ports the config uses.
    """
    probe = "parity-probe:" + secrets.token_hex(8)
    if not source.try_lock(probe):
        return
    try:
        same_server = target.lock_in_use(probe)
    finally:
        source.release_lock(probe)
    if same_server and source.scalar("SELECT DATABASE()") == target.scalar("SELECT DATABASE()"):
        raise InputError(
            f"{source.env.name} and {target.env.name} reach the same database"
            f" ({target.env.db.database}) on the same server",
            hint="the target must be another database (or another server)",
        )
