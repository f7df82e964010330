"""Secrets planted in staging never reach a snapshot, its printout or the state store;
the state store is private; a database password is taken as given.

Attacks, on the session's shared sandbox (staging only; every planted row and user is
removed in ``finally``):

* options named ``*_key`` (any case), values shaped like live API keys (``sk_live_``,
  ``AKIA...``, ``ghp_``, a JWT, a private key block, a long random token) under innocent
  names, and an ``auth`` key nested deep inside serialized and JSON values. None of the
  values may appear in ``snapshot`` (table, JSON, ``--out`` file), ``drift`` (table, JSON)
  or anywhere in ``state.db``; ``state.db`` is 0600 in a 0700 ``.parity``.
* a MariaDB user whose password holds ``/``, ``#``, ``?`` and ``%41``: given apart from
  the URL (``db = { url = ..., password = "${VAR}" }``) it connects; inside the URL
  unencoded it is refused with a message saying to percent-encode it, never "names no
  database" and never the password.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
import string
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from parity.config import load_settings
from parity.errors import ConfigError
from parity.targets.database import Database

pytestmark = pytest.mark.integration

_ALNUM = string.ascii_letters + string.digits


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n)) + "Aa1"


def _ser(value: object) -> str:
    """PHP serialize() of str / dict (enough for these options)."""
    if isinstance(value, str):
        return f's:{len(value.encode())}:"{value}";'
    assert isinstance(value, dict)
    body = "".join(_ser(str(k)) + _ser(v) for k, v in value.items())
    return f"a:{len(value)}:{{{body}}}"


@pytest.fixture(scope="module")
def planted(root: Any) -> Iterator[dict[str, str]]:
    """Options holding secrets in staging's wp_options; returns name -> secret value."""
    values = {
        "stripe_key": "sk_live_" + _random(24),
        "Payment_Gateway_SECRET": _random(20),
        "parity_test_innocent": "ghp_" + _random(36),
        "parity_test_aws": "AKIA"
        + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ234567") for _ in range(16)),
        "parity_test_jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI" + _random(12) + "In0." + _random(30),
        "parity_test_random": _random(40),
        "parity_test_pem": "-----BEGIN PRIVATE KEY-----\n"
        + _random(60)
        + "\n-----END PRIVATE KEY-----",
    }
    nested_auth = _random(18)
    nested_shape = "rk_live_" + _random(24)
    json_key = _random(22)
    rows = dict(values)
    rows["parity_test_settings"] = _ser(
        {
            "colour": "blue",
            "service": _ser(
                {
                    "endpoint": "https://api.example.net",
                    "auth": {"user": "bot", "pass": nested_auth},
                }
            ),
            "levels": {"one": {"two": {"three": nested_shape}}},
        }
    )
    rows["parity_test_json"] = json.dumps(
        {"theme": "dark", "credentials": {"auth": json_key}, "list": [{"apiKey": json_key}]}
    )
    every = {**values, "nested auth": nested_auth, "nested shape": nested_shape, "json": json_key}
    with root.cursor() as cur:
        for name, value in rows.items():
            cur.execute(
                "INSERT INTO wp_options (option_name, option_value, autoload)"
                " VALUES (%s, %s, 'no')",
                (name, value),
            )
    try:
        yield every
    finally:
        with root.cursor() as cur:
            cur.execute(
                "DELETE FROM wp_options WHERE option_name IN ("
                + ", ".join(["%s"] * len(rows))
                + ")",
                tuple(rows),
            )


@pytest.fixture
def config(parity_config: Path, tmp_path: Path) -> Path:
    """The sandbox's config, copied: its own (new) state store beside it, a SQLite file
    whatever PARITY_TEST_STORE says (this module checks that file's content and modes)."""
    path = tmp_path / "parity.toml"
    path.write_text(parity_config.read_text("utf-8").split("\n# added by")[0], "utf-8")
    path.chmod(0o600)
    return path


def _parity(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PARITY_CONFIG"}
    environ.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "parity.cli.main", "--config", str(config), *args],
        cwd=config.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _leaks(text: str, planted: dict[str, str]) -> list[str]:
    found = []
    for what, value in planted.items():
        # The PEM body is the secret; its BEGIN line is a label.
        needle = value.split("\n")[1] if value.startswith("-----BEGIN") else value
        if needle in text:
            found.append(what)
    return found


