"""Top-k similar posts from title, body and taxonomy (pure: no I/O, no database).

Each post becomes one TF-IDF vector (scikit-learn) made of three weighted parts, so that
one cosine gives the whole score:

- the title's words and word pairs;
- the body's words, ignoring words so common they say nothing about a post (in more than
  ``max_df`` of the posts, and more than ``COMMON_FLOOR`` of them);
- the taxonomy: each tag and category is a token, weighted by how rare it is, so sharing
  a rare tag is a strong boost and sharing the default category almost none.

Up to ``EXACT_LIMIT`` posts every pair is scored. Above that, the vectors are reduced to
``dimensions`` with a truncated SVD and grouped with k-means there; each post is then
scored exactly (sparse products, in blocks, on two threads) against the posts of its
``probe`` nearest groups only (an inverted-file search, as vector indexes do), so every
score reported is the exact cosine. The same posts always give the same lists (fixed
random states, ties broken by post id, scores rounded to 4 places).

    lists = similar_posts([PostText(1, "a title", "a body", tags=("php",)), ...], top=5)
    lists[1]    # [Neighbour(post_id=7, score=0.4132), ...]
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

__all__ = [
    "COMMON_FLOOR",
    "EXACT_LIMIT",
    "TEXT_ONLY",
    "Neighbour",
    "PostText",
    "SimilarityWeights",
    "plain_text",
    "post_vectors",
    "similar_posts",
]

#: Up to this many posts, every pair is scored exactly.
EXACT_LIMIT = 5000
#: A word is "too common" only when more than this many posts use it (small sites keep all).
COMMON_FLOOR = 10
_FEATURES = 2**20
_GROUP_SIZE = 300  # posts per k-means group on the approximate path
_CHUNK = 1024  # rows scored at a time on the exact path
_PARALLEL_FROM = 20_000  # texts from which tokenizing is split over processes
_WORKERS = 2
_DECIMALS = 4

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")
# Equivalent to scikit-learn's default token pattern r"(?u)\b\w\w+\b" (a greedy run of word
# characters always spans its whole run), and faster.
_WORDS = re.compile(r"\w\w+")
_WORD_BYTES = b"0123456789_abcdefghijklmnopqrstuvwxyz"
_NOT_WORD_TO_SPACE = bytes(b if b in _WORD_BYTES else 32 for b in range(256))


@dataclass(frozen=True)
class PostText:
    """What similarity reads of one post: plain title and body, tag and category names."""

    post_id: int
    title: str
    body: str
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Neighbour:
    """A similar post and its score (cosine similarity, 0 to 1)."""

    post_id: int
    score: float


@dataclass(frozen=True)
class SimilarityWeights:
    """How much each part of a post counts, and when a body word is too common.

    The defaults were chosen on a synthesized corpus and checked on another seed (see
    ``benchmarks/eval_similar.py`` and docs/benchmarks.md).
    """

    title: float = 1.0
    body: float = 1.0
    taxonomy: float = 0.7
    max_df: float = 0.1
    # Above EXACT_LIMIT only: SVD size of the grouping, and groups searched per post (on
    # 100,000 articles: 0.99 of the exact top 5 found, see benchmarks/bench_similar.py).
    dimensions: int = 64
    probe: int = 4


#: The text-only variant (no taxonomy boost), for comparison.
TEXT_ONLY = SimilarityWeights(taxonomy=0.0)


def plain_text(content: str) -> str:
    """Post content (block markup, HTML) as plain text: comments and tags dropped.

    >>> plain_text('<!-- wp:paragraph -->\\n<p>cache &amp; <b>purge</b>.</p>')
    'cache & purge .'
    """
    text = _TAG.sub(" ", _COMMENT.sub(" ", content))
    return _SPACES.sub(" ", html.unescape(text)).strip()


def _hashed(texts: Sequence[str], pairs: bool) -> sparse.csr_matrix:
    """Word counts of ``texts`` (with ``pairs``, word pairs too), hashed as scikit-learn's
    ``HashingVectorizer`` hashes them (same features, same counts).

    Each text's words are counted first (``collections.Counter``, in C) and only the
    distinct ones are hashed (``FeatureHasher``): about half the work of hashing every
    occurrence. Large corpora are split over two processes: the hashing needs no shared
    vocabulary.
    """
    if len(texts) < _PARALLEL_FROM:
        return _hash_counts(texts, pairs)
    step = -(-len(texts) // _WORKERS)
    parts = Parallel(n_jobs=_WORKERS)(
        delayed(_hash_counts)(texts[i : i + step], pairs) for i in range(0, len(texts), step)
    )
    return sparse.vstack(parts, format="csr")


def _hash_counts(texts: Sequence[str], pairs: bool) -> sparse.csr_matrix:
    hasher = FeatureHasher(
        n_features=_FEATURES, input_type="dict", alternate_sign=False, dtype=np.float32
    )
    return hasher.transform(_counts(text, pairs) for text in texts).tocsr()


def _counts(text: str, pairs: bool) -> Counter[str] | Counter[bytes]:
    """The words HashingVectorizer's default pattern finds (runs of 2+ word characters),
    counted; with ``pairs``, each two neighbouring words too.

    ASCII text takes a faster way to the same words: every byte that is not a word
    character becomes a space, then a split. The words stay bytes, which the hasher
    hashes as it hashes their text (UTF-8)."""
    if not text.isascii():
        words: list[str] = _WORDS.findall(text.lower())
        counts = Counter(words)
        if pairs:
            counts.update([f"{a} {b}" for a, b in pairwise(words)])
        return counts
    found = [w for w in text.lower().encode().translate(_NOT_WORD_TO_SPACE).split() if len(w) > 1]
    ascii_counts = Counter(found)
    if pairs:
        ascii_counts.update([b"%s %s" % pair for pair in pairwise(found)])
    return ascii_counts


def _tfidf(counts: sparse.csr_matrix, max_df: float | None) -> sparse.csr_matrix:
    """Sublinear TF-IDF of hashed counts, keeping words found in 2 or more posts
    (and, with ``max_df``, not in too many)."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    keep = df >= 2
    if max_df is not None:
        keep &= ~((df > max_df * n) & (df > COMMON_FLOOR))
    kept = counts[:, np.flatnonzero(keep)]
    if kept.shape[1] == 0:
        return sparse.csr_matrix((n, 0), dtype=np.float32)
    transformer = TfidfTransformer(sublinear_tf=True, norm="l2")
    return transformer.fit_transform(kept).astype(np.float32).tocsr()


