"""Read PHP-serialized values without building them: where are the strings?

PHP's ``serialize()`` writes ``s:<bytes>:"<bytes>";`` for a string, so a search-replace
that changes a string's length must rewrite its length too. This module scans a
serialized value the way ``unserialize()`` reads it and returns the position of every
string-like token (values, array keys, property names, class names, ``C:`` payloads),
nothing else: numbers, floats and structure are never re-encoded, so they keep their
exact bytes.

The scan is a loop with an explicit stack, never Python recursion, so nesting depth is
bounded only by memory. It accepts what PHP 8's unserializer accepts for every token
kind: ``N; b: i: d: s: S: a: O: C: E: r: R:``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

__all__ = [
    "CLASS_NAME",
    "ENUM",
    "ESCAPED",
    "KEY",
    "PAYLOAD",
    "PROPERTY",
    "VALUE",
    "Malformed",
    "Site",
    "looks_serialized",
    "parse",
    "parse_sequence",
    "repair",
    "splice",
]

# Kinds of string-like tokens.
VALUE = 0  # s: in value position
KEY = 1  # s: array key
PROPERTY = 2  # s: object property name (may hold NUL-mangled private/protected names)
CLASS_NAME = 3  # class name of O: or C:
ENUM = 4  # E: "Class:Case"
ESCAPED = 5  # S: string with \xx escapes (legacy)
PAYLOAD = 6  # the custom payload of C:

REWRITABLE = frozenset({VALUE, KEY, PAYLOAD})


class Site(NamedTuple):
    """One string-like token: its kind and where its length digits and content are."""

    kind: int
    digits: int  # offset of the first length digit
    start: int  # offset of the first content byte
    end: int  # offset just past the last content byte


class Malformed(Exception):
    """The bytes are not a value PHP's unserialize() would read."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at offset {offset}")
        self.reason = reason
        self.offset = offset


_TRIM = b" \t\n\r\0\x0b"
_LOOKS = re.compile(rb'N;|[bid]:[^;]{0,400};|[sSOCE]:\d+:"|a:\d+:\{')
_STR = re.compile(rb"s:(\d+):\"")
_ESTR = re.compile(rb"S:(\d+):\"")
_INT = re.compile(rb"i:[+-]?\d+;")
_FLOAT = re.compile(rb"d:(?:(?:[+-]?(?:\d+\.?\d*|\.\d+))(?:[eE][+-]?\d+)?|NAN|-?INF);")
_BOOL = re.compile(rb"b:[01];")
_REF = re.compile(rb"[rR]:[+-]?\d+;")
_ARRAY = re.compile(rb"a:(\d+):\{")
_OBJ = re.compile(rb"O:(\d+):\"")
_OBJ_COUNT = re.compile(rb"\":(\d+):\{")
_CUSTOM = re.compile(rb"C:(\d+):\"")
_ENUM = re.compile(rb"E:(\d+):\"")
_CLASS_OK = re.compile(rb"[0-9A-Za-z_\\\x7f-\xff]+")
_HEAD = re.compile(rb"[sSiIdbaOCErR]:|N;|\}")
_SPL_GAP = re.compile(rb"[;,]?(?:[xm]:)?")


def looks_serialized(data: bytes) -> tuple[int, int] | None:
    """The trimmed span of ``data`` if it looks like one serialized value, else ``None``.

    Like WordPress's ``is_serialized()``, surrounding whitespace is ignored (WordPress
    trims before unserializing); unlike it, the last byte is not checked, so that a
    truncated value is recognised (and reported) rather than rewritten as plain text.
    """
    start, end = 0, len(data)
    while start < end and data[start] in _TRIM:
        start += 1
    while end > start and data[end - 1] in _TRIM:
        end -= 1
    if end - start < 2:
        return None
    if _LOOKS.match(data, start) is None:
        return None
    return start, end


def _class_name(data: bytes, start: int, end: int, at: int) -> None:
    if _CLASS_OK.fullmatch(data, start, end) is None:
        raise Malformed("invalid class name", at)


def _fix(
    data: bytes, start: int, declared: int, limit: int, fixes: list[tuple[int, int, int]] | None
) -> int:
    """Where the string starting at ``start`` ends; in repair mode, guess and record it."""
    end = start + declared
    if data[end : end + 2] == b'";' and end + 2 <= limit:
        return end
    if fixes is None:
        if end + 2 > limit:
            raise Malformed(f"string of declared length {declared} runs past the end", start)
        raise Malformed(f"string of declared length {declared} does not end with a quote", start)
    best = -1
    pos = data.find(b'";', start, limit)
    while pos != -1:
        after = pos + 2
        if (after == limit or _HEAD.match(data, after)) and (
            best == -1 or abs(pos - end) < abs(best - end)
        ):
            best = pos
        if pos > end and best != -1:
            break
        pos = data.find(b'";', pos + 1, limit)
    if best == -1:
        raise Malformed("string has no closing quote to repair against", start)
    fixes.append((start, best - start, declared))
    return best


