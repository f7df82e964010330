"""`parity snapshot` and `parity drift` as the app will register them, on snapshot files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from parity.cli import drift_cmd
from parity.cli.context import CliState
from parity.drift.model import OptionInfo, PluginInfo, Snapshot
from parity.drift.service import write_snapshot_file
from parity.errors import InputError

Make = Callable[..., Snapshot]


def make_app(config: Path) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config=config)

    app.command("snapshot")(drift_cmd.snapshot)
    app.command("drift")(drift_cmd.drift)
    return app


@pytest.fixture
def files(tmp_path: Path, make_snapshot: Make) -> dict[str, Path]:
    config = tmp_path / "parity.toml"
    config.write_text(
        '[environments.staging]\nurl = "http://127.0.0.1:9"\n'
        'db = "mysql://u:p@127.0.0.1:9/wp"\n'
        f'[state]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
    )
    base = make_snapshot(options={"blogname": OptionInfo(value="Site")})
    renamed = make_snapshot(environment="staging", options={"blogname": OptionInfo(value="Other")})
    plugin = make_snapshot(
        options={"blogname": OptionInfo(value="Site")},
        plugins={"x/x.php": PluginInfo(version="1")},
    )
    out = {"config": config}
    for name, snap in (("base", base), ("renamed", renamed), ("plugin", plugin)):
        out[name] = tmp_path / f"{name}.json"
        write_snapshot_file(snap, out[name])
    return out


def run(files: dict[str, Path], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(make_app(files["config"]), list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_same_snapshot_twice_is_no_drift(files: dict[str, Path]) -> None:
    code, out = run(files, "drift", str(files["base"]), str(files["base"]))
    assert code == 0
    assert "no drift" in out


def test_warning_fails_at_warn_but_not_at_error(files: dict[str, Path]) -> None:
    assert run(files, "drift", str(files["base"]), str(files["renamed"]))[0] == 1
    assert (
        run(files, "drift", str(files["base"]), str(files["renamed"]), "--fail-on", "error")[0] == 0
    )


def test_json_report_is_parseable_and_complete(files: dict[str, Path]) -> None:
    code, out = run(files, "drift", str(files["base"]), str(files["plugin"]), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["drift"] is True
    assert data["counts"] == {"info": 0, "warn": 0, "error": 1}
    assert data["findings"][0]["key"] == "x/x.php"
    assert data["a"]["origin"] == "file"


def test_markdown_report(files: dict[str, Path]) -> None:
    code, out = run(files, "drift", str(files["base"]), str(files["renamed"]), "-f", "markdown")
    assert code == 1
    assert "### options (1)" in out and "| warn | `blogname` | `Site` | `Other` |  |" in out


def test_bad_references_are_input_errors(files: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="neither an environment"):
        run(files, "drift", "nowhere", str(files["base"]))
    with pytest.raises(InputError, match="nothing to compare"):
        run(files, "drift", str(files["base"]))
    with pytest.raises(InputError, match="no snapshot of staging yet"):
        run(files, "drift", "staging", "--since", "last")
    with pytest.raises(InputError, match="either B or --since"):
        run(files, "drift", "staging", "x", "--since", "last")


def test_every_command_has_help_text(files: dict[str, Path]) -> None:
    for command in ("snapshot", "drift"):
        result = CliRunner().invoke(make_app(files["config"]), [command, "--help"])
        assert result.exit_code == 0
        assert "Exit" in result.stdout
