"""Lazy re-exports for capability packages (PEP 562).

A capability's ``__init__`` names what it exports without importing it, so that
``parity.config`` can import a settings model from the package without pulling in the
whole capability (and its imports of ``parity.config``): no import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: Mapping[str, str | tuple[str, str]], namespace: MutableMapping[str, Any]
) -> Callable[[str], object]:
    """A module ``__getattr__`` loading ``name`` from ``table[name]`` on first use.

    ``table`` maps an exported name to its module (same attribute name) or to
    ``(module, attribute)``; the value is then kept in ``namespace`` (the package's
    ``globals()``), so each name is imported once.
    """

    def __getattr__(name: str) -> object:
        try:
            target = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module, attr = (target, name) if isinstance(target, str) else target
        value = getattr(importlib.import_module(module), attr)
        namespace[name] = value
        return value

    return __getattr__
