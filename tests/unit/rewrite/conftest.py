"""Fixtures for the rewrite engine tests: real PHP is the oracle."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from php_oracle import Php


@pytest.fixture(scope="session")
def php() -> Iterator[Php]:
    """php-cli, a hard requirement of the test suite (CI installs it)."""
    binary = shutil.which("php")
    if binary is None:
        pytest.fail("php-cli is required for the rewrite tests: apt-get install php-cli")
    oracle = Php(binary)
    yield oracle
    oracle.close()
