"""The comparable view drift takes of a decoded PHP value (pure code).

Values are decoded by parity's one PHP codec, :mod:`parity.wordpress.phpvalue`; drift
then needs them in a form that compares across environments and stores as JSON. This
module builds that form from the decoded :data:`~parity.wordpress.phpvalue.PhpValue`:

=================  ==========================================================
PHP                comparable view
=================  ==========================================================
``N;`` ``b:`` ``i:`` ``d:``  ``None``, ``bool``, ``int``, ``float`` (nan/inf as floats)
``s:`` ``S:``      ``str`` (bytes that are not UTF-8 become U+FFFD)
array 0..n-1       ``list``
other array        ``dict`` with ``str`` keys (``i:7`` key -> ``"7"``)
``O:`` object      ``dict`` with ``"__class__"`` and its properties (names demangled)
``C:`` object      ``{"__class__": name, "__data__": payload}``
``E:`` enum        ``{"__enum__": "Class:Case"}``
``r:``/``R:``      ``{"__ref__": n}``
=================  ==========================================================

The view is built with an explicit stack, so any depth is safe. ``max_depth`` stops
below that depth and puts a :class:`TooDeep` holding the subtree's serialized bytes
instead (so that code which walks the result recursively, or ``json.dumps``, stays safe).

>>> decode_value('a:2:{i:0;s:1:"x";i:1;b:1;}')
(True, ['x', True])
>>> decode_value('O:3:"Box":1:{s:6:"\\0*\\0lid";i:1;}')
(True, {'__class__': 'Box', 'lid': 1})
>>> decode_value('plain')
(False, 'plain')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from parity.wordpress.phpvalue import (
    PhpCustom,
    PhpEnum,
    PhpObject,
    PhpReference,
    PhpValue,
    maybe_unserialize,
    php_serialize,
)

__all__ = ["Comparable", "TooDeep", "comparable", "decode_value"]


@dataclass(frozen=True)
class TooDeep:
    """A container nested deeper than ``max_depth``: its serialized bytes."""

    raw: bytes


Comparable = Union[  # noqa: UP007 - a recursive alias needs the string form
    None, bool, int, float, str, TooDeep, list["Comparable"], dict[str, "Comparable"]
]


def _text(value: str) -> str:
    # The codec keeps undecodable bytes as surrogate escapes; the view shows U+FFFD.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _demangle(name: str) -> str:
    # Private and protected property names are "\0Class\0name" and "\0*\0name".
    if name.startswith("\0"):
        cut = name.find("\0", 1)
        if cut != -1:
            return name[cut + 1 :]
    return name


def comparable(value: PhpValue, *, max_depth: int | None = None) -> Comparable:
    """``value`` in drift's comparable form (see the table above).

    >>> comparable({0: "a", 1: {"k": 2}}, max_depth=1)
    ['a', TooDeep(raw=b'a:1:{s:1:"k";i:2;}')]
    """
    holder: list[Comparable] = [None]
    # Work items: (source, container to put the result in, key or index, its depth).
    work: list[tuple[PhpValue, Any, Any, int]] = [(value, holder, 0, 0)]
    while work:
        source, target, slot, depth = work.pop()
        if isinstance(source, dict | PhpObject):
            level = depth + 1
            if max_depth is not None and level > max_depth:
                target[slot] = TooDeep(php_serialize(source).encode("utf-8", "surrogateescape"))
                continue
            if isinstance(source, dict) and list(source) == list(range(len(source))):
                items: list[Comparable] = [None] * len(source)
                target[slot] = items
                for index, item in enumerate(source.values()):
                    work.append((item, items, index, level))
                continue
            out: dict[str, Comparable] = {}
            members: dict[int | str, PhpValue] = source if isinstance(source, dict) else {}
            if isinstance(source, PhpObject):
                out["__class__"] = _text(source.class_name)
                members = {_demangle(str(k)): v for k, v in source.properties.items()}
            # Keys that read the same (7 and "7") keep the first place and the last value.
            chosen = {_text(str(k)): v for k, v in members.items()}
            target[slot] = out
            for name, item in chosen.items():
                out[name] = None
                work.append((item, out, name, level))
        elif isinstance(source, str):
            target[slot] = _text(source)
        elif isinstance(source, PhpCustom):
            target[slot] = {
                "__class__": _text(source.class_name),
                "__data__": _text(source.payload),
            }
        elif isinstance(source, PhpEnum):
            target[slot] = {"__enum__": _text(source.name)}
        elif isinstance(source, PhpReference):
            target[slot] = {"__ref__": source.number}
        else:
            target[slot] = source
    return holder[0]


def decode_value(text: str, *, max_depth: int | None = None) -> tuple[bool, Comparable]:
    """``(True, view)`` when ``text`` is a serialized value, else ``(False, text)``.

    Decoded by :func:`parity.wordpress.phpvalue.maybe_unserialize` (surrounding
    whitespace ignored, as WordPress does); text that does not decode is left alone.
    """
    ok, value = maybe_unserialize(text)
    if not ok:
        return False, text
    return True, comparable(value, max_depth=max_depth)
