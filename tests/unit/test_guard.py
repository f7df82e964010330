"""The write guard refuses every write path to a protected environment."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import httpx
import pytest

from parity.config import settings_from_mapping
from parity.environments import EnvironmentSettings
from parity.errors import ProtectedEnvironment
from parity.targets.guard import ProtectedData, ensure_writable, refuse_protected_data
from parity.targets.identity import DataIdentity, same_address
from parity.targets.site import Site


def make_env(*, protected: bool) -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {
            "name": "production" if protected else "staging",
            "url": "http://127.0.0.1:1",
            "db": "mysql://u:p@127.0.0.1:1/wp",
            "protected": protected,
        }
    )


def test_guard_refuses_protected_environment_and_names_it() -> None:
    with pytest.raises(ProtectedEnvironment) as info:
        ensure_writable(make_env(protected=True), "rewrite wp_options")
    assert "production" in info.value.one_line()
    assert "rewrite wp_options" in info.value.one_line()
    assert info.value.exit_code == 2


def test_guard_allows_unprotected_environment() -> None:
    assert ensure_writable(make_env(protected=False), "rewrite wp_options") is None


def test_site_write_to_protected_environment_sends_no_request() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201)

    with (
        Site(make_env(protected=True), transport=httpx.MockTransport(handler)) as site,
        pytest.raises(ProtectedEnvironment),
    ):
        site.write("POST", "/wp-json/wp/v2/posts", action="create a post")
    assert sent == []


def test_site_write_to_unprotected_environment_goes_through() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201)

    with Site(make_env(protected=False), transport=httpx.MockTransport(handler)) as site:
        response = site.write("POST", "/wp-json/wp/v2/posts", action="create a post")
    assert response.status_code == 201
    assert [r.method for r in sent] == ["POST"]


# -- by identity: what a write reaches, whatever the environment is called -------------

PROD = DataIdentity("db1", 3306, "/var/lib/mysql/", "wordpress", "wp_")
PROD_DATA = ProtectedData("production", PROD, (None, "db1", 3306), "wordpress", "wp_")


@pytest.mark.parametrize(
    "reached",
    [
        PROD,
        DataIdentity("db1", 3306, "/var/lib/mysql", "wordpress", "wp_"),  # datadir spelling
        DataIdentity("db1", 3306, "/var/lib/mysql/", "WordPress", "wp_"),  # schema case
        DataIdentity("db1", 3306, "/var/lib/mysql/", "wordpress", "wp_2_"),  # multisite site
        DataIdentity("db1", 3306, "/var/lib/mysql/", "wordpress", "w"),  # a wider prefix
        DataIdentity("node2", 3306, "/data/", "wordpress", "wp_", cluster="c-1"),
    ],
)
def test_identity_guard_refuses_every_spelling_of_production(reached: DataIdentity) -> None:
    prod = PROD_DATA
    if reached.cluster:
        prod = ProtectedData(
            "production",
            DataIdentity("node1", 3306, "/data/", "wordpress", "wp_", cluster="c-1"),
            (None, "node1", 3306),
            "wordpress",
            "wp_",
        )
    with pytest.raises(ProtectedEnvironment) as info:
        refuse_protected_data("alias", "rewrite it", reached, (None, "10.1.1.1", 3306), [prod])
    assert "production" in info.value.one_line()
    assert "alias" in info.value.one_line()
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    "reached",
    [
        DataIdentity("db1", 3306, "/var/lib/mysql/", "staging", "wp_"),  # another schema
        DataIdentity("db1", 3306, "/var/lib/mysql/", "wordpress", "stg_"),  # another prefix
        DataIdentity("db2", 3306, "/var/lib/mysql/", "wordpress", "wp_"),  # another server
        DataIdentity("db1", 3307, "/var/lib/mysql/", "wordpress", "wp_"),  # another instance
    ],
)
def test_identity_guard_allows_other_data(reached: DataIdentity) -> None:
    assert (
        refuse_protected_data("staging", "rewrite it", reached, (None, "db1", 3306), [PROD_DATA])
        is None
    )


def test_unreachable_protected_server_is_compared_by_configured_address() -> None:
    unknown = ProtectedData("production", None, (None, "localhost", 3306), "wordpress", "wp_")
    reached = DataIdentity("db1", 3306, "/var/lib/mysql/", "wordpress", "wp_")
    with pytest.raises(ProtectedEnvironment):
        refuse_protected_data("alias", "write", reached, (None, "127.0.0.1", 3306), [unknown])
    assert (
        refuse_protected_data("s", "write", reached, (None, "127.0.0.1", 3307), [unknown]) is None
    )


def test_same_address_treats_sockets_by_path_and_loopback_as_one_host(tmp_path: Any) -> None:
    sock = tmp_path / "mysqld.sock"
    sock.touch()
    link = tmp_path / "link.sock"
    link.symlink_to(sock)
    assert same_address((str(sock), "localhost", 3306), (str(link), "x", 1))
    assert not same_address((str(sock), "localhost", 3306), (None, "127.0.0.1", 3306))
    assert same_address((None, "::1", 3306), (None, "127.0.0.1", 3306))
    assert not same_address((None, "db1", 3306), (None, "db2", 3306))


def test_settings_tell_each_environment_which_others_are_protected() -> None:
    settings = settings_from_mapping(
        {
            "environments": {
                "production": {
                    "url": "https://example.com",
                    "db": "mysql://u:p@127.0.0.1:3306/wp",
                    "protected": True,
                },
                "staging": {"url": "https://s.example.com", "db": "mysql://u:p@127.0.0.1:3307/wp"},
            }
        },
        Path("parity.toml"),
    )
    staging = settings.environment("staging")
    assert [p.name for p in staging.protected_peers] == ["production"]
    assert settings.environment("production").protected_peers == ()


def test_identity_and_guard_doctests_pass() -> None:
    import parity.targets.identity as identity_module

    for module in (identity_module,):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
    finder = doctest.DocTestFinder()
    tests = finder.find(
        ProtectedData.holds,
        "holds",
        globs={"ProtectedData": ProtectedData, "DataIdentity": DataIdentity},
    )
    runner = doctest.DocTestRunner()
    for test in tests:
        runner.run(test)
    assert runner.tries > 0 and runner.failures == 0
