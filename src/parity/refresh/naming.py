"""Names of the tables a refresh makes next to the target's live tables.

* ``_pn_<table>``: the shadow (new) table being filled; at most one refresh per target
  runs, so one name is enough, and any ``_pn_`` table of the target's prefix found when no
  refresh runs is a leftover of a dead run.
* ``_po<token>_<table>``: the previous table kept as a rollback point of the refresh
  whose token it is (several can be kept, see ``retention``).
* ``_pd<token>_<table>``: a table on its way out (after a rollback), dropped right away;
  one found later is a leftover.

MySQL allows 64 characters: a name that would be longer keeps its first characters and
ends with a hash of the whole name, so it stays unique and still starts with the table
prefix. Pure code.

>>> shadow_name("wp_posts")
'_pn_wp_posts'
>>> backup_name("wp_posts", "k3x9")
'_pok3x9_wp_posts'
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string

__all__ = [
    "MAX_NAME",
    "backup_name",
    "is_leftover",
    "new_token",
    "shadow_name",
    "trash_name",
]

MAX_NAME = 64
_TOKEN_ALPHABET = string.digits + string.ascii_lowercase
_TOKEN = re.compile(r"^[0-9a-z]{4}$")


def new_token() -> str:
    """A random 4-character token naming one refresh's rollback point."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(4))


def _fit(head: str, table: str) -> str:
    name = head + table
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(table.encode()).hexdigest()[:8]
    keep = MAX_NAME - len(head) - 1 - len(digest)
    return f"{head}{table[:keep]}_{digest}"


def shadow_name(table: str) -> str:
    """The shadow table that receives the new copy of ``table``."""
    return _fit("_pn_", table)


def backup_name(table: str, token: str) -> str:
    """The rollback-point table of ``table`` for the refresh with ``token``."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"bad rollback token {token!r}")
    return _fit(f"_po{token}_", table)


def trash_name(table: str, token: str) -> str:
    """The name ``table`` gets just before it is dropped (during a rollback)."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"bad rollback token {token!r}")
    return _fit(f"_pd{token}_", table)


_LEFTOVER = re.compile(r"^(?:_pn_|_pd[0-9a-z]{4}_)")


def is_leftover(name: str, prefixes: tuple[str, ...]) -> bool:
    """True for a shadow or trash table whose live name starts with one of ``prefixes``.

    Rollback points (``_po``) are never leftovers: the state store says which are kept.

    >>> is_leftover("_pn_wp_posts", ("wp_",)), is_leftover("_pn_other_posts", ("wp_",))
    (True, False)
    """
    match = _LEFTOVER.match(name)
    if match is None:
        return False
    rest = name[match.end() :]
    return any(rest.startswith(prefix) for prefix in prefixes)
