"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from parity.store import Store
from store_backends import backends_for, default_backend, open_test_store
from store_backends import postgres_server as postgres_server  # session fixtures
from store_backends import postgres_store_url as postgres_store_url

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "store_backends: run its `store` tests on SQLite and on PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("store_backends") is not None
        if backends := backends_for(metafunc.definition, marked):
            metafunc.parametrize("store", backends, indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """parity's state store, fresh for the test and closed afterwards: a SQLite file, or
    a throwaway PostgreSQL database (see tests/store_backends.py)."""
    backend = getattr(request, "param", None) or default_backend()
    with open_test_store(request, backend, tmp_path) as opened:
        yield opened
