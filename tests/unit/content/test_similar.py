"""Similar posts: relevant neighbours first, taxonomy boosts, stable lists, both search paths."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from parity.content import synthesize
from parity.content.similar import (
    TEXT_ONLY,
    Neighbour,
    PostText,
    SimilarityWeights,
    _hashed,
    plain_text,
    similar_posts,
)
from parity.content.similar_block import (
    SECTION_CLASS,
    SimilarLink,
    strip_similar_section,
    with_similar_section,
)
from parity.content.synth import article_topic


def corpus(count: int, seed: int = 5) -> list[PostText]:
    posts = []
    for index, article in enumerate(synthesize(count, seed)):
        body = " ".join(
            getattr(block, "text", "") or " ".join(getattr(block, "items", []))
            for block in article.body_blocks
        )
        tags = tuple(dict.fromkeys([*article.meta.stack, *article.meta.tools]))
        posts.append(PostText(index, article.title, f"{article.meta.summary} {body}", tags))
    return posts


def test_posts_about_the_same_thing_come_first() -> None:
    posts = corpus(600)
    lists = similar_posts(posts, top=5)
    topics = [article_topic(5, i) for i in range(len(posts))]
    same_count: dict[tuple[str, str], int] = {}
    for topic in topics:
        key = (topic.stack, topic.problem)
        same_count[key] = same_count.get(key, 0) + 1
    found = possible = shares_something = 0
    for post_id, neighbours in lists.items():
        me = topics[post_id]
        possible += min(5, same_count[(me.stack, me.problem)] - 1)
        for neighbour in neighbours:
            other = topics[neighbour.post_id]
            found += (me.stack, me.problem) == (other.stack, other.problem)
            shares_something += me.stack == other.stack or me.problem == other.problem
    # Nearly every same-topic post that exists is found, and every other one shares
    # at least its stack or its problem.
    assert found >= 0.9 * possible
    assert shares_something >= 0.98 * 5 * len(posts)


def test_a_shared_rare_tag_lifts_a_post_above_one_without_it() -> None:
    posts = [
        PostText(1, "purging the page cache", "varnish purge rules", ("varnish",)),
        PostText(2, "purging the page cache", "varnish purge rules", ("nginx",)),
        PostText(3, "purging the page cache", "varnish purge rules", ("varnish",)),
        *(PostText(10 + i, f"unrelated {i}", "other words entirely", ("misc",)) for i in range(5)),
    ]
    boosted = similar_posts(posts, top=2)[1]
    assert boosted[0].post_id == 3
    text_only = similar_posts(posts, top=2, weights=TEXT_ONLY)[1]
    assert text_only[0].score == text_only[1].score  # text alone cannot tell 2 and 3 apart


def test_lists_exclude_the_post_itself_and_are_sorted_by_score_then_id() -> None:
    lists = similar_posts(corpus(80), top=5)
    for post_id, found in lists.items():
        assert post_id not in [n.post_id for n in found]
        keys = [(-n.score, n.post_id) for n in found]
        assert keys == sorted(keys)
        assert all(0 < n.score <= 1 for n in found)


def test_the_same_posts_give_the_same_lists() -> None:
    posts = corpus(120)
    assert similar_posts(posts, top=5) == similar_posts(list(posts), top=5)


def test_queries_limit_the_lists_but_not_the_candidates() -> None:
    posts = corpus(60)
    everything = similar_posts(posts, top=5)
    some = similar_posts(posts, top=5, queries={3, 7})
    assert set(some) == {3, 7}
    assert some[3] == everything[3]


def test_posts_sharing_nothing_get_no_neighbours() -> None:
    posts = [PostText(1, "alpha beta", "gamma"), PostText(2, "delta epsilon", "zeta")]
    assert similar_posts(posts, top=5) == {1: [], 2: []}


def test_the_approximate_search_agrees_with_the_exact_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import parity.content.similar as similar

    posts = corpus(900)
    exact = similar_posts(posts, top=5)
    monkeypatch.setattr(similar, "EXACT_LIMIT", 100)
    monkeypatch.setattr(similar, "_GROUP_SIZE", 100)
    approximate = similar_posts(posts, top=5, weights=SimilarityWeights(probe=4))
    agree = sum(
        len({n.post_id for n in exact[i]} & {n.post_id for n in approximate[i]}) for i in exact
    )
    assert agree / (5 * len(exact)) > 0.9


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="top"):
        similar_posts([PostText(1, "a", "b")], top=0)
    with pytest.raises(ValueError, match="unique"):
        similar_posts([PostText(1, "a", "b"), PostText(1, "c", "d")])


def test_plain_text_drops_block_comments_and_tags() -> None:
    html = (
        '<!-- wp:paragraph -->\n<p>cache &amp; <a href="/x">purge</a></p>\n<!-- /wp:paragraph -->'
    )
    assert plain_text(html) == "cache & purge"


def test_the_section_is_replaced_not_added_again() -> None:
    links = [SimilarLink("a <b> post", "http://site/?p=2"), SimilarLink("c", "http://site/?p=3")]
    once = with_similar_section("<p>body.</p>", links)
    assert SECTION_CLASS in once and once.count("<li>") == 2
    assert "a &lt;b&gt; post" in once
    assert with_similar_section(once, links) == once
    changed = with_similar_section(once, links[:1])
    assert changed.count("<li>") == 1 and changed.count("<!-- wp:group") == 1
    assert strip_similar_section(changed) == "<p>body.</p>"
    assert with_similar_section(once, []) == "<p>body.</p>"


def test_neighbour_is_plain_data() -> None:
    assert Neighbour(1, 0.5) == Neighbour(1, 0.5)


@pytest.mark.parametrize("pairs", [False, True])
def test_counting_words_gives_what_hashing_vectorizer_gives(pairs: bool) -> None:
    # The fast tokenizer (ASCII through a byte table, other text through the regex) must
    # give scikit-learn's features exactly: same words, same hashes, same counts.
    texts = [
        "Caching: the page's cache, purge_now! x y zz Zz 42 ab a_b c-d e.f",
        "Straße, café — “quoted” über Äpfel; naïve x",
        "",
        "tab\there\nnew  line __ _x x_ slow admin pages slow admin",
    ]
    expected = HashingVectorizer(
        n_features=2**20,
        alternate_sign=False,
        norm=None,
        ngram_range=(1, 2) if pairs else (1, 1),
        dtype=np.float32,
    ).transform(texts)
    found = _hashed(texts, pairs=pairs)
    assert found.nnz == expected.nnz and abs(found - expected).sum() == 0
