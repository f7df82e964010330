"""The interface both import paths implement: write, trash, delete and restore posts.

``DirectWriter`` (direct.py) writes with bulk SQL, one transaction per batch;
``WordPressWriter`` (through_wordpress.py) calls WordPress's own functions through
php-cli, so plugins' hooks run. Both receive the same :class:`PostData`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from parity.content.importer.postdata import PostData

__all__ = ["NewPost", "Outcome", "PostUpdate", "PostWriter", "Snapshot"]

#: The undo data of an updated post, as ``WordPressState.snapshots`` reads it.
Snapshot = dict[str, Any]


@dataclass(frozen=True)
class NewPost:
    """A post to create."""

    post: PostData
    status: str
    noindex: bool


@dataclass(frozen=True)
class PostUpdate:
    """New text and meta for an existing post (its status is left as it is)."""

    post_id: int
    post: PostData
    noindex: bool
    published: bool


@dataclass(frozen=True)
class Outcome:
    """How writing one post went."""

    post_id: int | None
    ok: bool
    error: str | None = None


class PostWriter(Protocol):
    """Writes posts to one environment."""

    #: "direct" or "wordpress", recorded with the run.
    path: str

    def create(self, posts: Sequence[NewPost], run_id: int) -> list[Outcome]:
        """Create the posts; one outcome (with the new id) per post, in order."""
        ...

    def update(self, updates: Sequence[PostUpdate], run_id: int) -> list[Outcome]:
        """Replace text, owned meta and tags of existing posts."""
        ...

    def trash(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Move posts to the trash (WordPress can restore them from there)."""
        ...

    def untrash(self, posts: Sequence[tuple[int, str]]) -> list[Outcome]:
        """Take posts out of the trash, back to the given status."""
        ...

    def delete(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Delete posts for good, with their meta, tags, revisions and comments."""
        ...

    def restore(self, snapshots: Sequence[Snapshot]) -> list[Outcome]:
        """Put back the text, owned meta and tags a snapshot recorded."""
        ...

    def close(self) -> None:
        """Release the connection or process."""
        ...
