"""The regular expressions behind cache rules, shared by the evaluator and both renderers.

One function builds each regex; ``parity cache test`` evaluates the very same regex that
ends up in the VCL (``req.url ~ "..."``) and in the nginx ``map`` blocks, so the offline
verdict and the rendered configuration cannot drift apart. The regexes use only syntax
that Python's ``re``, PCRE2 (Varnish) and PCRE (nginx) read alike.

The allowed characters of each kind of value are checked when a rule is loaded: they keep
the rendered files valid (no quote, backslash, brace or ``$`` reaches VCL or nginx) and
make every name an exact literal.

    >>> path_regex(["/wp-admin", "/wp-admin/*"])
    '^(?:/wp-admin|/wp-admin/[^?]*)(?:\\\\?.*)?$'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "CACHE_CONTROL_DIRECTIVE",
    "COOKIE_PREFIX",
    "HEADER_NAME",
    "METHOD",
    "PATH_PATTERN",
    "QUERY_PARAMETER",
    "RULE_NAME",
    "cache_control_directive_regex",
    "cache_control_regex",
    "compiled",
    "cookie_regex",
    "glob_covers",
    "path_regex",
    "query_regex",
]

# A path pattern: "/" or "*" first, then RFC 3986 path characters and "*" (no "?", "$").
PATH_PATTERN = re.compile(r"^[/*][A-Za-z0-9\-._~!&'()*+,;=:@/%]*$")
# The start of a cookie name (a subset of RFC 6265 token characters).
COOKIE_PREFIX = re.compile(r"^[A-Za-z0-9_.\-]+$")
# A query parameter: ``name`` or ``name=value``, raw (as sent, not percent-decoded).
QUERY_PARAMETER = re.compile(r"^[A-Za-z0-9_.\-\[\]%]+(=[A-Za-z0-9_.\-~%+:,/]*)?$")
# A request or response header name; no "_" (nginx drops such headers by default).
HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]*$")
METHOD = re.compile(r"^[A-Z]+$")
CACHE_CONTROL_DIRECTIVE = re.compile(r"^[a-z][a-z0-9\-]*$")
RULE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")

_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")


def _escape(text: str) -> str:
    """Escape regex metacharacters (only those: PCRE and nginx read the rest literally)."""
    return _SPECIAL.sub(r"\\\1", text)


def _glob(pattern: str) -> str:
    # "*" never crosses into the query string: the regex runs on path + query.
    return "[^?]*".join(_escape(part) for part in pattern.split("*"))


def path_regex(patterns: Iterable[str]) -> str:
    """A regex matching a request target (path plus optional ``?query``) against globs.

    A pattern matches the whole path; ``*`` stands for any run of characters, ``/``
    included; everything else is literal. An empty list gives a regex that never matches.
    """
    alternatives = [_glob(p) for p in patterns]
    if not alternatives:
        return "(?!)"
    return "^(?:" + "|".join(alternatives) + r")(?:\?.*)?$"


def cookie_regex(prefixes: Iterable[str]) -> str:
    """A regex finding, in a ``Cookie`` header, a cookie whose name starts with a prefix."""
    names = "|".join(_escape(p) for p in prefixes)
    return r"(?:^|;)\s*(?:" + names + r")[^=;]*(?:=|;|$)"


def query_regex(parameters: Iterable[str]) -> str:
    """A regex finding a query parameter (``name``: any value; ``name=value``: that value)."""
    parts = []
    for parameter in parameters:
        if "=" in parameter:
            parts.append(_escape(parameter) + "(?:&|$)")
        else:
            parts.append(_escape(parameter) + "(?:=|&|$)")
    return r"[?&](?:" + "|".join(parts) + ")"


def cache_control_directive_regex(directives: Iterable[str]) -> str:
    """The part of ``cache_control_regex`` after the start of a directive."""
    names = "|".join(_escape(d) for d in directives)
    return r"\s*(?:" + names + r")\s*(?:=|,|$)"


def cache_control_regex(directives: Iterable[str]) -> str:
    """A case-insensitive regex finding any of ``directives`` in a Cache-Control value."""
    return "(?i)(?:^|,)" + cache_control_directive_regex(directives)


@lru_cache(maxsize=512)
def compiled(regex: str) -> re.Pattern[str]:
    """The compiled form of one of the regexes above (cached)."""
    return re.compile(regex)


def glob_covers(broad: str, narrow: str) -> bool:
    """True when every path matched by glob ``narrow`` is also matched by glob ``broad``.

    Sound but not complete: a ``*`` of ``narrow`` must be absorbed by a ``*`` of
    ``broad``, so a True answer is always right, and a rare False may be too cautious.

    >>> glob_covers("/wp-admin/*", "/wp-admin/*.php")
    True
    >>> glob_covers("/wp-admin/*.php", "/wp-admin/*")
    False
    """
    return _covers(broad, narrow)


@lru_cache(maxsize=4096)
def _covers(broad: str, narrow: str) -> bool:
    rows, cols = len(broad), len(narrow)
    # reach[i][j]: broad[:i] can match narrow[:j] (narrow's "*" only by broad's "*").
    reach = [[False] * (cols + 1) for _ in range(rows + 1)]
    reach[0][0] = True
    for i in range(1, rows + 1):
        star = broad[i - 1] == "*"
        for j in range(cols + 1):
            if star:
                reach[i][j] = reach[i - 1][j] or (j > 0 and reach[i][j - 1])
            elif j > 0 and narrow[j - 1] != "*" and broad[i - 1] == narrow[j - 1]:
                reach[i][j] = reach[i - 1][j - 1]
    return reach[rows][cols]
