"""A different table prefix on the target: table names, and the rows that name the prefix.

WordPress stores its table prefix inside some rows: the ``{prefix}user_roles`` option and
usermeta keys such as ``{prefix}capabilities``, ``{prefix}user_level`` and
``{prefix}user-settings``. With ``wp_`` on production and ``stg_`` on staging, those rows
must read ``stg_...`` on staging or every user loses their role. Multisite sub-sites add
the blog id (``wp_2_user_roles``, ``wp_2_capabilities``); the same mapping covers them.
Pure code.

>>> m = PrefixMapper("wp_", "stg_")
>>> m.table("wp_posts"), m.option_name(b"wp_user_roles"), m.meta_key(b"wp_capabilities")
('stg_posts', b'stg_user_roles', b'stg_capabilities')
"""

from __future__ import annotations

import re

__all__ = ["PrefixMapper", "logical_name"]

_BLOG_ID = re.compile(r"^\d+_")


def logical_name(table: str, prefix: str) -> str | None:
    """``table`` without the prefix (and a multisite blog id), or None if not under it.

    >>> logical_name("wp_postmeta", "wp_"), logical_name("wp_3_postmeta", "wp_")
    ('postmeta', 'postmeta')
    """
    if not table.startswith(prefix):
        return None
    rest = table[len(prefix) :]
    return _BLOG_ID.sub("", rest, count=1) or rest


class PrefixMapper:
    """Maps names from the source prefix to the target prefix (identity when equal)."""

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        self.active = source != target
        self._src = source.encode()
        self._dst = target.encode()
        self._roles = re.compile(re.escape(self._src) + rb"(\d+_)?user_roles")

    def table(self, name: str) -> str:
        """The target's name for source table ``name`` (tables outside the prefix keep theirs)."""
        if self.active and name.startswith(self.source):
            return self.target + name[len(self.source) :]
        return name

    def option_name(self, name: bytes) -> bytes:
        """``{source}user_roles`` (and ``{source}<blog>_user_roles``) under the target prefix."""
        if self.active and self._roles.fullmatch(name):
            return self._dst + name[len(self._src) :]
        return name

    def meta_key(self, key: bytes) -> bytes:
        """A usermeta key that starts with the source prefix, under the target prefix."""
        if self.active and key.startswith(self._src):
            return self._dst + key[len(self._src) :]
        return key
