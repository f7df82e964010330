"""`content similar` and `content duplicates` on an environment's database.

Reads posts (title, excerpt, content, tags, categories) through ``Database``, computes
with the pure modules (``similar``, ``duplicates``, ``similar_block``) and, for
``similar``, writes in one guarded transaction:

- post meta ``parity_similar_posts`` on every post it computed a list for: a PHP array of
  ``{id, score}`` records, best first, as ``update_post_meta()`` would store it, so a
  theme serves the list with one ``get_post_meta()`` and no computation on page view;
- the "Similar Posts" section at the end of each imported article's content (a post with
  the import's ``parity_source_id`` or an article's ``article_site`` meta).

A row is written only when its value changes, so a rerun on the same posts writes
nothing. A protected environment is refused before anything is read.

    with Database.connect(settings.environment("staging")) as db:
        result = update_similar(db, top=5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.content.duplicates import DEFAULT_THRESHOLD, DuplicateCluster, duplicate_clusters
from parity.content.similar import Neighbour, PostText, plain_text, similar_posts
from parity.content.similar_block import (
    SIMILAR_META_KEY,
    SimilarLink,
    strip_similar_section,
    with_similar_section,
)
from parity.errors import InputError, MalformedPhpValue
from parity.targets.database import Database
from parity.wordpress.phpvalue import as_list, php_serialize, php_unserialize

__all__ = [
    "IMPORTED_KEYS",
    "LIVE_STATUSES",
    "SIMILAR_META_KEY",
    "DuplicatesResult",
    "SimilarResult",
    "StoredPost",
    "find_duplicates",
    "read_posts",
    "similar_lists_exist",
    "similar_meta_value",
    "update_similar",
    "update_similar_incremental",
]

#: Meta keys that mark a post as an imported article.
IMPORTED_KEYS = ("parity_source_id", "article_site")
#: What a write is called in the guard's messages.
SIMILAR_ACTION = "store similar posts"
#: Statuses a near-duplicate can hide in: imports create pending posts by default.
LIVE_STATUSES = ("publish", "pending", "draft", "future", "private")
_IN_CHUNK = 1000


@dataclass(frozen=True)
class StoredPost:
    """A post as read from the database."""

    post_id: int
    title: str
    content: str
    excerpt: str
    status: str
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    imported: bool = False

    def text(self) -> PostText:
        """What similarity reads: the excerpt and the content as plain text, without
        parity's own section (so its links never feed back into the next run)."""
        body = plain_text(strip_similar_section(self.content))
        return PostText(
            self.post_id,
            self.title,
            f"{self.excerpt} {body}".strip(),
            self.tags,
            self.categories,
        )


@dataclass
class SimilarResult:
    """What ``update_similar`` computed and wrote."""

    environment: str
    posts: int
    lists: dict[int, list[Neighbour]]
    titles: dict[int, str]
    meta_written: int = 0
    meta_unchanged: int = 0
    sections_written: int = 0
    sections_unchanged: int = 0
    imported: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.meta_written or self.sections_written)


@dataclass
class DuplicatesResult:
    """The near-duplicate clusters of an environment's posts."""

    environment: str
    posts: int
    threshold: float
    clusters: list[DuplicateCluster]
    titles: dict[int, str]
    statuses: dict[int, str]


def _tables(db: Database) -> dict[str, str]:
    prefix = db.env.table_prefix
    return {
        name: f"`{prefix}{name}`"
        for name in ("posts", "postmeta", "terms", "term_taxonomy", "term_relationships")
    }


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + _IN_CHUNK]) for i in range(0, len(ids), _IN_CHUNK)]


def read_posts(db: Database, statuses: Sequence[str] = ("publish",)) -> list[StoredPost]:
    """Posts (type ``post``) with one of ``statuses``, with their tags and categories,
    in id order."""
    t = _tables(db)
    marks = ", ".join(["%s"] * len(statuses))
    rows = db.query(
        f"SELECT ID, post_title, post_content, post_excerpt, post_status FROM {t['posts']}"
        f" WHERE post_type = 'post' AND post_status IN ({marks}) ORDER BY ID",
        list(statuses),
    )
    ids = [int(r[0]) for r in rows]
    terms: dict[int, dict[str, list[str]]] = {}
    imported: set[int] = set()
    for chunk in _chunks(ids):
        in_ids = ", ".join(["%s"] * len(chunk))
        for object_id, taxonomy, name in db.query(
            f"SELECT tr.object_id, tt.taxonomy, t.name FROM {t['term_relationships']} tr"
            f" JOIN {t['term_taxonomy']} tt ON tt.term_taxonomy_id = tr.term_taxonomy_id"
            f" JOIN {t['terms']} t ON t.term_id = tt.term_id"
            f" WHERE tt.taxonomy IN ('post_tag', 'category') AND tr.object_id IN ({in_ids})"
            " ORDER BY tr.object_id, tt.taxonomy, t.name",
            chunk,
        ):
            terms.setdefault(int(object_id), {}).setdefault(str(taxonomy), []).append(str(name))
        key_marks = ", ".join(["%s"] * len(IMPORTED_KEYS))
        for (post_id,) in db.query(
            f"SELECT DISTINCT post_id FROM {t['postmeta']}"
            f" WHERE meta_key IN ({key_marks}) AND post_id IN ({in_ids})",
            [*IMPORTED_KEYS, *chunk],
        ):
            imported.add(int(post_id))
    return [
        StoredPost(
            post_id=int(post_id),
            title=str(title),
            content=str(content),
            excerpt=str(excerpt),
            status=str(status),
            tags=tuple(terms.get(int(post_id), {}).get("post_tag", [])),
            categories=tuple(terms.get(int(post_id), {}).get("category", [])),
            imported=int(post_id) in imported,
        )
        for post_id, title, content, excerpt, status in rows
    ]


