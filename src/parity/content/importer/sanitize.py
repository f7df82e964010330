"""Sanitizing imported text the way WordPress would before it is stored (pure).

``sanitize_text`` keeps one clean line (no tags, no control characters, single spaces),
like ``sanitize_text_field()`` but without dropping ``%xx`` sequences, which real text
("a 50%ab split") may contain. ``sanitize_url`` keeps http(s) URLs only, like
``esc_url_raw()``. ``slugify`` makes a term or post slug like ``sanitize_title()``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

__all__ = ["sanitize_text", "sanitize_url", "slugify"]

_SCRIPT = re.compile(r"<(script|style)[^>]*?>.*?</\1>", re.I | re.S)
_TAG = re.compile(r"</?[A-Za-z!][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"[\r\n\t ]+")
_NEEDS_WORK = re.compile(r"[<\x00-\x1f\x7f]|  ")
_URL_JUNK = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]")
_SLUG_DROP = re.compile(r"[^%a-z0-9 _-]")
_HTTP = re.compile(r"https?://[^/]", re.I)
_SLUG_SPACE = re.compile(r"\s+")
_SLUG_DASHES = re.compile(r"-+")


def sanitize_text(value: str) -> str:
    """One clean line of text.

    >>> sanitize_text("  <b>cache</b>\\theaders\\n ")
    'cache headers'
    """
    if _NEEDS_WORK.search(value) is None:
        return value.strip()  # the usual case: nothing to clean
    text = _SCRIPT.sub("", value)
    text = _TAG.sub("", text)
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


def sanitize_url(value: str) -> str:
    """The URL if it is http(s), without characters a URL may not hold; else ``""``.

    >>> sanitize_url("https://images.example/p.jpg?w=1200&q=80")
    'https://images.example/p.jpg?w=1200&q=80'
    >>> sanitize_url("javascript:alert(1)")
    ''
    """
    url = _URL_JUNK.sub("", value.strip())
    if not _HTTP.match(url):
        return ""
    return url


def slugify(value: str) -> str:
    """A slug: lower case, accents removed, words joined by ``-``; other letters encoded.

    >>> slugify("Python Services")
    'python-services'
    >>> slugify("Crème brûlée.js")
    'creme-brulee-js'
    """
    text = sanitize_text(value)
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    text = text.lower().replace(".", "-")
    # Letters that have no ASCII form are kept percent-encoded, as WordPress does.
    text = "".join(char if char.isascii() else quote(char).lower() for char in text)
    text = _SLUG_DROP.sub("", text)
    text = _SLUG_SPACE.sub("-", text)
    return _SLUG_DASHES.sub("-", text).strip("-")
