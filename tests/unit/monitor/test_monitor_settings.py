"""The [monitor] section: checks as data, validated strictly, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.config import settings_from_mapping
from parity.errors import ConfigError
from parity.monitor.defaults import checks_for, default_checks
from parity.monitor.settings import MonitorSection, check_environments, parse_duration

ENVS = {
    "staging": {"url": "http://127.0.0.1:8502", "db": "mysql://wp:pw@127.0.0.1:3307/wp"},
}


def load(monitor: dict[str, object]) -> MonitorSection:
    data = {"environments": ENVS, "monitor": monitor}
    return settings_from_mapping(data, Path("parity.toml"), env={}).monitor


def test_defaults_are_thresholds_3_and_2_and_30_s_interval() -> None:
    section = load({})
    assert (section.failure_threshold, section.success_threshold) == (3, 2)
    assert section.interval_s == 30.0
    assert section.defaults is True


def test_a_check_is_read_with_its_conditions_and_a_duration_interval() -> None:
    section = load(
        {
            "checks": [
                {
                    "name": "shop",
                    "env": "staging",
                    "route": "/shop/",
                    "interval_s": "1s",
                    "conditions": ["status == 200", 'body contains "Add to cart"'],
                }
            ]
        }
    )
    check = section.checks[0]
    assert check.interval_s == 1.0
    assert check.key == "staging/shop"
    assert check.conditions[1] == 'body contains "Add to cart"'


def test_an_unknown_condition_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load({"checks": [{"name": "a", "env": "staging", "route": "/", "conditions": ["up"]}]})
    assert "monitor.checks.0.conditions" in caught.value.message
    assert "'up'" in caught.value.message


@pytest.mark.parametrize("interval", [0, "0.5s", "soon", -3, "2 weeks", 100000, True])
def test_a_bad_interval_is_a_config_error_naming_the_key(interval: object) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"checks": [{"name": "a", "env": "staging", "route": "/", "interval_s": interval}]})
    assert "monitor.checks.0.interval_s" in caught.value.message


def test_an_unknown_key_is_rejected_and_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load({"checks": [{"name": "a", "env": "staging", "route": "/", "intervall": 3}]})
    assert "monitor.checks.0.intervall: unknown key" in caught.value.message
    with pytest.raises(ConfigError) as caught:
        load({"thresholds": 3})
    assert "monitor.thresholds: unknown key" in caught.value.message


def test_a_check_on_an_unknown_environment_is_a_config_error_naming_the_key() -> None:
    section = load({"checks": [{"name": "a", "env": "prod", "route": "/"}]})
    with pytest.raises(ConfigError) as caught:
        check_environments(section, ["staging"], "parity.toml")
    assert "monitor.checks.0.env" in caught.value.message
    assert "'prod'" in caught.value.message


def test_an_alert_on_an_unknown_environment_is_a_config_error_naming_the_key() -> None:
    section = load({"alerts": [{"name": "chat", "url": "http://127.0.0.1:9/x", "envs": ["x"]}]})
    with pytest.raises(ConfigError) as caught:
        check_environments(section, ["staging"], "parity.toml")
    assert "monitor.alerts.0.envs" in caught.value.message


def test_a_check_declared_twice_is_refused() -> None:
    check = {"name": "a", "env": "staging", "route": "/"}
    with pytest.raises(ConfigError) as caught:
        load({"checks": [check, check]})
    assert "'staging/a' is declared twice" in caught.value.message


def test_a_route_must_be_a_path() -> None:
    with pytest.raises(ConfigError) as caught:
        load({"checks": [{"name": "a", "env": "staging", "route": "shop"}]})
    assert "monitor.checks.0.route" in caught.value.message


def test_a_job_duration_range_needs_a_bound_in_order() -> None:
    with pytest.raises(ConfigError):
        load({"jobs": [{"name": "j"}]})
    with pytest.raises(ConfigError):
        load({"jobs": [{"name": "j", "min_duration_s": 10, "max_duration_s": 5}]})


def test_durations_take_units() -> None:
    assert parse_duration("15m") == 900.0
    assert parse_duration("250ms") == 0.25
    assert parse_duration("2d") == 172800.0
    with pytest.raises(ValueError):
        parse_duration("")


def test_every_environment_gets_the_six_default_checks() -> None:
    names = [c.name for c in default_checks("production", has_login=True, has_cache=True)]
    assert names == ["home", "post", "rest-api", "wp-login", "admin", "cache-hit"]
    admin = default_checks("production", has_login=True, has_cache=True)[4]
    assert admin.logged_in and admin.route == "/wp-admin/"
    cache = default_checks("production", has_login=True, has_cache=True)[5]
    assert cache.repeat and "header x-cache == HIT" in cache.conditions


def test_a_configured_check_replaces_the_default_of_the_same_name() -> None:
    section = load(
        {
            "checks": [
                {"name": "home", "env": "staging", "route": "/", "slo_ms": 300},
                {"name": "shop", "env": "staging", "route": "/shop/"},
            ]
        }
    )
    checks = {c.key: c for c in checks_for(section, {"staging": (False, False)})}
    assert checks["staging/home"].slo_ms == 300
    assert "staging/shop" in checks and "staging/rest-api" in checks


def test_defaults_can_be_turned_off() -> None:
    section = load({"defaults": False, "checks": [{"name": "a", "env": "staging", "route": "/"}]})
    assert [c.key for c in checks_for(section, ["staging"])] == ["staging/a"]
