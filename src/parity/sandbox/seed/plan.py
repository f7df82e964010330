"""Build everything the seed puts into production from articles and a seed (pure).

``build_plan(url, articles, seed=...)`` turns articles (the sample first, then synthesized
ones) into posts with block content, their uploaded images as attachments, categories
and tags, comments, the site's staff, plugin options and transients. The same arguments
always give the same plan; what is random (comments, commenters, times of day) comes
from a ``random.Random`` seeded with ``seed`` and the record's key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from parity.content.article import Article
from parity.content.importer.postdata import article_meta, stored_meta_value
from parity.content.importer.sanitize import sanitize_text, slugify
from parity.refresh.phpass import portable_hash, salt_for
from parity.sandbox.seed.blocks import Link, PlacedImage, article_blocks, page_blocks
from parity.sandbox.seed.media import PALETTES, UploadedImage
from parity.sandbox.seed.model import (
    SEED_KEY,
    SeedComment,
    SeedPlan,
    SeedPost,
    SeedTerm,
    SeedUser,
    UploadFile,
    ref,
)
from parity.sandbox.seed.options import site_options
from parity.sandbox.seed.people import STAFF, StaffMember, commenter, user_agent
from parity.wordpress.phpvalue import php_serialize

__all__ = ["ABOUT_PAGE", "article_key", "build_plan", "user_key"]

#: Seed key of the "About" page.
ABOUT_PAGE = "page:about"
#: Slugs WordPress's own install already uses.
_INSTALLED_SLUGS = frozenset({"hello-world", "sample-page", "privacy-policy"})
#: Seeded posts are dated no later than this, so none is "scheduled" in the future.
_LATEST_DATE = dt.date(2025, 12, 31)
_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("operations", "Operations"),
    ("performance", "Performance"),
    ("databases", "Databases"),
    ("caching", "Caching"),
    ("deployments", "Deployments"),
)
_AUTHORS = ("maria.keller", "jonas.becker", "aylin.demir", "tom.okafor")
_USER_LEVELS = {"editor": 7, "author": 2, "contributor": 1, "subscriber": 0}
_OFFICE_IP = "87.123.44.10"
_REMARKS = (
    "We hit exactly this after our last migration. The checklist helped.",
    "Does the purge step also cover the feed? Ours kept serving the old item for an hour.",
    "Measuring cold and warm separately was the missing piece for us, thanks.",
    "Could you share the query you used to find the slow route?",
    "Great write-up. We keep the rollback note in the ticket as well.",
    "Our staging still points at the production CDN, which explains a lot.",
    "How do you handle serialized options when the URL length changes?",
    "Tried this on a copy of real data first, as suggested. Found two broken widgets.",
)
_REPLIES = (
    "Good question: yes, purge the feed too, it is cached separately.",
    "Thanks! We wrote the query down in the follow-up note.",
    "Serialized values need their lengths fixed; a plain search-replace breaks them.",
)


def article_key(source_id: str) -> str:
    """The seed key of the post of the article with ``source_id``."""
    return f"article:{source_id}"


def user_key(login: str) -> str:
    """The seed key of the user ``login``."""
    return f"user:{login}"


def _rng(seed: int, key: str) -> random.Random:
    # A str seed is hashed with SHA-512: the same on every run and platform.
    return random.Random(f"parity-seed:{seed}:{key}")


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


class _Slugs:
    """Unique post slugs, as WordPress makes them (``-2``, ``-3`` ... on clashes)."""

    def __init__(self) -> None:
        self._taken = set(_INSTALLED_SLUGS)

    def take(self, wanted: str) -> str:
        base = wanted[:180].strip("-") or "post"
        slug, number = base, 2
        while slug in self._taken:
            slug, number = f"{base}-{number}", number + 1
        self._taken.add(slug)
        return slug


def _users(prefix: str) -> list[SeedUser]:
    return [_user(member, prefix) for member in STAFF]


def _user(member: StaffMember, prefix: str) -> SeedUser:
    key = user_key(member.login)
    secret = hashlib.sha256(f"parity-seed-password:{member.login}".encode()).hexdigest()
    meta: list[tuple[str, str]] = [
        ("nickname", member.login),
        ("first_name", member.first_name),
        ("last_name", member.last_name),
        ("description", member.bio),
        ("rich_editing", "true"),
        ("syntax_highlighting", "true"),
        ("comment_shortcuts", "false"),
        ("admin_color", "fresh"),
        ("use_ssl", "0"),
        ("show_admin_bar_front", "true"),
        ("locale", ""),
        (f"{prefix}capabilities", php_serialize({member.role: True})),
        (f"{prefix}user_level", str(_USER_LEVELS[member.role])),
        ("dismissed_wp_pointers", ""),
    ]
    if member.role != "subscriber":
        token = hashlib.sha256(f"session:{member.login}".encode()).hexdigest()
        rng = _rng(0, key)
        session = {
            "expiration": 1767225600,
            "ip": _OFFICE_IP,
            "ua": user_agent(rng),
            "login": 1766016000,
        }
        meta.append(("session_tokens", php_serialize({token: session})))
    else:
        # A shop customer's address: what a refresh must scrub besides e-mails.
        meta += [
            ("billing_first_name", member.first_name),
            ("billing_last_name", member.last_name),
            ("billing_email", member.email),
            ("billing_phone", "+49 151 23456789"),
            ("billing_city", "Leipzig"),
            ("billing_country", "DE"),
        ]
    meta.append((SEED_KEY, key))
    return SeedUser(
        key=key,
        login=member.login,
        pass_hash=portable_hash(secret, salt=salt_for("parity-seed", member.login)),
        nicename=slugify(member.login),
        email=member.email,
        url="",
        registered=member.registered,
        display_name=member.display_name,
        meta=tuple(meta),
    )


@dataclass
class _Placed:
    """An article with what the first pass decided: key, slug, date, author, images."""

    article: Article
    key: str
    slug: str
    url: str
    date: str
    author: str
    images: list[tuple[UploadedImage, PlacedImage]]


def _date(article: Article, rng: random.Random) -> dt.datetime:
    day = min(article.meta.revision.last_reviewed, _LATEST_DATE)
    minutes = 7 * 60 + rng.randrange(11 * 60)
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)


def _when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _place(
    articles: Sequence[Article], url: str, seed: int, slugs: _Slugs, chosen: Mapping[str, str]
) -> list[_Placed]:
    placed: list[_Placed] = []
    for index, article in enumerate(articles):
        key = article_key(article.source_id)
        rng = _rng(seed, key)
        when = _date(article, rng)
        slug = slugs.take(chosen.get(article.source_id) or slugify(article.title))
        images: list[tuple[UploadedImage, PlacedImage]] = []
        for number, image in enumerate(article.images, start=1):
            base = slugs.take(f"{slug[:48].rstrip('-')}-{number}")
            upload = UploadedImage(
                f"{when:%Y/%m}/{base}", palette=_digest(f"{key}:{number}") % len(PALETTES)
            )
            shown = PlacedImage(
                key=f"media:{article.source_id}:{number}",
                url=f"{url}/wp-content/uploads/{upload.file}",
                alt=sanitize_text(image.alt),
                caption=sanitize_text(image.caption),
            )
            images.append((upload, shown))
        placed.append(
            _Placed(
                article=article,
                key=key,
                slug=slug,
                url=f"{url}/{slug}/",
                date=_when(when),
                author=user_key(_AUTHORS[index % len(_AUTHORS)]),
                images=images,
            )
        )
    return placed


def _terms(article: Article) -> tuple[SeedTerm, list[SeedTerm]]:
    slug, name = _CATEGORIES[_digest(article.source_id) % len(_CATEGORIES)]
    category = SeedTerm(f"term:category:{slug}", "category", name, slug)
    tags: list[SeedTerm] = []
    seen: set[str] = set()
    for raw in (*article.meta.stack, *article.meta.tools):
        name = sanitize_text(raw)
        tag_slug = slugify(name)
        if tag_slug and tag_slug not in seen:
            seen.add(tag_slug)
            tags.append(SeedTerm(f"term:post_tag:{tag_slug}", "post_tag", name, tag_slug))
    return category, tags


def _related(index: int, count: int) -> list[int]:
    """Two other articles to link to: the two before, else the next ones.

    Only earlier articles (or, for the first two, the next ones) are chosen, so an
    article's content does not change when a later run seeds more articles.
    """
    earlier = [j for j in (index - 1, index - 2) if j >= 0]
    later = [j for j in range(index + 1, count) if j != index]
    return (earlier + later)[:2]


def _article_posts(url: str, item: _Placed, related: list[Link]) -> list[SeedPost]:
    article = item.article
    shown = [placed for _upload, placed in item.images]
    meta: list[tuple[str, str]] = [
        (key, stored_meta_value(value)) for key, value in article_meta(article).items()
    ]
    seo = {
        "focus_keyword": article.meta.ai_outline.problem,
        "canonical": item.url,
        "noindex": False,
        "og_image": shown[0].url if shown else "",
    }
    meta += [("_alphanode_seo_meta", php_serialize(seo)), ("_edit_last", ref(item.author))]
    if shown:
        meta.append(("_thumbnail_id", ref(shown[0].key)))
    meta.append((SEED_KEY, item.key))
    category, tags = _terms(article)
    posts = [
        SeedPost(
            key=item.key,
            kind="article",
            post_type="post",
            status="publish",
            author=item.author,
            date=item.date,
            title=sanitize_text(article.title),
            name=item.slug,
            content=article_blocks(article, shown, related),
            excerpt=sanitize_text(article.meta.summary),
            guid=f"{url}/?p={ref(item.key)}",
            meta=tuple(meta),
            terms=(category.key, *(tag.key for tag in tags)),
        )
    ]
    for upload, placed in item.images:
        posts.append(
            SeedPost(
                key=placed.key,
                kind="attachment",
                post_type="attachment",
                status="inherit",
                author=item.author,
                date=item.date,
                title=placed.alt,
                name=upload.base_name,
                excerpt=placed.caption,
                parent=item.key,
                guid=placed.url,
                mime_type="image/png",
                ping_status="closed",
                meta=(
                    ("_wp_attached_file", upload.file),
                    ("_wp_attachment_metadata", php_serialize(upload.metadata())),
                    ("_wp_attachment_image_alt", placed.alt),
                    (SEED_KEY, placed.key),
                ),
            )
        )
    return posts


def _comments(item: _Placed, seed: int, *, sample: bool) -> list[SeedComment]:
    rng = _rng(seed, f"comments:{item.key}")
    count = 3 if sample else rng.choice((0, 0, 0, 1, 1, 2, 3, 4))
    posted = dt.datetime.strptime(item.date, "%Y-%m-%d %H:%M:%S")
    comments: list[SeedComment] = []
    for number in range(1, count + 1):
        person = commenter(rng)
        roll = rng.random()
        approved = "1" if sample or roll >= 0.13 else ("0" if roll < 0.08 else "spam")
        posted += dt.timedelta(hours=rng.randrange(2, 60), minutes=rng.randrange(60))
        comments.append(
            SeedComment(
                key=f"comment:{item.article.source_id}:{number}",
                post=item.key,
                author=person.name,
                email=person.email,
                url=person.url,
                ip=person.ip,
                date=_when(posted),
                content=rng.choice(_REMARKS),
                approved=approved,
                agent=person.agent,
            )
        )
    first = comments[0] if comments else None
    if first is not None and first.approved == "1" and (sample or rng.random() < 0.4):
        member = next(m for m in STAFF if user_key(m.login) == item.author)
        posted += dt.timedelta(hours=rng.randrange(1, 12))
        comments.append(
            SeedComment(
                key=f"comment:{item.article.source_id}:reply",
                post=item.key,
                author=member.display_name,
                email=member.email,
                url="",
                ip=_OFFICE_IP,
                date=_when(posted),
                content=rng.choice(_REPLIES),
                approved="1",
                agent=user_agent(rng),
                parent=first.key,
                user=item.author,
            )
        )
    return comments


def _about_page(url: str, slug: str, gallery: list[PlacedImage]) -> SeedPost:
    intro = (
        "alphanode writes down how a small platform team runs WordPress with Python"
        " services around it.",
        "Every note is reviewed by a person before it is published.",
    )
    return SeedPost(
        key=ABOUT_PAGE,
        kind="page",
        post_type="page",
        status="publish",
        author=user_key("maria.keller"),
        date="2019-02-01 09:30:00",
        title="About alphanode",
        name=slug,
        content=page_blocks(intro, gallery, f"{url}/feed/"),
        guid=f"{url}/?page_id={ref(ABOUT_PAGE)}",
        comment_status="closed",
        ping_status="closed",
        meta=(("_edit_last", ref(user_key("maria.keller"))), (SEED_KEY, ABOUT_PAGE)),
    )


def build_plan(
    url: str,
    articles: Sequence[Article],
    *,
    seed: int,
    table_prefix: str = "wp_",
    slugs: Mapping[str, str] | None = None,
) -> SeedPlan:
    """Everything production should hold for ``articles`` (the sample first) and ``seed``.

    ``url`` is production's URL (no trailing slash): every absolute link, image source
    and guid starts with it, as on a real site. ``slugs`` gives some articles (by source
    id) the slug an editor chose; the others get their title's.
    """
    taken = _Slugs()
    about_slug = taken.take("about")  # before any article can take it
    placed = _place(articles, url, seed, taken, slugs or {})
    links = [Link(sanitize_text(item.article.title), item.url, item.key) for item in placed]
    posts: list[SeedPost] = []
    comments: list[SeedComment] = []
    terms: dict[str, SeedTerm] = {}
    files: dict[str, bytes] = {}
    for index, item in enumerate(placed):
        posts.extend(_article_posts(url, item, [links[j] for j in _related(index, len(links))]))
        comments.extend(_comments(item, seed, sample=index == 0))
        category, tags = _terms(item.article)
        for term in (category, *tags):
            terms.setdefault(term.key, term)
        for upload, _shown in item.images:
            files.update(upload.files())
    gallery = [shown for item in placed[:3] for _upload, shown in item.images[:1]]
    about = _about_page(url, about_slug, gallery)
    first_image = next((shown.url for item in placed for _u, shown in item.images), "")
    options = site_options(url, first_image, [item.url for item in placed])
    return SeedPlan(
        url=url,
        users=tuple(_users(table_prefix)),
        terms=tuple(sorted(terms.values(), key=lambda t: (t.taxonomy, t.slug))),
        posts=(about, *posts),
        comments=tuple(comments),
        options=tuple(options),
        files=tuple(UploadFile(path, data) for path, data in sorted(files.items())),
    )