def _taxonomy(posts: Sequence[PostText]) -> list[str]:
    # One token per term; the taxonomy prefix keeps a tag and a category of the same name
    # apart. Spaces inside names become underscores so the hashing sees one token.
    return [
        " ".join(
            [f"tag:{_token(t)}" for t in post.tags]
            + [f"category:{_token(c)}" for c in post.categories]
        )
        for post in posts
    ]


def _token(name: str) -> str:
    return "_".join(name.lower().split())


def post_vectors(posts: Sequence[PostText], weights: SimilarityWeights) -> sparse.csr_matrix:
    """One L2-normalised row per post: weighted title, body and taxonomy TF-IDF."""
    parts = []
    if weights.title:
        parts.append(weights.title * _tfidf(_hashed([p.title for p in posts], pairs=True), None))
    if weights.body:
        parts.append(
            weights.body * _tfidf(_hashed([p.body for p in posts], pairs=False), weights.max_df)
        )
    if weights.taxonomy:
        taxonomy = HashingVectorizer(
            n_features=_FEATURES,
            alternate_sign=False,
            norm=None,
            token_pattern=r"\S+",
            lowercase=False,
            dtype=np.float32,
        ).transform(_taxonomy(posts))
        parts.append(weights.taxonomy * _tfidf(taxonomy.tocsr(), None))
    if not parts:
        raise ValueError("at least one of title, body and taxonomy must have weight")
    stacked = sparse.hstack(parts, format="csr", dtype=np.float32)
    if stacked.shape[1] == 0:  # no word is shared by two posts: nothing is similar
        return sparse.csr_matrix((len(posts), 1), dtype=np.float32)
    return normalize(stacked).astype(np.float32).tocsr()


def similar_posts(
    posts: Sequence[PostText],
    *,
    top: int = 5,
    queries: Collection[int] | None = None,
    weights: SimilarityWeights | None = None,
) -> dict[int, list[Neighbour]]:
    """For each post (or each post whose id is in ``queries``), its ``top`` most similar
    other posts, best first. Posts sharing nothing with it are left out, so a list can
    be shorter than ``top``.

    >>> posts = [PostText(1, "slow admin pages", "x"), PostText(2, "slow admin pages", "y"),
    ...          PostText(3, "cron events", "z")]
    >>> similar_posts(posts, top=1)[1]
    [Neighbour(post_id=2, score=1.0)]
    """
    if top < 1:
        raise ValueError("top must be at least 1")
    weights = weights or SimilarityWeights()
    ids = np.array([p.post_id for p in posts], dtype=np.int64)
    if len(set(ids.tolist())) != len(ids):
        raise ValueError("post ids must be unique")
    wanted = (
        np.arange(len(posts))
        if queries is None
        else np.flatnonzero(np.isin(ids, np.fromiter(queries, dtype=np.int64)))
    )
    if len(posts) < 2 or len(wanted) == 0:
        return {int(ids[i]): [] for i in wanted}
    vectors = post_vectors(posts, weights)
    if len(posts) <= EXACT_LIMIT:
        found, scores = _exact(vectors, wanted, top)
    else:
        found, scores = _approximate(vectors, wanted, top, weights)
    return _lists(ids, wanted, found, scores, top)


