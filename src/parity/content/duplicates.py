"""Near-duplicate posts: MinHash LSH over word shingles (pure: no I/O, no database).

Each post's text (title and body) becomes the set of its overlapping word ``SHINGLE``-grams.
``datasketch`` MinHash signatures go into an LSH index tuned for the threshold, which
proposes candidate pairs without comparing every pair; each candidate pair is then
checked with the exact Jaccard similarity of the two shingle sets, so a reported
similarity is exact and LSH only decides what is looked at. Pairs at or above the
threshold are joined into clusters (a post nearly duplicating two others puts all
three in one cluster).

    clusters = duplicate_clusters([PostText(1, "t", "some body text ..."), ...])
    clusters[0].post_ids, clusters[0].similarity     # (4, 9), 0.93
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from parity.content.similar import PostText

__all__ = [
    "DEFAULT_THRESHOLD",
    "NUM_PERM",
    "SHINGLE",
    "DuplicateCluster",
    "DuplicateIndex",
    "DuplicateMatch",
    "DuplicatePair",
    "duplicate_clusters",
    "shingles",
]

#: The least similarity reported by default. Chosen on the evaluation's edited copies
#: (``benchmarks/eval_similar.py``: headline reworded, boilerplate paragraphs added,
#: sections reordered, a paragraph dropped, copy edits, excerpt rewritten): 98 % of the
#: copies score 0.65 or more, two distinct articles of the synthesizer at most 0.59.
DEFAULT_THRESHOLD = 0.65
#: Words per shingle: short enough that a swapped word breaks few shingles.
SHINGLE = 2
#: MinHash permutations: the signature's length.
NUM_PERM = 128
# The LSH index is built a little below the threshold, so pairs right at it are not
# missed by chance; the exact check then removes those below.
_LSH_MARGIN = 0.15
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class DuplicatePair:
    """Two posts and the Jaccard similarity of their shingles (0 to 1)."""

    first: int
    second: int
    similarity: float


@dataclass(frozen=True)
class DuplicateCluster:
    """Posts that nearly duplicate each other.

    ``similarity`` is the weakest link: the lowest similarity among the pairs that joined
    the cluster; ``pairs`` lists those pairs, best first.
    """

    post_ids: tuple[int, ...]
    similarity: float
    pairs: tuple[DuplicatePair, ...]


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """The set of ``size``-word shingles of ``text`` (lower case, words only).

    >>> sorted(shingles("Cache the page, purge the page.", 3))
    ['cache the page', 'page purge the', 'purge the page', 'the page purge']
    """
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def duplicate_clusters(
    posts: Sequence[PostText], *, threshold: float = DEFAULT_THRESHOLD, seed: int = 1
) -> list[DuplicateCluster]:
    """Clusters of posts whose shingle sets have Jaccard similarity >= ``threshold``.

    Clusters come largest similarity first, then by their smallest post id; within a
    cluster, ids ascend. Posts without text are never duplicates.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be above 0 and at most 1")
    sets = {post.post_id: shingles(f"{post.title} {post.body}") for post in posts}
    ids = [post_id for post_id, found in sets.items() if found]
    signatures = MinHash.bulk(
        [[s.encode() for s in sets[post_id]] for post_id in ids], num_perm=NUM_PERM, seed=seed
    )
    lsh = MinHashLSH(threshold=max(0.05, threshold - _LSH_MARGIN), num_perm=NUM_PERM)
    for post_id, signature in zip(ids, signatures, strict=True):
        lsh.insert(post_id, signature)
    pairs: list[DuplicatePair] = []
    for post_id, signature in zip(ids, signatures, strict=True):
        for other in lsh.query(signature):
            if other <= post_id:
                continue
            similarity = _jaccard(sets[post_id], sets[other])
            if similarity >= threshold:
                pairs.append(DuplicatePair(post_id, other, round(similarity, 4)))
    return _clusters(pairs)


@dataclass(frozen=True)
class DuplicateMatch:
    """An indexed post that a text nearly duplicates, and their similarity (0 to 1)."""

    post_id: int
    similarity: float


class DuplicateIndex:
    """Existing posts, indexed once, that new texts are checked against (the import's
    ``--check-duplicates``): same shingles, signatures and exact check as
    :func:`duplicate_clusters`, so a text is reported here when the two posts would form
    a cluster there.

    >>> index = DuplicateIndex([PostText(1, "t", "purge the cache of every page on save")])
    >>> index.matches(PostText(0, "t", "purge the cache of every page on save now"))
    [DuplicateMatch(post_id=1, similarity=0.8889)]
    """

    def __init__(
        self, posts: Sequence[PostText], *, threshold: float = DEFAULT_THRESHOLD, seed: int = 1
    ) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be above 0 and at most 1")
        self.threshold = threshold
        self.seed = seed
        self._sets = {post.post_id: shingles(f"{post.title} {post.body}") for post in posts}
        ids = [post_id for post_id, found in self._sets.items() if found]
        signatures = MinHash.bulk(
            [[s.encode() for s in self._sets[i]] for i in ids], num_perm=NUM_PERM, seed=seed
        )
        self._lsh = MinHashLSH(threshold=max(0.05, threshold - _LSH_MARGIN), num_perm=NUM_PERM)
        for post_id, signature in zip(ids, signatures, strict=True):
            self._lsh.insert(post_id, signature)

    def __len__(self) -> int:
        return len(self._sets)

    def matches(self, post: PostText) -> list[DuplicateMatch]:
        """The indexed posts (other than ``post.post_id``) that ``post`` nearly
        duplicates, most similar first (then by post id)."""
        found = shingles(f"{post.title} {post.body}")
        if not found:
            return []
        [signature] = MinHash.bulk([[s.encode() for s in found]], num_perm=NUM_PERM, seed=self.seed)
        result = []
        for other in self._lsh.query(signature):
            if other == post.post_id:
                continue
            similarity = _jaccard(found, self._sets[other])
            if similarity >= self.threshold:
                result.append(DuplicateMatch(int(other), round(similarity, 4)))
        return sorted(result, key=lambda m: (-m.similarity, m.post_id))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def _clusters(pairs: list[DuplicatePair]) -> list[DuplicateCluster]:
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for pair in pairs:
        a, b = root(pair.first), root(pair.second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    grouped: dict[int, list[DuplicatePair]] = {}
    for pair in pairs:
        grouped.setdefault(root(pair.first), []).append(pair)
    clusters = []
    for members in grouped.values():
        ids = sorted({p.first for p in members} | {p.second for p in members})
        ordered = sorted(members, key=lambda p: (-p.similarity, p.first, p.second))
        clusters.append(
            DuplicateCluster(
                post_ids=tuple(ids),
                similarity=min(p.similarity for p in members),
                pairs=tuple(ordered),
            )
        )
    clusters.sort(key=lambda c: (-c.similarity, c.post_ids[0]))
    return clusters
