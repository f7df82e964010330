"""A logged-in check leaves production's tables as it found them (issue 11, item 4).

Each command that logs in to WordPress (doctor, snapshot, drift, cache verify, measure
--mode logged-in) is run through the real command line against the sandbox's protected
production; production's ``session_tokens`` for the login user and ``CHECKSUM TABLE ...
EXTENDED`` of every production table must be the same before and after.

Two things WordPress does for *any* visitor would make the checksums differ by chance,
so the module settles them first on its own sandbox: a page render rewrites the
one-minute ``global_styles`` transients when they expired (their expiry is pinned far
ahead), and the first request that runs ``admin_init`` on a fresh install schedules two
core cron events (one anonymous ``admin-ajax.php`` request does it beforehand).
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import MySQLdb
import pytest

from parity.sandbox import Sandbox

pytestmark = pytest.mark.integration

RunParity = Callable[..., subprocess.CompletedProcess[str]]

#: A time far ahead (2100-01-01) for the pinned transient expiries.
FAR_AHEAD = 4102444800


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """This module pins production's transients: it uses a sandbox of its own."""
    return private_sandbox


@pytest.fixture(scope="module")
def production(sandbox: Sandbox) -> Iterator[Any]:
    """Root on production's database (autocommit), with WordPress's chance writes settled."""
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(),
        database=sandbox.database("production"),
        autocommit=True,
        charset="utf8mb4",
    )
    url = sandbox.production_url
    # A render no cache can answer (fresh query) creates the global_styles transients;
    # admin-ajax.php runs admin_init once, which schedules core's one-time cron events.
    httpx.get(f"{url}/?parity-settle={secrets.token_hex(4)}", timeout=30)
    httpx.get(f"{url}/wp-admin/admin-ajax.php?action=heartbeat", timeout=30)
    cursor = conn.cursor()
    cursor.execute(
        "UPDATE wp_options SET option_value = %s WHERE option_name LIKE %s",
        [str(FAR_AHEAD), "\\_transient\\_timeout\\_%"],
    )
    try:
        yield conn
    finally:
        conn.close()


def session_tokens(conn: Any, user: str) -> list[tuple[int, str]]:
    """The login user's session_tokens rows: (umeta_id, meta_value)."""
    cursor = conn.cursor()
    cursor.execute(
        "SELECT m.umeta_id, m.meta_value FROM wp_usermeta m JOIN wp_users u ON u.ID = m.user_id"
        " WHERE u.user_login = %s AND m.meta_key = 'session_tokens' ORDER BY m.umeta_id",
        [user],
    )
    return [(int(i), str(v)) for i, v in cursor.fetchall()]


def options(conn: Any) -> dict[str, str]:
    """Production's options, to name what changed when a checksum differs."""
    cursor = conn.cursor()
    cursor.execute("SELECT option_name, option_value FROM wp_options")
    return {str(name): str(value) for name, value in cursor.fetchall()}


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def checksums(conn: Any) -> dict[str, int]:
    """CHECKSUM TABLE ... EXTENDED of every table in production's database."""
    cursor = conn.cursor()
    cursor.execute("SHOW TABLES")
    tables = [str(row[0]) for row in cursor.fetchall()]
    cursor.execute(f"CHECKSUM TABLE {', '.join(f'`{t}`' for t in tables)} EXTENDED")
    return {str(name): int(value) for name, value in cursor.fetchall()}


COMMANDS = {
    "doctor": ["doctor"],
    "snapshot": ["snapshot", "production"],
    "drift": ["drift", "production", "staging"],
    "cache verify": ["cache", "verify", "production", "--route", "/", "--route", "/hello-world/"],
    "measure logged-in": [
        "measure",
        "production",
        "/",
        "/hello-world/",
        "--mode",
        "logged-in",
        "--samples",
        "3",
    ],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_that_logs_in_leaves_production_tables_as_it_found_them(
    sandbox: Sandbox, production: Any, run_parity: RunParity, name: str
) -> None:
    user = sandbox.admin_user
    tokens_before = session_tokens(production, user)
    sums_before = checksums(production)
    options_before = options(production)
    result = run_parity("--config", str(sandbox.config_path), *COMMANDS[name])
    # 0 or 1 (drift finds differences between the sandbox's sites): it ran.
    assert result.returncode in (0, 1), result.stderr
    assert "could not log out" not in result.stderr
    assert session_tokens(production, user) == tokens_before
    assert changed(options_before, options(production)) == []
    assert checksums(production) == sums_before


def test_the_command_really_logged_in_while_it_ran(
    sandbox: Sandbox, production: Any, run_parity: RunParity
) -> None:
    """The check above means something: a login does write a session, until logout."""
    from parity.config import load_settings
    from parity.targets.site import Site

    user = sandbox.admin_user
    before = session_tokens(production, user)
    env = load_settings(sandbox.config_path).environment("production")
    with Site(env) as site:
        site.login()
        during = session_tokens(production, user)
        assert len(during) == 1 and during != before
        assert '"ua";s:24:"parity (+staging checks)"' in during[0][1]
    assert session_tokens(production, user) == before


def test_doctor_says_it_logged_in_and_out(sandbox: Sandbox, run_parity: RunParity) -> None:
    result = run_parity("--config", str(sandbox.config_path), "doctor", "production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "logged in and out as admin" in " ".join(result.stdout.split())
