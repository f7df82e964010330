"""Evaluation: quality and speed of similar posts and near-duplicate detection.

    .venv/bin/python benchmarks/eval_similar.py [--eval-count 10000] [--count 100000]
        [--seed 11] [--dup-count 2000] [--dup-variants 500] [--results FILE]

Ground truth comes from the synthesizer, which knows what each article is about
(``article_topic``: its stack, problem and scenario). Two articles are **relevant** to
each other when they share stack and problem (about the same thing); for nDCG the gain is
2 for a shared problem plus 1 for a shared stack (3 for both).

Measured in one run, on the same machine:

1. quality, on ``--eval-count`` articles of seed ``--seed``: P@5 and nDCG@5 of parity's
   method (title + body + taxonomy), a text-only variant (no taxonomy boost) and a
   tag-overlap baseline (most shared tags, by Jaccard, ties by id);
2. speed: the similar lists of ``--count`` articles (vectors + search, from plain text in
   memory; synthesis not counted) against a brute-force baseline, and the recall of the
   top 5 against exact lists (``bench_similar.speed``);
3. duplicates: ``--dup-count`` distinct articles plus ``--dup-variants`` edited copies
   (:func:`edited_copy`: headline reworded, boilerplate paragraphs added, sections
   reordered, a paragraph dropped, copy edits, excerpt rewritten), precision and recall
   of the pairs ``duplicate_clusters`` reports at the default threshold and others.

The weights were chosen on seed 3; the default seed here is another one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import time
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from scipy import sparse

from parity.content import Article, BulletList, ImageRef, Paragraph, synthesize
from parity.content.duplicates import DEFAULT_THRESHOLD, duplicate_clusters
from parity.content.similar import (
    TEXT_ONLY,
    PostText,
    similar_posts,
)
from parity.content.synth import Topic, article_topic

TOP = 5


def article_post(post_id: int, article: Article) -> PostText:
    """The post an import makes of ``article``, as ``content similar`` reads it back:
    the excerpt and the body's text, the stack and tools as tags, the default category."""
    parts = [article.meta.summary]
    for block in article.intro:
        parts.append(_block_text(block))
    for section in article.sections:
        parts.append(section.heading)
        parts.extend(_block_text(block) for block in section.blocks)
    tags: list[str] = []
    for name in (*article.meta.stack, *article.meta.tools):
        if name.lower() not in {t.lower() for t in tags}:
            tags.append(name)
    return PostText(post_id, article.title, " ".join(parts), tuple(tags), ("Uncategorized",))


def _block_text(block: Paragraph | ImageRef | BulletList) -> str:
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, ImageRef):
        return block.caption
    return " ".join(block.items)


def _build(args: tuple[int, int, int]) -> list[tuple[PostText, Topic]]:
    seed, start, count = args
    return [
        (article_post(start + i, article), article_topic(seed, start + i))
        for i, article in enumerate(synthesize(count, seed, start=start))
    ]


def corpus(count: int, seed: int) -> tuple[list[PostText], list[Topic]]:
    """``count`` synthesized articles as posts (ids 0..count-1) and their topics."""
    step = 5000
    jobs = [(seed, start, min(step, count - start)) for start in range(0, count, step)]
    with Pool(min(2, os.cpu_count() or 1)) as pool:
        parts = pool.map(_build, jobs)
    pairs = [pair for part in parts for pair in part]
    return [p for p, _ in pairs], [t for _, t in pairs]


# -- quality -------------------------------------------------------------------------


def gain(a: Topic, b: Topic) -> int:
    """Graded relevance: 2 for the same problem, plus 1 for the same stack."""
    return 2 * (a.problem == b.problem) + (a.stack == b.stack)


