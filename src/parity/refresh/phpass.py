"""WordPress password hashes (phpass "portable" ``$P$``), made in Python.

WordPress 6.x checks ``wp_users.user_pass`` with ``PasswordHash::CheckPassword``: a
``$P$`` hash is ``$P$``, one character giving log2 of the iteration count, an 8-character
salt, then 22 characters of MD5 stretched that many times, in phpass's own base64
alphabet. WordPress itself writes such hashes with 2^13 iterations (``$P$B``); so does
this module. Pure code; a test checks the result with WordPress's class-phpass.php.

>>> h = portable_hash("correct horse", salt="abcdefgh")
>>> h[:12], len(h)
('$P$Babcdefgh', 34)
>>> check_portable_hash("correct horse", h)
True
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["check_portable_hash", "portable_hash", "salt_for"]

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LOG2_ITERATIONS = 13  # what WordPress uses: PasswordHash(8, true) gives 8 + 5


def _encode64(data: bytes, count: int) -> str:
    """phpass's base64: little-endian 6-bit groups in the ./0-9A-Za-z alphabet."""
    out: list[str] = []
    i = 0
    while True:
        value = data[i]
        i += 1
        out.append(_ITOA64[value & 0x3F])
        if i < count:
            value |= data[i] << 8
        out.append(_ITOA64[(value >> 6) & 0x3F])
        if i >= count:
            break
        i += 1
        if i < count:
            value |= data[i] << 16
        out.append(_ITOA64[(value >> 12) & 0x3F])
        if i >= count:
            break
        i += 1
        out.append(_ITOA64[(value >> 18) & 0x3F])
        if i >= count:
            break
    return "".join(out)


def salt_for(*parts: str) -> str:
    """A deterministic 8-character salt from ``parts`` (same parts, same salt)."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return _encode64(digest[:6], 6)


def _crypt(password: bytes, setting: str) -> str:
    log2 = _ITOA64.index(setting[3])
    salt = setting[4:12].encode()
    digest = hashlib.md5(salt + password).digest()
    for _ in range(1 << log2):
        digest = hashlib.md5(digest + password).digest()
    return setting[:12] + _encode64(digest, 16)


def portable_hash(password: str, *, salt: str) -> str:
    """The ``$P$`` hash of ``password`` with the 8-character ``salt`` (from the phpass alphabet)."""
    if len(salt) != 8 or any(ch not in _ITOA64 for ch in salt):
        raise ValueError("salt must be 8 characters of ./0-9A-Za-z")
    setting = "$P$" + _ITOA64[_LOG2_ITERATIONS] + salt
    return _crypt(password.encode(), setting)


def check_portable_hash(password: str, stored: str) -> bool:
    """True when ``stored`` is a ``$P$``/``$H$`` hash of ``password`` (as phpass checks)."""
    if len(stored) != 34 or stored[:3] not in ("$P$", "$H$") or stored[3] not in _ITOA64:
        return False
    log2 = _ITOA64.index(stored[3])
    if log2 < 7 or log2 > 30:
        return False
    return hmac.compare_digest(_crypt(password.encode(), stored[:12]), stored)
