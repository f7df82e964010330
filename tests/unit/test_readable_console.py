"""The CLI's consoles: as wide as COLUMNS says, else the terminal, else PIPED_WIDTH."""

from __future__ import annotations

import io

import pytest

from parity.cli.output import PIPED_WIDTH, ReadableConsole


def test_printing_to_a_file_without_columns_is_piped_width_not_80(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    console = ReadableConsole(file=io.StringIO())
    assert not console.is_terminal
    assert console.width == PIPED_WIDTH


@pytest.mark.parametrize("when", ["before", "after"])
def test_columns_decides_the_width_whenever_it_is_set(
    monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    if when == "before":
        monkeypatch.setenv("COLUMNS", "80")
    console = ReadableConsole(file=io.StringIO())
    if when == "after":  # a test runner sets it after the CLI module made its console
        monkeypatch.setenv("COLUMNS", "80")
    assert console.width == 80


def test_an_explicit_width_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert ReadableConsole(file=io.StringIO(), width=60).width == 60
