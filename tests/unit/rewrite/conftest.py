"""Fixtures for the rewrite engine tests: real PHP is the oracle, both engines run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from php_oracle import Php


@pytest.fixture(autouse=True, params=["pure", "native"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every rewrite test runs on both engines: the pure-Python reference and the
    compiled one (``Rewriter`` picks its default engine from this variable)."""
    name: str = request.param
    monkeypatch.setenv("PARITY_REWRITE_ENGINE", name)
    return name


@pytest.fixture(scope="session")
def php() -> Iterator[Php]:
    """php-cli, a hard requirement of the test suite (CI installs it)."""
    binary = shutil.which("php")
    if binary is None:
        pytest.fail("php-cli is required for the rewrite tests: apt-get install php-cli")
    oracle = Php(binary)
    yield oracle
    oracle.close()
