"""`parity refresh` command line: guards and confirmation before anything is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from parity.cli import refresh_cmd
from parity.errors import InputError, ProtectedEnvironment

CONFIG = """
[environments.production]
url = "https://example.com"
db = "mysql://u:p@127.0.0.1:1/prod"
protected = true

[environments.staging]
url = "https://staging.example.com"
db = "mysql://u:p@127.0.0.1:1/stage"

[environments.twin]
url = "https://example.com"
db = "mysql://u:p@127.0.0.1:1/twin"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "parity.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("PARITY_CONFIG", str(path))
    return path


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(refresh_cmd.app, list(args), input=input)


def test_every_refresh_command_and_option_has_help_text() -> None:
    group: Any = typer.main.get_command(refresh_cmd.app)
    for command in [group, *group.commands.values()]:
        assert (command.help or "").strip()
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert (param.help or "").strip(), f"{command.name} {param.opts}"
    assert set(group.commands) == {"rollback", "history"}


def test_refresh_needs_from_and_to(config: Path) -> None:
    result = invoke("--to", "staging")
    assert isinstance(result.exception, InputError)
    assert result.exception.exit_code == 2


def test_refresh_into_a_protected_environment_is_refused(config: Path) -> None:
    result = invoke("--from", "staging", "--to", "production", "--yes")
    assert isinstance(result.exception, ProtectedEnvironment)
    assert "production" in result.exception.one_line()


def test_refresh_between_environments_with_the_same_url_is_refused(config: Path) -> None:
    result = invoke("--from", "production", "--to", "twin", "--yes")
    assert isinstance(result.exception, InputError)
    assert "same URL" in result.exception.one_line()


def test_without_a_terminal_and_without_yes_it_refuses_and_says_to_pass_yes(config: Path) -> None:
    result = invoke("--from", "production", "--to", "staging")
    assert isinstance(result.exception, InputError)
    assert "--yes" in result.exception.one_line()
    assert result.exception.exit_code == 2


def test_on_a_terminal_a_no_changes_nothing(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh_cmd, "_stdin_is_tty", lambda: True)
    result = invoke("--from", "production", "--to", "staging", input="n\n")
    assert result.exit_code == 2
    assert "Replace the database of staging" in result.output
    assert "nothing was changed" in result.output
    assert ":p@" not in result.output  # the masked URL is shown, never the password


def test_history_of_a_fresh_store_lists_nothing(config: Path) -> None:
    result = invoke("history", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"runs": []' in result.output
    result = invoke("history")
    assert "no rollback point kept" in result.output


def test_rollback_refuses_a_protected_environment(config: Path) -> None:
    result = invoke("rollback", "production", "--yes")
    assert isinstance(result.exception, ProtectedEnvironment)


def test_progress_bars_count_rows_per_table() -> None:
    import io

    from rich.console import Console

    from parity.cli.progress import rows_progress

    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with rows_progress(console) as progress:
        bars = refresh_cmd._Bars(progress, quiet=True)
        bars.table_started("wp_posts", 10, 2)
        bars.rows_done("wp_posts", 5)
        assert progress.tasks[0].completed == 7
        bars.table_finished("wp_posts")
        assert progress.tasks[0].completed == 10
