"""The documentation keeps up with the code: every config key and every command is in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from parity.cli.main import app
from parity.config_reference import config_keys

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _documented_keys() -> set[str]:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    return set(re.findall(r"`([a-z_<>\[\].]+)`", text))


@pytest.mark.parametrize("key", [k.path for k in config_keys()])
def test_every_config_key_is_documented(key: str) -> None:
    assert key in _documented_keys(), f"docs/configuration.md does not document `{key}`"


def _command_names(group: Any, prefix: str = "parity") -> list[str]:
    names = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        if command.hidden:  # a group's default (`parity measure ENV` runs `measure time`)
            continue
        names.append(f"{prefix} {name}")
        names += _command_names(command, f"{prefix} {name}")
    return names


@pytest.mark.parametrize("command", _command_names(typer.main.get_command(app)))
def test_every_command_appears_in_the_docs(command: str) -> None:
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))
    assert command in corpus, f"no page in docs/ shows `{command}`"
