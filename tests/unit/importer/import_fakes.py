"""An in-memory WordPress for the import's logic: its state reads and a writer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.content.importer.postdata import HASH_KEY, RUN_KEY
from parity.content.importer.wordpress_state import LivePost
from parity.content.importer.writer import NewPost, Outcome, PostUpdate


class _Closable:
    def close(self) -> None:
        pass


@dataclass
class FakeWordPress:
    """Posts by id: source id, status, content hash, last run, title."""

    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 100
    db: _Closable = field(default_factory=_Closable)
    fail_after: int | None = None  # the writer raises after this many creates
    path: str = "fake"
    created: int = 0

    # -- WordPressState ------------------------------------------------------------
    def live_posts(self, *, with_meta: bool = True) -> dict[str, list[LivePost]]:
        live: dict[str, list[LivePost]] = {}
        for post_id, post in sorted(self.posts.items()):
            if post["status"] != "trash":
                live.setdefault(post["source"], []).append(
                    LivePost(
                        post_id,
                        post["status"],
                        post["hash"] if with_meta else None,
                        post["run"] if with_meta else None,
                    )
                )
        return live

    def snapshots(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        return {
            i: {
                "post_id": i,
                "title": self.posts[i]["title"],
                "content": "",
                "excerpt": "",
                "status": self.posts[i]["status"],
                "meta": [[HASH_KEY, self.posts[i]["hash"]], [RUN_KEY, str(self.posts[i]["run"])]],
                "tags": [],
            }
            for i in ids
        }

    def post_statuses(self, ids: Sequence[int]) -> dict[int, str]:
        return {i: self.posts[i]["status"] for i in ids if i in self.posts}

    def post_meta(self, ids: Sequence[int], key: str) -> dict[int, str]:
        assert key == HASH_KEY
        return {i: self.posts[i]["hash"] for i in ids if i in self.posts}

    # -- PostWriter ----------------------------------------------------------------
    def create(self, posts: Sequence[NewPost], run_id: int) -> list[Outcome]:
        outcomes = []
        for new in posts:
            if self.fail_after is not None and self.created >= self.fail_after:
                raise KeyboardInterrupt  # the process dies mid-batch
            self.next_id += 1
            self.created += 1
            self.posts[self.next_id] = {
                "source": new.post.source_id,
                "status": new.status,
                "hash": new.post.content_hash,
                "run": run_id,
                "title": new.post.title,
                "noindex": new.noindex,
            }
            outcomes.append(Outcome(self.next_id, True))
        return outcomes

    def update(self, updates: Sequence[PostUpdate], run_id: int) -> list[Outcome]:
        for update in updates:
            post = self.posts[update.post_id]
            post.update(
                hash=update.post.content_hash,
                run=run_id,
                title=update.post.title,
                noindex=update.noindex,
            )
        return [Outcome(u.post_id, True) for u in updates]

    def trash(self, post_ids: Sequence[int]) -> list[Outcome]:
        for post_id in post_ids:
            self.posts[post_id]["old_status"] = self.posts[post_id]["status"]
            self.posts[post_id]["status"] = "trash"
        return [Outcome(i, True) for i in post_ids]

    def untrash(self, posts: Sequence[tuple[int, str]]) -> list[Outcome]:
        for post_id, status in posts:
            self.posts[post_id]["status"] = status
        return [Outcome(i, True) for i, _ in posts]

    def delete(self, post_ids: Sequence[int]) -> list[Outcome]:
        for post_id in post_ids:
            self.posts.pop(post_id, None)
        return [Outcome(i, True) for i in post_ids]

    def restore(self, snapshots: Sequence[dict[str, Any]]) -> list[Outcome]:
        for snapshot in snapshots:
            post = self.posts[snapshot["post_id"]]
            meta = dict(snapshot["meta"])
            post.update(title=snapshot["title"], hash=meta[HASH_KEY], run=int(meta[RUN_KEY]))
        return [Outcome(s["post_id"], True) for s in snapshots]

    def close(self) -> None:
        pass

    # -- for assertions ------------------------------------------------------------
    def by_source(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for post_id, post in self.posts.items():
            if post["status"] != "trash":
                found.setdefault(post["source"], []).append(post_id)
        return found
