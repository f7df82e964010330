"""The public API of parity.content is what __all__ says, and it is documented."""

from __future__ import annotations

import inspect

import parity.content
from parity.content import files, parse, render, synth


def test_all_names_are_exported() -> None:
    for name in parity.content.__all__:
        assert hasattr(parity.content, name), name


def test_public_functions_have_docstrings() -> None:
    for module in (parity.content, files, parse, render, synth):
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value) or inspect.isclass(value):
                assert inspect.getdoc(value), f"{module.__name__}.{name}"


def test_pure_modules_import_no_file_or_network_helpers() -> None:
    for module in (parse, render, synth):
        source = inspect.getsource(module)
        for word in ("open(", "pathlib", "read_text", "write_text", "socket", "httpx"):
            assert word not in source, f"{module.__name__} uses {word}"
