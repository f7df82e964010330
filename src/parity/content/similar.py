"""Top-k similar posts from title, body and taxonomy (pure: no I/O, no database).

Each post becomes one TF-IDF vector (scikit-learn) made of three weighted parts, so that
one cosine gives the whole score:

- the title's words and word pairs;
- the body's words, ignoring words so common they say nothing about a post (in more than
  ``max_df`` of the posts, and more than ``COMMON_FLOOR`` of them);
- the taxonomy: each tag and category is a token, weighted by how rare it is, so sharing
  a rare tag is a strong boost and sharing the default category almost none.

Up to ``EXACT_LIMIT`` posts every pair is scored. Above that, the vectors are reduced to
``dimensions`` with a truncated SVD, grouped with k-means, and each post is compared with
the posts of its ``probe`` nearest groups (an inverted-file search, as vector indexes do);
the best ``top * 3`` candidates are then re-scored exactly, so every score reported is the
exact cosine. The same posts always give the same lists (fixed random states, ties
broken by post id, scores rounded to 4 places).

    lists = similar_posts([PostText(1, "a title", "a body", tags=("php",)), ...], top=5)
    lists[1]    # [Neighbour(post_id=7, score=0.4132), ...]
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
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
    dimensions: int = 128
    probe: int = 6


#: The text-only variant (no taxonomy boost), for comparison.
TEXT_ONLY = SimilarityWeights(taxonomy=0.0)


def plain_text(content: str) -> str:
    """Post content (block markup, HTML) as plain text: comments and tags dropped.

    >>> plain_text('<!-- wp:paragraph -->\\n<p>cache &amp; <b>purge</b>.</p>')
    'cache & purge .'
    """
    text = _TAG.sub(" ", _COMMENT.sub(" ", content))
    return _SPACES.sub(" ", html.unescape(text)).strip()


def _hashed(texts: Sequence[str], ngrams: tuple[int, int]) -> sparse.csr_matrix:
    """Word counts of ``texts``, hashed; large corpora are split over two processes
    (tokenizing is most of the time, and the hashing needs no shared vocabulary)."""
    vectorizer = HashingVectorizer(
        n_features=_FEATURES,
        alternate_sign=False,
        norm=None,
        ngram_range=ngrams,
        dtype=np.float32,
    )
    if len(texts) < _PARALLEL_FROM:
        return vectorizer.transform(texts).tocsr()
    step = -(-len(texts) // _WORKERS)
    parts = Parallel(n_jobs=_WORKERS)(
        delayed(vectorizer.transform)(texts[i : i + step]) for i in range(0, len(texts), step)
    )
    return sparse.vstack(parts, format="csr")


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
        parts.append(weights.title * _tfidf(_hashed([p.title for p in posts], (1, 2)), None))
    if weights.body:
        parts.append(
            weights.body * _tfidf(_hashed([p.body for p in posts], (1, 1)), weights.max_df)
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
        found = _exact(vectors, wanted, top)
    else:
        found = _approximate(vectors, wanted, top, weights)
    return _lists(vectors, ids, wanted, found, top)


def _exact(vectors: sparse.csr_matrix, wanted: np.ndarray, top: int) -> np.ndarray:
    """Indexes of every wanted row's best ``top`` others, scoring every pair."""
    keep = min(top, vectors.shape[0] - 1)
    transposed = vectors.T.tocsc()
    result = np.empty((len(wanted), keep), dtype=np.int64)
    for start in range(0, len(wanted), _CHUNK):
        rows = wanted[start : start + _CHUNK]
        scores = (vectors[rows] @ transposed).toarray()
        scores[np.arange(len(rows)), rows] = -1.0
        result[start : start + len(rows)] = _best(scores, keep)
    return result


def _approximate(
    vectors: sparse.csr_matrix, wanted: np.ndarray, top: int, weights: SimilarityWeights
) -> np.ndarray:
    """Candidate indexes for each wanted row: an inverted-file search in SVD space."""
    n = vectors.shape[0]
    dims = max(2, min(weights.dimensions, vectors.shape[1] - 1, n - 1))
    svd = TruncatedSVD(dims, algorithm="randomized", n_iter=3, random_state=0)
    embedded = normalize(svd.fit_transform(vectors)).astype(np.float32)
    groups = max(1, n // _GROUP_SIZE)
    sample = embedded[np.random.default_rng(0).permutation(n)[: min(n, groups * 60)]]
    kmeans = KMeans(groups, n_init=1, max_iter=10, random_state=0).fit(sample)
    centres = normalize(kmeans.cluster_centers_).astype(np.float32)
    labels = kmeans.predict(embedded)
    members = [np.flatnonzero(labels == g) for g in range(groups)]
    nearest = np.argsort(-(centres @ centres.T), axis=1, kind="stable")
    keep = min(top * 3, n - 1)
    result = np.empty((len(wanted), keep), dtype=np.int64)
    position = np.full(n, -1, dtype=np.int64)
    position[wanted] = np.arange(len(wanted))
    for group in range(groups):
        rows = members[group][position[members[group]] >= 0]
        if len(rows) == 0:
            continue
        others = [g for g in nearest[group] if g != group][: weights.probe - 1]
        # The group's own members come first (sorted), so a row's own column is found.
        candidates = np.concatenate([members[group], *(members[g] for g in others)])
        if len(candidates) <= keep:  # a tiny neighbourhood: widen it to every post
            candidates = np.arange(n)
        scores = embedded[rows] @ embedded[candidates].T
        where = np.searchsorted(candidates[: len(members[group])], rows)
        scores[np.arange(len(rows)), where] = -2.0
        result[position[rows]] = candidates[_best(scores, keep)]
    return result


def _best(scores: np.ndarray, keep: int) -> np.ndarray:
    """Column indexes of the ``keep`` highest scores of each row (any order)."""
    if keep >= scores.shape[1]:
        return np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))[:, :keep]
    return np.argpartition(-scores, keep - 1, axis=1)[:, :keep]


def _lists(
    vectors: sparse.csr_matrix,
    ids: np.ndarray,
    wanted: np.ndarray,
    found: np.ndarray,
    top: int,
) -> dict[int, list[Neighbour]]:
    """Exact scores of the found pairs; each list sorted by score, then post id."""
    rows = np.repeat(wanted, found.shape[1])
    others = found.ravel()
    exact = np.asarray(vectors[rows].multiply(vectors[others]).sum(axis=1)).ravel()
    exact = np.round(exact.reshape(found.shape), _DECIMALS)
    result: dict[int, list[Neighbour]] = {}
    for row, index in enumerate(wanted):
        pairs = sorted(
            (
                (-float(score), int(ids[other]))
                for other, score in zip(found[row], exact[row], strict=True)
                if other != index and score > 0
            ),
        )
        result[int(ids[index])] = [
            Neighbour(post_id=post_id, score=-negative) for negative, post_id in pairs[:top]
        ]
    return result
