"""`parity sandbox up --with`: which optional services, on which ports, refused when unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parity.errors import ConfigError
from parity.sandbox.layout import Layout
from parity.sandbox.ports import SandboxPorts
from parity.sandbox.services import SandboxServices, parse_services


def test_services_are_parsed_in_start_order_and_an_unknown_one_is_refused() -> None:
    assert parse_services("postgres, redis") == ("redis", "postgres")
    assert parse_services("") == ()
    with pytest.raises(ConfigError, match="unknown service 'mysql'"):
        parse_services("redis,mysql")


def test_service_ports_move_with_the_sandbox_offset(tmp_path: Path) -> None:
    services = SandboxServices(Layout.at(tmp_path), SandboxPorts.with_offset(100))
    assert (services.redis.port, services.postgres.port) == (6579, 5632)
    assert services.status() == []  # none started here


def test_an_unknown_service_exits_2_before_starting_anything(
    tmp_path: Path, run_parity: Any
) -> None:
    done = run_parity("sandbox", "up", "--state-dir", str(tmp_path / "sb"), "--with", "mysql")
    assert done.returncode == 2
    assert "unknown service 'mysql'" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2
    assert not (tmp_path / "sb").exists()
