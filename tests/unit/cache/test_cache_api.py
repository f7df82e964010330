"""The public names of parity.cache exist, and the package does no I/O on import."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "parity.cache",
    "parity.cache.rules",
    "parity.cache.defaults",
    "parity.cache.evaluate",
    "parity.cache.lint",
    "parity.cache.patterns",
    "parity.cache.render_varnish",
    "parity.cache.render_nginx",
    "parity.cache.broken",
]


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []


def test_test_examples_is_not_collected_by_pytest() -> None:
    from parity.cache import test_examples

    assert test_examples.__test__ is False  # type: ignore[attr-defined]
