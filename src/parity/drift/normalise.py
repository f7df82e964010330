"""Make two environments' values comparable: own URL -> placeholder, volatile -> mask.

Pure code. Everything a snapshot stores passes through here, so this is also where
secrets are kept out of snapshots: secret option values and secret-looking keys inside
structures become ``"<secret>"``, e-mail addresses become ``"<email>"``.

>>> n = Normaliser("http://127.0.0.1:8081")
>>> n.text("see http://127.0.0.1:8081/wp-admin/ or 127.0.0.1:8081")
'see {site}/wp-admin/ or {host}'
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import JsonValue

from parity.drift.comparable import Comparable, TooDeep, decode_value

__all__ = [
    "EMAIL",
    "MAX_DEPTH",
    "SECRET",
    "SITE",
    "VOLATILE",
    "Normaliser",
    "glob_match",
    "is_secret_key",
    "looks_secret",
]

#: Placeholders.
SITE = "{site}"
HOST = "{host}"
EMAIL = "<email>"
SECRET = "<secret>"
VOLATILE = "<volatile>"
TIMESTAMP = "<timestamp>"
DATETIME = "<datetime>"

#: Structures deeper than this are stored as a digest (JSON and pydantic stay safe).
MAX_DEPTH = 48

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Unix times between 2001-09-09 and 2100: a settings number this large is a timestamp.
_UNIX_MIN, _UNIX_MAX = 1_000_000_000, 4_102_444_800
_UNIX_TEXT = re.compile(r"^\d{10}(?:\.\d+)?$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_SECRET_KEY = re.compile(
    r"(?:^|[_-])pass(?:wd)?$|password|^pwd$|secret|token|api_?key|private_?key|licen[cs]e_?key"
    r"|salt|nonce"
    r"|auth_?key|credential|session"
    # any "*_key" / "key" (stripe_key, site-key), "auth" as a word (auth, basic_auth,
    # auth_header), authorization, bearer, signature, cookie
    r"|(?:^|[_\-.])key$|(?:^|[_\-.])auth(?:[_\-.]|$)|authori[sz]ation|bearer|signature|cookie",
    re.IGNORECASE,
)
# camelCase keys: apiKey, accessKey, basicAuth.
_SECRET_KEY_CAMEL = re.compile(r"[a-z0-9](?:Key|Auth)$")
# Values shaped like live credentials, wherever they appear in a text.
_SECRET_SHAPES = re.compile(
    r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}"  # Stripe secret and restricted keys
    r"|whsec_[0-9A-Za-z]{16,}"  # Stripe webhook secrets
    r"|(?<![0-9A-Z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])"  # AWS access key ids
    r"|gh[pousr]_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{30,}"  # GitHub tokens
    r"|glpat-[0-9A-Za-z_\-]{20,}"  # GitLab tokens
    r"|xox[abposr]-[0-9A-Za-z\-]{10,}"  # Slack tokens
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API keys
    r"|SG\.[0-9A-Za-z_\-]{16,}\.[0-9A-Za-z_\-]{16,}"  # SendGrid keys
    r"|(?<![0-9a-f])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9])"  # Mailchimp keys
    r"|eyJ[0-9A-Za-z_\-]{8,}\.eyJ[0-9A-Za-z_\-]{8,}\.[0-9A-Za-z_\-]{8,}"  # JWTs
    r"|-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"  # PEM private keys
    r"|AccountKey=[0-9A-Za-z+/=]{20,}"  # Azure storage connection strings
)
# A whole value that is one long token: base64/base62/hex alphabet, no spaces or dots.
_TOKEN_VALUE = re.compile(r"[A-Za-z0-9+/=_\-]{32,512}")
_HEX_VALUE = re.compile(r"[0-9a-fA-F]{32,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_LENGTHS = re.compile(rb"s:\d+:")


def is_secret_key(key: str) -> bool:
    """Whether a structure key (or option name) names a secret.

    >>> is_secret_key("api_key"), is_secret_key("smtp_password"), is_secret_key("color")
    (True, True, False)
    >>> is_secret_key("stripe_key"), is_secret_key("auth"), is_secret_key("author")
    (True, True, False)
    """
    return _SECRET_KEY.search(key) is not None or _SECRET_KEY_CAMEL.search(key) is not None


def _entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_secret(value: str) -> bool:
    """Whether a text value is shaped like a credential, whatever key or option holds it.

    True for known live-key shapes anywhere in the text (Stripe ``sk_live_``/``rk_live_``,
    AWS ``AKIA...``, GitHub ``ghp_``, Slack ``xox*-``, Google ``AIza``, JWTs, PEM private
    key blocks, ...), and for a whole value that is one long random-looking token: 32+
    hex digits (or a UUID), or 32+ characters of a base64/base62 alphabet with upper
    case, lower case and digits and a high entropy. Slugs, paths, URLs and words are not.

    >>> looks_secret("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc")
    True
    >>> looks_secret("twentytwentyfour-child-theme-settings-2024"), looks_secret("hello")
    (False, False)
    """
    if _SECRET_SHAPES.search(value):
        return True
    text = value.strip()
    if len(text) < 32 or not _TOKEN_VALUE.fullmatch(text):
        return False
    if _HEX_VALUE.fullmatch(text):
        return True
    mixed = (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    )
    return mixed and _entropy(text) >= 4.0


def glob_match(pattern: str, text: str) -> bool:
    """Shell-style match with only ``*`` and ``?`` special (``[`` is literal).

    >>> glob_match("akismet_*", "akismet_strictness"), glob_match("a?c", "a[c")
    (True, True)
    """
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def any_match(patterns: Iterable[str], text: str) -> bool:
    """Whether any of ``patterns`` matches ``text`` (see :func:`glob_match`)."""
    return any(glob_match(p, text) for p in patterns)


def _host_pattern(host: str) -> re.Pattern[str]:
    # A host counts only as a whole host name: "example.com" is not in "cdn.example.com".
    return re.compile(
        r"(?<![A-Za-z0-9.\-])" + re.escape(host) + r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])",
        re.IGNORECASE,
    )


class Normaliser:
    """Turns one environment's values into environment-independent ones."""

    def __init__(self, url: str, extra_hosts: Sequence[str] = (), *, mask_times: bool = True):
        parts = urlsplit(url)
        hosts = [parts.netloc, *extra_hosts]
        self._site: list[re.Pattern[str]] = []
        self._hosts: list[re.Pattern[str]] = []
        for host in sorted({h.lower() for h in hosts if h}, key=len, reverse=True):
            h = re.escape(host)
            # http(s)://host, JSON-escaped http:\/\/host, URL-encoded http%3A%2F%2Fhost,
            # and scheme-less //host, each only where the host ends.
            tail = r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9]|:\d)"
            self._site.append(
                re.compile(
                    r"(?:https?:)?(?://|\\/\\/)" + h + tail + r"|https?%3A%2F%2F" + h + tail,
                    re.IGNORECASE,
                )
            )
            self._hosts.append(_host_pattern(host))
        self.mask_times = mask_times

    def text(self, value: str) -> str:
        """Own URLs -> ``{site}``, own hosts -> ``{host}``, e-mail addresses -> ``<email>``."""
        if "@" in value:
            value = _EMAIL.sub(EMAIL, value)
        for pattern in self._site:
            value = pattern.sub(SITE, value)
        for pattern in self._hosts:
            value = pattern.sub(HOST, value)
        return value

    def scalar(self, value: str | int | float | bool | None) -> JsonValue:
        """One scalar made comparable: text normalised, timestamps masked."""
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            if self.mask_times and _UNIX_MIN <= value <= _UNIX_MAX:
                return TIMESTAMP
            return value
        if isinstance(value, float):
            if math.isnan(value):
                return "NAN"
            if math.isinf(value):
                return "INF" if value > 0 else "-INF"
            if self.mask_times and _UNIX_MIN <= value <= _UNIX_MAX:
                return TIMESTAMP
            return value
        if self.mask_times:
            if _UNIX_TEXT.match(value) and _UNIX_MIN <= float(value) <= _UNIX_MAX:
                return TIMESTAMP
            if _DATETIME.match(value) and not value.startswith("0000"):
                return DATETIME
        return self.text(value)

    def value(self, raw: str) -> JsonValue:
        """A stored text value (an option, a meta value) as a comparable structure.

        Serialized PHP and JSON objects/arrays are decoded, also when nested inside each
        other; keys that name secrets get ``<secret>``; structures nested deeper than
        :data:`MAX_DEPTH` become a digest.
        """
        return self.structure(self._decode(raw))

    def structure(self, top: Comparable | JsonValue) -> JsonValue:
        """Normalise an already decoded structure (iteratively: any depth is safe)."""
        holder: list[JsonValue] = [None]
        # Work items: (source value, container to put the result in, key or index, depth).
        work: list[tuple[Any, Any, Any, int]] = [(top, holder, 0, 0)]
        while work:
            source, target, slot, depth = work.pop()
            if isinstance(source, str) and depth < MAX_DEPTH:
                decoded = self._decode(source)
                if decoded is not source:
                    source = decoded
            if isinstance(source, TooDeep) or (
                isinstance(source, dict | list) and depth >= MAX_DEPTH
            ):
                target[slot] = self._digest(source)
            elif isinstance(source, dict):
                out: dict[str, JsonValue] = {}
                target[slot] = out
                for key, item in source.items():
                    name = str(key)
                    if is_secret_key(name) and item not in (None, "", False):
                        out[name] = SECRET
                        continue
                    out[name] = None
                    work.append((item, out, name, depth + 1))
            elif isinstance(source, list):
                items: list[JsonValue] = [None] * len(source)
                target[slot] = items
                for index, item in enumerate(source):
                    work.append((item, items, index, depth + 1))
            elif isinstance(source, str) and looks_secret(source):
                target[slot] = SECRET
            else:
                target[slot] = self.scalar(source)
        return holder[0]

    def _decode(self, raw: str) -> Any:
        """The structure inside ``raw`` (serialized PHP or JSON), or ``raw`` itself."""
        if len(raw) < 2:
            return raw
        ok, value = decode_value(raw, max_depth=MAX_DEPTH)
        if ok:
            return value
        first = raw.lstrip()[:1]
        if first in ("{", "["):
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):
                return raw
            if isinstance(parsed, dict | list):
                return parsed
        return raw

    def _digest(self, value: Any) -> str:
        raw = value.raw if isinstance(value, TooDeep) else _canonical(value).encode()
        # Lengths change with the URL; normalise the text and drop them before hashing.
        text = self.text(_LENGTHS.sub(b"", raw).decode("utf-8", errors="replace"))
        return "<nested: sha256 " + hashlib.sha256(text.encode()).hexdigest()[:16] + ">"


def _canonical(value: Any) -> str:
    """A canonical text of a decoded structure, built without recursion."""
    out: list[str] = []
    work: list[Any] = [value]
    while work:
        item = work.pop()
        if isinstance(item, _Token):
            out.append(item.text)
        elif isinstance(item, dict):
            out.append("{")
            work.append(_Token("}"))
            for key in sorted(item, key=str, reverse=True):
                work.append(item[key])
                work.append(_Token(json.dumps(str(key)) + ":"))
        elif isinstance(item, list):
            out.append("[")
            work.append(_Token("]"))
            work.extend(reversed(item))
        elif isinstance(item, TooDeep):
            out.append(item.raw.decode("utf-8", errors="replace"))
        else:
            out.append(json.dumps(item) + ",")
    return "".join(out)


class _Token:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text
