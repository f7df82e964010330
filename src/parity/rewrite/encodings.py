"""The forms a search string takes in each encoding WordPress stores text in.

A URL such as ``https://example.com/?a=1&b=2`` is stored verbatim in most columns, but
also as ``https:\\/\\/example.com\\/?a=1&b=2`` by ``json_encode``, as
``https://example.com/?a=1\\u0026b=2`` in Gutenberg block attributes, and as
``https%3A%2F%2Fexample.com%2F%3Fa%3D1%26b%3D2`` in query strings. Each function here
turns text into one of those forms, so that the search string and its replacement can be
matched and written back in the form they were found in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ENCODINGS",
    "Form",
    "anchor_of",
    "block_escape",
    "forms_of",
    "json_escape",
    "json_escape_minimal",
    "json_literal_like",
    "json_variants",
    "url_encode",
]

#: Encoding families a Rewriter can look for, in priority order.
ENCODINGS: tuple[str, ...] = ("raw", "json", "block", "url")

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}

# Bytes that read the same in every form (JSON, block attributes, rawurlencode and
# urlencode, and JSON nested in JSON).
_SURVIVORS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._")

_RAW_NON_ASCII = re.compile(rb"[\x80-\xff]")

_URL_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


# What json_encode's JSON_HEX_TAG, JSON_HEX_AMP, JSON_HEX_APOS and JSON_HEX_QUOT write.
_HEX_FLAGS = {"<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "'": "\\u0027", '"': "\\u0022"}


def _json_escape(
    text: str, *, slashes: bool, unicode: bool, hex_chars: str = "", upper: bool = False
) -> str:
    out: list[str] = []
    digits = "{:04X}" if upper else "{:04x}"
    for ch in text:
        code = ord(ch)
        if ch in hex_chars:
            out.append(_HEX_FLAGS[ch])
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif code < 0x20:
            out.append("\\u" + digits.format(code))
        elif ch == "/" and slashes:
            out.append("\\/")
        elif code > 0x7F and unicode:
            if code > 0xFFFF:
                code -= 0x10000
                out.append("\\u" + digits.format(0xD800 + (code >> 10)))
                out.append("\\u" + digits.format(0xDC00 + (code & 0x3FF)))
            else:
                out.append("\\u" + digits.format(code))
        else:
            out.append(ch)
    return "".join(out)


def json_escape(text: str, *, slashes: bool = True, unicode: bool = True) -> str:
    """Escape ``text`` as PHP's ``json_encode`` does inside a string literal (no quotes).

    ``slashes=False`` is ``JSON_UNESCAPED_SLASHES``; ``unicode=False`` is
    ``JSON_UNESCAPED_UNICODE``.

    >>> json_escape("https://exämple.com")
    'https:\\\\/\\\\/ex\\\\u00e4mple.com'
    """
    return _json_escape(text, slashes=slashes, unicode=unicode)


def json_variants(text: str) -> set[str]:
    """Every way ``json_encode`` can write ``text`` inside a string literal: each
    combination of ``JSON_UNESCAPED_SLASHES``, ``JSON_UNESCAPED_UNICODE``, ``JSON_HEX_TAG``,
    ``JSON_HEX_AMP``, ``JSON_HEX_APOS`` and ``JSON_HEX_QUOT``, and with upper-case hex
    digits (as other JSON writers use). Only the characters ``text`` holds matter.

    >>> sorted(json_variants("a&b"))
    ['a&b', 'a\\\\u0026b']
    """
    specials = "".join(ch for ch in _HEX_FLAGS if ch in text)
    subsets = [""]
    for ch in specials:
        subsets += [subset + ch for subset in subsets]
    return {
        _json_escape(text, slashes=slashes, unicode=unicode, hex_chars=chars, upper=upper)
        for slashes in (True, False)
        for unicode in (True, False)
        for chars in subsets
        for upper in (False, True)
    }


def json_escape_minimal(text: str) -> str:
    """Escape only what a JSON string literal cannot hold: quotes, backslashes, controls."""
    return _json_escape(text, slashes=False, unicode=False)


def block_escape(text: str) -> str:
    """Escape ``text`` as WordPress does for a Gutenberg block attribute value.

    This is ``serialize_block_attributes()``: ``json_encode`` with unescaped slashes and
    unicode, then ``--``, ``<``, ``>``, ``&`` and ``\\"`` become ``\\u`` escapes.
    """
    escaped = _json_escape(text, slashes=False, unicode=False)
    escaped = escaped.replace("--", "\\u002d\\u002d")
    escaped = escaped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return escaped.replace('\\"', "\\u0022")


def url_encode(text: str, *, upper: bool = True) -> str:
    """Percent-encode every byte outside the unreserved set, as PHP's ``rawurlencode``.

    >>> url_encode("https://a.b", upper=False)
    'https%3a%2f%2fa.b'
    """
    pattern = "%{:02X}" if upper else "%{:02x}"
    return "".join(
        chr(byte) if byte in _URL_SAFE else pattern.format(byte) for byte in text.encode()
    )


# Escapes whose letters say nothing about the hex case of the others: PHP writes these
# three in upper case (\u003C) and every other \u escape in lower case.
_FIXED_CASE = frozenset(("003c", "003e", "002d"))
_UNICODE_ESCAPE = re.compile(rb"\\\\|\\u([0-9a-fA-F]{4})")
_ESCAPE_HEX = re.compile(r"(\\\\)|\\u([0-9a-f]{4})")


def json_literal_like(text: str, like: bytes) -> bytes:
    """``text`` as the inside of a JSON string literal, escaped in the style of ``like``.

    The style is read from the original literal, one feature at a time, so that a literal
    written by ``json_encode`` with any flags is written back as it would have written
    it: ``\\uXXXX`` for non-ASCII unless it held raw UTF-8 (in upper-case hex if it used
    that), ``\\/`` if it escaped slashes, and ``<``, ``>``, ``&``, ``'``, ``"`` and ``--``
    as ``\\u`` escapes if it escaped them (``JSON_HEX_*`` and block attributes).
    """
    unicode = _RAW_NON_ASCII.search(like) is None
    body = json.dumps(text, ensure_ascii=unicode)[1:-1]
    if b"\\/" in like:
        body = body.replace("/", "\\/")
    if b"\\u" not in like:
        return body.encode()
    found: dict[str, str] = {}
    for match in _UNICODE_ESCAPE.finditer(like):
        if match.group(1) is not None:
            written = match.group(1).decode()
            found.setdefault(written.lower(), written)
    if any(low != high and low not in _FIXED_CASE for low, high in found.items()):
        body = _ESCAPE_HEX.sub(lambda m: m.group(1) or "\\u" + m.group(2).upper(), body)
    # JSON_HEX_TAG escapes both < and >; block attributes (\u002d) all five characters.
    block = "002d" in found
    if block:
        body = body.replace("--", 2 * ("\\u" + found["002d"]))
    if block or "003c" in found or "003e" in found:
        tag = found.get("003c", "") + found.get("003e", "")
        upper = any(c in tag for c in "CE")
        body = body.replace("<", "\\u003C" if upper else "\\u003c")
        body = body.replace(">", "\\u003E" if upper else "\\u003e")
    if block or "0026" in found:
        body = body.replace("&", "\\u0026")
    if "0027" in found:
        body = body.replace("'", "\\u0027")
    if block or "0022" in found:
        body = body.replace('\\"', "\\u0022")
    return body.encode()


@dataclass(frozen=True, slots=True)
class Form:
    """One encoded form of a search string and of its replacement."""

    encoding: str  # the name reported: raw, json, block, url
    search: bytes
    replace: bytes
    # The replacement to write when this form is found inside a JSON string literal:
    # the raw form must then still be a valid JSON string.
    replace_in_json: bytes


def _make(encoding: str, fn: Callable[[str], str], search: str, replace: str) -> Form:
    new = fn(replace)
    in_json = json_escape_minimal(new) if encoding == "raw" else new
    return Form(encoding, fn(search).encode(), new.encode(), in_json.encode())


def forms_of(search: str, replace: str, encodings: tuple[str, ...] = ENCODINGS) -> list[Form]:
    """Every distinct form of one pair in the requested encoding families.

    Forms whose search bytes equal an earlier form's are dropped, so a plain ASCII host
    name that reads the same in every encoding is found (and counted) once, as ``raw``.
    The JSON family covers ``json_encode`` with and without ``JSON_UNESCAPED_SLASHES``
    and ``JSON_UNESCAPED_UNICODE``; the URL family covers upper and lower case hex.
    """
    makers: list[tuple[str, Callable[[str], str]]] = []
    for family in encodings:
        if family == "raw":
            makers.append(("raw", lambda t: t))
        elif family == "json":
            makers.append(("json", lambda t: json_escape(t)))
            makers.append(("json", lambda t: json_escape(t, slashes=False)))
            makers.append(("json", lambda t: json_escape(t, unicode=False)))
        elif family == "block":
            makers.append(("block", block_escape))
        elif family == "url":
            makers.append(("url", lambda t: url_encode(t, upper=True)))
            makers.append(("url", lambda t: url_encode(t, upper=False)))
        else:
            raise ValueError(f"unknown encoding {family!r}; known: {', '.join(ENCODINGS)}")
    forms: list[Form] = []
    seen: set[bytes] = set()
    for name, fn in makers:
        form = _make(name, fn, search, replace)
        if form.search not in seen:
            seen.add(form.search)
            forms.append(form)
    return forms


def anchor_of(search: bytes) -> bytes:
    """The longest run of ``search`` that reads the same in every form and nesting.

    If a value holds no anchor of any pair, it holds no occurrence in any encoding, so the
    rewriter can return it after a plain memory scan. Runs never contain ``--`` (block
    attributes escape it). Returns ``b""`` when no byte of ``search`` is such a survivor.
    """
    best = b""
    run_start = 0
    n = len(search)
    for i in range(n + 1):
        if i < n and _survives(search, i):
            continue
        if i - run_start > len(best):
            best = search[run_start:i]
        run_start = i + 1
    return best


def _survives(search: bytes, i: int) -> bool:
    byte = search[i]
    if byte not in _SURVIVORS:
        return False
    if byte != 0x2D:
        return True
    # block attributes escape "--", so a dash next to a dash may not read the same.
    before = i > 0 and search[i - 1] == 0x2D
    after = i + 1 < len(search) and search[i + 1] == 0x2D
    return not (before or after)
