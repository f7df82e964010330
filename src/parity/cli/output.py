"""Shared output options and printers, so every command looks and behaves alike."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console

__all__ = ["FormatOption", "OutputFormat", "console", "err_console", "print_json"]

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


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (plain, no colour codes)."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()
