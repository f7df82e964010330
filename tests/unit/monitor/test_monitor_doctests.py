"""The examples in the monitor modules' docstrings run and pass."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "parity.monitor.conditions",
    "parity.monitor.defaults",
    "parity.monitor.latency",
    "parity.monitor.rollup",
    "parity.monitor.settings",
    "parity.monitor.state",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
