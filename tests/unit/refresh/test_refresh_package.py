"""The refresh package: its exports are honest and its examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

import parity.refresh

EXAMPLES = ["urls", "naming", "phpass", "scrub", "prefix", "plan", "copy", "swap"]


def test_every_exported_name_resolves() -> None:
    for name in parity.refresh.__all__:
        assert getattr(parity.refresh, name) is not None, name
    with pytest.raises(AttributeError):
        parity.refresh.no_such_thing  # noqa: B018


@pytest.mark.parametrize("module", EXAMPLES)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"parity.refresh.{module}"))
    assert result.attempted > 0, f"parity.refresh.{module} has no example to run"
    assert result.failed == 0
