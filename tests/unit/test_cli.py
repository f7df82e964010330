"""The command line: every command explains itself; errors are one line and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from parity.cli.main import app


def _commands(group: Any, prefix: str = "parity") -> list[tuple[str, Any]]:
    found = [(prefix, group)]
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found += _commands(command, f"{prefix} {name}")
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_text(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{name} has no help text"
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert (param.help or "").strip(), f"{name} {param.opts} has no help text"


def test_config_error_is_one_line_on_stderr_with_exit_2(tmp_path: Path, run_parity: Any) -> None:
    (tmp_path / "parity.toml").write_text("[environments.a]\nurl = 3\n", encoding="utf-8")
    result = run_parity("config", "show")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "environments.a.url" in lines[0]
    assert "Traceback" not in result.stderr


def test_debug_flag_shows_the_traceback(tmp_path: Path, run_parity: Any) -> None:
    (tmp_path / "parity.toml").write_text("[environments.a]\nurl = 3\n", encoding="utf-8")
    result = run_parity("--debug", "config", "show")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_init_writes_a_starter_that_loads_once_variables_are_set(
    tmp_path: Path,
    run_parity: Any,
) -> None:
    assert run_parity("init").returncode == 0
    assert run_parity("init").returncode == 2  # never overwrites without --force
    secrets = {
        "PROD_DB_PASSWORD": "pw-a-123",
        "PROD_WP_PASSWORD": "pw-b-456",
        "STAGING_DB_PASSWORD": "pw-c-789",
        "STAGING_WP_PASSWORD": "pw-d-012",
    }
    shown = run_parity("config", "show", env=secrets)
    assert shown.returncode == 0, shown.stderr
    assert "[environments.production]" in shown.stdout
    assert not any(secret in shown.stdout + shown.stderr for secret in secrets.values())


def test_version_flag_prints_the_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "parity" in result.output
