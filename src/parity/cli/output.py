"""Shared output options and printers, so every command looks and behaves alike.

Every command ends with :func:`emit`: the report as the JSON document (``--format json``)
or as tables for people, then the exit code (0 fine, 1 a check found something).

Tables are as wide as ``COLUMNS`` says, else the terminal; printed to a file or a pipe
with ``COLUMNS`` unset they are :data:`PIPED_WIDTH` wide (rich alone would use 80, or the
width of whatever terminal stdin happens to be).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console, ConsoleDimensions

from parity.vocabulary import json_document

__all__ = [
    "PIPED_WIDTH",
    "FormatOption",
    "OutputFormat",
    "ReadableConsole",
    "console",
    "emit",
    "err_console",
    "print_json",
]

#: Width of tables printed to a file or a pipe when ``COLUMNS`` is not set.
PIPED_WIDTH = 120


class ReadableConsole(Console):
    """A rich console that is :data:`PIPED_WIDTH` wide when it does not print to a
    terminal and ``COLUMNS`` is unset; otherwise exactly rich's (``COLUMNS``, terminal).

    Decided at each print, so ``COLUMNS`` set after import (a test's runner) counts.
    """

    @property
    def size(self) -> ConsoleDimensions:
        """The console's dimensions, as rich's, except when piped (see the class)."""
        columns = os.environ.get("COLUMNS", "")
        if self._width is None and not columns.isdigit() and not self.is_terminal:
            return ConsoleDimensions(PIPED_WIDTH, super().size.height)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        width, height = new_size
        self._width = width
        self._height = height


console = ReadableConsole(highlight=False)
err_console = ReadableConsole(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    """How a command prints its result."""

    table = "table"
    json = "json"


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="table for people, json for scripts (stable; see docs/json-output.md).",
        case_sensitive=False,
    ),
]


def print_json(data: Any, *, file: TextIO | None = None) -> None:
    """Print ``data`` as indented JSON on stdout, or ``file`` (plain, no colour codes)."""
    out = file if file is not None else sys.stdout
    out.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    out.flush()


def emit(
    format: OutputFormat | str,
    data: Mapping[str, Any],
    show: Callable[[], object],
    *,
    code: int = 0,
    json_file: TextIO | None = None,
) -> None:
    """Print a command's report, then end with ``code`` (0 fine, 1 found something...).

    ``--format json``: ``data`` as one JSON document on stdout (or ``json_file``), with
    ``schema_version`` and ``ok`` (true exactly when ``code`` is 0). Otherwise ``show()``
    prints it for people.

    >>> emit(OutputFormat.json, {"runs": []}, lambda: None)
    {
      "schema_version": 1,
      "ok": true,
      "runs": []
    }
    """
    if format == OutputFormat.json:
        print_json(json_document(data, ok=code == 0), file=json_file)
    else:
        show()
    if code:
        raise typer.Exit(code)
