"""The forms a search string takes in each encoding WordPress stores text in.

A URL such as ``https://example.com/?a=1&b=2`` is stored verbatim in most columns, but
also as ``https:\\/\\/example.com\\/?a=1&b=2`` by ``json_encode``, as
``https://example.com/?a=1\\u0026b=2`` in Gutenberg block attributes, and as
``https%3A%2F%2Fexample.com%2F%3Fa%3D1%26b%3D2`` in query strings. Each function here
turns text into one of those forms, so that the search string and its replacement can be
matched and written back in the form they were found in.
"""

from __future__ import annotations

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

_URL_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _json_escape(text: str, *, slashes: bool, unicode: bool) -> str:
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif ch == "/" and slashes:
            out.append("\\/")
        elif code > 0x7F and unicode:
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
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
