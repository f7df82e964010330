"""Synthesize realistic articles in the article format, deterministically (no I/O).

Article ``index`` of run ``seed`` is built from its own ``random.Random``, seeded from a
hash of ``(seed, index)``: the same pair always gives the same article, whatever else is
generated, so any slice of a run can be reproduced on its own
(``synthesize(10, seed=7, start=500)`` equals items 500 to 509 of ``synthesize(1000, 7)``).
Nothing depends on the clock, the environment or ``PYTHONHASHSEED``.

The source id of a synthesized article is ``alphanode-<seed>-<index>`` (index padded to
six digits): unique within a run and across runs with different seeds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from typing import NamedTuple

from parity.content import vocabulary as words
from parity.content.article import (
    AiOutline,
    Article,
    Block,
    BulletList,
    Entity,
    Flags,
    ImageRef,
    ImageSource,
    Paragraph,
    Payload,
    PostMeta,
    Revision,
    Score,
    Section,
)

__all__ = [
    "GENERATOR",
    "SITE",
    "Topic",
    "article_seed",
    "article_topic",
    "synthesize",
    "synthesize_one",
]

#: The site every synthesized article belongs to (the meta box reads "alphanode post meta").
SITE = "alphanode"
#: Written to ``payload.generator``, so synthetic posts can be told apart from real ones.
GENERATOR = "parity content synthesizer"
_REFERENCE_PREFIX = "anp-ref"
_FIRST_REVIEW = dt.date(2019, 1, 1)
_REVIEW_SPAN_DAYS = 2900
# Number of images per article and how often each count occurs.
_IMAGE_COUNTS = (0, 1, 2, 3)
_IMAGE_WEIGHTS = (15, 50, 25, 10)
_WORDS_PER_MINUTE = 60  # the sample: 420 words of body, reading time 7


def article_seed(seed: int, index: int) -> int:
    """The seed of article ``index`` in run ``seed``: 48 bits, so JSON readers keep it exact."""
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


def synthesize(count: int, seed: int, *, start: int = 0) -> Iterator[Article]:
    """Yield ``count`` articles of run ``seed``, from index ``start`` on.

    The same arguments give the same articles (and so byte-identical rendered text);
    different seeds give different articles.

    >>> [a.source_id for a in synthesize(2, seed=7)]
    ['alphanode-7-000000', 'alphanode-7-000001']
    """
    if count < 0 or seed < 0 or start < 0:
        raise ValueError("count, seed and start must be zero or more")
    for index in range(start, start + count):
        yield synthesize_one(seed, index)


def synthesize_one(seed: int, index: int) -> Article:
    """Article ``index`` of run ``seed`` (what ``synthesize`` yields at that position)."""
    if seed < 0 or index < 0:
        raise ValueError("seed and index must be zero or more")
    return _ArticleWriter(seed, index).article()


class Topic(NamedTuple):
    """What an article is about: the generating parameters behind its text."""

    stack: str
    problem: str
    scenario: str


def article_topic(seed: int, index: int) -> Topic:
    """What article ``index`` of run ``seed`` is about (its first draws; the text is not built).

    For evaluations that need ground truth: two articles with the same stack and problem
    are about the same thing, whatever their wording.

    >>> article_topic(7, 0) == article_topic(7, 0)
    True
    """
    if seed < 0 or index < 0:
        raise ValueError("seed and index must be zero or more")
    writer = _ArticleWriter(seed, index)
    return Topic(writer.stack.name, writer.problem, writer.scenario)


class _ArticleWriter:
    """Draws one article's choices from its own random generator, in a fixed order."""

    def __init__(self, seed: int, index: int) -> None:
        self.index = index
        self.source_id = f"{SITE}-{seed}-{index:06d}"
        self.seed = article_seed(seed, index)
        rng = self.rng = random.Random(self.seed)
        self.stack = rng.choice(words.STACKS)
        self.problem = rng.choice(words.PROBLEMS)
        self.scenario = rng.choice(words.SCENARIOS)
        self.tools = rng.sample(self.stack.tools, rng.randint(3, min(6, len(self.stack.tools))))
        self.fields = {
            "stack": self.stack.name,
            "area": self.stack.area,
            "language": self.stack.language,
            "problem": self.problem,
            "scenario": self.scenario,
            "site": SITE,
            "tool": self.tools[0],
        }

    def fill(self, template: str, number: int | None = None) -> str:
        fields = self.fields if number is None else {**self.fields, "number": str(number)}
        return template.format_map(fields)

    def article(self) -> Article:
        rng = self.rng
        images = self.images(rng.choices(_IMAGE_COUNTS, _IMAGE_WEIGHTS)[0])
        intro: list[Block] = [Paragraph(text=self.fill(rng.choice(words.INTROS)))]
        sections = self.sections(images[1:])
        if images:
            intro.append(images[0])
        checklist = rng.sample(words.CHECKLIST_ITEMS, rng.randint(3, 7))
        sections.append(
            Section(
                heading=rng.choice(words.CHECKLIST_HEADINGS),
                blocks=[BulletList(items=checklist)],
            )
        )
        sections.append(
            Section(
                heading=rng.choice(words.CLOSING_HEADINGS),
                blocks=[Paragraph(text=self.fill(rng.choice(words.CLOSING_PARAGRAPHS)))],
            )
        )
        paragraphs = [
            block.text
            for section in sections
            for block in section.blocks
            if isinstance(block, Paragraph)
        ]
        word_count = sum(text.count(" ") + 1 for text in paragraphs)
        return Article(
            title=self.fill(rng.choice(words.TITLES)),
            intro=intro,
            sections=sections,
            site=SITE,
            meta=self.meta(images, checklist, len(paragraphs), word_count),
        )

    def images(self, count: int) -> list[ImageRef]:
        refs = []
        for number in range(1, count + 1):
            caption = self.fill(self.rng.choice(words.IMAGE_CAPTIONS), number=number)
            refs.append(ImageRef(alt=caption, caption=caption, source=self._image_host()))
        return refs

    def _image_host(self) -> str:
        return self.rng.choice(("unsplash", "unsplash", "pexels", "pixabay"))

    def image_url(self, source: str) -> str:
        rng = self.rng
        if source == "unsplash":
            return (
                f"https://images.unsplash.com/photo-{rng.randrange(10**12, 2 * 10**12)}-"
                f"{rng.getrandbits(48):012x}?auto=format&fit=crop&w=1200&q=80"
            )
        if source == "pexels":
            number = rng.randrange(100_000, 9_999_999)
            return (
                f"https://images.pexels.com/photos/{number}/pexels-photo-{number}.jpeg"
                "?auto=compress&cs=tinysrgb&w=1200"
            )
        day = _FIRST_REVIEW + dt.timedelta(days=rng.randrange(_REVIEW_SPAN_DAYS))
        return (
            f"https://cdn.pixabay.com/photo/{day:%Y/%m/%d}/{rng.randrange(24):02d}/"
            f"{rng.randrange(60):02d}/server-{rng.randrange(10**6, 10**7)}_1280.jpg"
        )

    def sections(self, images: list[ImageRef]) -> list[Section]:
        """The content sections; extra images go after a section's first paragraph."""
        rng = self.rng
        headings = rng.sample(words.HEADINGS, rng.randint(2, 4))
        sizes = [rng.randint(1, 4) for _ in headings]
        texts = iter(rng.sample(words.PARAGRAPHS, sum(sizes)))
        with_image = set(rng.sample(range(len(headings)), min(len(images), len(headings))))
        pending = iter(images)
        sections = []
        for position, (heading, size) in enumerate(zip(headings, sizes, strict=True)):
            blocks: list[Block] = [Paragraph(text=self.paragraph(next(texts))) for _ in range(size)]
            if position in with_image:
                blocks.insert(1, next(pending))
            sections.append(Section(heading=heading, blocks=blocks))
        return sections

    def paragraph(self, template: str) -> str:
        text = self.fill(template)
        if self.rng.random() < 0.25:
            text += self.fill(self.rng.choice(words.EXTRA_SENTENCES))
        return text

    def meta(
        self, images: list[ImageRef], checklist: list[str], paragraphs: int, word_count: int
    ) -> PostMeta:
        rng = self.rng
        stack, problem = self.stack, self.problem
        emphasis = rng.sample(words.EMPHASES, 4)
        entities = [
            Entity(name=stack.name, type="stack"),
            Entity(name=stack.area, type="area"),
            Entity(name=problem, type="problem"),
        ]
        if rng.random() < 0.3:
            entities.append(Entity(name=self.tools[0], type="tool"))
        return PostMeta(
            topic=f"{problem} / {stack.name}",
            summary=(
                f"this ai-style technical summary explains {problem} in {stack.name}, with "
                f"emphasis on {emphasis[0]}, {emphasis[1]}, {emphasis[2]}, and {emphasis[3]}."
            ),
            ai_outline=AiOutline(
                context=self.scenario,
                problem=problem,
                stack=stack.name,
                recommended_action=rng.choice(words.RECOMMENDED_ACTIONS),
            ),
            ai_brief=rng.choice(words.AI_BRIEFS),
            stack=[stack.name, stack.area, stack.language],
            tools=self.tools,
            code_language=stack.language,
            difficulty=rng.choice(words.DIFFICULTIES),
            reading_time=max(1, round(word_count / _WORDS_PER_MINUTE)),
            view_count=min(int(rng.lognormvariate(9.0, 1.6)), 5_000_000),
            score=Score(
                quality=rng.randint(40, 100),
                freshness=rng.randint(20, 100),
                depth=rng.randint(30, 100),
                clarity=rng.randint(40, 100),
            ),
            revision=Revision(
                status=rng.choice(words.REVISION_STATUSES),
                version=f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 12)}",
                last_reviewed=_FIRST_REVIEW + dt.timedelta(days=rng.randrange(_REVIEW_SPAN_DAYS)),
            ),
            reference=f"{_REFERENCE_PREFIX}-{self.index:06d}-{rng.randint(1000, 9999)}",
            hash=f"{rng.getrandbits(96):024x}",
            flags=Flags(
                ai_generated_style=rng.random() < 0.9,
                has_images=bool(images),
                image_heavy=len(images) >= 3,
                needs_human_review=rng.random() < 0.2,
            ),
            checklist=list(checklist),
            entities=entities,
            image_sources=[
                ImageSource(
                    source=image.source, url=self.image_url(image.source), caption=image.caption
                )
                for image in images
            ],
            payload=Payload(
                source_id=self.source_id,
                generator=GENERATOR,
                paragraphs=paragraphs,
                scenario=self.scenario,
                seed=self.seed,
            ),
            notes=rng.sample(words.NOTES, rng.randint(1, 3)),
        )