def _scan(
    data: bytes,
    pos: int,
    limit: int,
    sites: list[Site],
    fixes: list[tuple[int, int, int]] | None = None,
) -> int:
    """Scan one serialized value starting at ``pos``; return the offset just past it."""
    # remaining[i]: tokens still expected in the i-th open container (2 per element).
    remaining: list[int] = []
    is_object: list[bool] = []
    while True:
        if pos >= limit:
            raise Malformed("value is truncated", pos)
        if remaining:
            left = remaining[-1]
            if left == 0:
                if data[pos] != 0x7D:  # }
                    raise Malformed("container holds more elements than its count", pos)
                pos += 1
                remaining.pop()
                is_object.pop()
                if not remaining:
                    return pos
                remaining[-1] -= 1
                continue
            if left % 2 == 0:  # a key
                c = data[pos]
                if c == 0x73:  # s
                    m = _STR.match(data, pos)
                    if m is None:
                        raise Malformed("invalid string key", pos)
                    start = m.end()
                    end = _fix(data, start, int(m.group(1)), limit, fixes)
                    kind = PROPERTY if is_object[-1] else KEY
                    sites.append(Site(kind, pos + 2, start, end))
                    pos = end + 2
                elif c == 0x69:  # i
                    m = _INT.match(data, pos)
                    if m is None:
                        raise Malformed("invalid integer key", pos)
                    pos = m.end()
                elif c == 0x53:  # S
                    pos = _escaped(data, pos, limit, sites)
                elif c == 0x7D:
                    raise Malformed("container holds fewer elements than its count", pos)
                else:
                    raise Malformed("array key is neither an integer nor a string", pos)
                remaining[-1] = left - 1
                continue
        c = data[pos]
        if c == 0x73:  # s
            m = _STR.match(data, pos)
            if m is None:
                raise Malformed("invalid string", pos)
            start = m.end()
            end = _fix(data, start, int(m.group(1)), limit, fixes)
            sites.append(Site(VALUE, pos + 2, start, end))
            pos = end + 2
        elif c == 0x61:  # a
            m = _ARRAY.match(data, pos)
            if m is None:
                raise Malformed("invalid array", pos)
            remaining.append(2 * int(m.group(1)))
            is_object.append(False)
            pos = m.end()
            continue
        elif c == 0x69 or c == 0x64 or c == 0x62 or c == 0x4E or c == 0x72 or c == 0x52:
            pattern = {0x69: _INT, 0x64: _FLOAT, 0x62: _BOOL, 0x72: _REF, 0x52: _REF}.get(c)
            if pattern is None:  # N
                if data[pos : pos + 2] != b"N;":
                    raise Malformed("invalid null", pos)
                pos += 2
            else:
                m = pattern.match(data, pos)
                if m is None:
                    raise Malformed(f"invalid {chr(c)}: value", pos)
                pos = m.end()
        elif c == 0x4F:  # O
            m = _OBJ.match(data, pos)
            if m is None:
                raise Malformed("invalid object", pos)
            start = m.end()
            end = start + int(m.group(1))
            _class_name(data, start, end, pos)
            m2 = _OBJ_COUNT.match(data, end)
            if m2 is None:
                raise Malformed("object class name length or count is wrong", pos)
            sites.append(Site(CLASS_NAME, pos + 2, start, end))
            remaining.append(2 * int(m2.group(1)))
            is_object.append(True)
            pos = m2.end()
            continue
        elif c == 0x43:  # C
            pos = _custom(data, pos, limit, sites)
        elif c == 0x45:  # E
            m = _ENUM.match(data, pos)
            if m is None:
                raise Malformed("invalid enum", pos)
            start = m.end()
            end = start + int(m.group(1))
            if data[end : end + 2] != b'";' or data.find(b":", start, end) == -1:
                raise Malformed("invalid enum case", pos)
            sites.append(Site(ENUM, pos + 2, start, end))
            pos = end + 2
        elif c == 0x53:  # S
            pos = _escaped(data, pos, limit, sites)
        else:
            raise Malformed("unknown token", pos)
        if not remaining:
            return pos
        remaining[-1] -= 1