def similar_meta_value(neighbours: Sequence[Neighbour]) -> str:
    """A list as ``parity_similar_posts`` stores it (PHP-serialized, best first).

    >>> similar_meta_value([Neighbour(12, 0.8123)])
    'a:1:{i:0;a:2:{s:2:"id";i:12;s:5:"score";d:0.8123;}}'
    """
    return php_serialize([{"id": n.post_id, "score": n.score} for n in neighbours])


def _home(db: Database) -> str:
    prefix = db.env.table_prefix
    value = db.scalar(f"SELECT option_value FROM `{prefix}options` WHERE option_name = 'home'")
    return str(value or db.env.url).rstrip("/")


def update_similar(db: Database, *, top: int = 5, only_imported: bool = False) -> SimilarResult:
    """Compute every published post's similar list (only imported ones' with
    ``only_imported``; every published post is still a candidate), store the lists as
    post meta and render imported articles' "Similar Posts" sections.

    Raises InputError when the environment has no published posts (or none imported,
    with ``only_imported``), ProtectedEnvironment on a protected environment.
    """
    if top < 1:
        raise InputError("--top must be at least 1")
    name = db.env.name
    db.ensure_writable(SIMILAR_ACTION)
    posts = read_posts(db)
    if not posts:
        raise InputError(f"{name} has no published posts: nothing to compare")
    queries = [p.post_id for p in posts if p.imported or not only_imported]
    if not queries:
        raise InputError(f"{name} has no published imported posts")
    lists = similar_posts([p.text() for p in posts], top=top, queries=queries)
    by_id = {p.post_id: p for p in posts}
    result = SimilarResult(
        environment=name,
        posts=len(posts),
        lists=lists,
        titles={p.post_id: p.title for p in posts},
        imported=[p.post_id for p in posts if p.imported],
    )
    _write_lists(db, lists, by_id, result)
    return result


def _write_lists(
    db: Database,
    lists: dict[int, list[Neighbour]],
    by_id: dict[int, StoredPost],
    result: SimilarResult,
) -> None:
    """Store ``lists`` as post meta and render imported posts' sections, in one guarded
    transaction, writing only what differs; counts go into ``result``."""
    home = _home(db)
    t = _tables(db)
    stored = _stored_lists(db, list(lists))
    with db.transaction(action=SIMILAR_ACTION) as writer:
        for post_id, neighbours in lists.items():
            value = similar_meta_value(neighbours)
            if stored.get(post_id) == [value]:
                result.meta_unchanged += 1
            else:
                writer.execute(
                    f"DELETE FROM {t['postmeta']} WHERE post_id = %s AND meta_key = %s",
                    [post_id, SIMILAR_META_KEY],
                )
                writer.execute(
                    f"INSERT INTO {t['postmeta']} (post_id, meta_key, meta_value)"
                    " VALUES (%s, %s, %s)",
                    [post_id, SIMILAR_META_KEY, value],
                )
                result.meta_written += 1
            post = by_id[post_id]
            if not post.imported:
                continue
            links = [
                SimilarLink(by_id[n.post_id].title, f"{home}/?p={n.post_id}") for n in neighbours
            ]
            content = with_similar_section(post.content, links)
            if content == post.content:
                result.sections_unchanged += 1
            else:
                writer.execute(
                    f"UPDATE {t['posts']} SET post_content = %s WHERE ID = %s",
                    [content, post_id],
                )
                result.sections_written += 1


def _stored_lists(db: Database, ids: Sequence[int]) -> dict[int, list[str]]:
    t = _tables(db)
    found: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        marks = ", ".join(["%s"] * len(chunk))
        rows: list[Any] = db.query(
            f"SELECT post_id, meta_value FROM {t['postmeta']}"
            f" WHERE meta_key = %s AND post_id IN ({marks}) ORDER BY meta_id",
            [SIMILAR_META_KEY, *chunk],
        )
        for post_id, value in rows:
            found.setdefault(int(post_id), []).append(str(value))
    return found


