"""Near-duplicates: edited copies are found, distinct posts are not, clusters join chains."""

from __future__ import annotations

import inspect

import pytest

from parity.content import synthesize
from parity.content.duplicates import (
    DEFAULT_THRESHOLD,
    DuplicateIndex,
    DuplicateMatch,
    duplicate_clusters,
    shingles,
)
from parity.content.similar import PostText


def article_posts(count: int, seed: int = 9) -> list[PostText]:
    posts = []
    for index, article in enumerate(synthesize(count, seed)):
        body = " ".join(getattr(b, "text", "") for b in article.body_blocks)
        posts.append(PostText(index, article.title, body))
    return posts


def test_an_edited_copy_is_found_and_distinct_articles_are_not() -> None:
    posts = article_posts(40)
    original = posts[7]
    sentences = original.body.split(". ")
    sentences[0], sentences[1] = sentences[1], sentences[0]  # reorder
    words = ". ".join(sentences[:-1]).split()  # drop the last sentence
    words[3], words[4] = words[4], words[3]  # swap two words
    copy = PostText(100, original.title, " ".join(words))
    clusters = duplicate_clusters([*posts, copy], threshold=0.6)
    assert [c.post_ids for c in clusters] == [(7, 100)]
    assert 0.6 <= clusters[0].similarity < 1


def test_identical_posts_have_similarity_one() -> None:
    posts = [
        PostText(1, "t", "same words here and there"),
        PostText(2, "t", "same words here and there"),
    ]
    [cluster] = duplicate_clusters(posts, threshold=0.8)
    assert cluster.post_ids == (1, 2) and cluster.similarity == 1.0


def test_chains_of_duplicates_form_one_cluster() -> None:
    base = " ".join(f"word{i}" for i in range(60))
    a = PostText(1, "x", base)
    b = PostText(2, "x", base + " extra1 extra2")
    c = PostText(3, "x", base + " extra1 extra2 extra3 extra4")
    [cluster] = duplicate_clusters([c, a, b], threshold=0.9)
    assert cluster.post_ids == (1, 2, 3)
    assert len(cluster.pairs) >= 2


def test_empty_posts_are_never_duplicates() -> None:
    assert duplicate_clusters([PostText(1, "", ""), PostText(2, "", "")]) == []


@pytest.mark.parametrize("threshold", [0, -0.1, 1.01])
def test_a_threshold_outside_zero_to_one_is_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        duplicate_clusters([], threshold=threshold)


def test_shingles_are_word_pairs() -> None:
    assert shingles("A b, c", 2) == {"a b", "b c"}


def test_the_command_default_is_the_module_default() -> None:
    # The command writes the number out (importing the module would load datasketch).
    from parity.cli.content_cmd import duplicates

    assert inspect.signature(duplicates).parameters["threshold"].default == DEFAULT_THRESHOLD


def test_the_import_check_index_finds_what_the_clusters_find() -> None:
    """``--check-duplicates`` (the index) and ``content duplicates`` (the clusters) agree:
    same shingles, same threshold, same exact similarity."""
    posts = article_posts(40)
    original = posts[7]
    sentences = original.body.split(". ")
    sentences[0], sentences[1] = sentences[1], sentences[0]
    copy = PostText(100, original.title, ". ".join(sentences))
    index = DuplicateIndex(posts)
    [pair] = [p for c in duplicate_clusters([*posts, copy]) for p in c.pairs]
    assert index.matches(copy) == [DuplicateMatch(7, pair.similarity)]
    assert all(index.matches(post) == [] for post in posts)  # itself excluded, no other
