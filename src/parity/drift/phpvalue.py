"""Decode PHP-serialized values into plain Python values, for comparison.

``parity.rewrite.serialized`` only finds the strings inside a serialized value (what a
search-replace needs); drift needs the value itself, so this module builds it:

=================  ==========================================================
PHP                Python
=================  ==========================================================
``N;``             ``None``
``b:1;``           ``True``
``i:42;``          ``42``
``d:0.5;``         ``0.5`` (``NAN``/``INF`` become ``float`` nan/inf)
``s:3:"abc";``     ``"abc"`` (bytes decoded as UTF-8, bad bytes replaced)
array 0..n-1       ``list``
other array        ``dict`` with ``str`` keys (``i:7`` key -> ``"7"``)
``O:`` object      ``dict`` with ``"__class__"`` and its properties (names demangled)
``C:`` object      ``{"__class__": name, "__data__": payload}``
``E:`` enum        ``{"__enum__": "Class:Case"}``
``r:``/``R:``      ``{"__ref__": n}``
=================  ==========================================================

The decoder is a loop with an explicit stack, so nesting depth is bounded by memory, not
by Python's recursion limit. ``max_depth`` stops building below that depth and returns a
:class:`TooDeep` holding the raw bytes of the subtree instead (so that code which walks the
result recursively, or ``json.dumps``, stays safe).

>>> loads('a:2:{i:0;s:1:"x";i:1;b:1;}')
['x', True]
>>> loads('a:1:{s:5:"color";s:4:"blue";}')
{'color': 'blue'}
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Union

__all__ = ["Malformed", "PhpValue", "TooDeep", "loads", "looks_serialized", "try_loads"]


@dataclass(frozen=True)
class TooDeep:
    """A container nested deeper than ``max_depth``: its raw serialized bytes."""

    raw: bytes


PhpValue = Union[  # noqa: UP007 - a recursive alias needs the string form
    None, bool, int, float, str, TooDeep, list["PhpValue"], dict[str, "PhpValue"]
]


class Malformed(ValueError):
    """The text is not a value PHP's unserialize() would read."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at offset {offset}")
        self.reason = reason
        self.offset = offset


_WS = b" \t\n\r\0\x0b"
_LOOKS = re.compile(r"^(?:N;|b:[01];|i:[+-]?\d+;|d:[^;]+;|[sSaOCE]:\d+:)")
_INT = re.compile(rb"i:([+-]?\d+);")
_BOOL = re.compile(rb"b:([01]);")
_FLOAT = re.compile(rb"d:([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NAN|-?INF);")
_STR = re.compile(rb"s:(\d+):\"")
_ESC = re.compile(rb"S:(\d+):\"")
_ARRAY = re.compile(rb"a:(\d+):\{")
_OBJECT = re.compile(rb"O:(\d+):\"")
_CUSTOM = re.compile(rb"C:(\d+):\"")
_ENUM = re.compile(rb"E:(\d+):\"")
_REF = re.compile(rb"([rR]):([+-]?\d+);")
_COUNT = re.compile(rb"(\d+):\{")
_HEX = b"0123456789abcdefABCDEF"


def looks_serialized(text: str) -> bool:
    """Whether ``text`` looks like a serialized value (like WordPress's is_serialized()).

    >>> looks_serialized('a:0:{}'), looks_serialized('hello')
    (True, False)
    """
    stripped = text.strip(" \t\n\r\0\x0b")
    if len(stripped) < 2 or stripped[-1] not in ";}":
        return False
    return _LOOKS.match(stripped) is not None


@dataclass
class _Frame:
    """An open array or object: its elements so far and what it still expects."""

    start: int
    left: int  # elements still to read
    depth: int
    build: bool
    class_name: str | None = None
    keys: list[str | int] = field(default_factory=list)
    values: list[PhpValue] = field(default_factory=list)
    key: str | int | None = None
    want_key: bool = True


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _demangle(name: str) -> str:
    # Private and protected property names are "\0Class\0name" and "\0*\0name".
    if name.startswith("\0"):
        cut = name.find("\0", 1)
        if cut != -1:
            return name[cut + 1 :]
    return name


