"""Shared output options and printers, so every command looks and behaves alike.

Every command ends with :func:`emit`: the report as the JSON document (``--format json``)
or as tables for people, then the exit code (0 fine, 1 a check found something).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console

from parity.vocabulary import json_document

__all__ = ["FormatOption", "OutputFormat", "console", "emit", "err_console", "print_json"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


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
