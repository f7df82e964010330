"""parity.toml loading: discovery, ${VAR}, strictness, and errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.config import config_asked_for, find_config, load_settings
from parity.environments import parse_database_url
from parity.errors import ConfigError, MissingVariable

GOOD = """
[environments.production]
url = "https://example.com/"
db = "mysql://wp:${PROD_DB_PASSWORD}@db.internal:3307/wordpress"
protected = true
login = { user = "bot", password = "${PROD_WP_PASSWORD}" }
cache = { kind = "varnish", purge_url = "http://127.0.0.1:6081" }

[environments.staging]
url = "https://staging.example.com"
db = "mysql://wp:pw@localhost/wp_staging?socket=/run/mysqld/mysqld.sock"
table_prefix = "stg_"
"""

SECRETS = {"PROD_DB_PASSWORD": "hunter2-db", "PROD_WP_PASSWORD": "hunter2-wp"}


def write(tmp_path: Path, text: str, name: str = "parity.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_resolves_variables_and_parses_db_urls(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), env=SECRETS)
    prod = settings.environment("production")
    assert prod.name == "production"
    assert prod.url == "https://example.com"
    assert prod.protected is True
    assert (prod.db.user, prod.db.host, prod.db.port, prod.db.database) == (
        "wp",
        "db.internal",
        3307,
        "wordpress",
    )
    assert prod.db.password.get_secret_value() == "hunter2-db"
    assert prod.login is not None and prod.login.password.get_secret_value() == "hunter2-wp"
    staging = settings.environment("staging")
    assert staging.db.socket == "/run/mysqld/mysqld.sock"
    assert staging.table_prefix == "stg_"
    assert staging.protected is False


def test_masked_config_never_contains_a_secret(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), env=SECRETS)
    text = repr(settings.masked()) + repr(settings)
    assert "hunter2" not in text
    assert settings.masked()["environments"]["production"]["db"].startswith("mysql://wp:***@")


def test_unset_variable_is_named_with_its_key_path(tmp_path: Path) -> None:
    with pytest.raises(MissingVariable) as info:
        load_settings(write(tmp_path, GOOD), env={"PROD_DB_PASSWORD": "x"})
    message = info.value.one_line()
    assert "PROD_WP_PASSWORD" in message
    assert "environments.production.login.password" in message
    assert "parity.toml" in message


def test_unknown_key_is_rejected_with_file_and_key_path(tmp_path: Path) -> None:
    text = GOOD.replace("protected = true", "protectd = true")
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env=SECRETS)
    message = info.value.one_line()
    assert "environments.production.protectd" in message
    assert "unknown key" in message
    assert str(tmp_path / "parity.toml") in message


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[environments.a]\nurl = "http://x"\nprotected = yes\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert "line 3" in info.value.one_line()
    assert "parity.toml" in info.value.one_line()


def test_wrong_types_and_bad_urls_are_reported_together(tmp_path: Path) -> None:
    text = '[environments.a]\nurl = "ftp://x"\ndb = "postgres://u@h/d"\nprotected = "maybe"\n'
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={})
    message = info.value.one_line()
    assert "environments.a.url" in message
    assert "environments.a.db" in message
    assert "environments.a.protected" in message


def test_secret_in_a_bad_value_is_not_echoed(tmp_path: Path) -> None:
    text = '[environments.a]\nurl = "http://x"\ndb = "mysql://u:topsecret@h:notaport/d"\n'
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env={})
    assert "topsecret" not in info.value.one_line()
    assert "port" in info.value.one_line()


def test_unknown_environment_lists_the_known_ones(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), env=SECRETS)
    with pytest.raises(ConfigError, match=r"known: production, staging"):
        settings.environment("prod")


def test_table_prefix_must_be_an_identifier(tmp_path: Path) -> None:
    text = GOOD.replace('table_prefix = "stg_"', 'table_prefix = "stg; DROP"')
    with pytest.raises(ConfigError, match=r"staging\.table_prefix"):
        load_settings(write(tmp_path, text), env=SECRETS)


def test_config_is_found_in_cwd_then_sandbox_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARITY_CONFIG", raising=False)
    with pytest.raises(ConfigError, match=r"no parity\.toml"):
        find_config()
    sandbox = tmp_path / ".parity" / "sandbox"
    sandbox.mkdir(parents=True)
    write(sandbox, GOOD)
    assert find_config() == Path(".parity/sandbox/parity.toml")
    write(tmp_path, GOOD)
    assert find_config() == Path("parity.toml")
    other = write(tmp_path, GOOD, "other.toml")
    monkeypatch.setenv("PARITY_CONFIG", str(other))
    assert find_config() == other


def test_config_asked_for_follows_the_one_search_order_and_finds_nothing_without_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARITY_CONFIG", raising=False)
    assert config_asked_for() is None  # cache commands then use the default rules
    sandbox = tmp_path / ".parity" / "sandbox"
    sandbox.mkdir(parents=True)
    write(sandbox, GOOD)
    assert config_asked_for() == Path(".parity/sandbox/parity.toml")
    write(tmp_path, GOOD)
    assert config_asked_for() == Path("parity.toml")
    monkeypatch.setenv("PARITY_CONFIG", str(tmp_path / "missing.toml"))
    assert config_asked_for() == tmp_path / "missing.toml"  # asked for: find_config says so
    with pytest.raises(ConfigError, match=r"missing\.toml \(from \$PARITY_CONFIG\)"):
        find_config()
    assert config_asked_for(Path("given.toml")) == Path("given.toml")


def test_state_defaults_to_sqlite_beside_the_project(tmp_path: Path) -> None:
    sandbox = tmp_path / ".parity" / "sandbox"
    sandbox.mkdir(parents=True)
    settings = load_settings(write(sandbox, GOOD), env=SECRETS)
    assert settings.state_url() == f"sqlite:///{tmp_path.resolve() / '.parity' / 'state.db'}"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://u:p@h:3306/", "no database"),
        ("mysql://:p@h/db", "no user"),
        ("http://u:p@h/db", "mysql://"),
    ],
)
def test_bad_database_urls_say_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_database_url(url)
