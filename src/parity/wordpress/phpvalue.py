"""PHP's ``serialize()`` format as Python values, both ways: parity's one PHP codec.

WordPress keeps arrays and objects in options and meta as PHP-serialized text: the
``cron`` option, the update transients and roles drift reads, and the array meta an import
writes with bulk SQL, which must be byte-identical to what ``update_post_meta()`` stores.

Decoding returns PHP arrays as ``dict`` (they are ordered maps: keys are ``int`` or
``str``, in order), objects as :class:`PhpObject` (property names as PHP wrote them,
private and protected ones NUL-mangled), and the rarer tokens (references,
custom-serialized objects, enums) as small marker records. Strings come back as ``str``:
UTF-8, with undecodable bytes kept as surrogate escapes, so encoding gives the same bytes.
Text that is not one value PHP's ``unserialize()`` would read raises
:class:`~parity.errors.MalformedPhpValue` (a reason and a byte offset).

The decoder is a loop with an explicit stack (no recursion), so nesting depth is bounded
by memory, not by Python's recursion limit. (The rewrite engine's scanner,
:mod:`parity.rewrite.serialized`, reads the same format without building values, for
speed; it raises the same error.)

>>> php_serialize({"stack": ["python", "php"], "seed": 21452})
'a:2:{s:5:"stack";a:2:{i:0;s:6:"python";i:1;s:3:"php";}s:4:"seed";i:21452;}'
>>> php_unserialize('a:1:{s:4:"args";a:0:{}}')
{'args': {}}
>>> maybe_unserialize(' b:1; '), maybe_unserialize('plain text')
((True, True), (False, 'plain text'))
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

from parity.errors import MalformedPhpValue

__all__ = [
    "PhpCustom",
    "PhpEnum",
    "PhpObject",
    "PhpReference",
    "PhpValue",
    "as_list",
    "looks_serialized",
    "maybe_unserialize",
    "php_serialize",
    "php_unserialize",
]

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1
# A string PHP turns into an integer key when it is used as an array key.
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_INT_START = frozenset("-0123456789")


@dataclass(frozen=True)
class PhpObject:
    """An ``O:`` object: its class name and properties (in order)."""

    class_name: str
    properties: dict[int | str, PhpValue] = field(default_factory=dict)


@dataclass(frozen=True)
class PhpReference:
    """An ``r:``/``R:`` back-reference to the ``number``-th value (kept, not resolved)."""

    number: int
    by_reference: bool


@dataclass(frozen=True)
class PhpCustom:
    """A ``C:`` object serialized by its own ``Serializable`` code: class and raw payload."""

    class_name: str
    payload: str


@dataclass(frozen=True)
class PhpEnum:
    """An ``E:`` enum case, as ``Class:Case``."""

    name: str


PhpValue = Union[  # noqa: UP007 - a recursive alias needs the string-free form
    None,
    bool,
    int,
    float,
    str,
    dict[int | str, "PhpValue"],
    PhpObject,
    PhpReference,
    PhpCustom,
    PhpEnum,
]


# -- encoding ------------------------------------------------------------------------------


def _key(key: object) -> str:
    if isinstance(key, str):
        # Only a string that reads as a canonical integer becomes an integer key.
        if (
            key[:1] in _INT_START
            and _CANONICAL_INT.fullmatch(key)
            and _INT_MIN <= int(key) <= _INT_MAX
        ):
            return f"i:{key};"
        return _string(key)
    if isinstance(key, bool):
        return f"i:{int(key)};"
    if isinstance(key, int):
        return f"i:{key};"
    if key is None:
        return 's:0:"";'
    raise TypeError(f"a PHP array key must be int or str, not {type(key).__name__}")


def _string(value: str) -> str:
    size = len(value.encode("utf-8", "surrogateescape"))
    return f's:{size}:"{value}";'


def _float(value: float) -> str:
    if math.isnan(value):
        return "d:NAN;"
    if math.isinf(value):
        return "d:INF;" if value > 0 else "d:-INF;"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return f"d:{sign}0;"
    # PHP (serialize_precision = -1) writes the shortest digits that read back the same
    # float, like Python's repr, but switches to 1.0E+17 style at other thresholds.
    decimal = Decimal(repr(abs(value)))
    digit_tuple, exponent = decimal.as_tuple()[1:]
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    point = len(digit_tuple) + exponent  # position of the decimal point in the digits
    if point < -3 or point > 17:
        mantissa = digits[0] + "." + (digits[1:] or "0")
        return f"d:{sign}{mantissa}E{point - 1:+d};"
    if point <= 0:
        text = "0." + "0" * -point + digits
    elif point >= len(digits):
        text = digits + "0" * (point - len(digits))
    else:
        text = digits[:point] + "." + digits[point:]
    return f"d:{sign}{text};"


_FAST_DEPTH = 32


def _encode_fast(value: object, out: list[str], depth: int) -> None:
    """The common case: JSON-like data a few levels deep (meta values), by recursion."""
    if isinstance(value, str):
        out.append(f's:{len(value.encode("utf-8", "surrogateescape"))}:"{value}";')
    elif value is None:
        out.append("N;")
    elif isinstance(value, bool):
        out.append("b:1;" if value else "b:0;")
    elif isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError(f"{value} does not fit in a PHP integer")
        out.append(f"i:{value};")
    elif isinstance(value, float):
        out.append(_float(value))
    elif depth >= _FAST_DEPTH:
        out.append(_serialize_deep(value))
    elif isinstance(value, list | tuple):
        out.append(f"a:{len(value)}:{{")
        for index, member in enumerate(value):
            out.append(f"i:{index};")
            _encode_fast(member, out, depth + 1)
        out.append("}")
    elif isinstance(value, Mapping):
        out.append(f"a:{len(value)}:{{")
        for key, member in value.items():
            out.append(_key(key))
            _encode_fast(member, out, depth + 1)
        out.append("}")
    else:
        out.append(_serialize_deep(value))


def php_serialize(value: object) -> str:
    """``value`` as PHP's ``serialize()`` writes it.

    Lists and tuples become arrays with keys 0..n-1; mappings keep their order, and a
    key that is a canonical integer string (``"5"``) becomes an integer key, as in PHP.
    Booleans, ``None``, ints, floats and strings map to their PHP types, and the records
    :func:`php_unserialize` returns (:class:`PhpObject`, :class:`PhpReference`,
    :class:`PhpCustom`, :class:`PhpEnum`) are written back as they were read. Any depth
    of nesting works (deep values are written without recursion).
    """
    out: list[str] = []
    _encode_fast(value, out, 0)
    return "".join(out)


def _serialize_deep(value: object) -> str:
    """``php_serialize`` with an explicit stack: for nesting deeper than recursion allows."""
    out: list[str] = []
    # A stack of pending work: either a value to write, or a literal closing brace.
    stack: list[tuple[bool, object]] = [(False, value)]
    while stack:
        is_literal, item = stack.pop()
        if is_literal:
            out.append(str(item))
            continue
        if item is None:
            out.append("N;")
        elif isinstance(item, bool):
            out.append(f"b:{int(item)};")
        elif isinstance(item, int):
            if not _INT_MIN <= item <= _INT_MAX:
                raise ValueError(f"{item} does not fit in a PHP integer")
            out.append(f"i:{item};")
        elif isinstance(item, float):
            out.append(_float(item))
        elif isinstance(item, str):
            out.append(_string(item))
        elif isinstance(item, PhpObject):
            name = _string(item.class_name)[1:-1]  # ':<n>:"<name>"'
            out.append(f"O{name}:{len(item.properties)}:{{")
            stack.append((True, "}"))
            for key, member in reversed(list(item.properties.items())):
                stack.append((False, member))
                # Property names are written as read: no integer-key conversion.
                stack.append((True, _string(key) if isinstance(key, str) else f"i:{key};"))
        elif isinstance(item, PhpReference):
            out.append(f"{'R' if item.by_reference else 'r'}:{item.number};")
        elif isinstance(item, PhpCustom):
            name = _string(item.class_name)[1:-1]
            size = len(item.payload.encode("utf-8", "surrogateescape"))
            out.append(f"C{name}:{size}:{{{item.payload}}}")
        elif isinstance(item, PhpEnum):
            out.append("E" + _string(item.name)[1:])
        elif isinstance(item, Mapping | Sequence) and not isinstance(item, bytes | bytearray):
            pairs = list(item.items()) if isinstance(item, Mapping) else list(enumerate(item))
            out.append(f"a:{len(pairs)}:{{")
            stack.append((True, "}"))
            for key, member in reversed(pairs):
                stack.append((False, member))
                stack.append((True, _key(key)))
        else:
            raise TypeError(f"cannot serialize {type(item).__name__} for PHP")
    return "".join(out)


# -- decoding ------------------------------------------------------------------------------

_NUMBER = re.compile(rb"[+-]?\d+")
_LENGTH = re.compile(rb"\d+")
# What PHP accepts as a class name in O: and C: (unserialize() refuses anything else).
_CLASS_NAME = re.compile(r"[0-9A-Za-z_\\\x7f-\U0010ffff]+")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_FLOAT = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NAN|-?INF")


@dataclass
class _Frame:
    """An array or object being filled: how many entries are still to read."""

    target: dict[int | str, PhpValue]
    remaining: int
    key: int | str | None = None
    expecting_key: bool = True


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def expect(self, token: bytes) -> None:
        if not self.data.startswith(token, self.pos):
            found = self.data[self.pos : self.pos + 1].decode("latin-1") or "the end"
            raise MalformedPhpValue(f"expected {token.decode()!r}, found {found!r}", self.pos)
        self.pos += len(token)

    def number(self) -> int:
        match = _NUMBER.match(self.data, self.pos)
        if match is None:
            raise MalformedPhpValue("expected a number", self.pos)
        self.pos = match.end()
        return int(match.group())

    def length(self) -> int:
        """A declared length or count: digits only (PHP reads them unsigned)."""
        match = _LENGTH.match(self.data, self.pos)
        if match is None:
            raise MalformedPhpValue("expected a length", self.pos)
        self.pos = match.end()
        return int(match.group())

    def counted_text(self) -> str:
        """``<n>:"<n bytes>"`` (the part after ``s:``, ``O:``, ``C:`` or ``E:``)."""
        size = self.length()
        self.expect(b':"')
        start = self.pos
        end = start + size
        if end + 1 > len(self.data) or self.data[end : end + 1] != b'"':
            raise MalformedPhpValue(f"string of declared length {size} does not fit", start)
        self.pos = end + 1
        return self.data[start:end].decode("utf-8", "surrogateescape")

    def class_name(self) -> str:
        """A counted class name (of ``O:`` or ``C:``), checked as PHP checks it."""
        at = self.pos
        name = self.counted_text()
        if _CLASS_NAME.fullmatch(name) is None:
            raise MalformedPhpValue("invalid class name", at)
        return name

    def escaped_text(self) -> str:
        """``<n>:"<n bytes, \\xx escapes counting one>"`` (the legacy ``S:`` string)."""
        size = self.length()
        self.expect(b':"')
        data, out, i = self.data, bytearray(), self.pos
        while len(out) < size:
            if i >= len(data):
                raise MalformedPhpValue("escaped string runs past the end", self.pos)
            if data[i] == 0x5C:  # backslash: two hex digits follow
                pair = data[i + 1 : i + 3]
                if len(pair) != 2 or pair[0] not in _HEX or pair[1] not in _HEX:
                    raise MalformedPhpValue("invalid escape in escaped string", i)
                out.append(int(pair, 16))
                i += 3
            else:
                out.append(data[i])
                i += 1
        self.pos = i
        self.expect(b'"')
        return out.decode("utf-8", "surrogateescape")


def php_unserialize(text: str | bytes) -> PhpValue:
    """Decode one PHP-serialized value (the whole input must be that one value).

    Raises :class:`MalformedPhpValue` naming the byte offset of the first problem.
    """
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
    reader = _Reader(data)
    stack: list[_Frame] = []
    result: PhpValue = None
    done = False
    while not done:
        at = reader.pos
        # Closing brace of the innermost container?
        if stack and stack[-1].remaining == 0:
            reader.expect(b"}")
            finished = stack.pop()
            value: PhpValue = finished.target
            if isinstance(finished, _ObjectFrame):
                value = PhpObject(finished.class_name, finished.target)
            done = _store(stack, value, at)
            if done:
                result = value
            continue
        kind = data[at : at + 2]
        reader.pos += 2
        new_frame: _Frame | None = None
        if kind == b"N;":
            reader.pos = at + 2
            value = None
        elif kind == b"b:":
            flag = reader.number()
            if flag not in (0, 1):
                raise MalformedPhpValue("a boolean must be 0 or 1", at)
            reader.expect(b";")
            value = bool(flag)
        elif kind == b"i:":
            value = reader.number()
            reader.expect(b";")
        elif kind == b"d:":
            match = _FLOAT.match(data, reader.pos)
            if match is None:
                raise MalformedPhpValue("expected a float", reader.pos)
            reader.pos = match.end()
            reader.expect(b";")
            value = float(match.group().replace(b"INF", b"inf").replace(b"NAN", b"nan"))
        elif kind == b"s:":
            value = reader.counted_text()
            reader.expect(b";")
        elif kind == b"S:":
            value = reader.escaped_text()
            reader.expect(b";")
        elif kind in (b"r:", b"R:"):
            value = PhpReference(reader.number(), kind == b"R:")
            reader.expect(b";")
        elif kind == b"E:":
            value = PhpEnum(reader.counted_text())
            reader.expect(b";")
        elif kind == b"a:":
            count = reader.length()
            reader.expect(b":{")
            new_frame = _Frame({}, count)
        elif kind == b"O:":
            name = reader.class_name()
            reader.expect(b":")
            count = reader.length()
            reader.expect(b":{")
            new_frame = _ObjectFrame({}, count, class_name=name)
        elif kind == b"C:":
            name = reader.class_name()
            reader.expect(b":")
            size = reader.length()
            reader.expect(b":{")
            payload = data[reader.pos : reader.pos + size]
            reader.pos += size
            if len(payload) < size:
                raise MalformedPhpValue("custom object payload runs past the end", at)
            reader.expect(b"}")
            value = PhpCustom(name, payload.decode("utf-8", "surrogateescape"))
        else:
            shown = kind.decode("latin-1") or "the end"
            raise MalformedPhpValue(f"unexpected {shown!r}", at)
        if new_frame is not None:
            if stack and stack[-1].expecting_key:
                raise MalformedPhpValue("an array cannot be an array key", at)
            stack.append(new_frame)
            continue
        done = _store(stack, value, at)
        if done:
            result = value
    if reader.pos != len(data):
        raise MalformedPhpValue("unexpected data after the value", reader.pos)
    return result


@dataclass
class _ObjectFrame(_Frame):
    class_name: str = ""


def _store(stack: list[_Frame], value: PhpValue, at: int) -> bool:
    """Put ``value`` into the innermost container; True when it is the whole result."""
    if not stack:
        return True
    frame = stack[-1]
    if frame.expecting_key:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise MalformedPhpValue("an array key must be an integer or a string", at)
        frame.key = value
        frame.expecting_key = False
        return False
    assert frame.key is not None
    frame.target[frame.key] = value
    frame.key = None
    frame.expecting_key = True
    frame.remaining -= 1
    return False


def as_list(value: PhpValue) -> list[PhpValue] | None:
    """The values of a PHP array whose keys are 0..n-1, as a list; else None.

    >>> as_list(php_unserialize('a:2:{i:0;s:1:"a";i:1;s:1:"b";}'))
    ['a', 'b']
    """
    if not isinstance(value, dict):
        return None
    if list(value) != list(range(len(value))):
        return None
    return list(value.values())


# -- recognising ---------------------------------------------------------------------------

_TRIM = b" \t\n\r\0\x0b"
# A scalar must be the whole value; a string, array or object is recognised by its head
# alone, so that a truncated one is reported rather than taken for text.
_LOOKS = re.compile(rb'(?:N;|[bid]:[^;]{0,400};)\Z|[sSOCE]:\d+:"|a:\d+:\{')


def looks_serialized(data: bytes | str) -> tuple[int, int] | None:
    """The trimmed span of ``data`` if it looks like one serialized value, else ``None``.

    Like WordPress's ``is_serialized()``, surrounding whitespace is ignored (WordPress
    trims before unserializing); unlike it, the last byte is not checked, so that a
    truncated value is recognised (and reported) rather than taken for plain text. The
    span is in bytes (UTF-8) when ``data`` is text.

    >>> looks_serialized(b' a:0:{} '), looks_serialized('hello'), looks_serialized('a:1:{')
    ((1, 7), None, (0, 5))
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    start, end = 0, len(data)
    while start < end and data[start] in _TRIM:
        start += 1
    while end > start and data[end - 1] in _TRIM:
        end -= 1
    if end - start < 2:
        return None
    if _LOOKS.match(data, start, end) is None:
        return None
    return start, end


def maybe_unserialize(text: str) -> tuple[bool, PhpValue]:
    """``(True, value)`` when ``text`` is one serialized value, else ``(False, text)``.

    Like WordPress's ``maybe_unserialize()``: surrounding whitespace is ignored, and text
    that only looks serialized but does not decode is left as it is.

    >>> maybe_unserialize('i:5;'), maybe_unserialize('s:9:"short";')
    ((True, 5), (False, 's:9:"short";'))
    """
    data = text.encode("utf-8", "surrogateescape")
    span = looks_serialized(data)
    if span is None:
        return False, text
    try:
        return True, php_unserialize(data[span[0] : span[1]])
    except MalformedPhpValue:
        return False, text