def _finish(frame: _Frame) -> PhpValue:
    if frame.class_name is not None:
        obj: dict[str, PhpValue] = {"__class__": frame.class_name}
        for key, value in zip(frame.keys, frame.values, strict=True):
            obj[_demangle(str(key))] = value
        return obj
    if all(k == i for i, k in enumerate(frame.keys)):
        return frame.values
    return {str(k): v for k, v in zip(frame.keys, frame.values, strict=True)}


def _quoted(data: bytes, start: int, length: int, end: int) -> int:
    """Check ``length`` bytes from ``start`` are followed by a closing quote; return it."""
    close = start + length
    if close >= end or data[close] != 0x22:  # "
        raise Malformed(f"string of length {length} does not end with a quote", start)
    return close


def _escaped(data: bytes, pos: int, end: int) -> tuple[str, int]:
    """Read ``S:n:"..."`` (legacy strings with \\xx escapes); return text and next offset."""
    m = _ESC.match(data, pos, end)
    if m is None:
        raise Malformed("invalid escaped string", pos)
    length = int(m.group(1))
    out = bytearray()
    i = m.end()
    while len(out) < length:
        if i >= end:
            raise Malformed("escaped string runs past the end", pos)
        c = data[i]
        if c == 0x5C:  # backslash
            pair = data[i + 1 : i + 3]
            if len(pair) != 2 or pair[0] not in _HEX or pair[1] not in _HEX:
                raise Malformed("invalid escape in escaped string", i)
            out.append(int(pair, 16))
            i += 3
        else:
            out.append(c)
            i += 1
    if data[i : i + 2] != b'";':
        raise Malformed("escaped string does not end with a quote", i)
    return _text(bytes(out)), i + 2


