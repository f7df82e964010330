"""The public names of parity.measure exist."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "parity.measure",
    "parity.measure.stats",
    "parity.measure.mannwhitney",
    "parity.measure.compare",
    "parity.measure.power",
]


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []
