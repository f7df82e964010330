"""`parity content` as a user runs it (CliRunner on its own app): synth and the help."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from parity.cli import content_cmd
from parity.content import read_article, read_jsonl
from parity.errors import InputError

runner = CliRunner()


def test_synth_writes_the_same_bytes_for_the_same_seed(tmp_path: Path) -> None:
    for name in ("a.jsonl", "b.jsonl"):
        result = runner.invoke(
            content_cmd.app, ["synth", "-n", "5", "--seed", "3", "--jsonl", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        assert "wrote 5 articles (seed 3)" in result.output
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert next(read_jsonl(tmp_path / "a.jsonl")).source_id == "alphanode-3-000000"


def test_synth_to_a_folder_writes_article_files_and_reports_json(tmp_path: Path) -> None:
    result = runner.invoke(
        content_cmd.app,
        ["synth", "-n", "3", "--seed", "4", "--out", str(tmp_path), "--format", "json"],
    )
    data = json.loads(result.output)
    assert (data["count"], data["seed"]) == (3, 4)
    files = sorted(tmp_path.glob("*.txt"))
    assert len(files) == 3
    assert read_article(files[0]).source_id == "alphanode-4-000000"


def test_synth_needs_exactly_one_destination(tmp_path: Path) -> None:
    result = runner.invoke(content_cmd.app, ["synth", "-n", "1"])
    assert isinstance(result.exception, InputError)


def _commands(group: Any, prefix: str) -> list[tuple[str, Any]]:
    found = [(prefix, group)]
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found += _commands(command, f"{prefix} {name}")
    return found


COMMANDS = _commands(typer.main.get_command(content_cmd.app), "parity content")


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_and_option_has_help(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{name} has no help"
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert (param.help or "").strip(), f"{name} {param.opts} has no help"
