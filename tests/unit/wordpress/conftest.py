"""Fixtures for the PHP codec tests: real PHP (php-cli) as the oracle."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

PhpEval = Callable[[str], Any]


@pytest.fixture(scope="session")
def php_eval() -> PhpEval:
    """Run a PHP expression list in php-cli; returns the JSON it prints, decoded.

    php-cli is a hard requirement of the suite (CI installs it), as for the rewrite tests.
    """
    binary = shutil.which("php")
    if binary is None:
        pytest.fail("php-cli is required for the drift tests: apt-get install php-cli")

    def run(code: str) -> Any:
        done = subprocess.run(
            [binary, "-r", code], capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"php failed: {done.stderr[:2000]}")
        return json.loads(done.stdout)

    return run
