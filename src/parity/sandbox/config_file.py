"""The ``parity.toml`` a sandbox writes, describing its two sites for every parity command.

Written by hand rather than with a TOML library so that ``login`` and ``cache`` stay
inline tables, exactly as the configuration reference shows them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from parity.sandbox.state import write_private

__all__ = ["EnvironmentEntry", "render_parity_toml", "write_parity_toml"]


@dataclass(frozen=True)
class EnvironmentEntry:
    """One ``[environments.<name>]`` table."""

    name: str
    url: str
    db_user: str
    db_password: str
    db_port: int
    database: str
    table_prefix: str
    protected: bool
    login_user: str
    login_password: str
    wp_content_dir: Path


def _s(value: object) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(str(value), ensure_ascii=False)


def render_parity_toml(environments: Iterable[EnvironmentEntry]) -> str:
    """The text of parity.toml (it contains passwords: write it with mode 0600)."""
    lines = ["# written by `parity sandbox up`"]
    for env in environments:
        db = f"mysql://{env.db_user}:{env.db_password}@127.0.0.1:{env.db_port}/{env.database}"
        lines += [
            "",
            f"[environments.{env.name}]",
            f"url = {_s(env.url)}",
            f"db = {_s(db)}",
            f"table_prefix = {_s(env.table_prefix)}",
            f"protected = {'true' if env.protected else 'false'}",
            f"login = {{ user = {_s(env.login_user)}, password = {_s(env.login_password)} }}",
            f'cache = {{ kind = "varnish", purge_url = {_s(env.url)} }}',
            f"wp_content_dir = {_s(env.wp_content_dir)}",
        ]
    return "\n".join(lines) + "\n"


def write_parity_toml(path: Path, environments: Iterable[EnvironmentEntry]) -> None:
    """Write parity.toml at ``path`` with mode 0600."""
    write_private(path, render_parity_toml(environments))
