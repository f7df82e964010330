"""How the article model maps onto lines of text: markers, indents, labels and kinds.

Both the parser and the renderer read this table, so the two directions cannot drift
apart. The meta box layout is derived from the model's field order and types: a field's
label is its name with "_" read as a space, and its kind says how its lines look.

=========  ==========================================  ===================================
kind       lines in the meta box                       model type
=========  ==========================================  ===================================
text       ``<label><value>`` (label and value glued)  ``str``
int        ``<label><digits>``                         ``int``
list       ``<label>`` then ``  • <item>`` lines       ``list[str]``
record     ``<label>`` then ``  • <key>: <value>``     a record model
records    ``<label>`` then ``    • <key>: <value>``   a list of record models
=========  ==========================================  ===================================

Inside records a value is text, a whole number, a flag written ``1``/``0`` or a date
written ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from parity.content.article import PostMeta

__all__ = [
    "ISO_DATE",
    "ITEM_PREFIX",
    "KEY_SEPARATOR",
    "META_FIELDS",
    "META_HEADING_SUFFIX",
    "NESTED_ITEM_PREFIX",
    "SIMILAR_POSTS",
    "WHOLE_NUMBER",
    "MetaField",
    "RecordField",
    "label_of",
    "record_fields",
]

#: A list item or a record line in the body and the meta box: two spaces, bullet, space.
ITEM_PREFIX = "  • "
#: A line of a record inside a list of records (entities, image sources).
NESTED_ITEM_PREFIX = "    • "
#: Between a record key and its value.
KEY_SEPARATOR = ": "
#: The meta box heading is the site's name followed by this.
META_HEADING_SUFFIX = " post meta"
#: The last line of every article.
SIMILAR_POSTS = "Similar Posts"

#: A whole number as the format writes it: no sign, no leading zeros, ASCII digits only.
WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]*")
#: A date as the format writes it.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

MetaKind = Literal["text", "int", "list", "record", "records"]
ValueKind = Literal["text", "int", "bool", "date"]


@dataclass(frozen=True, slots=True)
class RecordField:
    """One ``<key>: <value>`` line of a record."""

    name: str
    label: str
    kind: ValueKind


@dataclass(frozen=True, slots=True)
class MetaField:
    """One field of the post meta box: its label, kind and, for records, their fields."""

    name: str
    label: str
    kind: MetaKind
    record: type[BaseModel] | None = None
    fields: tuple[RecordField, ...] = ()


def label_of(name: str) -> str:
    """The label a model field has in the text: ``"code_language"`` -> ``"code language"``."""
    return name.replace("_", " ")


def _bare(annotation: object) -> object:
    """The type under ``Annotated[...]`` (the constraints live on the model)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _value_kind(annotation: object) -> ValueKind:
    annotation = _bare(annotation)
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is dt.date:
        return "date"
    if annotation is str:
        return "text"
    raise TypeError(f"no text form for record values of type {annotation!r}")


def record_fields(model: type[BaseModel]) -> tuple[RecordField, ...]:
    """The lines of a record model, in order."""
    return tuple(
        RecordField(name, label_of(name), _value_kind(info.annotation))
        for name, info in model.model_fields.items()
    )


def _is_record(annotation: object) -> typing.TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _meta_field(name: str, annotation: object) -> MetaField:
    annotation = _bare(annotation)
    label = label_of(name)
    if annotation is str:
        return MetaField(name, label, "text")
    if annotation is int:
        return MetaField(name, label, "int")
    if _is_record(annotation):
        return MetaField(name, label, "record", annotation, record_fields(annotation))
    if typing.get_origin(annotation) is list:
        item = _bare(typing.get_args(annotation)[0])
        if item is str:
            return MetaField(name, label, "list")
        if _is_record(item):
            return MetaField(name, label, "records", item, record_fields(item))
    raise TypeError(f"no text form for meta field {name!r} of type {annotation!r}")


#: The post meta box, line group by line group, in order.
META_FIELDS: tuple[MetaField, ...] = tuple(
    _meta_field(name, info.annotation) for name, info in PostMeta.model_fields.items()
)