def loads(text: bytes | str, *, max_depth: int | None = None) -> PhpValue:
    """Decode one serialized value; raise :class:`Malformed` if it is not one.

    Surrounding whitespace is ignored (WordPress trims before unserializing); anything
    else after the value is an error.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    pos, end = 0, len(data)
    while pos < end and data[pos] in _WS:
        pos += 1
    while end > pos and data[end - 1] in _WS:
        end -= 1
    stack: list[_Frame] = []
    result: PhpValue = None
    done = False
    while not done:
        if pos >= end:
            raise Malformed("value is truncated", pos)
        frame = stack[-1] if stack else None
        if frame is not None and frame.left == 0:
            if data[pos] != 0x7D:  # }
                raise Malformed("container holds more elements than its count", pos)
            pos += 1
            stack.pop()
            if frame.build:
                value: PhpValue = _finish(frame)
            elif stack and not stack[-1].build:
                value = None  # inside a subtree that is not being built
            else:
                value = TooDeep(data[frame.start : pos])
            if not stack:
                result, done = value, True
                continue
            parent = stack[-1]
            if parent.want_key:
                raise Malformed("array key is neither an integer nor a string", frame.start)
            if parent.build:
                parent.keys.append(parent.key if parent.key is not None else 0)
                parent.values.append(value)
            parent.key, parent.want_key = None, True
            parent.left -= 1
            continue

        c = data[pos]
        opened: _Frame | None = None
        value = None
        if c == 0x4E:  # N
            if data[pos : pos + 2] != b"N;":
                raise Malformed("invalid null", pos)
            pos += 2
        elif c == 0x62:  # b
            m = _BOOL.match(data, pos, end)
            if m is None:
                raise Malformed("invalid boolean", pos)
            value, pos = m.group(1) == b"1", m.end()
        elif c == 0x69:  # i
            m = _INT.match(data, pos, end)
            if m is None:
                raise Malformed("invalid integer", pos)
            value, pos = int(m.group(1)), m.end()
        elif c == 0x64:  # d
            m = _FLOAT.match(data, pos, end)
            if m is None:
                raise Malformed("invalid float", pos)
            word = m.group(1)
            value = math.nan if word == b"NAN" else float(word)
            pos = m.end()
        elif c == 0x73:  # s
            m = _STR.match(data, pos, end)
            if m is None:
                raise Malformed("invalid string", pos)
            length = int(m.group(1))
            close = _quoted(data, m.end(), length, end)
            if data[close + 1 : close + 2] != b";":
                raise Malformed("string is not followed by ;", close + 1)
            value, pos = _text(data[m.end() : close]), close + 2
        elif c == 0x53:  # S
            value, pos = _escaped(data, pos, end)
        elif c == 0x61:  # a
            m = _ARRAY.match(data, pos, end)
            if m is None:
                raise Malformed("invalid array", pos)
            opened = _Frame(start=pos, left=int(m.group(1)), depth=0, build=True)
            pos = m.end()
        elif c == 0x4F or c == 0x43:  # O or C
            m = (_OBJECT if c == 0x4F else _CUSTOM).match(data, pos, end)
            if m is None:
                raise Malformed("invalid object", pos)
            length = int(m.group(1))
            close = _quoted(data, m.end(), length, end)
            name = _text(data[m.end() : close])
            if not name:
                raise Malformed("object has an empty class name", m.end())
            n = _COUNT.match(data, close + 2, end) if data[close + 1 : close + 2] == b":" else None
            if n is None:
                raise Malformed("object has no element count", close)
            if c == 0x4F:
                opened = _Frame(
                    start=pos, left=int(n.group(1)), depth=0, build=True, class_name=name
                )
                pos = n.end()
            else:
                size = int(n.group(1))
                body_end = n.end() + size
                if body_end >= end or data[body_end] != 0x7D:
                    raise Malformed("custom object payload does not end with }", n.end())
                value = {"__class__": name, "__data__": _text(data[n.end() : body_end])}
                pos = body_end + 1
        elif c == 0x45:  # E
            m = _ENUM.match(data, pos, end)
            if m is None:
                raise Malformed("invalid enum", pos)
            length = int(m.group(1))
            close = _quoted(data, m.end(), length, end)
            if data[close + 1 : close + 2] != b";":
                raise Malformed("enum is not followed by ;", close + 1)
            value, pos = {"__enum__": _text(data[m.end() : close])}, close + 2
        elif c == 0x72 or c == 0x52:  # r or R
            m = _REF.match(data, pos, end)
            if m is None:
                raise Malformed("invalid reference", pos)
            value, pos = {"__ref__": int(m.group(2))}, m.end()
        elif c == 0x7D:
            raise Malformed("container holds fewer elements than its count", pos)
        else:
            raise Malformed(f"unknown type {chr(c)!r}", pos)

        if opened is not None:
            depth = frame.depth + 1 if frame is not None else 1
            opened.depth = depth
            opened.build = (frame is None or frame.build) and (
                max_depth is None or depth <= max_depth
            )
            if frame is not None and frame.want_key:
                raise Malformed("array key is neither an integer nor a string", pos)
            stack.append(opened)
            continue

        if frame is None:
            result, done = value, True
        elif frame.want_key:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise Malformed("array key is neither an integer nor a string", pos)
            frame.key, frame.want_key = value, False
        else:
            if frame.build:
                frame.keys.append(frame.key if frame.key is not None else 0)
                frame.values.append(value)
            frame.key, frame.want_key = None, True
            frame.left -= 1
    if pos != end:
        raise Malformed("unexpected data after the value", pos)
    return result


def try_loads(text: str, *, max_depth: int | None = None) -> tuple[bool, PhpValue]:
    """``(True, value)`` when ``text`` is a serialized value, else ``(False, text)``.

    >>> try_loads('i:5;'), try_loads('plain')
    ((True, 5), (False, 'plain'))
    """
    if not looks_serialized(text):
        return False, text
    try:
        return True, loads(text, max_depth=max_depth)
    except Malformed:
        return False, text
