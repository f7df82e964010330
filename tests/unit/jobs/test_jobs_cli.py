"""`parity jobs` and `parity cron` as a user runs them (CliRunner on their own apps)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from parity.cli import cron_cmd, jobs_cmd
from parity.errors import InputError
from parity.jobs import JobsSection, RunStatus
from parity.refresh.runs import RefreshDetails, finish_run, refresh_job, start_run
from parity.store import open_store

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "parity.toml"
    path.write_text(
        "[environments.staging]\n"
        'url = "http://127.0.0.1:9"\n'
        'db = "mysql://u:p@127.0.0.1:9/wp"\n'
        "[state]\n"
        f'url = "sqlite:///{tmp_path / "state.db"}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PARITY_CONFIG", str(path))
    marker = tmp_path / "marker"
    section = JobsSection.model_validate(
        {
            "declared": [
                {
                    "name": "touch-marker",
                    "owner": "ops team",
                    "description": "Touch the marker file.",
                    "command": [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x')"],
                    "expected": {"callable": "jobs_fakes:check_ok"},
                    "rollback": {"note": "Delete the marker.", "command": "rm marker"},
                    "schedule": "@daily",
                },
                {
                    "name": "always-fails",
                    "owner": "ops team",
                    "description": "Exit 3.",
                    "command": [sys.executable, "-c", "raise SystemExit(3)"],
                    "expected": {"callable": "builtins:bool"},
                    "rollback": {"note": "Nothing to undo."},
                },
                {
                    "name": "bad-check",
                    "owner": "ops team",
                    "description": "A check that raises.",
                    "command": [sys.executable, "-c", "pass"],
                    "expected": {"callable": "os.path:exists"},  # TypeError on the context
                    "rollback": {"note": "Nothing to undo."},
                },
            ]
        }
    )
    # Until the lead wires [jobs] into Settings, the section is read through one function.
    monkeypatch.setattr(jobs_cmd, "jobs_settings", lambda settings: section)
    return path


def invoke(*args: str) -> Any:
    return runner.invoke(jobs_cmd.app, list(args), env={"COLUMNS": "250"})


def test_list_shows_owner_schedule_check_and_rollback(config: Path) -> None:
    result = invoke("list", "--format", "json")
    assert result.exit_code == 0, result.output
    jobs = {job["name"]: job for job in json.loads(result.output)["jobs"]}
    assert set(jobs) == {
        "content-import",
        "content-rollback",
        "refresh",
        "refresh-rollback",
        "touch-marker",
        "always-fails",
        "bad-check",
    }
    marker = jobs["touch-marker"]
    assert marker["owner"] == "ops team"
    assert marker["schedule"] == "@daily"
    assert marker["next_run"].endswith("T00:00:00+00:00")
    assert marker["rollback"] == {"note": "Delete the marker.", "command": "rm marker"}
    assert jobs["content-import"]["run"] == "parity content import ENV PATH..."
    table = invoke("list")
    assert "touch-marker" in table.output and "ops team" in table.output


def test_refresh_runs_are_in_jobs_list_and_history_like_any_run(config: Path) -> None:
    with open_store(f"sqlite:///{config.parent / 'state.db'}") as store:
        details = RefreshDetails("production", "key", "fingerprint", "tok1", "copy", False)
        run = start_run(
            store,
            refresh_job("ops team", "production", "staging"),
            target="staging",
            holder="host:1:refresh",
            details=details,
            tables=3,
        )
        finish_run(store, run.id, RunStatus.succeeded, tables_done=3, stage="done")
    jobs = {
        job["name"]: job for job in json.loads(invoke("list", "--format", "json").stdout)["jobs"]
    }
    refresh = jobs["refresh"]
    assert refresh["builtin"] is True and refresh["owner"] == "ops team"
    assert refresh["run"] == "parity refresh --from SOURCE --to TARGET"
    assert refresh["last_run"]["id"] == run.id
    assert refresh["last_run"]["status"] == "succeeded"
    history = json.loads(invoke("history", "--format", "json").stdout)["runs"]
    assert [(r["id"], r["job"]) for r in history] == [(run.id, "refresh")]
    refused = invoke("run", "refresh")
    assert isinstance(refused.exception, InputError)
    assert "parity refresh --from SOURCE --to TARGET" in str(refused.exception.hint)


def test_run_exits_0_then_history_shows_owner_status_counts_and_rollback(config: Path) -> None:
    result = invoke("run", "touch-marker")
    assert result.exit_code == 0, result.output
    assert "expected result: passed - fine" in result.output
    result = invoke("history", "--format", "json")
    run = json.loads(result.output)["runs"][0]
    assert run["job"] == "touch-marker"
    assert run["owner"] == "ops team"
    assert run["status"] == "succeeded"
    assert run["items"] == {"total": 1, "done": 1, "skipped": 0, "failed": 0}
    assert run["check"]["status"] == "passed"
    assert run["rollback"] == {"note": "Delete the marker.", "command": "rm marker"}
    table = invoke("history", "touch-marker")
    for text in ("ops team", "succeeded", "Delete the marker.", "rm marker"):
        assert text in table.output


def test_a_failing_job_exits_1_and_show_names_the_failed_item(config: Path) -> None:
    result = invoke("run", "always-fails", "--format", "json")
    assert result.exit_code == 1
    run = json.loads(result.output)["run"]
    assert run["status"] == "failed"
    shown = invoke("show", str(run["id"]), "--format", "json")
    data = json.loads(shown.output)
    assert data["failed_items"] == [
        {
            "key": "command",
            "status": "failed",
            "action": "ran",
            "target": None,
            "error": "exit 3: no error output",
        }
    ]
    assert any("exited 3" in line["message"] for line in data["log"])
    text = invoke("show", str(run["id"]))
    assert "failed command: exit 3" in text.output


def test_a_check_that_raises_is_a_check_error_and_exits_1(config: Path) -> None:
    result = invoke("run", "bad-check", "--format", "json")
    assert result.exit_code == 1
    run = json.loads(result.output)["run"]
    assert run["status"] == "succeeded"
    assert run["check"]["status"] == "error"
    assert run["check"]["detail"].startswith("the check raised TypeError")


def test_the_builtin_import_cannot_be_run_without_its_arguments(config: Path) -> None:
    result = invoke("run", "content-import")
    assert isinstance(result.exception, InputError)
    assert "parity content import" in (result.exception.hint or "")


def test_show_of_an_unknown_run_is_an_input_error(config: Path) -> None:
    assert isinstance(invoke("show", "99").exception, InputError)


def _commands(group: Any, prefix: str) -> list[tuple[str, Any]]:
    found = [(prefix, group)]
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found += _commands(command, f"{prefix} {name}")
    return found


def _cron_app() -> typer.Typer:
    app = typer.Typer()
    app.command("cron")(cron_cmd.cron)
    app.command("noop")(lambda: None)  # keeps `cron` a sub-command
    return app


_CRON = typer.main.get_command(_cron_app()).commands["cron"]  # type: ignore[attr-defined]
COMMANDS = [*_commands(typer.main.get_command(jobs_cmd.app), "parity jobs"), ("parity cron", _CRON)]


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_and_option_has_help(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{name} has no help"
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert (param.help or "").strip(), f"{name} {param.opts} has no help"
