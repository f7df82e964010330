"""Read PHP-serialized values without building them: where are the strings?

PHP's ``serialize()`` writes ``s:<bytes>:"<bytes>";`` for a string, so a search-replace
that changes a string's length must rewrite its length too. This module scans a
serialized value the way ``unserialize()`` reads it and returns the position of every
string-like token (values, array keys, property names, class names, ``C:`` payloads),
nothing else: numbers, floats and structure are never re-encoded, so they keep their
exact bytes. (Building the values is :mod:`parity.wordpress.phpvalue`'s work, parity's
one PHP codec; this scanner stays here for speed. Both raise
:class:`~parity.errors.MalformedPhpValue`, and both recognise a serialized value with
:func:`~parity.wordpress.phpvalue.looks_serialized`.)

The scan is a loop with an explicit stack, never Python recursion, so nesting depth is
bounded only by memory. It accepts what PHP 8's unserializer accepts for every token
kind: ``N; b: i: d: s: S: a: O: C: E: r: R:``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cache
from typing import Any

from parity.errors import MalformedPhpValue

__all__ = [
    "CLASS_NAME",
    "ENUM",
    "ESCAPED",
    "KEY",
    "PAYLOAD",
    "PROPERTY",
    "VALUE",
    "Site",
    "parse",
    "parse_sequence",
    "repair",
    "sites_touching",
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


#: One string-like token: (kind, offset of its first length digit, offset of its first
#: content byte, offset just past its last content byte).
Site = tuple[int, int, int, int]


_FLOAT_BODY = rb"(?:(?:[+-]?(?:\d+\.?\d*|\.\d+))(?:[eE][+-]?\d+)?|NAN|-?INF)"
# The common tokens in one match: a string head (group 1) or a whole scalar.
_VALUE = re.compile(rb's:(\d+):"|i:[+-]?\d+;|b:[01];|N;|d:' + _FLOAT_BODY + rb";")
_REF = re.compile(rb"([rR]):([+-]?)(\d+);")
_KEY = re.compile(rb's:(\d+):"|i:[+-]?\d+;')
# A key and a scalar or string value whose strings hold no quote (groups 1-4: key length
# and content, value length and content); lengths are checked by the scanner.
_PAIR_BODY = (
    rb'(?:s:(\d+):"([^"]*+)"|i:[+-]?\d+);'
    rb'(?:s:(\d+):"([^"]*+)";|i:[+-]?\d+;|b:[01];|N;|d:' + _FLOAT_BODY + rb";)"
)
_PAIR = re.compile(_PAIR_BODY)
# A key (group 1-2: string length and content) and the head of an array value (group 3).
_KEY_ARRAY = re.compile(rb'(?:s:(\d+):"([^"]*+)"|i:[+-]?\d+);a:(\d+):\{')


def _sized_strings(limit: int) -> bytes:
    """A regex for ``s:N:"...";`` heads and bodies whose length N (< ``limit``) is checked
    by the regex itself: a trie over the digits of N, each leaf ``[^"]{N}``."""

    def node(digits: str) -> bytes:
        number = int(digits)
        options = [b':"[^"]{%d}"' % number]
        if digits != "0":
            options += [
                d.encode() + node(digits + d) for d in "0123456789" if int(digits + d) < limit
            ]
        return options[0] if len(options) == 1 else b"(?:" + b"|".join(options) + b")"

    return b"s:(?:" + b"|".join(d.encode() + node(d) for d in "0123456789") + b")"


@cache
def _run_patterns() -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """A run of key/value pairs whose strings hold no quote and are shorter than 1,000
    bytes, and one such pair: matched, length-checked and counted by the regex engine,
    with no Python per token. Compiled on first use (it takes a few tens of ms)."""
    sized = _sized_strings(1000)
    pair = (
        rb"(?:" + sized + rb"|i:[+-]?\d+);"
        rb"(?:" + sized + rb";|i:[+-]?\d+;|b:[01];|N;|d:" + _FLOAT_BODY + rb";)"
    )
    return re.compile(rb"(?:" + pair + rb")++"), re.compile(pair)


_ESTR = re.compile(rb"S:(\d+):\"")
_ARRAY = re.compile(rb"a:(\d+):\{")
_OBJ = re.compile(rb"O:(\d+):\"")
_OBJ_COUNT = re.compile(rb"\":(\d+):\{")
_CUSTOM = re.compile(rb"C:(\d+):\"")
_ENUM = re.compile(rb"E:(\d+):\"")
_CLASS_OK = re.compile(rb"[0-9A-Za-z_\\\x7f-\xff]+")
_HEAD = re.compile(rb"[sSidbaOCErR]:|N;|\}")
_SPL_GAP = re.compile(rb"[;,]?(?:[xm]:)?")


def _class_name(data: bytes, start: int, end: int, at: int) -> None:
    if _CLASS_OK.fullmatch(data, start, end) is None:
        raise MalformedPhpValue("invalid class name", at)


def _fix(
    data: bytes, start: int, declared: int, limit: int, fixes: list[tuple[int, int, int]] | None
) -> int:
    """Where the string starting at ``start`` ends; in repair mode, guess and record it."""
    end = start + declared
    if data[end : end + 2] == b'";' and end + 2 <= limit:
        return end
    if fixes is None:
        if end + 2 > limit:
            raise MalformedPhpValue(
                f"string of declared length {declared} runs past the end", start
            )
        raise MalformedPhpValue(
            f"string of declared length {declared} does not end with a quote", start
        )
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
        raise MalformedPhpValue("string has no closing quote to repair against", start)
    fixes.append((start, best - start, declared))
    return best


def _scan(
    data: bytes,
    pos: int,
    limit: int,
    sites: list[Site],
    fixes: list[tuple[int, int, int]] | None = None,
    marks: list[int] | None = None,
    lenient: bool = False,
) -> int:
    """Scan one serialized value starting at ``pos``; return the offset just past it.

    With ``marks`` (sorted offsets), runs of simple key/value pairs that hold no mark
    are checked in bulk and their sites not recorded: only sites near a mark matter.

    References are checked as PHP checks them: ``unserialize()`` numbers every value
    it reads (from 1, the whole value; array keys and ``R:`` take no number), and
    refuses an ``r:``/``R:`` with a sign, one beyond the values read so far, or an
    ``r:`` to a value that is not an object. After a ``C:`` payload (whose own values
    PHP numbers too, if the class reads them) and with ``lenient``, only the sign is
    checked.
    """
    slots = 0  # values numbered so far
    objects: set[int] = set()  # the numbers of object values
    # remaining[i]: tokens still expected in the i-th open container (2 per element);
    # key_kind[i]: what a string key of that container is (KEY or PROPERTY).
    remaining: list[int] = []
    key_kind: list[int] = []
    value_match = _VALUE.match
    key_match = _KEY.match
    pair_match = _PAIR.match
    key_array_match = _KEY_ARRAY.match
    run_pattern, run_pair = _run_patterns()
    run_match = run_pattern.match
    no_run = -1  # where the bulk path failed: take the exact path there once
    append = sites.append
    while True:
        if remaining:
            left = remaining[-1]
            if not left & 1:
                if left == 0:
                    if pos >= limit or data[pos] != 0x7D:  # }
                        if pos >= limit:
                            raise MalformedPhpValue("value is truncated", pos)
                        raise MalformedPhpValue("container holds more elements than its count", pos)
                    pos += 1
                    remaining.pop()
                    key_kind.pop()
                    if not remaining:
                        return pos
                    remaining[-1] -= 1
                    continue
                kind = key_kind[-1]
                if fixes is None and pos != no_run:
                    # Fastest path: a run of key/value pairs of quote-free strings and
                    # scalars, matched and length-checked in bulk.
                    m = run_match(data, pos)
                    if m is not None:
                        run_end = m.end()
                        pairs = len(run_pair.findall(data, pos, run_end))
                        if 2 * pairs <= left:
                            slots += pairs
                            if marks is None or _marked(marks, pos, run_end):
                                _run_sites(data, pos, run_end, kind, append)
                            pos = run_end
                            left -= 2 * pairs
                            remaining[-1] = left
                            continue
                        no_run = pos
                # A key whose value is an array: both heads in one match.
                m = key_array_match(data, pos)
                if m is not None:
                    key_start, key_end = m.span(2)
                    if key_start == -1 or int(m.group(1)) == key_end - key_start:
                        if key_start != -1:
                            append((kind, pos + 2, key_start, key_end))
                        remaining[-1] = left - 1
                        slots += 1
                        remaining.append(2 * int(m.group(3)))
                        key_kind.append(KEY)
                        pos = m.end()
                        continue
                # Fast path: whole key/value pairs of quote-free strings and scalars.
                while left:
                    m = pair_match(data, pos)
                    if m is None:
                        break
                    key_start, key_end = m.span(2)
                    if key_start != -1 and int(m.group(1)) != key_end - key_start:
                        break
                    value_start, value_end = m.span(4)
                    if value_start != -1 and int(m.group(3)) != value_end - value_start:
                        break
                    if key_start != -1:
                        append((kind, pos + 2, key_start, key_end))
                    if value_start != -1:
                        append((VALUE, value_start - 2 - len(m.group(3)), value_start, value_end))
                    pos = m.end()
                    left -= 2
                    slots += 1
                remaining[-1] = left
                if not left or pos > limit:
                    continue
                m = key_match(data, pos)
                if m is None:
                    if pos < limit and data[pos] == 0x53:  # S
                        pos = _escaped(data, pos, limit, sites)
                        remaining[-1] = left - 1
                        continue
                    raise MalformedPhpValue(_bad_key(data, pos, limit), pos)
                if m.lastindex:
                    start = m.end()
                    end = start + int(m.group(1))
                    if end + 2 > limit or data[end : end + 2] != b'";':
                        end = _fix(data, start, end - start, limit, fixes)
                    append((key_kind[-1], pos + 2, start, end))
                    pos = end + 2
                else:
                    pos = m.end()
                remaining[-1] = left - 1
                continue
        m = value_match(data, pos)
        slots += 1
        if m is not None:
            if m.lastindex:
                start = m.end()
                end = start + int(m.group(1))
                if end + 2 > limit or data[end : end + 2] != b'";':
                    end = _fix(data, start, end - start, limit, fixes)
                append((VALUE, pos + 2, start, end))
                pos = end + 2
            else:
                pos = m.end()
        else:
            if pos >= limit:
                raise MalformedPhpValue("value is truncated", pos)
            c = data[pos]
            if c == 0x61:  # a
                m = _ARRAY.match(data, pos)
                if m is None:
                    raise MalformedPhpValue("invalid array", pos)
                remaining.append(2 * int(m.group(1)))
                key_kind.append(KEY)
                pos = m.end()
                continue
            if c == 0x4F:  # O
                pos, count = _object(data, pos, sites)
                objects.add(slots)
                remaining.append(2 * count)
                key_kind.append(PROPERTY)
                continue
            if c == 0x43:  # C
                pos = _custom(data, pos, limit, sites)
                lenient = True
            elif c == 0x45:  # E
                pos = _enum(data, pos, sites)
                objects.add(slots)
            elif c == 0x72 or c == 0x52:  # r R
                m = _REF.match(data, pos)
                if m is None:
                    raise MalformedPhpValue(_bad_value(c), pos)
                if m.group(2):
                    raise MalformedPhpValue("reference with a sign", pos)
                target = int(m.group(3))
                if c == 0x52:  # R: takes no number of its own
                    slots -= 1
                if not lenient:
                    if target < 1 or target > slots or (c == 0x72 and target == slots):
                        raise MalformedPhpValue("reference to a value that does not exist", pos)
                    if c == 0x72 and target not in objects:
                        raise MalformedPhpValue(
                            "r: reference to a value that is not an object", pos
                        )
                pos = m.end()
            elif c == 0x53:  # S
                pos = _escaped(data, pos, limit, sites)
            else:
                raise MalformedPhpValue(_bad_value(c), pos)
        if pos > limit:
            raise MalformedPhpValue("value is truncated", limit)
        if not remaining:
            return pos
        remaining[-1] -= 1


def _marked(marks: list[int], start: int, end: int) -> bool:
    index = bisect_left(marks, start)
    return index < len(marks) and marks[index] < end


def _run_sites(data: bytes, start: int, end: int, kind: int, append: Any) -> None:
    for m in _PAIR.finditer(data, start, end):
        key_start, key_end = m.span(2)
        if key_start != -1:
            append((kind, m.start() + 2, key_start, key_end))
        value_start, value_end = m.span(4)
        if value_start != -1:
            append((VALUE, value_start - 2 - len(m.group(3)), value_start, value_end))


def _bad_key(data: bytes, pos: int, limit: int) -> str:
    if pos >= limit:
        return "value is truncated"
    if data[pos] == 0x7D:
        return "container holds fewer elements than its count"
    if data[pos] in b"si":
        return "invalid array key"
    return "array key is neither an integer nor a string"


def _bad_value(c: int) -> str:
    if c in b"sidbrRN":
        return f"invalid {chr(c)} value"
    return "unknown token"


def _object(data: bytes, pos: int, sites: list[Site]) -> tuple[int, int]:
    m = _OBJ.match(data, pos)
    if m is None:
        raise MalformedPhpValue("invalid object", pos)
    start = m.end()
    end = start + int(m.group(1))
    _class_name(data, start, end, pos)
    m2 = _OBJ_COUNT.match(data, end)
    if m2 is None:
        raise MalformedPhpValue("object class name length or count is wrong", pos)
    sites.append((CLASS_NAME, pos + 2, start, end))
    return m2.end(), int(m2.group(1))


def _enum(data: bytes, pos: int, sites: list[Site]) -> int:
    m = _ENUM.match(data, pos)
    if m is None:
        raise MalformedPhpValue("invalid enum", pos)
    start = m.end()
    end = start + int(m.group(1))
    if data[end : end + 2] != b'";' or data.find(b":", start, end) == -1:
        raise MalformedPhpValue("invalid enum case", pos)
    sites.append((ENUM, pos + 2, start, end))
    return end + 2


def _custom(data: bytes, pos: int, limit: int, sites: list[Site]) -> int:
    m = _CUSTOM.match(data, pos)
    if m is None:
        raise MalformedPhpValue("invalid custom object", pos)
    start = m.end()
    end = start + int(m.group(1))
    _class_name(data, start, end, pos)
    m2 = _OBJ_COUNT.match(data, end)
    if m2 is None:
        raise MalformedPhpValue("custom object class name length is wrong", pos)
    sites.append((CLASS_NAME, pos + 2, start, end))
    body = m2.end()
    body_end = body + int(m2.group(1))
    if body_end >= limit or data[body_end] != 0x7D:
        raise MalformedPhpValue("custom object payload length is wrong", pos)
    sites.append((PAYLOAD, end + 2, body, body_end))
    return body_end + 1


def _escaped(data: bytes, pos: int, limit: int, sites: list[Site]) -> int:
    m = _ESTR.match(data, pos)
    if m is None:
        raise MalformedPhpValue("invalid escaped string", pos)
    start = cursor = m.end()
    for _ in range(int(m.group(1))):
        if cursor >= limit:
            raise MalformedPhpValue("escaped string is truncated", pos)
        cursor += 3 if data[cursor] == 0x5C else 1
    if data[cursor : cursor + 2] != b'";':
        raise MalformedPhpValue("escaped string does not end with a quote", pos)
    sites.append((ESCAPED, pos + 2, start, cursor))
    return cursor + 2


def parse(
    data: bytes, start: int = 0, end: int | None = None, marks: list[int] | None = None
) -> list[Site]:
    """The string-like tokens of the one serialized value in ``data[start:end]``.

    Raises :class:`~parity.errors.MalformedPhpValue` (with a reason and offset) if the
    span is not exactly one value that PHP would unserialize. With ``marks`` (sorted
    offsets, such as where a search string starts), sites far from every mark may be
    left out.

    >>> parse(b'a:1:{s:1:"k";s:2:"v1";}')
    [(1, 7, 10, 11), (0, 15, 18, 20)]
    """
    limit = len(data) if end is None else end
    sites: list[Site] = []
    pos = _scan(data, start, limit, sites, None, marks)
    if pos != limit:
        raise MalformedPhpValue("unexpected bytes after the value", pos)
    return sites


def parse_sequence(data: bytes) -> list[Site]:
    """The tokens of ``data`` read as serialized values one after another.

    This is how ``C:`` payloads are usually written: ``serialize()`` of one value, or of
    several (SPL classes write ``x:i:0;a:0:{};m:a:0:{}``; their ``x:`` / ``m:`` markers
    and ``;`` separators are accepted between values). Raises
    :class:`~parity.errors.MalformedPhpValue`.
    """
    sites: list[Site] = []
    pos, limit = 0, len(data)
    if limit == 0:
        raise MalformedPhpValue("empty payload", 0)
    while pos < limit:
        gap = _SPL_GAP.match(data, pos)
        if gap is not None and gap.end() > pos:
            pos = gap.end()
            if pos >= limit:
                break
        # PHP reads a payload's values while it reads the outer value, so a reference
        # in it may point outside it: only its syntax is checked.
        pos = _scan(data, pos, limit, sites, lenient=True)
    return sites


def repair(data: bytes, start: int = 0, end: int | None = None) -> bytes:
    """``data`` with every string length recomputed from the bytes, as PHP counts them.

    A string whose declared length does not land on its closing ``";`` is given the
    length to the nearest ``";`` that is followed by a plausible next token. Raises
    :class:`~parity.errors.MalformedPhpValue` if the value still cannot be read.
    """
    limit = len(data) if end is None else end
    fixes: list[tuple[int, int, int]] = []
    pos = _scan(data, start, limit, [], fixes)
    if pos != limit:
        raise MalformedPhpValue("unexpected bytes after the value", pos)
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
    starts = [site[2] for site in sites]
    chosen: dict[int, Site] = {}
    for span_start, span_end in spans:
        index = bisect_right(starts, span_start) - 1
        if index >= 0:
            site = sites[index]
            if span_end <= site[3]:
                chosen[index] = site
    return [chosen[i] for i in sorted(chosen)]


def splice(data: bytes, replacements: list[tuple[Site, bytes]]) -> bytes:
    """``data`` with each site's content replaced and its length digits rewritten.

    ``replacements`` must be in ascending order of position and must not overlap.
    """
    out: list[bytes] = []
    last = 0
    for (_kind, digits, start, end), new in replacements:
        out.append(data[last:digits])
        out.append(str(len(new)).encode())
        out.append(data[start - 2 : start])  # ':"' or ':{'
        out.append(new)
        last = end
    out.append(data[last:])
    return b"".join(out)