def find_duplicates(db: Database, *, threshold: float = DEFAULT_THRESHOLD) -> DuplicatesResult:
    """Clusters of near-duplicate posts (published, pending, draft, scheduled, private).

    Raises InputError for a threshold outside (0, 1] or an environment without posts.
    """
    if not 0 < threshold <= 1:
        raise InputError(f"--threshold must be above 0 and at most 1, not {threshold:g}")
    posts = read_posts(db, LIVE_STATUSES)
    if not posts:
        raise InputError(f"{db.env.name} has no posts: nothing to compare")
    clusters = duplicate_clusters([p.text() for p in posts], threshold=threshold)
    return DuplicatesResult(
        environment=db.env.name,
        posts=len(posts),
        threshold=threshold,
        clusters=clusters,
        titles={p.post_id: p.title for p in posts},
        statuses={p.post_id: p.status for p in posts},
    )


def similar_lists_exist(db: Database) -> bool:
    """Whether ``content similar`` stored lists on this environment."""
    t = _tables(db)
    return bool(
        db.scalar(f"SELECT COUNT(*) FROM {t['postmeta']} WHERE meta_key = %s", [SIMILAR_META_KEY])
    )


def _all_stored_lists(db: Database) -> dict[int, list[Neighbour]]:
    t = _tables(db)
    lists: dict[int, list[Neighbour]] = {}
    for post_id, value in db.query(
        f"SELECT post_id, meta_value FROM {t['postmeta']} WHERE meta_key = %s ORDER BY meta_id",
        [SIMILAR_META_KEY],
    ):
        try:
            entries = as_list(php_unserialize(str(value))) or []
        except MalformedPhpValue:
            entries = []  # not a list parity wrote: recomputed below like a stale one
        neighbours = []
        for entry in entries:
            if isinstance(entry, dict):
                found, score = entry.get("id"), entry.get("score")
                if isinstance(found, int) and isinstance(score, int | float):
                    neighbours.append(Neighbour(found, float(score)))
        lists[int(post_id)] = neighbours
    return lists


def update_similar_incremental(
    db: Database, changed: Sequence[int], *, default_top: int = 5
) -> SimilarResult | None:
    """After an import created or updated the posts ``changed``: bring the stored similar
    lists up to date without recomputing every list. None when the environment has no
    stored lists (``content similar`` never ran there): nothing is computed.

    - each changed published post gets its list computed against every published post;
    - a post whose stored list holds a changed post gets its list recomputed (that
      post's text, hence its score, changed);
    - any other post with a stored list takes a changed post into its list when it
      scores above the list's lowest score (or the list is shorter than ``top``).

    ``top`` is the longest stored list's length. Other stored scores are kept as they
    are: a full ``content similar`` recomputes every one (IDF weights move a little as
    posts are added).
    """
    import numpy as np

    from parity.content.similar import SimilarityWeights, post_vectors

    if not similar_lists_exist(db):
        return None
    db.ensure_writable(SIMILAR_ACTION)
    stored = _all_stored_lists(db)
    top = max((len(v) for v in stored.values()), default=0) or default_top
    posts = read_posts(db)
    by_id = {p.post_id: p for p in posts}
    result = SimilarResult(
        environment=db.env.name,
        posts=len(posts),
        lists={},
        titles={p.post_id: p.title for p in posts},
        imported=[p.post_id for p in posts if p.imported],
    )
    fresh = {post_id for post_id in changed if post_id in by_id}
    if not fresh or len(posts) < 2:
        return result
    recompute = set(fresh) | {
        post_id
        for post_id, neighbours in stored.items()
        if post_id in by_id and any(n.post_id in fresh for n in neighbours)
    }
    texts = [p.text() for p in posts]
    ids = np.array([p.post_id for p in posts], dtype=np.int64)
    # The score a changed post must beat to enter each list (inf: no list to enter).
    floor = np.full(len(posts), np.inf)
    for column, post_id in enumerate(ids.tolist()):
        neighbours = stored.get(post_id)
        if neighbours is None or post_id in recompute:
            continue
        floor[column] = neighbours[-1].score if len(neighbours) >= top else 0.0
    inserted: dict[int, list[Neighbour]] = {}
    if np.isfinite(floor).any():
        vectors = post_vectors(texts, SimilarityWeights())
        rows = np.flatnonzero(np.isin(ids, np.fromiter(fresh, dtype=np.int64)))
        for start in range(0, len(rows), 256):
            chunk = rows[start : start + 256]
            block = np.round((vectors[chunk] @ vectors.T).toarray().astype(np.float64), 4)
            for row, scores in zip(chunk, block, strict=True):
                for column in np.flatnonzero(scores > floor).tolist():
                    post_id = int(ids[column])
                    neighbours = inserted.setdefault(
                        # Posts no longer published leave the list (no title, no link).
                        post_id,
                        [n for n in stored[post_id] if n.post_id in by_id],
                    )
                    neighbours.append(Neighbour(int(ids[row]), float(scores[column])))
    for post_id, neighbours in inserted.items():
        neighbours.sort(key=lambda n: (-n.score, n.post_id))
        result.lists[post_id] = neighbours[:top]
    result.lists.update(similar_posts(texts, top=top, queries=sorted(recompute & set(by_id))))
    _write_lists(db, result.lists, by_id, result)
    return result