def quality(lists: dict[int, list[int]], topics: Sequence[Topic]) -> tuple[float, float]:
    """Mean P@5 (relevant: same stack and problem) and mean nDCG@5 over every article."""
    by_gain: dict[tuple[str, str], int] = {}
    problems: dict[str, int] = {}
    stacks: dict[str, int] = {}
    for t in topics:
        by_gain[(t.stack, t.problem)] = by_gain.get((t.stack, t.problem), 0) + 1
        problems[t.problem] = problems.get(t.problem, 0) + 1
        stacks[t.stack] = stacks.get(t.stack, 0) + 1
    precision = ndcg = 0.0
    for post_id, found in lists.items():
        me = topics[post_id]
        gains = [gain(me, topics[other]) for other in found[:TOP]]
        precision += sum(g == 3 for g in gains) / TOP
        both = by_gain[(me.stack, me.problem)] - 1
        only_problem = problems[me.problem] - 1 - both
        only_stack = stacks[me.stack] - 1 - both
        ideal = sorted([3] * both + [2] * only_problem + [1] * only_stack, reverse=True)[:TOP]
        dcg = sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains))
        idcg = sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(ideal))
        ndcg += dcg / idcg if idcg else 0.0
    return precision / len(lists), ndcg / len(lists)


def tag_overlap(posts: Sequence[PostText]) -> dict[int, list[int]]:
    """The baseline: the posts sharing the most tags (Jaccard of tag sets), ties by id."""
    names = sorted({t.lower() for p in posts for t in p.tags})
    column = {name: i for i, name in enumerate(names)}
    rows, cols = [], []
    for i, post in enumerate(posts):
        for name in {t.lower() for t in post.tags}:
            rows.append(i)
            cols.append(column[name])
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(posts), len(names))
    )
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    result: dict[int, list[int]] = {}
    for start in range(0, len(posts), 1000):
        inter = (matrix[start : start + 1000] @ matrix.T).toarray()
        union = sizes[start : start + 1000, None] + sizes[None, :] - inter
        jaccard = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        for row in range(jaccard.shape[0]):
            jaccard[row, start + row] = -1
            order = np.lexsort((np.arange(len(posts)), -jaccard[row]))[:TOP]
            result[posts[start + row].post_id] = [posts[j].post_id for j in order]
    return result


def ids_only(lists: dict[int, list[object]]) -> dict[int, list[int]]:
    return {k: [n.post_id for n in v] for k, v in lists.items()}  # type: ignore[attr-defined]


# -- duplicates ----------------------------------------------------------------------

#: The edits an editor or a syndication feed makes to an article before it comes back.
EDITS = ("headline", "boilerplate", "reorder", "drop", "copyedit", "excerpt")
_BOILERPLATE = (
    "this article first appeared on the {site} blog and is republished here with"
    " permission; the original may have been updated since.",
    "want more notes like this? subscribe to our weekly newsletter, follow us on social"
    " media, and share this article with a colleague who works on {stack}.",
    "disclosure: some links in this post are affiliate links, which means we may earn a"
    " small commission at no extra cost to you.",
    "about the author: our editorial team has been writing about web performance,"
    " deployments and hosting for more than ten years.",
    "editor's note: this post was reviewed and updated for accuracy; screenshots and"
    " version numbers may differ from what you see today.",
)
_HEADLINES = (
    "updated: {t}",
    "{t} (revised)",
    "how we handled it: {t}",
    "{t}, explained again",
    "guide: {t}",
)
_SYNONYMS = {
    "the": "a", "and": "plus", "with": "using", "when": "whenever", "small": "minor",
    "test": "check", "change": "edit", "before": "prior to", "slow": "sluggish",
    "team": "group", "page": "screen", "cache": "caching layer", "first": "initially",
    "record": "write down", "measure": "benchmark", "keep": "retain", "safe": "secure",
}  # fmt: skip


