"""`content import --check-duplicates`: is a new article a near-copy of an existing post?

At the run's start the environment's posts (published, pending, draft, scheduled,
private: where ``content duplicates`` looks) are indexed once with
:class:`~parity.content.duplicates.DuplicateIndex` (MinHash LSH over the same word
shingles, the same threshold). Each article the run is about to create is checked
against that index while its batch is planned; with ``hold`` the near-copies are created
``pending`` whatever ``--status`` says. Articles are compared with the posts that existed
when the run started, not with each other.

datasketch and scikit-learn load only when a check is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parity.content.importer.postdata import PostData

if TYPE_CHECKING:
    from parity.content.duplicates import DuplicateIndex, DuplicateMatch
    from parity.targets.database import Database

__all__ = ["DuplicateCheck", "NearDuplicate"]

#: Near-copies listed in a run's summary (the count covers them all).
_LISTED = 100


@dataclass(frozen=True)
class NearDuplicate:
    """A new article and the existing posts it nearly duplicates."""

    source_id: str
    label: str
    held: bool
    matches: tuple[DuplicateMatch, ...]


class DuplicateCheck:
    """Checks new articles against the posts an environment held at the run's start."""

    def __init__(self, db: Database, *, hold: bool, threshold: float | None = None) -> None:
        self.db = db
        self.hold = hold
        self.threshold = threshold
        self.found: list[NearDuplicate] = []
        self.titles: dict[int, str] = {}
        self._index: DuplicateIndex | None = None

    def start(self) -> int:
        """Index the environment's posts; returns how many."""
        # datasketch and scikit-learn load slowly: only runs that check import them.
        from parity.content.duplicates import DEFAULT_THRESHOLD, DuplicateIndex
        from parity.content.similar_service import LIVE_STATUSES, read_posts

        posts = read_posts(self.db, LIVE_STATUSES)
        self.titles = {p.post_id: p.title for p in posts}
        self._index = DuplicateIndex(
            [p.text() for p in posts], threshold=self.threshold or DEFAULT_THRESHOLD
        )
        return len(posts)

    def check(self, source_id: str, label: str, post: PostData) -> NearDuplicate | None:
        """The posts ``post`` nearly duplicates (None when none); recorded for the report."""
        if self._index is None:
            raise RuntimeError("DuplicateCheck.start() was not called")
        from parity.content.similar_service import StoredPost

        text = StoredPost(0, post.title, post.content, post.excerpt, "new", post.tags).text()
        matches = self._index.matches(text)
        if not matches:
            return None
        found = NearDuplicate(source_id, label, self.hold, tuple(matches))
        self.found.append(found)
        return found

    def report(self) -> dict[str, Any]:
        """The summary keys: ``near_duplicates`` (listed) and ``near_duplicates_held``."""
        return {
            "near_duplicates": [
                {
                    "source_id": d.source_id,
                    "file": d.label,
                    "held": d.held,
                    "matches": [
                        {
                            "post_id": m.post_id,
                            "title": self.titles.get(m.post_id, ""),
                            "similarity": m.similarity,
                        }
                        for m in d.matches
                    ],
                }
                for d in self.found[:_LISTED]
            ],
            "near_duplicates_found": len(self.found),
            "near_duplicates_held": sum(1 for d in self.found if d.held),
        }
