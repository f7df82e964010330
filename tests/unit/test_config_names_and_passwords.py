"""Names that reach SQL (or a rendered config) are matched whole; database passwords are
taken as given or refused with a reason, never mangled and never printed.

``table_prefix = "wp_\\n"`` passed validation (``$`` matches before a final newline) and a
refresh created tables with a newline in their names. A ``${VAR}`` password holding ``/``,
``#`` or ``?`` gave "names no database", and ``%41`` was silently decoded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parity.cache.defaults import default_ruleset
from parity.cache.render_nginx import render_nginx
from parity.cache.render_varnish import render_varnish
from parity.config import settings_from_mapping
from parity.environments import parse_database_url
from parity.errors import ConfigError, InputError
from parity.refresh.naming import backup_name, trash_name

FILE = Path("parity.toml")

SECRET = "pa/ss#wo?rd%41"


def _env(db: Any, **extra: Any) -> dict[str, Any]:
    return {"environments": {"staging": {"url": "http://127.0.0.1:8082", "db": db, **extra}}}


@pytest.mark.parametrize("prefix", ["wp_\n", "wp_\r\n", "\nwp_", "wp_ ", "wp-"])
def test_table_prefix_with_a_newline_or_other_character_is_refused(prefix: str) -> None:
    with pytest.raises(ConfigError, match="table_prefix"):
        settings_from_mapping(_env("mysql://wp@127.0.0.1/wp", table_prefix=prefix), FILE)


def test_rollback_tokens_with_a_trailing_newline_are_refused() -> None:
    for name in (backup_name, trash_name):
        with pytest.raises(ValueError):
            name("wp_posts", "ab12\n")


def test_cache_names_with_a_trailing_newline_are_refused() -> None:
    with pytest.raises(ConfigError, match="rule"):
        settings_from_mapping(
            {
                "cache": {
                    "rules": [
                        {
                            "name": "api\n",
                            "description": "x",
                            "match": {"paths": ["/api/*"]},
                            "action": "bypass",
                        }
                    ]
                }
            },
            FILE,
        )
    ruleset = default_ruleset()
    with pytest.raises(InputError):
        render_varnish(ruleset, backend_host="127.0.0.1\n")
    with pytest.raises(InputError):
        render_nginx(ruleset, zone="parity\n")


@pytest.mark.parametrize("char", ["/", "#", "?"])
def test_unencoded_reserved_character_in_a_url_password_says_to_encode_it(char: str) -> None:
    url = f"mysql://wp:ab{char}cd@127.0.0.1:3306/wordpress"
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(_env(url), FILE)
    message = caught.value.one_line()
    assert "percent-encoded" in message and "password =" in message
    assert f"ab{char}cd" not in message
    assert "names no database" not in message


def test_a_percent_that_starts_no_escape_says_to_encode_it() -> None:
    with pytest.raises(ConfigError, match="%25") as caught:
        settings_from_mapping(_env("mysql://wp:100%sure@127.0.0.1/wordpress"), FILE)
    assert "100%sure" not in caught.value.one_line()


def test_percent_encoded_url_password_is_decoded() -> None:
    db = parse_database_url("mysql://wp:pa%2Fss%23wo%3Frd%2541@127.0.0.1:3306/wordpress")
    assert db.password.get_secret_value() == SECRET  # type: ignore[union-attr]


def test_password_given_apart_is_taken_literally_from_the_variable() -> None:
    table = {"url": "mysql://wp@127.0.0.1:3307/wordpress", "password": "${DB_PASSWORD}"}
    settings = settings_from_mapping(_env(table), FILE, env={"DB_PASSWORD": SECRET})
    db = settings.environment("staging").db
    assert db.password.get_secret_value() == SECRET  # %41 stays %41
    assert (db.user, db.host, db.port, db.database) == ("wp", "127.0.0.1", 3307, "wordpress")
    assert SECRET not in str(settings.masked())


def test_password_given_twice_or_with_other_keys_is_refused() -> None:
    with pytest.raises(ConfigError, match="twice"):
        settings_from_mapping(
            _env({"url": "mysql://wp:one@127.0.0.1/wordpress", "password": "two"}), FILE
        )
    with pytest.raises(ConfigError, match="only other key is password"):
        settings_from_mapping(_env({"url": "mysql://wp@127.0.0.1/wordpress", "port": 3307}), FILE)
