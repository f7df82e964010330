"""What the seed puts into production, as plain data keyed by stable names (pure).

Every record has a ``key`` that never changes between runs (``article:<source id>``,
``media:<source id>:1``, ``user:maria.keller``, ...): the writer finds the rows it wrote
before by that key and updates them in place, so seeding twice gives the same rows.

Database ids are only known once the writer has matched or allocated them, so text that
needs one (a block's ``wp-image-<id>``, ``_thumbnail_id``, a post's guid) holds a
reference, ``ref(key)``, that ``resolve`` replaces with the id::

    text = f'<img class="wp-image-{ref("media:x:1")}"/>'
    resolve(text, {"media:x:1": 42})    # '<img class="wp-image-42"/>'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "SEED_KEY",
    "SeedComment",
    "SeedOption",
    "SeedPlan",
    "SeedPost",
    "SeedTerm",
    "SeedUser",
    "UploadFile",
    "ref",
    "resolve",
]

#: The meta key (post, comment, term and user meta) that records a row's seed key.
SEED_KEY = "_parity_seed_key"

_REF = re.compile(r"\{\{parity-id:([^{}]+)\}\}")


def ref(key: str) -> str:
    """A placeholder for the database id of the record ``key``."""
    return "{{parity-id:" + key + "}}"


def resolve(text: str, ids: Mapping[str, int]) -> str:
    """``text`` with every ``ref(key)`` replaced by ``ids[key]`` (KeyError if unknown)."""
    if "{{parity-id:" not in text:
        return text
    return _REF.sub(lambda m: str(ids[m.group(1)]), text)


@dataclass(frozen=True)
class SeedUser:
    """A WordPress user; ``key`` is ``user:<login>``."""

    key: str
    login: str
    pass_hash: str
    nicename: str
    email: str
    url: str
    registered: str
    display_name: str
    #: (meta_key, meta_value as stored), e.g. ("wp_capabilities", 'a:1:{s:6:"editor";b:1;}').
    meta: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SeedTerm:
    """A category or tag; ``key`` is ``term:<taxonomy>:<slug>``."""

    key: str
    taxonomy: str
    name: str
    slug: str
    description: str = ""


@dataclass(frozen=True)
class SeedPost:
    """A row of wp_posts (post, page or attachment) with its meta and terms.

    ``author`` and ``parent`` are keys of other records ("" for none); ``content``,
    ``guid`` and meta values may hold ``ref``s.
    """

    key: str
    kind: str  # "article", "page" or "attachment": how the result counts it
    post_type: str
    status: str
    author: str
    date: str
    title: str
    name: str
    content: str = ""
    excerpt: str = ""
    parent: str = ""
    guid: str = ""
    mime_type: str = ""
    comment_status: str = "open"
    ping_status: str = "open"
    menu_order: int = 0
    meta: tuple[tuple[str, str], ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedComment:
    """A comment; ``post``, ``parent`` and ``user`` are keys ("" for none)."""

    key: str
    post: str
    author: str
    email: str
    url: str
    ip: str
    date: str
    content: str
    approved: str
    agent: str
    parent: str = ""
    user: str = ""


@dataclass(frozen=True)
class SeedOption:
    """A row of wp_options."""

    name: str
    value: str
    autoload: str = "yes"

    @property
    def is_transient(self) -> bool:
        """Whether WordPress treats it as a transient (or a transient's timeout)."""
        return self.name.startswith(("_transient_", "_site_transient_"))


@dataclass(frozen=True)
class UploadFile:
    """A file under production's wp-content/uploads."""

    path: str
    data: bytes


@dataclass(frozen=True)
class SeedPlan:
    """Everything one seed run wants production to hold."""

    url: str
    users: tuple[SeedUser, ...]
    terms: tuple[SeedTerm, ...]
    posts: tuple[SeedPost, ...]
    comments: tuple[SeedComment, ...]
    options: tuple[SeedOption, ...]
    files: tuple[UploadFile, ...] = field(default=(), repr=False)

    def post(self, key: str) -> SeedPost:
        """The post called ``key`` (KeyError when there is none)."""
        for post in self.posts:
            if post.key == key:
                return post
        raise KeyError(key)
