"""Render the sandbox's configuration templates (package data in ``templates/``).

Placeholders are ``{{ name }}``, which nginx, PHP and VCL syntax never use; a placeholder
without a value, or a value without a placeholder, is a programming error and raises::

    render("php-fpm.conf", {"fpm_dir": "/state/php-fpm", ...})
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources

__all__ = ["render"]

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def render(name: str, values: Mapping[str, object]) -> str:
    """The template ``name`` with every ``{{ key }}`` replaced by ``values[key]``."""
    text = resources.files("parity.sandbox").joinpath("templates", name).read_text("utf-8")
    used = set(_PLACEHOLDER.findall(text))
    missing = used - values.keys()
    unused = values.keys() - used
    if missing or unused:
        raise ValueError(f"template {name}: missing {sorted(missing)}, unused {sorted(unused)}")
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)
