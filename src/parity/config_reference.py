"""Every key parity.toml accepts, walked from the settings models.

``docs/configuration.md`` is checked against this by a test, so a key added to a model
without documentation fails the suite. Run ``python -m parity.config_reference`` to list
the keys with their types and defaults.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from parity.config import Settings
from parity.environments import EnvironmentSettings

__all__ = ["ConfigKey", "config_keys"]


@dataclass(frozen=True)
class ConfigKey:
    """One key: its dotted path (``environments.<name>.url``), type and default."""

    path: str
    type: str
    default: str
    description: str


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            found.append(arg)
        elif typing.get_args(arg):
            found += _models_in(arg)
    return found


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "").replace("pydantic.types.", "")
    if isinstance(annotation, type) and not typing.get_args(annotation):
        text = annotation.__name__
    for module in ("parity.", "pathlib.", "datetime."):
        while module in text:
            start = text.index(module)
            end = start
            while end < len(text) and (text[end].isalnum() or text[end] in "._"):
                end += 1
            text = text[:start] + text[start:end].rsplit(".", 1)[-1] + text[end:]
    return text.replace("NoneType", "None")


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        return "(see below)"
    return repr(field.default)


def _walk(model: type[BaseModel], prefix: str) -> Iterator[ConfigKey]:
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        if model is EnvironmentSettings and name == "name":
            continue  # the table's name, not a key
        path = f"{prefix}.{name}" if prefix else name
        annotation = field.annotation
        nested = _models_in(annotation)
        origin = typing.get_origin(annotation)
        is_map = origin is dict
        is_list = origin in (list, tuple) or (
            isinstance(annotation, types.UnionType)
            and any(typing.get_origin(a) in (list, tuple) for a in typing.get_args(annotation))
        )
        yield ConfigKey(path, _type_name(annotation), _default(field), field.description or "")
        for sub in nested:
            if sub.__name__ in {"SecretStr"}:
                continue
            if is_map:
                yield from _walk(sub, f"{path}.<name>")
            elif is_list:
                yield from _walk(sub, f"{path}[]")
            else:
                yield from _walk(sub, path)


def config_keys() -> list[ConfigKey]:
    """Every key of parity.toml, in model order (nested keys after their table)."""
    seen: dict[str, ConfigKey] = {}
    for key in _walk(Settings, ""):
        seen.setdefault(key.path, key)
    return list(seen.values())


if __name__ == "__main__":
    for key in config_keys():
        print(f"{key.path:<55} {key.type:<40} {key.default}")
