"""Targets against the real sandbox: the write guard, read-only sessions, doctor, errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from parity.config import load_settings
from parity.errors import DatabaseError, DatabaseUnreachable, ProtectedEnvironment
from parity.sandbox import Sandbox
from parity.targets.database import Database
from parity.targets.site import Site

pytestmark = pytest.mark.integration


def _count_posts(sandbox: Sandbox) -> int:
    settings = load_settings(sandbox.config_path)
    with Database.connect(settings.environment("production")) as db:
        return int(db.scalar("SELECT COUNT(*) FROM wp_posts"))


def test_writing_to_protected_production_is_refused_by_the_guard(sandbox: Sandbox) -> None:
    settings = load_settings(sandbox.config_path)
    production = settings.environment("production")
    assert production.protected
    before = _count_posts(sandbox)
    with Database.connect(production) as db:
        with (
            pytest.raises(ProtectedEnvironment, match="production"),
            db.transaction(action="insert a post") as tx,
        ):
            tx.execute("INSERT INTO wp_posts (post_title) VALUES ('x')")
        with pytest.raises(ProtectedEnvironment):
            db.execute("DELETE FROM wp_posts", action="delete posts")
    assert _count_posts(sandbox) == before


def test_protected_session_is_read_only_at_the_server_too(sandbox: Sandbox) -> None:
    production = load_settings(sandbox.config_path).environment("production")
    before = _count_posts(sandbox)
    with Database.connect(production) as db, pytest.raises(DatabaseError, match="READ ONLY"):
        # Bypass the guard on purpose: the server must still refuse.
        db._run("INSERT INTO wp_posts (post_title) VALUES ('sneaky')")
    assert _count_posts(sandbox) == before


def test_a_second_statement_in_one_call_is_refused_by_the_server(sandbox: Sandbox) -> None:
    """The driver's multi-statement mode is off: a read can never carry a write along."""
    staging = load_settings(sandbox.config_path).environment("staging")
    with Database.connect(staging) as db:
        count = db.scalar("SELECT COUNT(*) FROM wp_options")
        with pytest.raises(DatabaseError, match="SQL syntax"):
            db.query(
                "SELECT 1; INSERT INTO wp_options (option_name, option_value)"
                " VALUES ('parity_smuggled', '1')"
            )
        assert db.scalar("SELECT COUNT(*) FROM wp_options") == count


def test_staging_accepts_writes_in_a_transaction_and_rolls_back_on_error(
    sandbox: Sandbox,
) -> None:
    staging = load_settings(sandbox.config_path).environment("staging")
    with Database.connect(staging) as db:
        count = db.scalar("SELECT COUNT(*) FROM wp_options")
        with pytest.raises(RuntimeError), db.transaction(action="test rollback") as tx:
            tx.execute(
                "INSERT INTO wp_options (option_name, option_value) VALUES ('parity_tx', '1')"
            )
            raise RuntimeError("boom")
        assert db.scalar("SELECT COUNT(*) FROM wp_options") == count


def test_stream_yields_every_row_in_primary_key_order_in_bounded_chunks(
    sandbox: Sandbox,
) -> None:
    staging = load_settings(sandbox.config_path).environment("staging")
    with Database.connect(staging) as db:
        total = db.scalar("SELECT COUNT(*) FROM wp_options")
        chunks = list(db.stream("wp_options", chunk_size=7, columns=["option_id"]))
    ids = [row[0] for chunk in chunks for row in chunk]
    assert len(ids) == total
    assert ids == sorted(ids)
    assert max(len(c) for c in chunks) == 7


def test_tables_lists_only_the_prefix(sandbox: Sandbox) -> None:
    staging = load_settings(sandbox.config_path).environment("staging")
    with Database.connect(staging) as db:
        tables = db.tables()
    assert "wp_options" in tables and "wp_posts" in tables
    assert all(t.startswith("wp_") for t in tables)


def test_logged_in_session_sees_the_admin_and_anonymous_does_not(sandbox: Sandbox) -> None:
    staging = load_settings(sandbox.config_path).environment("staging")
    with Site(staging) as site:
        anonymous = site.get("/wp-admin/")
        assert anonymous.status_code == 302  # to wp-login.php
        site.login()
        admin = site.get("/wp-admin/", logged_in=True)
        assert admin.status_code == 200
        assert "wp-admin-bar" in admin.text or "adminmenu" in admin.text


def test_doctor_is_green_on_the_sandbox(sandbox: Sandbox, run_parity: Any) -> None:
    result = run_parity("--config", str(sandbox.config_path), "doctor", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    names = {c["name"] for env in report["environments"] for c in env["checks"]}
    assert names == {"database", "wordpress tables", "site", "login", "cache"}


def test_doctor_reports_a_wrong_password_without_printing_it(
    sandbox: Sandbox, tmp_path: Path, run_parity: Any
) -> None:
    text = sandbox.config_path.read_text(encoding="utf-8")
    wrong = "wrong-password-4f9a"
    login_password = sandbox.admin_password
    broken = text.replace(f'password = "{login_password}"', f'password = "{wrong}"')
    assert broken != text
    config = tmp_path / "parity.toml"
    config.write_text(broken, encoding="utf-8")
    result = run_parity("--config", str(config), "doctor", "staging", "--format", "json")
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["environments"][0]["checks"]}
    assert checks["login"]["status"] == "fail"
    assert checks["database"]["status"] == "ok"
    assert wrong not in result.stdout + result.stderr
    assert login_password not in result.stdout + result.stderr


@pytest.mark.timeout(60)
def test_database_that_never_answers_gives_up_naming_host_and_port() -> None:
    # A listening socket that never speaks: the client waits for a greeting in vain.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        from parity.environments import EnvironmentSettings

        env = EnvironmentSettings.model_validate(
            {
                "name": "mute",
                "url": "http://127.0.0.1:1",
                "db": f"mysql://u:secret-pw@127.0.0.1:{port}/wp",
            }
        )
        # A hang would be ended by the test's own timeout (below): no timed assert.
        with pytest.raises(DatabaseUnreachable) as info:
            Database.connect(env)
    assert f"127.0.0.1:{port}" in info.value.one_line()
    assert "secret-pw" not in info.value.one_line()


def test_serialized_option_value_changes_in_place_and_bad_paths_write_nothing(
    sandbox: Sandbox,
) -> None:
    from parity.errors import InputError
    from parity.sandbox.option_change import set_serialized_option_value
    from parity.wordpress.phpvalue import php_unserialize

    settings = load_settings(sandbox.config_path)
    staging = settings.environment("staging")

    def roles() -> str:
        with Database.connect(staging) as db:
            return str(
                db.scalar("SELECT option_value FROM wp_options WHERE option_name='wp_user_roles'")
            )

    original = roles()
    change = set_serialized_option_value(
        staging, "wp_user_roles", ["editor", "name"], "Chief editor"
    )
    try:
        assert (change.before, change.after) == ("Editor", "Chief editor")
        decoded = php_unserialize(roles())
        assert isinstance(decoded, dict)
        assert decoded["editor"]["name"] == "Chief editor"  # type: ignore[index]
    finally:
        set_serialized_option_value(staging, "wp_user_roles", ["editor", "name"], "Editor")
    assert roles() == original
    with pytest.raises(InputError, match="has no"):
        set_serialized_option_value(staging, "wp_user_roles", ["nobody", "name"], "x")
    assert roles() == original
    with pytest.raises(ProtectedEnvironment):
        set_serialized_option_value(
            settings.environment("production"), "wp_user_roles", ["editor", "name"], "x"
        )