def edited_copy(article: Article, rng: random.Random, edits: set[str]) -> Article:
    """``article`` as it comes back edited: each of ``edits`` applied once.

    - headline: the title reworded ("updated: ...", "... (revised)");
    - boilerplate: one or two syndication / newsletter / disclosure paragraphs added
      (first in the intro, the second at the end);
    - reorder: two content sections swapped and one paragraph moved elsewhere;
    - drop: one paragraph removed (from a section that has another);
    - copyedit: 3 to 8 word edits (a synonym, two words swapped, a word deleted);
    - excerpt: the summary (the post's excerpt) reworded.
    """
    sections = [s.model_copy(update={"blocks": list(s.blocks)}) for s in article.sections]
    intro = list(article.intro)
    title, summary = article.title, article.meta.summary

    def paragraphs(alone: bool = True) -> list[tuple[int, int]]:
        return [
            (s, b)
            for s, section in enumerate(sections)
            for b, block in enumerate(section.blocks)
            if isinstance(block, Paragraph)
            and (alone or sum(isinstance(x, Paragraph) for x in section.blocks) > 1)
        ]

    if "headline" in edits:
        title = rng.choice(_HEADLINES).format(t=title)
    if "drop" in edits and (droppable := paragraphs(alone=False)):
        s, b = rng.choice(droppable)
        del sections[s].blocks[b]
    if "reorder" in edits:
        content = range(len(sections) - 2)  # not the checklist or the closing section
        if len(content) >= 2:
            i, j = rng.sample(content, 2)
            sections[i], sections[j] = sections[j], sections[i]
        s, b = rng.choice(paragraphs())
        moved = sections[s].blocks.pop(b)
        to = rng.randrange(len(sections))
        sections[to].blocks.insert(rng.randrange(len(sections[to].blocks) + 1), moved)
    if "copyedit" in edits:
        for _ in range(rng.randint(3, 8)):
            s, b = rng.choice(paragraphs())
            block = sections[s].blocks[b]
            assert isinstance(block, Paragraph)
            words = block.text.split(" ")
            i = rng.randrange(max(1, len(words) - 2))  # never the last word (its full stop)
            roll = rng.random()
            if words[i] in _SYNONYMS and roll < 0.6:
                words[i] = _SYNONYMS[words[i]]
            elif roll < 0.8 and i + 1 < len(words) - 1:
                words[i], words[i + 1] = words[i + 1], words[i]
            elif len(words) > 2:
                del words[i]
            sections[s].blocks[b] = Paragraph(text=" ".join(words))
    if "boilerplate" in edits:
        fields = {"site": article.site, "stack": article.meta.stack[0]}
        added = [t.format(**fields) for t in rng.sample(_BOILERPLATE, rng.randint(1, 2))]
        intro.insert(0, Paragraph(text=added[0]))
        if len(added) > 1:
            sections[-1].blocks.append(Paragraph(text=added[1]))
    if "excerpt" in edits:
        summary = "in short: " + summary.replace("this ai-style technical summary explains ", "")
    meta = article.meta.model_copy(update={"summary": summary})
    return article.model_copy(
        update={"title": title, "intro": intro, "sections": sections, "meta": meta}
    )


def duplicate_scores(
    count: int, variants: int, seed: int, thresholds: Sequence[float]
) -> tuple[list[tuple[float, float, float, int, float]], dict[str, float], float, float]:
    """Precision and recall of ``duplicate_clusters`` on ``count`` distinct articles of
    run ``seed`` plus ``variants`` edited copies of some of them.

    Each copy gets each edit of :data:`EDITS` with probability 1/2, and at least two.
    Returns (threshold, precision, recall, reported pairs, seconds) per threshold; the
    recall per edit at the default threshold; the highest similarity of two distinct
    articles and the lowest of a copy and its original (over pairs reported at 0.4).
    """
    articles = list(synthesize(count, seed))
    rng = random.Random(seed)
    originals = rng.sample(range(count), variants)
    copies: list[tuple[int, set[str]]] = []
    posts = [article_post(i, a) for i, a in enumerate(articles)]
    for n, original in enumerate(originals):
        edits = {e for e in EDITS if rng.random() < 0.5}
        while len(edits) < 2:
            edits.add(rng.choice(EDITS))
        posts.append(article_post(count + n, edited_copy(articles[original], rng, edits)))
        copies.append((original, edits))
    truth = {(original, count + n) for n, (original, _) in enumerate(copies)}

    def reported(threshold: float) -> dict[tuple[int, int], float]:
        return {
            (pair.first, pair.second): pair.similarity
            for cluster in duplicate_clusters(posts, threshold=threshold)
            for pair in cluster.pairs
        }

    rows = []
    for threshold in thresholds:
        started = time.perf_counter()
        clusters = duplicate_clusters(posts, threshold=threshold)
        seconds = time.perf_counter() - started
        found = {
            (min(a, b), max(a, b))
            for cluster in clusters
            for i, a in enumerate(cluster.post_ids)
            for b in cluster.post_ids[i + 1 :]
        }
        hits = len(found & truth)
        precision = hits / len(found) if found else 1.0
        rows.append((threshold, precision, hits / len(truth), len(found), seconds))
    at_default = reported(DEFAULT_THRESHOLD)
    by_edit = {
        edit: sum(
            (original, count + n) in at_default
            for n, (original, edits) in enumerate(copies)
            if edit in edits
        )
        / max(1, sum(edit in edits for _, edits in copies))
        for edit in EDITS
    }
    low = reported(0.4)
    distinct = max((s for pair, s in low.items() if pair not in truth), default=0.0)
    weakest_copy = min((s for pair, s in low.items() if pair in truth), default=0.0)
    return rows, by_edit, distinct, weakest_copy


