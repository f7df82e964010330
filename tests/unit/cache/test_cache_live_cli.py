"""`parity cache verify` and `parity cache purge` through the CLI, on the fake cached site."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fake_cache import PASSWORD, SESSION_VALUE, SITE_URL, FakeCachedSite
from typer.testing import CliRunner

from parity.cache import broken_ruleset, default_ruleset
from parity.cache.verify import verify_sites
from parity.cli import cache_cmd
from parity.cli.context import CliState
from parity.config import Settings, settings_from_mapping
from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.targets.cache import HttpPurger
from parity.targets.site import Site

runner = CliRunner()


def settings() -> Settings:
    env = {
        "url": SITE_URL,
        "db": "mysql://u:p@127.0.0.1:1/wp",
        "login": {"user": "admin", "password": PASSWORD},
        "cache": {"kind": "varnish", "purge_url": SITE_URL},
    }
    data = {"environments": {"production": {**env, "protected": True}, "staging": dict(env)}}
    return settings_from_mapping(data, Path("parity.toml"), env={})


@pytest.fixture(autouse=True)
def no_config_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARITY_CONFIG", raising=False)


Wire = Callable[[FakeCachedSite], None]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    """Point the commands' Site, purger and clock at a fake cached site."""

    def attach(fake: FakeCachedSite) -> None:
        def site(env: EnvironmentSettings, **kw: Any) -> Site:
            return Site(env, transport=fake.transport())

        def purger(env: EnvironmentSettings) -> HttpPurger:
            return HttpPurger(env, transport=fake.transport())

        monkeypatch.setattr(cache_cmd, "Site", site)
        monkeypatch.setattr(cache_cmd, "purger_for", purger)
        monkeypatch.setattr(
            cache_cmd,
            "verify_sites",
            functools.partial(verify_sites, sleep=fake.clock.sleep, clock=fake.clock),
        )

    yield attach


def invoke(*args: str, columns: str = "200") -> Any:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(_settings=settings())

    app.add_typer(cache_cmd.app, name="cache")
    return runner.invoke(app, ["cache", *args], env={"COLUMNS": columns})


def test_verify_passes_and_prints_a_table_per_route(wire: Wire) -> None:
    wire(FakeCachedSite(default_ruleset()))
    result = invoke("verify", "staging", "-r", "/", "-r", "/hello-world/", "--no-examples")
    assert result.exit_code == 0, result.output
    assert "cache verify: staging" in result.output
    assert "/hello-world/" in result.output and "commenter" in result.output
    assert "ok: staging:" in result.output
    assert PASSWORD not in result.output and SESSION_VALUE not in result.output


def test_verify_piped_at_80_columns_prints_each_probe_on_one_line(wire: Wire) -> None:
    wire(FakeCachedSite(broken_ruleset("ignores-commenter")))
    result = invoke("verify", "staging", "-r", "/", "-r", "/hello-world/", columns="80")
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), result.output
    rows = [line for line in lines if "│ ok " in line or "│ FAIL " in line or "│ - " in line]
    probes = [line for line in rows if not line.startswith("│ /")]
    assert len(probes) >= 10, result.output  # every check of both routes, one line each
    for row in rows:
        after = lines[lines.index(row) + 1]
        assert after.startswith(("│", "└", "├")), result.output  # no continuation line
    assert "│ commenter" in result.output and "FAIL" in result.output
    assert "/hello-world/" in result.output and "FAILED: staging" in result.output


def test_verify_exits_1_and_says_fail_when_the_cache_is_wrong(wire: Wire) -> None:
    wire(FakeCachedSite(broken_ruleset("ignores-commenter")))
    result = invoke("verify", "staging", "--no-examples")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "FAILED: staging" in result.output


def test_verify_json_with_two_environments(wire: Wire) -> None:
    wire(FakeCachedSite(default_ruleset()))
    result = invoke("verify", "production", "staging", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert [env["environment"] for env in data["environments"]] == ["production", "staging"]
    assert data["environments"][0]["protected"] is True
    probe = data["environments"][0]["probes"][1]
    assert probe["check"] == "anonymous" and probe["passed"] is True
    assert {"differences", "counts"} <= data.keys()
    assert PASSWORD not in result.stdout and SESSION_VALUE not in result.stdout


def test_verify_refuses_the_same_environment_twice_and_bad_cookies(wire: Wire) -> None:
    wire(FakeCachedSite(default_ruleset()))
    assert isinstance(invoke("verify", "staging", "staging").exception, InputError)
    bad = invoke("verify", "staging", "--cookie", "oops")
    assert isinstance(bad.exception, InputError)


def test_purge_shows_the_purged_route_miss_then_hit_and_the_control_stayed(wire: Wire) -> None:
    wire(FakeCachedSite(default_ruleset()))
    result = invoke("purge", "production", "/hello-world/")
    assert result.exit_code == 0, result.output
    assert "control (not purged)" in result.output
    assert "MISS age 0, HIT age 0" in result.output
    assert "protected: purge logged" in result.output


def test_purge_json_and_exit_1_when_nothing_is_dropped(wire: Wire) -> None:
    wire(FakeCachedSite(default_ruleset(), ignores_purge=True))
    result = invoke("purge", "staging", "/a/", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["routes"][0]["route"] == "/a/"


@pytest.mark.parametrize("command", ["verify", "purge"])
def test_live_commands_have_help(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "--format" in result.output