def _exact(
    vectors: sparse.csr_matrix, wanted: np.ndarray, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indexes and scores of every wanted row's best ``top`` others, scoring every pair."""
    keep = min(top * 2, vectors.shape[0] - 1)  # room for ties, broken by post id later
    transposed = vectors.T.tocsc()
    found = np.empty((len(wanted), keep), dtype=np.int64)
    scores = np.empty((len(wanted), keep), dtype=np.float32)
    for start in range(0, len(wanted), _CHUNK):
        rows = wanted[start : start + _CHUNK]
        block = (vectors[rows] @ transposed).toarray()
        block[np.arange(len(rows)), rows] = -1.0
        best = _best(block, keep)
        found[start : start + len(rows)] = best
        scores[start : start + len(rows)] = np.take_along_axis(block, best, axis=1)
    return found, scores


def _approximate(
    vectors: sparse.csr_matrix, wanted: np.ndarray, top: int, weights: SimilarityWeights
) -> tuple[np.ndarray, np.ndarray]:
    """Indexes and exact scores of each wanted row's best ``top`` others among the posts
    of its ``probe`` nearest groups (an inverted-file search; groups from k-means in SVD
    space, scores the exact cosine of the TF-IDF vectors)."""
    n = vectors.shape[0]
    dims = max(2, min(weights.dimensions, vectors.shape[1] - 1, n - 1))
    svd = TruncatedSVD(dims, algorithm="randomized", n_iter=3, random_state=0)
    embedded = normalize(svd.fit_transform(vectors)).astype(np.float32)
    groups = max(1, n // _GROUP_SIZE)
    sample = embedded[np.random.default_rng(0).permutation(n)[: min(n, groups * 60)]]
    # Random initial centres: k-means++ costs more than the whole search here, and the
    # groups only narrow the candidates (every score is exact).
    kmeans = KMeans(groups, init="random", n_init=1, max_iter=10, random_state=0).fit(sample)
    centres = normalize(kmeans.cluster_centers_).astype(np.float32)
    labels = kmeans.predict(embedded)
    members = [np.flatnonzero(labels == g) for g in range(groups)]
    nearest = np.argsort(-(centres @ centres.T), axis=1, kind="stable")
    keep = min(top * 2, n - 1)  # room for ties, broken by post id later
    found = np.empty((len(wanted), keep), dtype=np.int64)
    scores = np.zeros((len(wanted), keep), dtype=np.float32)
    position = np.full(n, -1, dtype=np.int64)
    position[wanted] = np.arange(len(wanted))

    def search(group: int) -> None:
        rows = members[group][position[members[group]] >= 0]
        if len(rows) == 0:
            return
        others = [g for g in nearest[group] if g != group][: weights.probe - 1]
        # The group's own members come first (sorted), so a row's own column is found.
        candidates = np.concatenate([members[group], *(members[g] for g in others)])
        if len(candidates) <= keep:  # a tiny neighbourhood: widen it to every post
            candidates = np.arange(n)
        block = (vectors[rows] @ vectors[candidates].T).toarray()
        where = np.searchsorted(candidates[: len(members[group])], rows)
        block[np.arange(len(rows)), where] = -1.0
        best = _best(block, keep)
        found[position[rows]] = candidates[best]
        scores[position[rows]] = np.take_along_axis(block, best, axis=1)

    # SciPy's sparse products and NumPy's selection release the GIL: two threads.
    with ThreadPoolExecutor(_WORKERS) as pool:
        list(pool.map(search, range(groups)))
    return found, scores


def _best(scores: np.ndarray, keep: int) -> np.ndarray:
    """Column indexes of the ``keep`` highest scores of each row (any order)."""
    if keep >= scores.shape[1]:
        return np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))[:, :keep]
    return np.argpartition(-scores, keep - 1, axis=1)[:, :keep]


def _lists(
    ids: np.ndarray,
    wanted: np.ndarray,
    found: np.ndarray,
    scores: np.ndarray,
    top: int,
) -> dict[int, list[Neighbour]]:
    """Each wanted post's list, sorted by score (4 decimals), then post id; posts sharing
    nothing with it (score 0) left out."""
    rounded = np.round(scores.astype(np.float64), _DECIMALS)
    result: dict[int, list[Neighbour]] = {}
    for row, index in enumerate(wanted):
        pairs = sorted(
            (-float(score), int(ids[other]))
            for other, score in zip(found[row], rounded[row], strict=True)
            if other != index and score > 0
        )
        result[int(ids[index])] = [
            Neighbour(post_id=post_id, score=-negative) for negative, post_id in pairs[:top]
        ]
    return result