# -- main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-count", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--dup-count", type=int, default=2000)
    parser.add_argument("--dup-variants", type=int, default=500)
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args()
    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    load_before = os.getloadavg()[0]
    say(f"## Similar posts and near-duplicates ({dt.date.today().isoformat()})")
    say()
    say(
        f"- machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()},"
        f" Python {platform.python_version()}"
    )
    say(
        f"- seed {args.seed}; quality corpus {args.eval_count:,} articles;"
        f" speed corpus {args.count:,}"
    )
    say()

    posts, topics = corpus(args.eval_count, args.seed)
    say(f"### Quality ({args.eval_count:,} articles, top {TOP})")
    say()
    say("| method | P@5 | nDCG@5 | seconds |")
    say("| --- | ---: | ---: | ---: |")
    results = {}
    for name, run in (
        ("parity (title + body + taxonomy)", lambda: ids_only(similar_posts(posts, top=TOP))),
        ("text only (no taxonomy boost)",
         lambda: ids_only(similar_posts(posts, top=TOP, weights=TEXT_ONLY))),
        ("baseline: tag overlap", lambda: tag_overlap(posts)),
    ):  # fmt: skip
        started = time.perf_counter()
        lists = run()
        seconds = time.perf_counter() - started
        p5, ndcg = quality(lists, topics)
        results[name] = p5
        say(f"| {name} | {p5:.3f} | {ndcg:.3f} | {seconds:.1f} |")
    values = list(results.values())
    say()
    say(f"Margin over the tag-overlap baseline: P@5 +{values[0] - values[2]:.3f};"
        f" over text only: +{values[0] - values[1]:.3f}.")  # fmt: skip
    say()

    if args.count:
        from bench_similar import speed  # one speed measurement, with its baseline

        big, _ = corpus(args.count, args.seed + 1)
        say(f"### Speed ({args.count:,} articles, top {TOP})")
        say()
        speed(big, 2000, say)
        say()

    # The default threshold was chosen on seeds 13 and 11 (10,000 articles); this is another.
    say(f"### Near-duplicates ({args.dup_count:,} distinct articles"
        f" + {args.dup_variants} edited copies, seed {args.seed + 4})")  # fmt: skip
    say()
    rows, by_edit, distinct, weakest = duplicate_scores(
        args.dup_count, args.dup_variants, args.seed + 4, (0.5, 0.55, 0.6, 0.65, 0.7, 0.8)
    )
    say("| threshold | precision | recall | pairs reported | seconds |")
    say("| ---: | ---: | ---: | ---: | ---: |")
    for threshold, precision, recall, pairs, seconds in rows:
        mark = " (default)" if threshold == DEFAULT_THRESHOLD else ""
        say(f"| {threshold:.2f}{mark} | {precision:.3f} | {recall:.3f} | {pairs} | {seconds:.1f} |")
    say()
    say(f"- recall by edit at the default {DEFAULT_THRESHOLD}: "
        + ", ".join(f"{edit} {value:.3f}" for edit, value in by_edit.items()))  # fmt: skip
    say(f"- most similar distinct articles: {distinct:.3f}; least similar copy: {weakest:.3f}")
    say()
    say(f"- load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    if args.results:
        args.results.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