def test_snapshot_and_drift_store_and_print_no_secret_and_the_store_is_private(
    config: Path, planted: dict[str, str]
) -> None:
    old_umask = os.umask(0o022)
    try:
        as_json = _parity(config, "snapshot", "staging", "--format", "json", "--out", "snap.json")
        as_table = _parity(config, "snapshot", "staging")
        drift_json = _parity(config, "drift", "production", "staging", "--format", "json")
        drift_table = _parity(config, "drift", "production", "staging")
        drift_md = _parity(config, "drift", "production", "staging", "--format", "markdown")
    finally:
        os.umask(old_umask)
    assert as_json.returncode == 0, as_json.stderr
    assert as_table.returncode == 0, as_table.stderr
    for done in (drift_json, drift_table, drift_md):
        assert done.returncode in (0, 1), done.stderr

    snapshot = json.loads(as_json.stdout)
    options = snapshot["options"]
    for name in (
        "stripe_key",
        "Payment_Gateway_SECRET",
        "parity_test_innocent",
        "parity_test_aws",
        "parity_test_jwt",
        "parity_test_random",
        "parity_test_pem",
    ):
        assert options[name]["mask"] == "secret", name
        assert options[name]["value"] is None, name
    settings_value = options["parity_test_settings"]["value"]
    assert settings_value["colour"] == "blue"  # what is not secret is still compared
    assert settings_value["service"]["auth"] == "<secret>"
    assert settings_value["levels"]["one"]["two"]["three"] == "<secret>"
    assert options["parity_test_json"]["value"]["credentials"] == "<secret>"
    assert options["parity_test_json"]["value"]["list"][0]["apiKey"] == "<secret>"

    outputs = {
        "snapshot json": as_json.stdout + as_json.stderr,
        "snapshot table": as_table.stdout + as_table.stderr,
        "snapshot --out": (config.parent / "snap.json").read_text("utf-8"),
        "drift json": drift_json.stdout + drift_json.stderr,
        "drift table": drift_table.stdout + drift_table.stderr,
        "drift markdown": drift_md.stdout + drift_md.stderr,
    }
    state = config.parent / ".parity" / "state.db"
    conn = sqlite3.connect(state)
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    outputs["state.db"] = dump
    leaks = {where: _leaks(text, planted) for where, text in outputs.items()}
    assert not any(leaks.values()), leaks

    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert stat.S_IMODE((config.parent / ".parity").stat().st_mode) == 0o700


PASSWORD = "p/w#x?y%41z"
USER = "parity_pw_test"


@pytest.fixture
def odd_password_user(sandbox: Any, root: Any) -> Iterator[str]:
    """A MariaDB user with reserved URL characters in its password, allowed to read staging."""
    database = sandbox.database("staging")
    with root.cursor() as cur:
        cur.execute(f"DROP USER IF EXISTS '{USER}'@'%'")
        cur.execute(f"CREATE USER '{USER}'@'%%' IDENTIFIED BY %s", (PASSWORD,))
        cur.execute(f"GRANT SELECT ON `{database}`.* TO '{USER}'@'%'")
    try:
        yield database
    finally:
        with root.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{USER}'@'%'")


def _config_with_db(parity_config: Path, tmp_path: Path, db: object) -> Path:
    data = tomllib.loads(parity_config.read_text("utf-8"))
    data["environments"]["staging"]["db"] = db
    path = tmp_path / "parity.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    path.chmod(0o600)
    return path


def test_password_with_reserved_characters_given_apart_connects_as_is(
    sandbox: Any, parity_config: Path, tmp_path: Path, odd_password_user: str
) -> None:
    port = sandbox.ports.mariadb
    url = f"mysql://{USER}@127.0.0.1:{port}/{odd_password_user}"
    path = _config_with_db(parity_config, tmp_path, {"url": url, "password": "${ODD_DB_PASSWORD}"})
    settings = load_settings(path, env={**os.environ, "ODD_DB_PASSWORD": PASSWORD})
    with Database.connect(settings.environment("staging")) as db:
        assert db.scalar("SELECT CURRENT_USER()").startswith(USER + "@")
        assert int(db.scalar("SELECT COUNT(*) FROM wp_options")) > 0
    shown = _parity(path, "config", "show", env={"ODD_DB_PASSWORD": PASSWORD})
    assert shown.returncode == 0, shown.stderr
    assert PASSWORD not in shown.stdout + shown.stderr


def test_password_with_reserved_characters_inside_the_url_is_refused_saying_why(
    sandbox: Any, parity_config: Path, tmp_path: Path, odd_password_user: str
) -> None:
    port = sandbox.ports.mariadb
    url = f"mysql://{USER}:${{ODD_DB_PASSWORD}}@127.0.0.1:{port}/{odd_password_user}"
    path = _config_with_db(parity_config, tmp_path, url)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={**os.environ, "ODD_DB_PASSWORD": PASSWORD})
    message = caught.value.one_line()
    assert "percent-encoded" in message and "names no database" not in message
    assert PASSWORD not in message
    done = _parity(path, "doctor", env={"ODD_DB_PASSWORD": PASSWORD})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr + done.stdout
    # Percent-encoded, the same password works in the URL.
    encoded = url.replace("${ODD_DB_PASSWORD}", "p%2Fw%23x%3Fy%2541z")
    settings = load_settings(_config_with_db(parity_config, tmp_path, encoded))
    with Database.connect(settings.environment("staging")) as db:
        assert db.scalar("SELECT CURRENT_USER()").startswith(USER + "@")
