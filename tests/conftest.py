"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from parity.store import Store, open_store

RunParity = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_parity(tmp_path: Path) -> RunParity:
    """Run the real `parity` command line in a subprocess (cwd: a fresh temp dir)."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 300
    ) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if k != "PARITY_CONFIG"}
        environ.update(env or {})
        environ.setdefault("COLUMNS", "200")
        return subprocess.run(
            [sys.executable, "-m", "parity.cli.main", *args],
            cwd=cwd or tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """parity's state store in a fresh SQLite file of the test's own, closed afterwards."""
    opened = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        yield opened
    finally:
        opened.close()