def _custom(data: bytes, pos: int, limit: int, sites: list[Site]) -> int:
    m = _CUSTOM.match(data, pos)
    if m is None:
        raise Malformed("invalid custom object", pos)
    start = m.end()
    end = start + int(m.group(1))
    _class_name(data, start, end, pos)
    m2 = _OBJ_COUNT.match(data, end)
    if m2 is None:
        raise Malformed("custom object class name length is wrong", pos)
    sites.append(Site(CLASS_NAME, pos + 2, start, end))
    body = m2.end()
    body_end = body + int(m2.group(1))
    if body_end >= limit or data[body_end] != 0x7D:
        raise Malformed("custom object payload length is wrong", pos)
    sites.append(Site(PAYLOAD, end + 2, body, body_end))
    return body_end + 1


def _escaped(data: bytes, pos: int, limit: int, sites: list[Site]) -> int:
    m = _ESTR.match(data, pos)
    if m is None:
        raise Malformed("invalid escaped string", pos)
    start = cursor = m.end()
    for _ in range(int(m.group(1))):
        if cursor >= limit:
            raise Malformed("escaped string is truncated", pos)
        cursor += 3 if data[cursor] == 0x5C else 1
    if data[cursor : cursor + 2] != b'";':
        raise Malformed("escaped string does not end with a quote", pos)
    sites.append(Site(ESCAPED, pos + 2, start, cursor))
    return cursor + 2


def parse(data: bytes, start: int = 0, end: int | None = None) -> list[Site]:
    """The string-like tokens of the one serialized value in ``data[start:end]``.

    Raises :class:`Malformed` (with a reason and offset) if the span is not exactly one
    value that PHP would unserialize.

    >>> parse(b'a:1:{s:1:"k";s:2:"v1";}')
    [Site(kind=1, digits=7, start=10, end=11), Site(kind=0, digits=15, start=18, end=20)]
    """
    limit = len(data) if end is None else end
    sites: list[Site] = []
    pos = _scan(data, start, limit, sites)
    if pos != limit:
        raise Malformed("unexpected bytes after the value", pos)
    return sites


def parse_sequence(data: bytes) -> list[Site]:
    """The tokens of ``data`` read as serialized values one after another.

    This is how ``C:`` payloads are usually written: ``serialize()`` of one value, or of
    several (SPL classes write ``x:i:0;a:0:{};m:a:0:{}``; their ``x:`` / ``m:`` markers
    and ``;`` separators are accepted between values). Raises :class:`Malformed`.
    """
    sites: list[Site] = []
    pos, limit = 0, len(data)
    if limit == 0:
        raise Malformed("empty payload", 0)
    while pos < limit:
        gap = _SPL_GAP.match(data, pos)
        if gap is not None and gap.end() > pos:
            pos = gap.end()
            if pos >= limit:
                break
        pos = _scan(data, pos, limit, sites)
    return sites


def repair(data: bytes, start: int = 0, end: int | None = None) -> bytes:
    """``data`` with every string length recomputed from the bytes, as PHP counts them.

    A string whose declared length does not land on its closing ``";`` is given the
    length to the nearest ``";`` that is followed by a plausible next token. Raises
    :class:`Malformed` if the value still cannot be read.
    """
    limit = len(data) if end is None else end
    fixes: list[tuple[int, int, int]] = []
    pos = _scan(data, start, limit, [], fixes)
    if pos != limit:
        raise Malformed("unexpected bytes after the value", pos)
    out: list[bytes] = []
    last = 0
    for content_start, length, _declared in fixes:
        digits = content_start - 3
        while data[digits - 1] in b"0123456789":
            digits -= 1
        out.append(data[last:digits])
        out.append(str(length).encode())
        last = content_start - 2
    out.append(data[last:])
    return b"".join(out)


def sites_touching(sites: list[Site], spans: list[tuple[int, int]]) -> list[Site]:
    """The sites that fully contain at least one of the sorted ``spans`` (start, end)."""
    if not spans or not sites:
        return []
    starts = [site.start for site in sites]
    chosen: dict[int, Site] = {}
    for span_start, span_end in spans:
        index = bisect_right(starts, span_start) - 1
        if index >= 0:
            site = sites[index]
            if span_end <= site.end:
                chosen[index] = site
    return [chosen[i] for i in sorted(chosen)]


def splice(data: bytes, replacements: list[tuple[Site, bytes]]) -> bytes:
    """``data`` with each site's content replaced and its length digits rewritten.

    ``replacements`` must be in ascending order of position and must not overlap.
    """
    out: list[bytes] = []
    last = 0
    for site, new in replacements:
        out.append(data[last : site.digits])
        out.append(str(len(new)).encode())
        out.append(data[site.start - 2 : site.start])  # ':"' or ':{'
        out.append(new)
        last = site.end
    out.append(data[last:])
    return b"".join(out)
